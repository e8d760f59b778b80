/* Each host's event log: STATE/events/aa-bb-cc-dd-ee-ff.jsonl, one JSON
 * object per line ({"time": ..., "kind": ..., "text": ...}), appended
 * with one write(2) under the store's lock; cut to its newest half once
 * it passes EVENTS_MAX_BYTES. Kinds: policy (who changed it), token,
 * rescue (a script with a token: claim or reissue), conflict, phase (a
 * report that changed the phase). Not fsync'd: it is the record for a
 * person, the host file is the state. */
#ifndef LIFEBOAT_EVENTS_H
#define LIFEBOAT_EVENTS_H

#include <json-c/json.h>
#include <stddef.h>

#include "store.h"

#define EVENTS_MAX_BYTES (128 * 1024)

/* Call with the store locked. 0, or -errno (the caller may log it). */
int events_add(struct store *st, const char *mac, long long now, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The newest max events, oldest first (new reference; [] when none).
 * Lines that are not event objects are skipped. */
json_object *events_read(struct store *st, const char *mac, size_t max);

/* With the host: the log goes too. */
void events_forget(struct store *st, const char *mac);

#endif
