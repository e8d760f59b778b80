/* What a rescue system sent of its logs (POST /api/v1/logs): batches of
 * the kernel's log with the agent's lines in it ("kmsg"), and diagnostic
 * bundles ("bundle"), per host, the newest LOGS_MAX batches kept. */
#ifndef LIFEBOAT_LOGS_H
#define LIFEBOAT_LOGS_H

#include <stddef.h>

#include "store/store.h"

#define LOGS_MAX 400          /* kmsg batches kept per host */
#define LOGS_BUNDLES_MAX 20   /* bundles kept per host (apart: batches never push one out) */
#define LOGS_NETCONSOLE_MAX 100 /* netconsole batches kept per host (apart: forged ones push out no kmsg) */
#define LOGS_READ_MAX (1024 * 1024) /* the most one read gives (the newest) */

/* In the caller's transaction. 0 or -errno. */
int logs_add(struct store *st, const char *mac, long long session, long long now, const char *kind, const char *text,
	     char *err, size_t errlen);

/* The newest batches of mac since `since` (unix time; 0: all) of kind
 * ("": any) that fit LOGS_READ_MAX, oldest first, each "== <kind> <time>\n<text>" when headers, else the
 * texts only; a malloc'ed string (free it) with *len, or NULL (-errno in
 * *rc). */
char *logs_read(struct store *st, const char *mac, long long since, const char *kind, int headers, size_t *len,
		int *rc);

#endif
