/* One Redfish conversation with a BMC (libcurl + json-c), as a careful
 * client has it: a session (X-Auth-Token, or Basic auth where the BMC has
 * no session service), logged in again once on a 401, deleted at the end;
 * the BMC's certificate checked against its CA or its pinned public key
 * (or, only when told, not at all); every request bounded by the
 * conversation's deadline; no redirect followed; `Accept-Encoding:
 * identity`; an error named from the BMC's @Message.ExtendedInfo. */
#ifndef LIFEBOAT_REDFISH_HTTP_H
#define LIFEBOAT_REDFISH_HTTP_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "power/bmc.h"

struct rf {
	const struct bmc *b;
	void *curl;             /* CURL * */
	char token[256];        /* X-Auth-Token; "" with Basic */
	char session[512];      /* the session's URL, DELETEd at the end */
	char ca_path[64];       /* b->ca, written for libcurl (removed at the end) */
	int basic;              /* the BMC has no session service */
	uint64_t deadline;      /* monotonic ms */
	char *err;
	size_t errlen;
};

struct rf_reply {
	long status;
	json_object *body;      /* NULL when empty or not JSON */
	char etag[128];
	char location[512];     /* Location: absolute, as given */
};

/* Opens the conversation and logs in, within ms. 0, or -errno with err:
 * -EHOSTUNREACH (no answer), -EPROTO (the certificate did not check out),
 * -EACCES (the credentials were refused), -EIO. */
int rf_open(struct rf *r, const struct bmc *b, unsigned int ms, char *err, size_t errlen);
/* Logs out (the session deleted) and frees everything. */
void rf_close(struct rf *r);

/* method path (a path on the BMC, /redfish/v1/..., or one of its absolute
 * URLs), body (NULL: none), If-Match (NULL: none). 0 with out filled for
 * any HTTP status (free out->body); -errno (as rf_open) when no answer
 * came. A 401 logs in again once and repeats the request. */
int rf_call(struct rf *r, const char *method, const char *path, json_object *body, const char *if_match,
	    struct rf_reply *out);
void rf_reply_free(struct rf_reply *out);

/* An answer >= 400 as an error: err gets what (the request) and the BMC's
 * own words (@Message.ExtendedInfo, else error.message, else the status);
 * -EACCES for 401/403, -EIO else. */
int rf_refused(struct rf *r, const char *what, const struct rf_reply *rep);

/* 1 when s is an ETag as RFC 9110 has it ((W/)"visible ASCII"): the
 * only kind that goes into an If-Match line. */
int rf_etag_ok(const char *s);

/* The first MessageId of the answer's @Message.ExtendedInfo ("" none). */
const char *rf_message_id(const struct rf_reply *rep);

#endif
