/* Each host's event log: rows of (time, kind, text) in the store's
 * database, the newest EVENTS_MAX kept. Kinds: policy (who changed it),
 * token, rescue (a script with a token: claim or reissue), conflict, phase
 * (a report that changed the phase), alias, bmc, power. Written in the
 * transaction of the change they record; forgotten with the host
 * (store_forget). */
#ifndef LIFEBOAT_EVENTS_H
#define LIFEBOAT_EVENTS_H

#include <json-c/json.h>
#include <stddef.h>

#include "store/store.h"

#define EVENTS_MAX 1000

/* Inside store_lock. 0, or -errno (the caller may log it). */
int events_add(struct store *st, const char *mac, long long now, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The newest max events, oldest first (new reference; [] when none).
 */
json_object *events_read(struct store *st, const char *mac, size_t max);

#endif
