/* The agent's side of the API: its report (POST /api/v1/status, checked
 * by core/report.h, applied to the rescue session) and its SSH keys (GET
 * /api/v1/keys/<mac>). Both authenticated by the session's token. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/events.h"
#include "store/logs.h"
#include "common/redact.h"
#include "core/metrics.h"
#include "lifeboatd/agentapi.h"
#include "lifeboatd/netconsole.h"
#include "lifeboatd/http.h"
#include "lifeboatd/media.h"
#include "lifeboatd/server.h"
#include "core/query.h"
#include "core/session.h"
#include "core/report.h"

#define KEYS_MAX 65536

/* ---- POST /api/v1/status ------------------------------------------------- */

static int key_in(json_object *k, json_object *set)
{
	size_t i;

	for (i = 0; i < json_object_array_length(set); i++) {
		json_object *o = json_object_array_get_idx(set, i);

		if (strcmp(jstr(o, "type"), jstr(k, "type")) == 0 && strcmp(jstr(o, "key"), jstr(k, "key")) == 0) {
			return 1;
		}
	}
	return 0;
}

static int same_keys(json_object *a, json_object *b)
{
	size_t i;

	if (json_object_array_length(a) != json_object_array_length(b)) {
		return 0;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		if (!key_in(json_object_array_get_idx(a, i), b)) {
			return 0;
		}
	}
	return 1;
}

static void set_conflict(struct session *s, const char *source, const char *why, long long now, const char *mac)
{
	s->state = SS_CONFLICT;
	metric_conflict();
	s->conflict_time = now;
	snprintf(s->conflict_source, sizeof(s->conflict_source), "%s", source);
	snprintf(s->conflict_reason, sizeof(s->conflict_reason), "%s", why);
	fprintf(stderr, "lifeboatd: %s: session conflict: %s (from %s, bound to %s)\n", mac, why, source, s->bound);
}

/* Applies an accepted report to the host, under the lock: pins the host
 * keys of the session's first report, or marks a conflict if they change. */
static void apply_report(json_object *h, struct session *s, json_object *report, const char *client, long long now,
			 const char *mac)
{
	json_object *keys = jget(jget(report, "ssh"), "host_keys"), *pinned = jget(jget(h, "session"), "host_keys");
	json_object *phase = jget(report, "phase"), *pin = NULL;

	if (keys != NULL && json_object_array_length(keys) > 0) {
		if (pinned == NULL) {
			json_object_deep_copy(keys, &pin, NULL);
		} else if (!same_keys(pinned, keys) && s->state != SS_CONFLICT) {
			set_conflict(s, client, "host keys changed within the session", now, mac);
		}
	}
	json_object_object_add(h, "phase", json_object_get(phase));
	json_object_object_add(h, "report_time", json_object_new_int64(now));
	json_object_object_add(h, "report_source", json_object_new_string(client));
	if (lb_phase_ssh_up(json_object_get_string(phase)) && strcmp(jstr(h, "policy"), "rescue-once") == 0) {
		/* rescue-once: the rescue system is up, so the next boot is
		 * normal; the session ends after the grace */
		json_object_object_add(h, "policy", json_object_new_string("normal"));
		s->ssh_ready = now;
		s->ends = now + srv.conf.session_grace;
		fprintf(stderr, "lifeboatd: %s reached %s: policy rescue-once is now normal\n", mac,
			json_object_get_string(phase));
	}
	json_object_object_add(h, "report", json_object_get(report));
	session_write(s, h);
	if (pin != NULL) {
		json_object_object_add(jget(h, "session"), "host_keys", pin);
	}
}

/* The host and session a token opens, checked (constant time, state,
 * address) under the lock. 0, or the HTTP status with msg set. */
static int open_session(const char *token, const char *mac, const char *client, long long now, json_object **hp,
			struct session *s, char *msg, size_t len)
{
	json_object *h = store_load(&srv.store, mac, NULL);
	enum session_state st;

	*hp = NULL;
	if (h == NULL) {
		snprintf(msg, len, "the token was revoked");
		return 403;
	}
	session_read(h, s);
	st = session_effective(s, now, NULL);
	if (!token_matches(s->token_sha256, token) || (st != SS_ACTIVE && st != SS_CONFLICT)) {
		char hash[65];

		if (st == SS_ENDED && s->token_sha256[0] != '\0') {
			token_hash(token, hash);
			store_token_del(&srv.store, hash); /* expired: its index entry goes */
		}
		json_object_put(h);
		snprintf(msg, len, "the token was revoked or its session ended");
		return 403;
	}
	if (s->bound[0] != '\0' && strcmp(s->bound, client) != 0) {
		*hp = h;
		snprintf(msg, len, "the token is bound to another address");
		return 403;
	}
	*hp = h;
	return 0;
}

