/* The control API on the admin interface (admin_gate has run): rescue,
 * normal, forget, bmc, power, alias, known-hosts, events, through the same
 * write path as lifeboatctl (hostops.c); spec: server/api.json. The page's
 * buttons are pageaction.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "store/bmc.h"
#include "store/events.h"
#include "store/logs.h"
#include "core/ansi.h"
#include "core/hostdoc.h"
#include "store/hostmedia.h"
#include "store/hostops.h"
#include "lifeboatd/hostsapi.h"
#include "lifeboatd/http.h"
#include "lifeboatd/reqargs.h"
#include "lifeboatd/server.h"
#include "lifeboatd/consoleapi.h"
#include "lifeboatd/control.h"
#include "core/query.h"
#include "core/report.h"
#include "core/schema.h"
#include "core/view.h"

#define CONTROL_MAX_BODY 16384 /* a BMC with its CA certificates (BMC_CA_MAX) */
#define SESSION_MAX_SECONDS (31 * 86400)

/* POST /api/v1/hosts/<mac>/rescue: every member optional. */
static const struct schema_field key_elem = { NULL, SK_STRING, 0, 1, 8400, schema_pubkey,
					     "an OpenSSH public key line", NULL, NULL };

static const struct schema_field rescue_members[] = {
	{ "once", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "keys", SK_ARRAY, 0, 0, 16, NULL, NULL, NULL, &key_elem },
	{ "keys_only", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "reset", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "media", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "nat", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "seconds", SK_INT, 0, 1, SESSION_MAX_SECONDS, NULL, NULL, NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

static int is_power_action(const char *s)
{
	return power_op_from_name(s) >= 0;
}

static const struct schema_field power_members[] = {
	{ "action", SK_STRING, SF_REQUIRED, 1, 8, is_power_action, "status, on, off or cycle", NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct schema_field alias_members[] = {
	{ "alias", SK_STRING, SF_REQUIRED, 0, 63, NULL, NULL, NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct schema_field no_members[] = {
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

int control_host(const char *rest, char mac[18], const char **sub, char *err, size_t errlen)
{
	char head[160];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

	if (n == 0 || n >= sizeof(head)) {
		snprintf(err, errlen, "not a MAC address, alias, serial or UUID");
		return -EINVAL;
	}
	memcpy(head, rest, n);
	head[n] = '\0';
	*sub = slash ? slash + 1 : "";
	if (strpbrk(head, ":") != NULL && parse_mac(head, mac) < 0 && strlen(head) <= 17 &&
	    strspn(head, "0123456789abcdefABCDEF:") == strlen(head)) {
		snprintf(err, errlen, "not a MAC address (want aa:bb:cc:dd:ee:ff)");
		return -EINVAL;
	}
	return hostops_resolve(&srv.store, head, mac, err, errlen);
}

enum MHD_Result control_not_resolved(struct MHD_Connection *c, struct req *r, int rc, const char *err)
{
	char msg[700];

	snprintf(msg, sizeof(msg), "%s", err);
	return http_text(c, r, rc == -EINVAL ? 400 : rc == -EEXIST ? 409 : 404, msg);
}

/* 1 when the Content-Type's media type is application/json (parameters
 * after ';' allowed; not a prefix: application/jsonx is another type). */
static int is_json_type(const char *type)
{
	const char *want = "application/json";
	size_t n = strlen(want);

	if (type == NULL || strncasecmp(type, want, n) != 0) {
		return 0;
	}
	type += n;
	type += strspn(type, " \t");
	return *type == '\0' || *type == ';';
}

/* The request's JSON body against members. A cross-site form can send
 * text/plain or a form, never application/json without a preflight (that
 * lifeboatd never answers): so a browser's login must send the JSON type,
 * even for an empty body. A Bearer or control-socket client may send none
 * (an empty body is {}). */
static json_object *body_json(struct MHD_Connection *c, struct req *r, const struct schema_field *members,
			      char *err, size_t errlen)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (r->len == 0 && (!r->by_login || is_json_type(type))) {
		return json_object_new_object();
	}
	if (!is_json_type(type)) {
		snprintf(err, errlen, "the body must be application/json%s",
			 r->by_login ? " (from a browser, even when empty: {})" : "");
		return NULL;
	}
	return schema_parse(r->body, r->len, CONTROL_MAX_BODY, members, 1, err, errlen);
}


static enum MHD_Result answer_host(struct MHD_Connection *c, struct req *r, const char *mac)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = store_load(&srv.store, mac, &sk), *out = NULL;
	enum MHD_Result ret;

	out = api_host(h, mac, &sk, 0);
	json_object_put(h);
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	return ret;
}

static enum MHD_Result change_failed(struct MHD_Connection *c, struct req *r, int rc, const char *err)
{
	char msg[800];

	snprintf(msg, sizeof(msg), "%s", err);
	if (rc == -ENOENT) {
		return http_text(c, r, 404, msg);
	}
	fprintf(stderr, "lifeboatd: %s\n", msg);
	return http_text(c, r, rc == -EIO ? 409 : 503, msg);
}

/* A BMC failure in HTTP: no BMC 409, no answer 504, refused 502. */
static enum MHD_Result power_failed(struct MHD_Connection *c, struct req *r, int rc, const char *what, const char *err)
{
	char msg[900];

	snprintf(msg, sizeof(msg), "%s: %s", what, err);
	fprintf(stderr, "lifeboatd: %s\n", msg);
	return http_text(c, r, rc == -ENOENT ? 409 : rc == -EHOSTUNREACH ? 504 : 502, msg);
}

/* The rescue ISO through the BMC (store/hostmedia.h): nothing armed when
 * the host has no BMC with virtual media; armed when the BMC fails after. */
static enum MHD_Result rescue_by_media(struct MHD_Connection *c, struct req *r, const char *mac,
				       struct host_change *hc)
{
	struct media_conf mc;
	char err[700];
	int armed = 0, rc;

	hostmedia_conf(&srv.conf, &mc);
	if (strcmp(hc->policy, "rescue-once") != 0) {
		return http_text(c, r, 400, "cannot use the body: media needs once (the ISO is ejected once SSH is up and "
				 "the next boot is the disk)");
	}
	rc = hostmedia_rescue(&srv.store, mac, hc, &mc, (long long)time(NULL), &armed, err, sizeof(err));
	if (!armed) {
		return rc == -EOPNOTSUPP ? http_text(c, r, 409, err) : change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: policy rescue-once through virtual media by %s%s%s\n", mac, hc->by,
		rc < 0 ? ": failed: " : "", rc < 0 ? err : "");
	if (rc < 0) {
		return power_failed(c, r, rc, "the session is armed, but the virtual media boot failed", err);
	}
	return answer_host(c, r, mac);
}

static enum MHD_Result act_rescue(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	struct host_change hc = { .policy = "rescue", .nat = -1, .seconds = srv.conf.session_timeout };
	json_object *v = NULL;
	char by[64], err[700];
	int rc, reset = 0;

	if (json_object_object_get_ex(body, "once", &v) && json_object_get_boolean(v)) {
		hc.policy = "rescue-once";
	}
	if (json_object_object_get_ex(body, "nat", &v)) {
		hc.nat = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(body, "seconds", &v)) {
		hc.seconds = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(body, "keys", &v)) {
		hc.keys = v;
	}
	if (json_object_object_get_ex(body, "keys_only", &v)) {
		hc.keys_only = json_object_get_boolean(v);
	}
	if (hc.keys_only && (hc.keys == NULL || json_object_array_length(hc.keys) == 0)) {
		return http_text(c, r, 400, "cannot use the body: keys_only needs keys");
	}
	reset = json_object_object_get_ex(body, "reset", &v) && json_object_get_boolean(v);
	hc.media = json_object_object_get_ex(body, "media", &v) && json_object_get_boolean(v);
	req_who(r, by, sizeof(by));
	hc.by = by;
	if (hc.media) {
		return rescue_by_media(c, r, mac, &hc);
	}
	rc = hostops_set_policy(&srv.store, mac, &hc, (long long)time(NULL), err, sizeof(err));
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: policy %s, session armed for %llds by %s\n", mac, hc.policy, hc.seconds, by);
	if (reset && (rc = hostops_power_into_rescue(&srv.store, mac, by, err, sizeof(err))) < 0) {
		/* the session stays armed: a person can still press the button */
		return power_failed(c, r, rc, "the session is armed, but the power cycle failed", err);
	}
	return answer_host(c, r, mac);
}

static enum MHD_Result act_normal(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	struct host_change hc = { .policy = "normal", .nat = -1 };
	char by[64], err[700];
	int rc;

	(void)body;
	req_who(r, by, sizeof(by));
	hc.by = by;
	rc = hostops_set_policy(&srv.store, mac, &hc, (long long)time(NULL), err, sizeof(err));
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: policy normal by %s\n", mac, by);
	return answer_host(c, r, mac);
}

static enum MHD_Result act_forget(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	json_object *out = NULL;
	enum MHD_Result ret;
	char by[64], err[700];
	int rc;

	(void)body;
	req_who(r, by, sizeof(by));
	rc = hostops_forget(&srv.store, mac, err, sizeof(err));
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: forgotten by %s\n", mac, by);
	out = json_object_new_object();
	json_object_object_add(out, "mac", json_object_new_string(mac));
	json_object_object_add(out, "forgotten", json_object_new_boolean(1));
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	return ret;
}

static enum MHD_Result act_bmc(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	struct bmc b;
	char by[64], err[700];
	int rc = bmc_from_json(body, &b, err, sizeof(err));

	if (rc < 0) {
		return http_text(c, r, 400, err);
	}
	req_who(r, by, sizeof(by));
	rc = hostops_set_bmc(&srv.store, mac, &b, by, (long long)time(NULL), err, sizeof(err));
	memset(b.password, 0, sizeof(b.password));
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: BMC %s@%s:%u set by %s\n", mac, b.user, b.address, b.port, by);
	return answer_host(c, r, mac);
}

static enum MHD_Result act_power(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	enum power_op op = (enum power_op)power_op_from_name(jstr(body, "action"));
	json_object *out = NULL;
	enum MHD_Result ret;
	struct bmc b;
	char by[64], err[700], state[8], line[200];
	int rc = bmc_load(&srv.store, mac, &b, err, sizeof(err));

	if (rc < 0) {
		return power_failed(c, r, rc, "cannot control power", err);
	}
	req_who(r, by, sizeof(by));
	rc = bmc_power(&b, op, state, err, sizeof(err));
	if (op != POWER_STATUS) {
		snprintf(line, sizeof(line), "power %s by %s%s", jstr(body, "action"), by, rc < 0 ? ": failed" : "");
		hostops_event(&srv.store, mac, (long long)time(NULL), "power", line);
	}
	if (rc < 0) {
		return power_failed(c, r, rc, "cannot control power", err);
	}
	out = json_object_new_object();
	json_object_object_add(out, "mac", json_object_new_string(mac));
	json_object_object_add(out, "action", json_object_new_string(jstr(body, "action")));
	if (op == POWER_STATUS) {
		json_object_object_add(out, "power", json_object_new_string(state));
	}
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	return ret;
}

static enum MHD_Result act_alias(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	char by[64], err[700], msg[800];
	int rc;

	req_who(r, by, sizeof(by));
	rc = hostops_set_alias(&srv.store, mac, jstr(body, "alias"), by, (long long)time(NULL), err, sizeof(err));
	if (rc == -EINVAL || rc == -EEXIST) {
		snprintf(msg, sizeof(msg), "%s", err);
		return http_text(c, r, rc == -EINVAL ? 400 : 409, msg);
	}
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	return answer_host(c, r, mac);
}

/* A per-boot token by hand, for a boot without iPXE (ISO, USB): the
 * session starts now, bound to the first address that reports with it.
 * The token is in this answer only (stored as its SHA-256). */
static enum MHD_Result act_token(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	char by[64], err[700], token[LB_TOKEN_LEN + 1];
	json_object *out = NULL;
	enum MHD_Result ret;
	int rc;

	(void)body;
	if (store_new_token(token) < 0) {
		return http_text(c, r, 503, "cannot make a token: no randomness");
	}
	req_who(r, by, sizeof(by));
	rc = hostops_manual_token(&srv.store, mac, token, srv.conf.session_timeout, by, (long long)time(NULL), err,
				  sizeof(err));
	if (rc < 0) {
		return change_failed(c, r, rc, err);
	}
	fprintf(stderr, "lifeboatd: %s: a per-boot token issued to %s\n", mac, by);
	out = json_object_new_object();
	json_object_object_add(out, "mac", json_object_new_string(mac));
	json_object_object_add(out, "token", json_object_new_string(token));
	json_object_object_add(out, "seconds", json_object_new_int64(srv.conf.session_timeout));
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	memset(token, 0, sizeof(token));
	return ret;
}

/* The actions, one row each: name, its body's members, the handler. */
static const struct action {
	const char *name;
	const struct schema_field *members;
	enum MHD_Result (*fn)(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body);
} actions[] = {
	{ "rescue", rescue_members, act_rescue },
	{ "token", no_members, act_token },
	{ "normal", no_members, act_normal },
	{ "forget", no_members, act_forget },
	{ "bmc", bmc_members, act_bmc },
	{ "power", power_members, act_power },
	{ "alias", alias_members, act_alias },
	{ "console/input", console_input_members, console_input },
};

enum MHD_Result handle_host_action(struct MHD_Connection *c, struct req *r, const char *rest)
{
	const struct action *a = NULL;
	json_object *body = NULL;
	enum MHD_Result ret;
	const char *sub = NULL;
	char mac[18], err[600], msg[700];
	size_t i;
	int rc;

	if ((rc = control_host(rest, mac, &sub, err, sizeof(err))) < 0) {
		return control_not_resolved(c, r, rc, err);
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(sub, actions[i].name) == 0) {
			a = &actions[i];
		}
	}
	if (a == NULL) {
		size_t o = (size_t)snprintf(msg, sizeof(msg), "no such action (");

		for (i = 0; i < sizeof(actions) / sizeof(actions[0]) && o < sizeof(msg); i++) {
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s", i ? ", " : "", actions[i].name);
		}
		snprintf(msg + (o < sizeof(msg) ? o : sizeof(msg) - 1), sizeof(msg) - (o < sizeof(msg) ? o : sizeof(msg) - 1),
			 ")");
		return http_text(c, r, 404, msg);
	}
	if (r->too_big) {
		return http_text(c, r, 413, "body too large");
	}
	body = body_json(c, r, a->members, err, sizeof(err));
	if (body == NULL) {
		snprintf(msg, sizeof(msg), "cannot use the body: %s", err);
		return http_text(c, r, 400, msg);
	}
	ret = a->fn(c, r, mac, body);
	json_object_put(body);
	return ret;
}

static enum MHD_Result known_hosts(struct MHD_Connection *c, struct req *r, const char *mac)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = store_load(&srv.store, mac, &sk);
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "host");
	char *text = NULL, err[600], msg[700];
	size_t len = 0;
	FILE *f = NULL;
	enum MHD_Result ret;
	int rc;

	if (h == NULL) {
		return http_text(c, r, 404, sk.count ? "the stored host cannot be read" : "no such host");
	}
	if (name != NULL && (name[0] == '\0' || strlen(name) > 255 || strpbrk(name, " \t\r\n,#") != NULL)) {
		json_object_put(h);
		return http_text(c, r, 400, "host= is a name for known_hosts: no blanks, commas or #");
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		json_object_put(h);
		return http_text(c, r, 500, "out of memory");
	}
	rc = view_known_hosts(h, name, (long long)time(NULL), f, err, sizeof(err));
	fclose(f);
	json_object_put(h);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot write known_hosts for %s: %s", mac, err);
		ret = http_text(c, r, 409, msg);
	} else {
		ret = http_respond(c, r, 200, "text/plain; charset=utf-8", text, len);
	}
	free(text);
	return ret;
}

#define EVENTS_SHOWN 200

static enum MHD_Result events(struct MHD_Connection *c, struct req *r, const char *mac)
{
	json_object *out = NULL;
	enum MHD_Result ret;

	if (store_exists(&srv.store, mac) != 1) {
		return http_text(c, r, 404, "no such host");
	}
	out = json_object_new_object();
	json_object_object_add(out, "mac", json_object_new_string(mac));
	json_object_object_add(out, "events", events_read(&srv.store, mac, EVENTS_SHOWN));
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	return ret;
}


/* ?since=S (the last S seconds; none: all) &kind=kmsg|bundle (none: both) */
static enum MHD_Result logs(struct MHD_Connection *c, struct req *r, const char *mac)
{
	const char *kind = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
	long long seconds = 0;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (req_since(c, &seconds) < 0) {
		return http_text(c, r, 400, "cannot use since: not a number of seconds from 1 to 31622400");
	}
	if (kind != NULL && !report_log_kind_stored(kind)) {
		return http_text(c, r, 400, "cannot use kind: not kmsg, bundle or netconsole");
	}
	if (store_exists(&srv.store, mac) != 1) {
		return http_text(c, r, 404, "no such host");
	}
	text = logs_read(&srv.store, mac, seconds ? (long long)time(NULL) - seconds : 0, kind ? kind : "", kind == NULL,
			 &len, &rc);
	if (text == NULL) {
		return http_text(c, r, 503, "cannot read the logs: the database is not available");
	}
	ret = http_respond(c, r, 200, "text/plain; charset=utf-8", text, len);
	free(text);
	return ret;
}

/* GET subresources of a host, one row each. */
static const struct subresource {
	const char *name;
	enum MHD_Result (*fn)(struct MHD_Connection *c, struct req *r, const char *mac);
} subresources[] = {
	{ "known-hosts", known_hosts },
	{ "events", events },
	{ "logs", logs },
	{ "console", console_log },
	{ "console/live", console_live },
};

enum MHD_Result handle_host_get(struct MHD_Connection *c, struct req *r, const char *rest)
{
	size_t i;
	const char *sub = NULL;
	char mac[18], err[600];
	int rc;

	if (rest[0] == '\0') {
		return handle_hosts(c, r, rest);
	}
	if ((rc = control_host(rest, mac, &sub, err, sizeof(err))) < 0) {
		return control_not_resolved(c, r, rc, err);
	}
	if (sub[0] == '\0') {
		return handle_hosts(c, r, mac);
	}
	for (i = 0; i < sizeof(subresources) / sizeof(subresources[0]); i++) {
		if (strcmp(sub, subresources[i].name) == 0) {
			return subresources[i].fn(c, r, mac);
		}
	}
	return http_text(c, r, 404, "not found");
}
