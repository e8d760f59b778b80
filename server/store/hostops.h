/* The changes an admin makes to a host (rescue, normal, forget): one
 * write path for lifeboatctl and lifeboatd's control API. Each runs under
 * the store's lock and returns 0 or a negative errno with the reason in
 * err; the caller decides how to say it. */
#ifndef LIFEBOAT_HOSTOPS_H
#define LIFEBOAT_HOSTOPS_H

#include <json-c/json.h>
#include <stddef.h>

#include "store/store.h"

struct host_change {
	const char *policy;  /* "rescue", "rescue-once" or "normal" */
	int nat;             /* 1 or 0; -1: leave as is */
	long long seconds;   /* how long a rescue session lives */
	const char *by;      /* who asked: "lifeboatctl", "admin alice" (recorded) */
	json_object *keys;   /* rescue: SSH keys for this session only (an array of
	                      * checked key lines), or NULL */
	int keys_only;       /* 1: only those, not keys_file */
	int reset;           /* lifeboatctl: power-cycle through the BMC once armed */
	int media;           /* rescue-once through the BMC's virtual media (hostmedia.h) */
};

/* Sets the policy (creating the host if new): a rescue policy arms a new
 * session (no token, no binding, no conflict, no pinned keys), normal
 * ends it; the old token leaves the index. -EIO when the stored host
 * exists but cannot be read (fix it or forget it). */
int hostops_set_policy(struct store *st, const char *mac, const struct host_change *c, long long now, char *err,
		       size_t errlen);

/* The same inside hostops_update (the caller's transaction). */
void hostops_policy_in(struct store *st, json_object *h, const struct host_change *c, long long now);

/* Loads (or creates) the host, lets fn change it, saves it, all under
 * the store's lock. fn returns 0 or -errno. */
int hostops_update(struct store *st, const char *mac, int (*fn)(struct store *st, json_object *h, void *ctx),
		   void *ctx, char *err, size_t errlen);

/* Starts a session by hand with token (lifeboatctl token: a boot without
 * iPXE), bound to the address of its first use; only its hash is kept. */
int hostops_manual_token(struct store *st, const char *mac, const char *token, long long seconds, const char *by,
			 long long now, char *err, size_t errlen);

struct bmc;

/* Stores the host's BMC (its credentials apart from the host document,
 * which shows all but the password), creating the host if new. */
int hostops_set_bmc(struct store *st, const char *mac, const struct bmc *b, const char *by, long long now, char *err,
		    size_t errlen);

/* One line in the host's event log, under the store's lock (power
 * actions: lifeboatd does them outside the lock, then says so). */
void hostops_event(struct store *st, const char *mac, long long now, const char *kind, const char *text);

/* Points the next boot at the network, then powers on (if off) or
 * cycles, through the host's BMC; the host's log says what was done.
 * 0, or -ENOENT (no BMC), -EHOSTUNREACH, -EACCES, -EIO with err. */
int hostops_power_into_rescue(struct store *st, const char *mac, const char *by, char *err, size_t errlen);

/* Powers on (if off) or cycles through b, and says so in the log. */
int hostops_power_on_or_cycle(struct store *st, const char *mac, const struct bmc *b, const char *by, char *err,
			      size_t errlen);

/* A host by what an admin calls it: its MAC, its alias, or the SMBIOS
 * serial number or UUID it reported (or its boot request carried).
 * 0 with mac, -ENOENT (no such host) or -EEXIST (the name fits several:
 * err lists them). */
int hostops_resolve(struct store *st, const char *name, char mac[18], char *err, size_t errlen);

/* An alias ([a-z0-9][a-z0-9.-]*, at most 63; "" removes it), unique
 * among the hosts (-EEXIST otherwise). */
int hostops_set_alias(struct store *st, const char *mac, const char *alias, const char *by, long long now,
		      char *err, size_t errlen);
int hostops_alias_ok(const char *alias);

/* Removes the host and its token. -ENOENT when there is none. */
int hostops_forget(struct store *st, const char *mac, char *err, size_t errlen);

#endif
