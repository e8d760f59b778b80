#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>

#include "core/addr.h"
#include "core/conf.h"
#include "core/json.h"
#include "core/media.h"
#include "core/session.h"
#include "power/power.h"
#include "store/bmc.h"
#include "store/events.h"
#include "store/hostmedia.h"

#define MEDIA_FROM_MAX 4

struct arm_ctx {
	const struct host_change *c;
	const char *key, *token;
	long long now, seconds;
	char from[MEDIA_FROM_MAX][ADDR_TEXT_MAX]; /* "" : any address (media_from = first) */
	size_t nfrom;
	long long session;                        /* out: the session's id */
};

/* The policy, then the session claimed by its ISO: the token's hash and
 * the key's in the index, neither in clear. */
static int arm_media(struct store *st, json_object *h, void *ctx)
{
	struct arm_ctx *a = ctx;
	json_object *m = json_object_new_object(), *from = json_object_new_array();
	struct session s;
	char th[65], kh[65];
	size_t i;

	hostops_policy_in(st, h, a->c, a->now);
	session_read(h, &s);
	token_hash(a->token, th);
	token_hash(a->key, kh);
	s.state = SS_ACTIVE; /* bound to the address of its first report */
	s.issued = a->now;
	snprintf(s.token_sha256, sizeof(s.token_sha256), "%s", th);
	session_write(&s, h);
	a->session = s.id;
	json_object_object_add(h, "phase", json_object_new_string("loading"));
	json_object_object_add(m, "key_sha256", json_object_new_string(kh));
	json_object_object_add(m, "session", json_object_new_int64(s.id));
	json_object_object_add(m, "state", json_object_new_string("inserting"));
	json_object_object_add(m, "armed", json_object_new_int64(a->now));
	json_object_object_add(m, "expires", json_object_new_int64(a->now + a->seconds));
	for (i = 0; i < a->nfrom; i++) {
		json_object_array_add(from, json_object_new_string(a->from[i]));
	}
	json_object_object_add(m, "from", from);
	json_object_object_add(h, "media", m);
	events_add(st, jstr(h, "mac"), a->now, "rescue", "session claimed: a rescue ISO for the BMC's virtual media, "
		   "its URL for %llds to %s; the token in it is bound at the first report", a->seconds,
		   a->nfrom > 0 ? "the BMC's address" : "the first address that fetches it");
	if (store_token_put(st, th, jstr(h, "mac")) < 0 || store_token_put(st, kh, jstr(h, "mac")) < 0) {
		return -EIO;
	}
	return 0;
}

struct state_ctx {
	const char *state, *error;
	long long now, session;
	int disarm;  /* failed before the host booted it: the session armed again, unclaimed */
};

static int set_state(struct store *st, json_object *h, void *ctx)
{
	const struct state_ctx *x = ctx;
	json_object *m = jget(h, "media");
	struct session s;

	if (m == NULL || jint(m, "session") != x->session) {
		return 0; /* the session changed meanwhile: not this one's */
	}
	json_object_object_add(m, "state", json_object_new_string(x->state));
	if (x->error != NULL) {
		char e[301];

		snprintf(e, sizeof(e), "%s", x->error);
		json_object_object_add(m, "error", json_object_new_string(e));
	}
	if (strcmp(x->state, "ejected") == 0 || x->disarm) {
		json_object_object_add(m, "ejected", json_object_new_int64(x->now));
		store_token_del(st, jstr(m, "key_sha256")); /* its URL answers no more */
	}
	if (x->disarm) {
		/* as a failed --reset: armed, for a boot by other means */
		session_read(h, &s);
		if (s.token_sha256[0] != '\0') {
			store_token_del(st, s.token_sha256);
		}
		s.state = SS_ARMED;
		s.token_sha256[0] = '\0';
		s.issued = 0;
		session_write(&s, h);
	}
	return 0;
}

static void say(struct store *st, const char *mac, const char *fmt, const char *a, const char *b)
{
	char line[1000];

	snprintf(line, sizeof(line), fmt, a, b);
	hostops_event(st, mac, (long long)time(NULL), "media", line);
}

/* The addresses the BMC (its address's host) has: the ISO's URL answers
 * those only. 0, or -EHOSTUNREACH with err. */
static int bmc_addresses(const struct bmc *b, struct arm_ctx *a, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL, *p = NULL;
	char host[300];
	size_t i;
	int rc;

	url_host(b->address, host, sizeof(host));
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve the BMC's address %s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (p = res; p != NULL && a->nfrom < MEDIA_FROM_MAX; p = p->ai_next) {
		char text[ADDR_TEXT_MAX];

		if (addr_from_sockaddr(p->ai_addr, text) < 0) {
			continue;
		}
		for (i = 0; i < a->nfrom && strcmp(a->from[i], text) != 0; i++) {
		}
		if (i == a->nfrom) {
			snprintf(a->from[a->nfrom++], ADDR_TEXT_MAX, "%s", text);
		}
	}
	freeaddrinfo(res);
	return 0;
}

void hostmedia_conf(const struct conf *conf, struct media_conf *mc)
{
	mc->url = conf->media_url;
	mc->seconds = conf->media_timeout;
	mc->any_address = conf->media_any_address;
}

