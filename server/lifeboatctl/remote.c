/* The remote backend (backend.h): lifeboatd's control API, over the
 * network with an admin token (--server) or over the control socket on
 * the boot server. Every operation is one request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "core/hostdoc.h"
#include "core/json.h"
#include "core/query.h"
#include "core/sse.h"
#include "lifeboatctl/backend.h"
#include "lifeboatctl/remote.h"

static struct apiclient client;

/* The errno an HTTP status stands for. */
static int status_errno(long status)
{
	switch (status) {
	case 400:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 504:
		return -EHOSTUNREACH;
	default:
		return -EIO;
	}
}

/* One call; on success *out is the body (free it). Else err says what went
 * wrong: unreachable, or the server's own words (its first line, without
 * its name) with the status. */
static int refused(long status, char **out, char *err, size_t errlen);

static int call(const char *method, const char *path, const char *body, char **out, char *err, size_t errlen)
{
	long status = 0;
	int rc = apiclient_call(&client, method, path, body, &status, out, err, errlen);

	return rc < 0 ? rc : refused(status, out, err, errlen);
}

/* An answer's status: 0 for 2xx; else -errno, with the server's words
 * (its first line, without its name) in err, and *out freed. */
static int refused(long status, char **out, char *err, size_t errlen)
{
	if (status < 200 || status > 299) {
		char *msg = *out;

		msg[strcspn(msg, "\n")] = '\0';
		if (strncmp(msg, "lifeboatd: ", strlen("lifeboatd: ")) == 0) {
			msg += strlen("lifeboatd: "); /* the server's name: we name it by its URL */
		}
		snprintf(err, errlen, "%s answered %ld: %s%s", apiclient_name(&client), status, msg,
			 status == 401 ? " (is the admin token valid? lifeboatctl admin-token list on the boot server)" : "");
		free(*out);
		*out = NULL;
		return status_errno(status);
	}
	return 0;
}

/* A JSON answer in *o (new reference). 0 or -errno with err. */
static int call_json(const char *method, const char *path, const char *body, json_object **o, char *err,
		     size_t errlen)
{
	char *out = NULL;
	int rc = call(method, path, body, &out, err, errlen);

	*o = NULL;
	if (rc < 0) {
		return rc;
	}
	*o = json_tokener_parse(out);
	free(out);
	if (*o == NULL) {
		snprintf(err, errlen, "%s answered something that is not JSON", apiclient_name(&client));
		return -EPROTO;
	}
	return 0;
}

/* /api/v1/hosts/<host>[/<sub>][?host=<name>]; host and name escaped. */
static void host_path(char *path, size_t len, const char *host, const char *sub, const char *name)
{
	char *h = curl_easy_escape(NULL, host, 0), *n = name ? curl_easy_escape(NULL, name, 0) : NULL;

	snprintf(path, len, "/api/v1/hosts/%s%s%s%s%s", h ? h : "", sub ? "/" : "", sub ? sub : "", n ? "?host=" : "",
		 n ? n : "");
	curl_free(h);
	curl_free(n);
}

/* One request about one host: POST body (may be NULL) or GET; the JSON
 * answer in *o (NULL: not wanted). 0 or -errno with err. */
static int call_host(const char *method, const char *host, const char *sub, json_object *body, json_object **o,
		     char *err, size_t errlen)
{
	char path[600];
	json_object *answer = NULL;
	int rc;

	host_path(path, sizeof(path), host, sub, NULL);
	rc = call_json(method, path, body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL,
		       &answer, err, errlen);
	if (o != NULL) {
		*o = answer;
	} else {
		json_object_put(answer);
	}
	return rc;
}

void remote_setup_local(const char *socket_path)
{
	apiclient_setup_local(&client, socket_path);
}

int remote_setup(const char *url, const char *token_file, const char *cacert, char *err, size_t errlen)
{
	return apiclient_setup(&client, url, token_file, cacert, err, errlen);
}

static json_object *host(const char *name, struct schema_skipped *sk, char *err, size_t errlen)
{
	json_object *h = NULL;

	if (call_host("GET", name, NULL, NULL, &h, err, errlen) < 0) {
		return NULL;
	}
	if (jstr(h, "skipped")[0] != '\0') { /* what the server could not read */
		snprintf(sk->text, sizeof(sk->text), "%s", jstr(h, "skipped"));
		sk->count++;
	}
	return h;
}