enum MHD_Result handle_report(struct MHD_Connection *c, struct req *r, const char *rest)
{
	const char *token = http_bearer(c);
	json_object *report = NULL, *h = NULL;
	struct session s;
	char mac[18], hash[65], err[700], msg[600], old_phase[40];
	long long now = (long long)time(NULL);
	int status, rc;

	if (token == NULL) {
		metric_report(MR_REFUSED);
		return http_text(c, r, 403, "cannot accept the report: missing or malformed token");
	}
	token_hash(token, hash);
	rc = store_token_find(&srv.store, hash, mac);
	if (rc == -ENOENT || rc == -EINVAL) {
		metric_report(MR_REFUSED);
		return http_text(c, r, 403, "cannot accept the report: unknown token");
	}
	if (rc < 0) {
		metric_report(MR_FAILED);
		return http_text(c, r, 503, "cannot accept the report: the database is not available");
	}
	if (r->too_big) {
		metric_report(MR_INVALID);
		snprintf(err, sizeof(err), "cannot accept the report: larger than %d bytes", LB_REPORT_MAX_BYTES);
		return http_text(c, r, 400, err);
	}
	report = report_parse(r->body ? r->body : "", r->len, err, sizeof(err));
	if (report == NULL) {
		metric_report(MR_INVALID);
		snprintf(msg, sizeof(msg), "cannot accept the report: %.400s", err);
		return http_text(c, r, 400, msg);
	}
	rc = store_lock(&srv.store, err, sizeof(err));
	if (rc < 0) {
		json_object_put(report);
		metric_report(MR_FAILED);
		fprintf(stderr, "lifeboatd: %s\n", err);
		return http_text(c, r, 503, "cannot accept the report: the database is not available");
	}
	status = open_session(token, mac, r->client, now, &h, &s, msg, sizeof(msg));
	if (status == 403 && h != NULL) {
		/* a valid token from elsewhere: it leaked; the admin should know */
		if (s.state != SS_CONFLICT) {
			set_conflict(&s, r->client, "the token was used from another address", now, mac);
			session_write(&s, h);
			store_save(&srv.store, mac, h, err, sizeof(err));
			events_add(&srv.store, mac, now, "conflict", "a report with the session's token from %s, bound to %s",
				   r->client, s.bound);
		}
	} else if (status == 0) {
		if (s.bound[0] == '\0') {
			snprintf(s.bound, sizeof(s.bound), "%s", r->client); /* lifeboatctl token: bound at first use */
		}
		snprintf(old_phase, sizeof(old_phase), "%s", jstr(h, "phase"));
		apply_report(h, &s, report, r->client, now, mac);
		if (strcmp(old_phase, jstr(h, "phase")) != 0) {
			events_add(&srv.store, mac, now, "phase", "%s%s%s, reported from %s", old_phase,
				   old_phase[0] ? " -> " : "", jstr(h, "phase"), r->client);
		}
		if (store_save(&srv.store, mac, h, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: %s\n", err);
			snprintf(msg, sizeof(msg), "cannot store the report");
			status = 500;
		} else if (jbool(h, "auto")) {
			/* it reported: its place is held until its session ends, so
			 * one address reporting with every token it gets makes no
			 * more hosts than auto_hosts (and one, unless nat) */
			store_pending_hold(&srv.store, mac, s.expires > now ? s.expires : now + srv.conf.session_timeout);
		}
	}
	if (store_unlock(&srv.store, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		if (status == 0) {
			snprintf(msg, sizeof(msg), "cannot store the report");
			status = 500;
		}
	}
	if (status == 0) {
		/* its kernel's netconsole lines come from there too */
		netconsole_allow(s.bound, mac, s.id, s.expires > now ? s.expires : now + srv.conf.session_timeout);
	}
	if (status == 0 && lb_phase_ssh_up(jstr(h, "phase")) &&
	    (strcmp(jstr(jget(h, "media"), "state"), "inserted") == 0 ||
	     strcmp(jstr(jget(h, "media"), "state"), "inserting") == 0)) {
		media_eject_later(mac, jint(jget(h, "media"), "session")); /* booted: the next boot is the disk */
	}
	json_object_put(h);
	json_object_put(report);
	metric_report(status == 0 ? MR_ACCEPTED : status == 403 ? MR_REFUSED : MR_FAILED);
	if (status != 0) {
		snprintf(err, sizeof(err), "cannot accept the report: %s", msg);
		return http_text(c, r, (unsigned int)status, err);
	}
	return http_text(c, r, 200, "ok");
}

/* ---- POST /api/v1/logs?kind=kmsg|bundle ------------------------------------------ */

/* At most LOGS_PER_WINDOW batches per host in LOGS_WINDOW_S (the agent
 * sends one every 2 s at most): a token holder cannot keep the store's
 * lock busy. Slots by the MAC's hash; a collision only shares a budget. */
#define LOGS_SLOTS 1024
#define LOGS_WINDOW_S 10
#define LOGS_PER_WINDOW 20

static struct {
	pthread_mutex_t lock;
	struct {
		char mac[18];
		long long window;
		unsigned int n;
	} slot[LOGS_SLOTS];
} logs_rate = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int logs_allowed(const char *mac, long long now)
{
	unsigned int h = 2166136261u, i;
	int ok;

	for (i = 0; mac[i] != '\0'; i++) {
		h = (h ^ (unsigned char)mac[i]) * 16777619u;
	}
	h %= LOGS_SLOTS;
	pthread_mutex_lock(&logs_rate.lock);
	if (strcmp(logs_rate.slot[h].mac, mac) != 0 || now / LOGS_WINDOW_S != logs_rate.slot[h].window) {
		snprintf(logs_rate.slot[h].mac, sizeof(logs_rate.slot[h].mac), "%s", mac);
		logs_rate.slot[h].window = now / LOGS_WINDOW_S;
		logs_rate.slot[h].n = 0;
	}
	ok = ++logs_rate.slot[h].n <= LOGS_PER_WINDOW;
	pthread_mutex_unlock(&logs_rate.lock);
	return ok;
}

enum MHD_Result handle_logs(struct MHD_Connection *c, struct req *r, const char *rest)
{
	const char *token = http_bearer(c), *kind = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
	json_object *h = NULL;
	struct session s;
	char mac[18], hash[65], err[700], msg[600];
	long long now = (long long)time(NULL);
	int status, rc;

	(void)rest;
	if (token == NULL) {
		return http_text(c, r, 403, "cannot take the logs: missing or malformed token");
	}
	token_hash(token, hash);
	rc = store_token_find(&srv.store, hash, mac);
	if (rc == -ENOENT || rc == -EINVAL) {
		return http_text(c, r, 403, "cannot take the logs: unknown token");
	}
	if (rc < 0) {
		return http_text(c, r, 503, "cannot take the logs: the database is not available");
	}
	if (!logs_allowed(mac, now)) {
		return http_text(c, r, 429, "cannot take the logs: more than 20 batches in 10 s");
	}
	if (!report_log_kind_ok(kind)) {
		return http_text(c, r, 400, "cannot take the logs: kind is not kmsg or bundle");
	}
	if (r->too_big || report_log_ok(r->body ? r->body : "", r->len, err, sizeof(err)) < 0) {
		snprintf(msg, sizeof(msg), "cannot take the logs: %.400s",
			 r->too_big ? "larger than " LB_LOGS_MAX_TEXT " bytes" : err);
		return http_text(c, r, 400, msg);
	}
	rc = store_lock(&srv.store, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		return http_text(c, r, 503, "cannot take the logs: the database is not available");
	}
	/* a token from another address is refused here (the report marks the
	 * conflict); a session not yet bound by its first report takes none */
	status = open_session(token, mac, r->client, now, &h, &s, msg, sizeof(msg));
	if (status == 0 && s.bound[0] == '\0') {
		snprintf(msg, sizeof(msg), "the session has no report yet");
		status = 409;
	}
	if (status == 0) {
		if (r->body != NULL) {
			lb_redact_token(r->body, r->len); /* the kernel's command line has it */
		}
		if (logs_add(&srv.store, mac, s.id, now, kind, r->body ? r->body : "", err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: %s: cannot store the logs: %s\n", mac, err);
			snprintf(msg, sizeof(msg), "the database is not available");
			status = 503;
		}
	}
	if (status == 0) {
		rc = store_unlock(&srv.store, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "lifeboatd: %s\n", err);
			snprintf(msg, sizeof(msg), "the database is not available");
			status = 503;
		}
	} else {
		store_abort(&srv.store);
	}
	json_object_put(h);
	if (status != 0) {
		snprintf(err, sizeof(err), "cannot take the logs: %s", msg);
		return http_text(c, r, (unsigned int)status, err);
	}
	return http_text(c, r, 200, "ok");
}

/* ---- GET /api/v1/keys/<mac> -------------------------------------------------- */

/* keys_file, refused unless it holds at least one public key */
static int read_keys(char *buf, size_t len, size_t *n, char *msg, size_t msglen)
{
	FILE *f = fopen(srv.conf.keys_file, "re");
	const char *p = NULL;
	int keys = 0;

	if (f == NULL) {
		int rc = -errno;

		snprintf(msg, msglen, "cannot give keys: keys_file %s: %s", srv.conf.keys_file,
			 strerror(errno));
		return rc;
	}
	*n = fread(buf, 1, len, f);
	if (*n == len && fgetc(f) != EOF) {
		fclose(f);
		snprintf(msg, msglen, "cannot give keys: keys_file %s is larger than %zu bytes",
			 srv.conf.keys_file, len - 1);
		return -EFBIG;
	}
	fclose(f);
	buf[*n] = '\0';
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		keys += strncmp(p, "ssh-", 4) == 0 || strncmp(p, "ecdsa-", 6) == 0 || strncmp(p, "sk-", 3) == 0;
	}
	if (keys == 0) {
		snprintf(msg, msglen, "cannot give keys: keys_file %s has no public key", srv.conf.keys_file);
		return -ENOKEY;
	}
	return 0;
}

/* The session's own keys (lifeboatctl rescue --key, the control API's
 * "keys") after what is in buf; 1 when keys_file is not to be used. */
static int add_session_keys(json_object *h, char *buf, size_t cap, size_t *n, int *count)
{
	json_object *sk = jget(h, "session_keys"), *keys = jget(sk, "keys");
	size_t i, len = keys && json_object_is_type(keys, json_type_array) ? json_object_array_length(keys) : 0;

	*count = 0;
	for (i = 0; i < len; i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(keys, i));
		size_t kl = k ? strlen(k) : 0;

		if (kl > 0 && *n + kl + 1 <= cap) {
			memcpy(buf + *n, k, kl);
			buf[*n + kl] = '\n';
			*n += kl + 1;
			(*count)++;
		}
	}
	buf[*n] = '\0';
	return jbool(sk, "only");
}

