/* Host state on disk, shared by lifeboatd and lifeboatctl:
 *   STATE/hosts/aa-bb-cc-dd-ee-ff.json  one host (hostfile.h), written
 *                                       atomically (temporary, fsync,
 *                                       rename, fsync of the directory)
 *   STATE/tokens/<sha256 of token>      the MAC that token belongs to: the
 *                                       index reports are looked up by
 *   STATE/pending/aa-bb-cc-dd-ee-ff     hosts made by default_policy =
 *                                       rescue that have not reported yet
 *                                       ("SOURCE TIME"): what bounds them
 *   STATE/events/aa-bb-cc-dd-ee-ff.jsonl the host's event log (events.h)
 *   STATE/bmc/aa-bb-cc-dd-ee-ff.json    the host's BMC and its credentials
 *                                       (bmc.h): 0600, never answered
 *   STATE/seen.json                     the last normal boot of known hosts,
 *                                       written every few seconds, not per boot
 *   STATE/.lock                         flock: read-modify-write of the above
 *   STATE/lifeboatd.pid                 flock held by the one lifeboatd
 *   STATE/lifeboatd.sock                its control socket (localsock.h)
 * Reading a host needs no lock (files are replaced by rename). */
#ifndef LIFEBOAT_STORE_H
#define LIFEBOAT_STORE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>

#include "hostfile.h"
#include "wire.h"

struct store {
	char dir[512];      /* the state directory */
	int lock_fd;        /* held between store_lock and store_unlock */
	int claim_fd;       /* lifeboatd: store_claim's lock, held until exit */
	pthread_mutex_t mu; /* the threads of one process, one at a time */
};

int store_open(struct store *s, const char *dir, char *err, size_t errlen);

/* One lifeboatd per state directory: an exclusive flock on
 * STATE/lifeboatd.pid (holding our pid), kept until we exit. -EBUSY when
 * another lifeboatd holds it (err names its pid), or -errno. */
int store_claim(struct store *s, char *err, size_t errlen);

/* Excludes other threads and other processes (flock on STATE/.lock).
 * 0: locked, call store_unlock; a negative errno: not locked, nothing to
 * undo (callers refuse to change anything then). */
int store_lock(struct store *s);
void store_unlock(struct store *s);

/* The host file as parsed (new reference), NULL when there is none (or
 * it is not JSON: err, if given, says why). */
json_object *store_load_raw(struct store *s, const char *mac, char *err, size_t errlen);

/* The host as readers see it: clean (hostfile_clean), with what was
 * skipped in sk (may be NULL). NULL when unknown or unreadable. */
json_object *store_load(struct store *s, const char *mac, struct schema_skipped *sk);

/* STATE/hosts/aa-bb-cc-dd-ee-ff.json for mac: 0, -EINVAL, -ENAMETOOLONG. */
int store_host_path(struct store *s, const char *mac, char *buf, size_t len);
/* STATE/<subdir>/aa-bb-cc-dd-ee-ff<suffix>: a per-host file of another
 * kind (events, bmc; store_open makes those directories). -EINVAL when
 * mac is not one. */
int store_mac_path(struct store *s, const char *subdir, const char *mac, const char *suffix, char *buf, size_t len);

int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen);

/* text to path (mode 0600) through path.tmp: write, fsync, rename, fsync
 * of the directory. 0 or -errno. */
int store_write_atomic(const char *path, const char *text, size_t len);

/* Removes the host's file and its index entries. 0, -ENOENT, ... */
int store_forget(struct store *s, const char *mac);

/* Calls fn for every host file, sorted by MAC: the clean host (NULL when
 * nothing of it could be read), the file's MAC, what was skipped. */
int store_each(struct store *s, void (*fn)(json_object *host, const char *mac, const struct schema_skipped *sk,
					  void *ctx), void *ctx);

/* Token index. put/del under the lock; find without. */
int store_token_put(struct store *s, const char *hash, const char *mac);
void store_token_del(struct store *s, const char *hash);
int store_token_find(struct store *s, const char *hash, char mac[18]);

/* Pending auto-created hosts: put/del under the lock. count: entries
 * younger than max_age (older ones are removed), and those from source. */
int store_pending_put(struct store *s, const char *mac, const char *source, long long now);
void store_pending_del(struct store *s, const char *mac);
void store_pending_count(struct store *s, const char *source, long long now, long long max_age,
			 unsigned int *total, unsigned int *from_source);

/* seen.json: {"aa:bb:..": {"time":..,"source":..,"decision":..}, ...} */
json_object *store_seen_read(struct store *s);
int store_seen_write(struct store *s, json_object *seen, char *err, size_t errlen);

/* A fresh per-boot token: LB_TOKEN_LEN characters from getrandom(). 0,
 * or -EIO when the system has no randomness. */
int store_new_token(char out[LB_TOKEN_LEN + 1]);

/* A new host object with the defaults. */
json_object *store_new_host(const char *mac, const char *policy);

#endif