static int resolve(const char *name, char mac[18], char *err, size_t errlen)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = host(name, &sk, err, errlen);
	int rc = h == NULL ? -ENOENT : parse_mac(jstr(h, "mac"), mac) == 0 ? 0 : -EPROTO;

	if (rc == -EPROTO) {
		snprintf(err, errlen, "%s answered a host without a MAC", apiclient_name(&client));
	}
	json_object_put(h);
	return rc;
}

static int set_policy(const char *mac, const struct host_change *c, struct policy_result *res, char *err,
		      size_t errlen)
{
	json_object *body = json_object_new_object(), *h = NULL, *s = NULL;
	int rescue = strcmp(c->policy, "normal") != 0, rc;

	if (rescue) {
		json_object_object_add(body, "once", json_object_new_boolean(strcmp(c->policy, "rescue-once") == 0));
		if (c->nat >= 0) {
			json_object_object_add(body, "nat", json_object_new_boolean(c->nat));
		}
		if (c->seconds > 0) { /* else the server's session_timeout */
			json_object_object_add(body, "seconds", json_object_new_int64(c->seconds));
		}
		if (c->keys != NULL && json_object_array_length(c->keys) > 0) {
			json_object_object_add(body, "keys", json_object_get(c->keys));
			json_object_object_add(body, "keys_only", json_object_new_boolean(c->keys_only));
		}
		if (c->reset) {
			json_object_object_add(body, "reset", json_object_new_boolean(1));
		}
		if (c->media) {
			json_object_object_add(body, "media", json_object_new_boolean(1));
		}
	}
	rc = call_host("POST", mac, rescue ? "rescue" : "normal", body, &h, err, errlen);
	json_object_put(body);
	if (rc < 0) {
		return rc;
	}
	s = jget(h, "session");
	snprintf(res->policy, sizeof(res->policy), "%s", jstr(h, "policy"));
	res->nat = jbool(h, "nat");
	res->seconds = jint(s, "expires") - jint(s, "armed");
	res->reset_rc = 0; /* a failed power cycle is an error answer (above) */
	json_object_put(h);
	return 0;
}

static int forget(const char *mac, char *err, size_t errlen)
{
	return call_host("POST", mac, "forget", NULL, NULL, err, errlen);
}

static int each_host(host_fn fn, void *ctx, char *err, size_t errlen)
{
	json_object *hosts = NULL;
	size_t i, n;
	int rc = call_json("GET", "/api/v1/hosts", NULL, &hosts, err, errlen);

	if (rc < 0) {
		return rc;
	}
	if (!json_object_is_type(hosts, json_type_array)) {
		json_object_put(hosts);
		snprintf(err, errlen, "%s answered something that is not a list of hosts", apiclient_name(&client));
		return -EPROTO;
	}
	n = json_object_array_length(hosts);
	for (i = 0; i < n; i++) {
		json_object *raw = json_object_array_get_idx(hosts, i);
		struct schema_skipped sk = { .count = 0 };
		/* an unreadable stored host is a MAC and what was skipped */
		json_object *h = jbool(raw, "unreadable") ? NULL : hostdoc_clean(raw, &sk);

		if (jstr(raw, "skipped")[0] != '\0') {
			snprintf(sk.text, sizeof(sk.text), "%s", jstr(raw, "skipped"));
			sk.count++;
		}
		fn(h, jstr(raw, "mac"), &sk, ctx);
		json_object_put(h);
	}
	json_object_put(hosts);
	return 0;
}

static char *known_hosts(const char *mac, const char *name, char *err, size_t errlen)
{
	char path[600], *out = NULL;

	host_path(path, sizeof(path), mac, "known-hosts", name);
	return call("GET", path, NULL, &out, err, errlen) < 0 ? NULL : out;
}

static char *logs(const char *mac, long long seconds, const char *kind, size_t *len, char *err, size_t errlen)
{
	char path[700], *out = NULL, *h = curl_easy_escape(NULL, mac, 0);
	int rc;

	snprintf(path, sizeof(path), "/api/v1/hosts/%s/logs%s", h ? h : "", seconds || kind ? "?" : "");
	curl_free(h);
	if (seconds) {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "since=%lld%s", seconds, kind ? "&" : "");
	}
	if (kind) {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "kind=%s", kind);
	}
	rc = call("GET", path, NULL, &out, err, errlen);
	if (rc < 0) {
		return NULL;
	}
	*len = strlen(out);
	return out;
}

struct follow {
	struct sse sse;
	int (*fn)(const char *line, void *ctx);
	void *ctx;
};

static int take_event(const char *data, long long id, void *ctx)
{
	struct follow *f = ctx;

	(void)id;
	return f->fn(data, f->ctx);
}

