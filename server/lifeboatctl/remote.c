#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lifeboatctl/remote.h"
#include "core/hostdoc.h"
#include "core/view.h"

/* One call; on success *out is the body (free it). Says what went wrong
 * (unreachable, or the server's own words with its status) and returns 1. */
static int call(const struct apiclient *ac, const char *method, const char *path, const char *body, char **out)
{
	char err[700];
	long status = 0;

	if (apiclient_call(ac, method, path, body, &status, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 1;
	}
	if (status < 200 || status > 299) {
		char *msg = *out;

		msg[strcspn(msg, "\n")] = '\0';
		if (strncmp(msg, "lifeboatd: ", 11) == 0) {
			msg += 11;
		}
		fprintf(stderr, "lifeboatctl: %s answered %ld: %s%s\n", apiclient_name(ac), status, msg,
			status == 401 ? " (is the admin token valid? lifeboatctl admin-token list on the boot server)" : "");
		free(*out);
		*out = NULL;
		return 1;
	}
	return 0;
}

static json_object *call_json(const struct apiclient *ac, const char *method, const char *path, const char *body)
{
	char *out = NULL;
	json_object *o = NULL;

	if (call(ac, method, path, body, &out) != 0) {
		return NULL;
	}
	o = json_tokener_parse(out);
	if (o == NULL) {
		fprintf(stderr, "lifeboatctl: %s answered something that is not JSON\n", apiclient_name(ac));
	}
	free(out);
	return o;
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
 * answer, or NULL after saying why. */
static json_object *call_host(const struct apiclient *ac, const char *method, const char *host, const char *sub,
			      json_object *body)
{
	char path[600];

	host_path(path, sizeof(path), host, sub, NULL);
	return call_json(ac, method, path, body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL);
}

/* The body of a 200 answer (free it), or NULL with err: quiet, for
 * lifeboatctl ssh, which polls. */
static char *fetch_quiet(const struct apiclient *ac, const char *path, char *err, size_t errlen)
{
	char *out = NULL;
	long status = 0;

	if (apiclient_call(ac, "GET", path, NULL, &status, &out, err, errlen) < 0) {
		return NULL;
	}
	if (status != 200) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(err, errlen, "%s answered %ld: %s", apiclient_name(ac), status, out);
		free(out);
		return NULL;
	}
	return out;
}

json_object *remote_host_action(const struct apiclient *ac, const char *host, const char *action, json_object *body)
{
	return call_host(ac, "POST", host, action, body);
}

int remote_set_bmc(const struct apiclient *ac, const char *mac, const struct bmc *b)
{
	json_object *body = bmc_public(b), *h = NULL;

	json_object_object_add(body, "password", json_object_new_string(b->password));
	h = call_host(ac, "POST", mac, "bmc", body);
	json_object_put(body);
	if (h == NULL) {
		return 1;
	}
	json_object_put(h);
	printf("%s: BMC %s %s@%s:%u stored on the boot server (the password is never shown again)\n", mac, b->driver,
	       b->user, b->address, b->port);
	return 0;
}

int remote_token(const struct apiclient *ac, const char *mac)
{
	json_object *o = call_host(ac, "POST", mac, "token", NULL);

	if (o == NULL) {
		return 1;
	}
	printf("%s\n", jstr(o, "token"));
	json_object_put(o);
	return 0;
}

int remote_power(const struct apiclient *ac, const char *mac, const char *action)
{
	json_object *body = json_object_new_object(), *o = NULL;

	json_object_object_add(body, "action", json_object_new_string(action));
	o = call_host(ac, "POST", mac, "power", body);
	json_object_put(body);
	if (o == NULL) {
		return 1;
	}
	if (strcmp(action, "status") == 0) {
		printf("%s: power %s\n", mac, jstr(o, "power"));
	} else {
		printf("%s: power %s: done\n", mac, action);
	}
	json_object_put(o);
	return 0;
}

json_object *remote_host(const struct apiclient *ac, const char *host, char *err, size_t errlen)
{
	char path[600], *out = NULL;
	json_object *h = NULL;

	host_path(path, sizeof(path), host, NULL, NULL);
	out = fetch_quiet(ac, path, err, errlen);
	if (out == NULL) {
		return NULL;
	}
	h = json_tokener_parse(out);
	if (h == NULL) {
		snprintf(err, errlen, "%s answered something that is not JSON", apiclient_name(ac));
	}
	free(out);
	return h;
}

char *remote_known_hosts_text(const struct apiclient *ac, const char *mac, const char *name, char *err,
			      size_t errlen)
{
	char path[600];

	host_path(path, sizeof(path), mac, "known-hosts", name);
	return fetch_quiet(ac, path, err, errlen);
}

int remote_set_policy(const struct apiclient *ac, const char *mac, const struct host_change *c)
{
	json_object *body = json_object_new_object(), *h = NULL;
	int rescue = strcmp(c->policy, "normal") != 0;

	if (rescue) {
		json_object_object_add(body, "once", json_object_new_boolean(strcmp(c->policy, "rescue-once") == 0));
		if (c->nat >= 0) {
			json_object_object_add(body, "nat", json_object_new_boolean(c->nat));
		}
		if (c->seconds > 0) {
			json_object_object_add(body, "seconds", json_object_new_int64(c->seconds));
		}
		if (c->keys != NULL && json_object_array_length(c->keys) > 0) {
			json_object_object_add(body, "keys", json_object_get(c->keys));
			json_object_object_add(body, "keys_only", json_object_new_boolean(c->keys_only));
		}
		if (c->reset) {
			json_object_object_add(body, "reset", json_object_new_boolean(1));
		}
	}
	h = call_host(ac, "POST", mac, rescue ? "rescue" : "normal", body);
	json_object_put(body);
	if (h == NULL) {
		return 1;
	}
	if (rescue) {
		json_object *s = jget(h, "session");

		printf("%s: policy %s%s, session armed for %llds: the next boot request from a matching address claims "
		       "it\n", mac, jstr(h, "policy"), jbool(h, "nat") ? " (nat: no source-address check)" : "",
		       jint(s, "expires") - jint(s, "armed"));
		if (c->reset) {
			printf("%s: power cycled through its BMC into the rescue\n", mac);
		}
	} else {
		printf("%s: policy normal (its session, if any, has ended)\n", mac);
	}
	json_object_put(h);
	return 0;
}

int remote_forget(const struct apiclient *ac, const char *mac)
{
	json_object *o = call_host(ac, "POST", mac, "forget", NULL);

	if (o == NULL) {
		return 1;
	}
	json_object_put(o);
	printf("%s: forgotten\n", mac);
	return 0;
}

int remote_show(const struct apiclient *ac, const char *mac)
{
	json_object *h = call_host(ac, "GET", mac, NULL, NULL);

	if (h == NULL) {
		return 1;
	}
	if (jstr(h, "skipped")[0] != '\0') { /* as on the state directory */
		fprintf(stderr, "lifeboatctl: %s: skipped from the stored host: %s\n", mac, jstr(h, "skipped"));
	}
	printf("%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(h);
	return 0;
}

int remote_list(const struct apiclient *ac)
{
	json_object *hosts = call_json(ac, "GET", "/api/v1/hosts", NULL);
	size_t i, n;

	if (hosts == NULL || !json_object_is_type(hosts, json_type_array)) {
		json_object_put(hosts);
		return 1;
	}
	view_list_header(stdout);
	n = json_object_array_length(hosts);
	for (i = 0; i < n; i++) {
		json_object *raw = json_object_array_get_idx(hosts, i);
		struct schema_skipped sk = { .count = 0 };
		/* an unreadable stored host is a MAC and what was skipped */
		json_object *h = json_object_get_boolean(jget(raw, "unreadable")) ? NULL : hostdoc_clean(raw, &sk);

		if (jstr(raw, "skipped")[0] != '\0') {
			snprintf(sk.text, sizeof(sk.text), "%s", jstr(raw, "skipped"));
			sk.count++;
		}
		view_list_line(h, jstr(raw, "mac"), &sk, (long long)time(NULL), stdout);
		json_object_put(h);
	}
	json_object_put(hosts);
	return 0;
}

int remote_known_hosts(const struct apiclient *ac, const char *mac, const char *name)
{
	char path[600], *out = NULL;

	host_path(path, sizeof(path), mac, "known-hosts", name);
	if (call(ac, "GET", path, NULL, &out) != 0) {
		return 1;
	}
	fputs(out, stdout);
	free(out);
	return 0;
}

int remote_events(const struct apiclient *ac, const char *mac)
{
	json_object *o = call_host(ac, "GET", mac, "events", NULL);

	if (o == NULL) {
		return 1;
	}
	view_events(jget(o, "events"), stdout);
	json_object_put(o);
	return 0;
}
