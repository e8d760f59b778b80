/* What the hosts' serial consoles printed (lifeboatd/console.c captures
 * them): one row per line with its time, the newest CONSOLE_MAX lines per
 * host kept; and the lease that makes one lifeboatd of several the one
 * that captures a host. */
#ifndef LIFEBOAT_STORE_CONSOLE_H
#define LIFEBOAT_STORE_CONSOLE_H

#include <stddef.h>

#include "store/store.h"

#define CONSOLE_MAX 20000            /* lines kept per host */
#define CONSOLE_READ_MAX (2 * 1024 * 1024)

/* n lines (each without its newline) at time ms, in one transaction. */
int console_add(struct store *st, const char *mac, long long time_ms, const char *const *lines, size_t n);

/* The lines since `since_ms` (0: all kept; only the newest `newest`, 0:
 * any), oldest first, each
 * "<text>\\n"; with times, "YYYY-MM-DD HH:MM:SS.mmm <text>\\n". A malloc'ed
 * string with *len, or NULL with *rc. */
char *console_read(struct store *st, const char *mac, long long since_ms, int times, int newest, size_t *len,
		   int *rc);

/* The lease `name` for owner until now + seconds: 1 when owner holds it
 * now (taken or renewed), 0 when another does, -errno. */
int lease_take(struct store *st, const char *name, const char *owner, long long now, long long seconds);
/* Gives it up (when owner holds it). */
void lease_drop(struct store *st, const char *name, const char *owner);

#endif
