/* What lifeboatd and lifeboatctl keep: hosts (each a JSON document as
 * core/hostdoc.h reads it), the token index, pending auto-created hosts, the
 * event log (events.h), BMC credentials (bmc.h), admin tokens (admin.h)
 * and the last normal boot of known hosts, in a database (db.h): SQLite
 * in STATE/lifeboat.db by default, or PostgreSQL shared by several
 * lifeboatd (`database = postgresql://...`). A state directory of JSON
 * files from before (STATE/hosts/ ...) is imported once (import.h).
 *
 * The state directory keeps what belongs to one lifeboatd:
 *   STATE/lifeboatd.pid                 flock held by the one lifeboatd
 *   STATE/lifeboatd.sock                its control socket (localsock.h)
 * Reading needs no lock; a change is store_lock .. store_unlock, one
 * transaction that every other writer of the database waits for. */
#ifndef LIFEBOAT_STORE_H
#define LIFEBOAT_STORE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>

#include "core/hostdoc.h"
#include "common/wire.h"

#include "store/db.h"

/* A committed change of a host, for a cache in this process: its
 * document's text, or NULL when it was forgotten; version as in
 * store_changes. */
typedef void (*store_change_fn)(const char *mac, long long version, const char *doc, void *ctx);

struct store_change;

/* A committed line of a host's event log (events.h), for a notifier in
 * this process. */
typedef void (*store_event_fn)(const char *mac, long long time, const char *kind, const char *text, void *ctx);

struct store {
	char dir[512];      /* the state directory */
	struct db db;
	pthread_mutex_t mu; /* the writing threads of one process, one at a time */
	int locked;         /* in store_lock .. store_unlock (under mu) */
	store_change_fn on_change; /* store_follow */
	void *on_change_ctx;
	struct store_change *changes, **changes_tail; /* of the open transaction (under mu) */
	store_event_fn on_event; /* store_on_event */
	void *on_event_ctx;
};

/* Every change of a host made through s from now on is handed to fn once
 * it is committed, in commit order, under the store's lock (fn must not
 * call the store). A cache that follows the database (store_changes)
 * thus sees its own process's changes at once, without asking the
 * database again. */
void store_follow(struct store *s, store_change_fn fn, void *ctx);

/* Likewise every event (events_add) written through s from now on: fn
 * gets it once it is committed, under the store's lock (fn must not call
 * the store, nor block). */
void store_on_event(struct store *s, store_event_fn fn, void *ctx);

/* events.c: an event written (kept for the commit like a change). */
void store_event_made(struct store *s, const char *mac, long long time, const char *kind, const char *text);

/* Opens the state directory and the database (database: "" for
 * STATE/lifeboat.db, sqlite:PATH, postgresql://...; every call on it
 * bounded by db_timeout_ms, 0: DB_TIMEOUT_MS) and brings its schema up to
 * date. A JSON state directory of an older lifeboat is imported by
 * the caller (import.h), not here. */
int store_open(struct store *s, const char *dir, const char *database, unsigned db_timeout_ms, char *err,
	       size_t errlen);

/* One lifeboatd per state directory: an exclusive flock on
 * STATE/lifeboatd.pid (holding our pid), on the descriptor returned, to
 * be kept open until we exit; called before store_open and import_state_dir (which may move
 * files of the directory). -EBUSY when another lifeboatd holds it (err
 * names its pid), or -errno. */
int store_claim_dir(const char *dir, char *err, size_t errlen);

/* lifeboatctl's question before it imports: is no lifeboatd running on
 * dir? A descriptor holding the same lock (close it when done), -ENOENT
 * (no lifeboatd ever claimed dir: idle too), -EBUSY (one runs), -errno.
 * Makes nothing (root must not create lifeboatd's pid file). */
int store_dir_idle(const char *dir);

/* Opens a write transaction: other threads and every other process
 * writing this database wait. 0: call store_unlock (or store_abort); a
 * negative errno: nothing to undo (callers refuse to change anything).
 * err may be NULL. */