enum MHD_Result handle_keys(struct MHD_Connection *c, struct req *r, const char *macs)
{
	const char *token = http_bearer(c);
	static __thread char buf[KEYS_MAX + 1], own[KEYS_MAX + 1];
	json_object *h = NULL;
	struct session s;
	char mac[18], msg[600], err[700];
	long long now = (long long)time(NULL);
	size_t n = 0, owned = 0;
	int status, rc, only = 0, nown = 0;

	if (parse_mac(macs, mac) < 0) {
		return http_text(c, r, 404, "no such host");
	}
	if (token == NULL) {
		return http_text(c, r, 403, "cannot give keys: missing or malformed token");
	}
	rc = store_lock(&srv.store, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		return http_text(c, r, 503, "cannot give keys: the database is not available");
	}
	status = open_session(token, mac, r->client, now, &h, &s, msg, sizeof(msg));
	if (status == 0 && s.bound[0] == '\0') {
		snprintf(s.bound, sizeof(s.bound), "%s", r->client); /* lifeboatctl token: bound at first use */
		session_write(&s, h);
		if (store_save(&srv.store, mac, h, err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "cannot store the session");
			status = 503;
		}
	}
	if (status == 0) {
		only = add_session_keys(h, own, sizeof(own) - 1, &owned, &nown);
	}
	if (store_unlock(&srv.store, err, sizeof(err)) < 0 && status == 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		snprintf(msg, sizeof(msg), "cannot store the session");
		status = 503;
	}
	json_object_put(h);
	if (status != 0) {
		snprintf(err, sizeof(err), "cannot give keys: %s", msg);
		return http_text(c, r, (unsigned int)status, err);
	}
	if (!only && read_keys(buf, sizeof(buf) - 1, &n, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "lifeboatd: %s\n", msg);
		if (nown == 0) {
			return http_text(c, r, 503, msg);
		}
		n = 0; /* the session's own keys still let the admin in */
	}
	if (n > 0 && buf[n - 1] != '\n' && n < sizeof(buf) - 1) {
		buf[n++] = '\n';
	}
	if (n + owned > sizeof(buf) - 1) {
		return http_text(c, r, 503, "cannot give keys: keys_file and the session's keys are too large");
	}
	memcpy(buf + n, own, owned);
	n += owned;
	return http_respond(c, r, 200, "text/plain; charset=utf-8", buf, n);
}