int hostmedia_rescue(struct store *st, const char *mac, const struct host_change *c, const struct media_conf *mc,
		     long long now, int *armed, char *err, size_t errlen)
{
	struct arm_ctx a = { .c = c, .now = now, .seconds = mc->seconds };
	struct state_ctx failed = { .state = "failed", .now = now, .disarm = 1 };
	char key[LB_TOKEN_LEN + 1], token[LB_TOKEN_LEN + 1], url[700], state[8], why[700];
	struct bmc b;
	int rc = bmc_load(st, mac, &b, err, errlen);

	*armed = 0;
	if (rc < 0) {
		return rc;
	}
	if (!power_driver_has_media(b.driver)) {
		snprintf(err, errlen, "cannot boot %s from virtual media: the %s driver has none (the redfish driver has)",
			 mac, b.driver);
		rc = -EOPNOTSUPP;
		goto err_bmc;
	}
	if (!mc->any_address && (rc = bmc_addresses(&b, &a, err, errlen)) < 0) {
		goto err_bmc;
	}
	if (store_new_token(key) < 0) {
		snprintf(err, errlen, "cannot make the rescue ISO's key: no randomness");
		rc = -EIO;
		goto err_bmc;
	}
	media_token(key, token);
	a.key = key;
	a.token = token;
	rc = hostops_update(st, mac, arm_media, &a, err, errlen);
	explicit_bzero(token, sizeof(token));
	if (rc < 0) {
		goto err_key;
	}
	*armed = 1;
	failed.session = a.session;
	snprintf(url, sizeof(url), "%s" LB_PATH_MEDIA "%s/" LB_MEDIA_FILE, mc->url, key);
	rc = bmc_media(&b, url, NULL, err, errlen);
	if (rc < 0) {
		failed.error = err;
		say(st, mac, "cannot insert the rescue ISO: %s%s", err, "");
		goto err_armed;
	}
	say(st, mac, "the rescue ISO inserted into the virtual CD of %s%s", b.address, "");
	hostops_update(st, mac, set_state, &(struct state_ctx){ .state = "inserted", .now = now, .session = a.session },
		       NULL, 0);
	rc = bmc_power(&b, POWER_BOOT_CD, state, err, errlen);
	if (rc < 0) {
		failed.error = err;
		say(st, mac, "cannot set the next boot to the virtual CD: %s%s", err, "");
		goto err_inserted;
	}
	rc = hostops_power_on_or_cycle(st, mac, &b, c->by, err, errlen);
	if (rc < 0) {
		failed.error = err;
		goto err_inserted;
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(b.password, sizeof(b.password));
	return 0;

err_inserted:
	/* what the host will not boot comes out again */
	snprintf(url, sizeof(url), "%s" LB_PATH_MEDIA, mc->url);
	if (bmc_media(&b, NULL, url, why, sizeof(why)) < 0) {
		say(st, mac, "cannot eject the rescue ISO again: %s%s", why, "");
	}
err_armed:
	hostops_update(st, mac, set_state, &failed, NULL, 0);
err_key:
	explicit_bzero(key, sizeof(key));
err_bmc:
	explicit_bzero(b.password, sizeof(b.password));
	return rc;
}

int hostmedia_eject(struct store *st, const char *mac, long long session, const char *media_url, const char *why,
		    char *err, size_t errlen)
{
	struct state_ctx x = { .state = "ejected", .now = (long long)time(NULL), .session = session };
	char mine[600];
	struct bmc b;
	int rc = bmc_load(st, mac, &b, err, errlen);

	if (rc == 0) {
		/* only what is ours: an admin's own image stays */
		snprintf(mine, sizeof(mine), "%s" LB_PATH_MEDIA, media_url);
		rc = bmc_media(&b, NULL, mine, err, errlen);
		explicit_bzero(b.password, sizeof(b.password));
	}
	if (rc < 0) {
		say(st, mac, "cannot eject the rescue ISO (%s): %s", why, err);
		return rc;
	}
	say(st, mac, "the rescue ISO ejected (%s)%s", why, "");
	return hostops_update(st, mac, set_state, &x, err, errlen);
}

struct bind_ctx {
	const char *key, *client, *why;
	long long now;
};

/* 1 when client is one of the addresses the ISO is for (none: any). */
static int from_allowed(json_object *m, const char *client)
{
	json_object *from = jget(m, "from");
	size_t i, n = json_object_is_type(from, json_type_array) ? json_object_array_length(from) : 0;

	for (i = 0; i < n; i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(from, i)), client) == 0) {
			return 1;
		}
	}
	return n == 0;
}

static int bind_client(struct store *st, json_object *h, void *ctx)
{
	struct bind_ctx *x = ctx;
	json_object *m = jget(h, "media");
	struct session s;

	session_read(h, &s);
	x->why = media_refusal(m, &s, x->key, x->now);
	if (x->why != NULL) {
		return -ENOENT;
	}
	if (!from_allowed(m, x->client) ||
	    (jstr(m, "client")[0] != '\0' && strcmp(jstr(m, "client"), x->client) != 0)) {
		x->why = "the rescue ISO is for another address";
		return -EPERM;
	}
	if (jstr(m, "client")[0] == '\0') {
		json_object_object_add(m, "client", json_object_new_string(x->client));
		json_object_object_add(m, "fetched", json_object_new_int64(x->now));
		events_add(st, jstr(h, "mac"), x->now, "media", "the rescue ISO fetched by %s (the BMC): its URL now "
			   "answers that address only", x->client);
	}
	return 0;
}

int hostmedia_bind(struct store *st, const char *mac, const char *key, const char *client, long long now,
		   const char **why, char *err, size_t errlen)
{
	struct bind_ctx x = { .key = key, .client = client, .now = now };
	int rc = hostops_update(st, mac, bind_client, &x, err, errlen);

	*why = x.why;
	return rc;
}

int hostmedia_may_fetch(json_object *m, const char *client)
{
	return from_allowed(m, client) && (jstr(m, "client")[0] == '\0' || strcmp(jstr(m, "client"), client) == 0);
}
