/* Webhooks (docs/server.md#notifications): which events go out, their
 * body and their signature. Pure functions; lifeboatd/webhook.c sends.
 *
 *   the event   a line of a host's event log (store/events.h), named by
 *               its kind, a phase line by the phase it went to
 *               ("ssh-ready", "tools-failed"), and "expired" for a
 *               session whose time ran out
 *   the body    {"id", "event", "kind", "mac", "time", "text", "server"}
 *   the proof   X-Lifeboat-Timestamp: unix seconds, X-Lifeboat-Signature:
 *               sha256=<hex HMAC-SHA256(secret, timestamp "." body)>; a
 *               receiver checks it in constant time and refuses a
 *               timestamp older than it will accept (5 minutes) */
#ifndef LIFEBOAT_WEBHOOK_H
#define LIFEBOAT_WEBHOOK_H

#include <stddef.h>

#define WEBHOOK_SIG_LEN (7 + 64) /* "sha256=" and the hex */

/* The event's name for kind and text (a phase line: "a -> b, reported
 * from ..." is "b"). */
void webhook_event_name(const char *kind, const char *text, char *out, size_t len);

/* 1 when name is one of the blank-separated names in wanted. */
int webhook_wanted(const char *wanted, const char *name);

struct webhook_event {
	char id[64];        /* unique per lifeboatd and event: for a receiver's dedup */
	char event[32];
	char kind[24];
	char mac[18];
	long long time;
	char text[600];
};

/* The JSON body: its length, or -ENOSPC. */
int webhook_body(const struct webhook_event *e, const char *server, char *out, size_t len);

/* The signature header's value (NUL-terminated). */
void webhook_sign(const unsigned char *secret, size_t secret_len, long long timestamp, const char *body,
		  size_t body_len, char out[WEBHOOK_SIG_LEN + 1]);

#endif