static int take_piece(const char *p, size_t n, void *ctx)
{
	struct follow *f = ctx;

	return sse_feed(&f->sse, p, n, take_event, f);
}

static int console_follow(const char *mac, int raw, int (*fn)(const char *line, void *ctx), void *ctx,
			  const volatile int *stop, char *err, size_t errlen)
{
	struct follow *f = calloc(1, sizeof(*f));
	char path[700], *out = NULL, *h = curl_easy_escape(NULL, mac, 0);
	long status = 0;
	int rc;

	if (f == NULL) {
		curl_free(h);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sse_init(&f->sse);
	f->fn = fn;
	f->ctx = ctx;
	snprintf(path, sizeof(path), "/api/v1/hosts/%s/console/live?raw=%d", h ? h : "", raw ? 1 : 0);
	curl_free(h);
	rc = apiclient_stream(&client, path, take_piece, f, stop, &status, &out, err, errlen);
	if (rc == 0 && out != NULL) {
		rc = refused(status, &out, err, errlen);
	}
	free(out);
	free(f);
	return rc;
}

static int console_type(const char *mac, const char *data, size_t len, char *err, size_t errlen)
{
	json_object *b = json_object_new_object();
	char path[700], *out = NULL, *h = curl_easy_escape(NULL, mac, 0);
	int rc;

	json_object_object_add(b, "data", json_object_new_string_len(data, (int)len));
	snprintf(path, sizeof(path), "/api/v1/hosts/%s/console/input", h ? h : "");
	curl_free(h);
	rc = call("POST", path, json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN), &out, err, errlen);
	json_object_put(b);
	free(out);
	return rc;
}

static char *console(const char *mac, long long seconds, int raw, size_t *len, char *err, size_t errlen)
{
	char path[700], *out = NULL, *h = curl_easy_escape(NULL, mac, 0);

	snprintf(path, sizeof(path), "/api/v1/hosts/%s/console?raw=%d", h ? h : "", raw ? 1 : 0);
	curl_free(h);
	if (seconds) {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&since=%lld", seconds);
	}
	if (call("GET", path, NULL, &out, err, errlen) < 0) {
		return NULL;
	}
	*len = strlen(out);
	return out;
}

static json_object *events(const char *mac, char *err, size_t errlen)
{
	json_object *o = NULL, *ev = NULL;

	if (call_host("GET", mac, "events", NULL, &o, err, errlen) < 0) {
		return NULL;
	}
	ev = json_object_get(jget(o, "events"));
	json_object_put(o);
	if (ev == NULL) {
		ev = json_object_new_array();
	}
	return ev;
}

static int set_bmc(const char *mac, const struct bmc *b, char *err, size_t errlen)
{
	json_object *body = bmc_body(b);
	int rc;

	json_object_object_add(body, "password", json_object_new_string(b->password));
	rc = call_host("POST", mac, "bmc", body, NULL, err, errlen);
	json_object_put(body);
	return rc;
}

static int power(const char *mac, enum power_op op, const char *name, char state[8], char *err, size_t errlen)
{
	json_object *body = json_object_new_object(), *o = NULL;
	int rc;

	json_object_object_add(body, "action", json_object_new_string(name));
	rc = call_host("POST", mac, "power", body, &o, err, errlen);
	json_object_put(body);
	if (rc == 0 && op == POWER_STATUS) {
		snprintf(state, 8, "%s", jstr(o, "power"));
	}
	json_object_put(o);
	return rc;
}

static int token(const char *mac, char tok[LB_TOKEN_LEN + 1], char *err, size_t errlen)
{
	json_object *o = NULL;
	int rc = call_host("POST", mac, "token", NULL, &o, err, errlen);

	if (rc == 0) {
		snprintf(tok, LB_TOKEN_LEN + 1, "%s", jstr(o, "token"));
	}
	json_object_put(o);
	return rc;
}

static int set_alias(const char *mac, const char *alias, char *err, size_t errlen)
{
	json_object *body = json_object_new_object();
	int rc;

	json_object_object_add(body, "alias", json_object_new_string(alias));
	rc = call_host("POST", mac, "alias", body, NULL, err, errlen);
	json_object_put(body);
	return rc;
}

const struct backend remote_backend = {
	.resolve = resolve,
	.set_policy = set_policy,
	.forget = forget,
	.host = host,
	.each_host = each_host,
	.known_hosts = known_hosts,
	.events = events,
	.logs = logs,
	.console = console,
	.console_follow = console_follow,
	.console_type = console_type,
	.set_bmc = set_bmc,
	.power = power,
	.token = token,
	.set_alias = set_alias,
};
