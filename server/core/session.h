/* The rescue session model (docs/protocol.md#rescue-sessions). Pure functions:
 * the session as read from a clean host object, its state at a given
 * time, token hashing and comparison.
 *
 *   armed    lifeboatctl rescue: the next plausible boot request claims it
 *   active   a token was issued and bound to the claimant's address
 *   conflict another address asked for the same MAC, or the host keys
 *            changed under one token: no token for anyone, known-hosts
 *            refuses; only re-arming clears it
 *   ended    normal, forget (the file goes), rescue-once's ssh-ready plus
 *            the grace, or the expiry */
#ifndef LIFEBOAT_SESSION_H
#define LIFEBOAT_SESSION_H

#include <json-c/json.h>

enum session_state { SS_NONE, SS_ARMED, SS_ACTIVE, SS_CONFLICT, SS_ENDED };

struct session {
	enum session_state state; /* as stored */
	long long id;
	long long armed, expires, issued, ssh_ready, ends, ended;
	int once;
	int boots;
	char token_sha256[65];
	char bound[46];           /* IPv4 or IPv6 (ADDR_TEXT_MAX); "" until a token is used (lifeboatctl token) */
	char end_reason[33];
	long long conflict_time;
	char conflict_source[46];
	char conflict_reason[201];
};

/* "armed" -> SS_ARMED ...; -1 for anything else. */
int session_state_parse(const char *s);

/* From a clean host object (hostdoc_clean). A host in rescue without a
 * session (a file from before sessions) is armed. */
void session_read(json_object *host, struct session *s);

/* Writes s as the host's "session" member, keeping its pinned host keys. */
void session_write(const struct session *s, json_object *host);

/* The state at time now: ended once expires or ends has passed. With
 * why (may be NULL) saying why it ended. */
enum session_state session_effective(const struct session *s, long long now, const char **why);

/* A fresh armed session (id one more than old's). */
void session_arm(struct session *s, int once, long long now, long long timeout);

/* Ends the session for reason (normal, expired, ...); keeps bound. */
void session_end(struct session *s, const char *reason, long long now);

/* SHA-256 of a token in lower-case hex: what is stored. */
void token_hash(const char *token, char hex[65]);

/* 1 when the token's hash equals the stored one; constant time. */
int token_matches(const char *stored_hex, const char *token);

#endif