int store_lock(struct store *s, char *err, size_t errlen);
/* Commits: 0, or -errno when nothing of the transaction was kept (a
 * statement in it failed, or the commit did): err says why. */
int store_unlock(struct store *s, char *err, size_t errlen);
/* Rolls back. */
void store_abort(struct store *s);

/* The host's document as parsed (new reference), NULL when there is none
 * (or it is not JSON: err, if given, says why). */
json_object *store_load_raw(struct store *s, const char *mac, char *err, size_t errlen);

/* What changed since version `since` (0: everything), oldest first: fn
 * gets each host saved since (its document's text) and each forgotten
 * since (doc NULL). For caches that follow the database. 0 or -errno. */
int store_changes(struct store *s, long long since, int (*fn)(const char *mac, long long version, const char *doc,
							       void *ctx), void *ctx);

/* 1 when the host has a row (readable or not), 0 when not, -errno. */
int store_exists(struct store *s, const char *mac);

/* The row's version without reading the document: 0, -ENOENT, -errno. */
int store_version(struct store *s, const char *mac, long long *version);

/* The host as readers see it: clean (hostdoc_clean), with what was
 * skipped in sk (may be NULL). NULL when unknown or unreadable. */
json_object *store_load(struct store *s, const char *mac, struct schema_skipped *sk);

/* Writes the host's document (inside store_lock). 0 or -errno with err. */
int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen);
/* The same with the document's text as it is (import, tests). */
int store_save_text(struct store *s, const char *mac, const char *text, char *err, size_t errlen);

/* Removes the host, its tokens, pending entry, last boot, events and BMC.
 * 0, -ENOENT, ... */
int store_forget(struct store *s, const char *mac);

/* Calls fn for every host, sorted by MAC: the clean host (NULL when
 * nothing of it could be read) with its last normal boot request as
 * "last_request" when one was stored, the row's MAC, what was skipped. */
int store_each(struct store *s, void (*fn)(json_object *host, const char *mac, const struct schema_skipped *sk,
					  void *ctx), void *ctx);

/* Token index. put/del under the lock; find without. */
int store_token_put(struct store *s, const char *hash, const char *mac);
void store_token_del(struct store *s, const char *hash);
int store_token_find(struct store *s, const char *hash, char mac[18]);

/* Hosts made by default_policy = rescue, each holding a place (of
 * auto_hosts, and one per source address) until holds_until: put when
 * made (until: a report is due), hold when it first reported (until: its
 * session ends), del when the admin changes or forgets it; all under the
 * lock. count: the places held at now (the others are removed), and those
 * from source; 0 or -errno. */
int store_pending_put(struct store *s, const char *mac, const char *source, long long now, long long until);
int store_pending_hold(struct store *s, const char *mac, long long until);
void store_pending_del(struct store *s, const char *mac);
int store_pending_count(struct store *s, const char *source, long long now, unsigned int *total,
			unsigned int *from_source);

/* The last normal boot of known hosts: {"time":..,"source":..,"decision":..}.
 * put: every member of batch ({"aa:bb:..": {...}, ...}) in one transaction
 * (lifeboatd writes them every few seconds, not per boot); get: one host's
 * (new reference) or NULL. */
int store_seen_put(struct store *s, json_object *batch, char *err, size_t errlen);
json_object *store_seen_get(struct store *s, const char *mac);

/* Records a note of the database itself (the JSON import's summary),
 * inside store_lock. 0 or -EIO. */
int store_meta_set(struct store *s, const char *key, const char *value);

/* A fresh per-boot token: LB_TOKEN_LEN characters from getrandom(). 0,
 * or -EIO when the system has no randomness. */
int store_new_token(char out[LB_TOKEN_LEN + 1]);

/* A new host object with the defaults. */
json_object *store_new_host(const char *mac, const char *policy);

#endif
