/* What lifeboatctl's commands ask of the boot server, behind one
 * interface with two implementations:
 *   local.c   the state directory's database, under the store's lock,
 *             with the code lifeboatd uses (store/hostops.h)
 *   remote.c  lifeboatd's control API: with --server, or through the
 *             control socket when lifeboatd runs on this machine
 * Each operation returns data, or 0 / a negative errno with the reason in
 * err, and prints nothing: the command (commands.c) says what happened,
 * once, whichever answered. */
#ifndef LIFEBOAT_CTL_BACKEND_H
#define LIFEBOAT_CTL_BACKEND_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/wire.h"
#include "core/schema.h"
#include "store/bmc.h"
#include "store/hostops.h"

/* What a policy change came to. */
struct policy_result {
	char policy[16];
	int nat;
	long long seconds; /* how long the armed session lives */
	int reset_rc;      /* with --reset on the state directory: 0, or the power cycle's -errno */
	char reset_err[600];
};

typedef void (*host_fn)(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx);

struct backend {
	/* A host by what an admin calls it (MAC, alias, serial, UUID). */
	int (*resolve)(const char *name, char mac[18], char *err, size_t errlen);
	/* c->seconds 0: the server's session_timeout. With c->reset, the
	 * power cycle too: when it fails the session stays armed, which the
	 * local back end says in res->reset_rc (0 returned), the control API
	 * with an error answer (-errno returned). */
	int (*set_policy)(const char *mac, const struct host_change *c, struct policy_result *res, char *err,
			  size_t errlen);
	int (*forget)(const char *mac, char *err, size_t errlen);
	/* The host as readers see it (new reference), with its last boot
	 * request; what was skipped in sk. NULL with err. */
	json_object *(*host)(const char *mac, struct schema_skipped *sk, char *err, size_t errlen);
	/* fn for every host, sorted by MAC (h NULL: unreadable). */
	int (*each_host)(host_fn fn, void *ctx, char *err, size_t errlen);
	/* known_hosts lines (free them) under name (NULL: the address). */
	char *(*known_hosts)(const char *mac, const char *name, char *err, size_t errlen);
	/* The host's event log, oldest first (new reference). */
	json_object *(*events)(const char *mac, char *err, size_t errlen);
	/* the rescue system's logs of the last `seconds` (0: all), kind
	 * "kmsg", "bundle" or NULL (both, with headers): malloc'ed text */
	char *(*logs)(const char *mac, long long seconds, const char *kind, size_t *len, char *err, size_t errlen);
	/* what its serial console printed in the last `seconds` (0: all
	 * kept): with times and without control sequences, or raw */
	char *(*console)(const char *mac, long long seconds, int raw, size_t *len, char *err, size_t errlen);
	/* The console as it comes (lifeboatd's live stream; raw: control
	 * sequences kept), its last lines first: fn for each line until fn
	 * stops it (its value returned), *stop is set (0), or the server
	 * ends it (-ECONNRESET); -errno with err. */
	int (*console_follow)(const char *mac, int raw, int (*fn)(const char *line, void *ctx), void *ctx,
			      const volatile int *stop, char *err, size_t errlen);
	/* len bytes (at most CONSOLE_INPUT_MAX) typed into the console. */
	int (*console_type)(const char *mac, const char *data, size_t len, char *err, size_t errlen);
	int (*set_bmc)(const char *mac, const struct bmc *b, char *err, size_t errlen);
	/* state: "on"/"off" for POWER_STATUS. */
	int (*power)(const char *mac, enum power_op op, const char *name, char state[8], char *err, size_t errlen);
	/* A per-boot token issued by hand (for a boot without iPXE). */
	int (*token)(const char *mac, char token[LB_TOKEN_LEN + 1], char *err, size_t errlen);
	int (*set_alias)(const char *mac, const char *alias, char *err, size_t errlen);
};

extern const struct backend local_backend, remote_backend;

#endif
