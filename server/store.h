/* Host state: one small JSON file per host in <state>/hosts/, written
 * atomically (temporary, fsync, rename, fsync of the directory), and
 * read-modify-write under an flock shared by lifeboatd and lifeboatctl. */
#ifndef LIFEBOAT_STORE_H
#define LIFEBOAT_STORE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>

struct store {
	char dir[512];      /* the state directory */
	int lock_fd;        /* held between store_lock and store_unlock */
	pthread_mutex_t mu; /* the threads of one process, one at a time */
};

int store_open(struct store *s, const char *dir, char *err, size_t errlen);

/* Excludes other threads and other processes (flock on STATE/.lock). Call
 * store_unlock after it whatever it returned: a negative errno means only
 * the threads of this process are excluded. */
int store_lock(struct store *s);
void store_unlock(struct store *s);

/* The host's object (new reference) or NULL when unknown. */
json_object *store_load(struct store *s, const char *mac);

int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen);
int store_forget(struct store *s, const char *mac);

/* Calls fn for every host, sorted by MAC. */
int store_each(struct store *s, void (*fn)(json_object *host, void *ctx), void *ctx);

/* The MAC of the host whose current token is token, in mac (18 bytes). */
int store_find_token(struct store *s, const char *token, char mac[18]);

/* A fresh per-boot token: 32 characters of [A-Za-z0-9_-] from
 * getrandom(). 0, or -EIO when the system has no randomness. */
int store_new_token(char out[33]);

/* A new host object with the defaults. */
json_object *store_new_host(const char *mac, const char *policy);

/* Convenience getters: "" when absent. */
const char *jstr(json_object *o, const char *key);

#endif
