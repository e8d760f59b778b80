#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "core/json.h"
#include "core/media.h"
#include "core/session.h"
#include "power/power.h"
#include "store/bmc.h"
#include "store/events.h"
#include "store/hostmedia.h"

struct arm_ctx {
	const struct host_change *c;
	const char *key, *token;
	long long now, seconds;
};

/* The policy, then the session claimed by its ISO: the token's hash and
 * the key's in the index, neither in clear. */
static int arm_media(struct store *st, json_object *h, void *ctx)
{
	const struct arm_ctx *a = ctx;
	json_object *m = json_object_new_object();
	struct session s;
	char th[65], kh[65];

	hostops_policy_in(st, h, a->c, a->now);
	session_read(h, &s);
	token_hash(a->token, th);
	token_hash(a->key, kh);
	s.state = SS_ACTIVE; /* bound to the address of its first report */
	s.issued = a->now;
	snprintf(s.token_sha256, sizeof(s.token_sha256), "%s", th);
	session_write(&s, h);
	json_object_object_add(h, "phase", json_object_new_string("loading"));
	json_object_object_add(m, "key_sha256", json_object_new_string(kh));
	json_object_object_add(m, "session", json_object_new_int64(s.id));
	json_object_object_add(m, "state", json_object_new_string("inserting"));
	json_object_object_add(m, "armed", json_object_new_int64(a->now));
	json_object_object_add(m, "expires", json_object_new_int64(a->now + a->seconds));
	json_object_object_add(h, "media", m);
	events_add(st, jstr(h, "mac"), a->now, "rescue", "session claimed: a rescue ISO for the BMC's virtual media, "
		   "its URL for %llds; the token in it is bound at the first report", a->seconds);
	if (store_token_put(st, th, jstr(h, "mac")) < 0 || store_token_put(st, kh, jstr(h, "mac")) < 0) {
		return -EIO;
	}
	return 0;
}

struct state_ctx {
	const char *state, *error;
	long long now;
};

static int set_state(struct store *st, json_object *h, void *ctx)
{
	const struct state_ctx *x = ctx;
	json_object *m = jget(h, "media");

	(void)st;
	if (m == NULL) {
		return 0; /* the session changed meanwhile: nothing of it is left */
	}
	json_object_object_add(m, "state", json_object_new_string(x->state));
	if (x->error != NULL) {
		char e[301];

		snprintf(e, sizeof(e), "%s", x->error);
		json_object_object_add(m, "error", json_object_new_string(e));
	}
	if (strcmp(x->state, "ejected") == 0) {
		json_object_object_add(m, "ejected", json_object_new_int64(x->now));
		store_token_del(st, jstr(m, "key_sha256")); /* its URL answers no more */
	}
	return 0;
}

static void say(struct store *st, const char *mac, const char *fmt, const char *a, const char *b)
{
	char line[1000];

	snprintf(line, sizeof(line), fmt, a, b);
	hostops_event(st, mac, (long long)time(NULL), "media", line);
}

int hostmedia_rescue(struct store *st, const char *mac, const struct host_change *c, const char *media_url,
		     long long seconds, long long now, int *armed, char *err, size_t errlen)
{
	struct arm_ctx a = { .c = c, .now = now, .seconds = seconds };
	struct state_ctx failed = { .state = "failed", .now = now };
	char key[LB_TOKEN_LEN + 1], token[LB_TOKEN_LEN + 1], url[700], state[8];
	struct bmc b;
	int rc = bmc_load(st, mac, &b, err, errlen);

	*armed = 0;
	if (rc < 0) {
		return rc;
	}
	if (!power_driver_has_media(b.driver)) {
		snprintf(err, errlen, "%s: the %s driver has no virtual media (the redfish driver has)", mac, b.driver);
		rc = -EOPNOTSUPP;
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
	memset(token, 0, sizeof(token));
	if (rc < 0) {
		goto err_key;
	}
	*armed = 1;
	snprintf(url, sizeof(url), "%s" LB_PATH_MEDIA "%s/" LB_MEDIA_FILE, media_url, key);
	rc = bmc_media(&b, url, err, errlen);
	if (rc < 0) {
		failed.error = err;
		say(st, mac, "cannot insert the rescue ISO%s: %s", "", err);
		goto err_media;
	}
	say(st, mac, "the rescue ISO inserted into the BMC's virtual CD (%s%s)", b.address, "");
	hostops_update(st, mac, set_state, &(struct state_ctx){ .state = "inserted", .now = now }, NULL, 0);
	rc = bmc_power(&b, POWER_BOOT_CD, state, err, errlen);
	if (rc < 0) {
		failed.error = err;
		say(st, mac, "cannot set the next boot to the virtual CD%s: %s", "", err);
		goto err_media;
	}
	rc = hostops_power_on_or_cycle(st, mac, &b, c->by, err, errlen);
	memset(key, 0, sizeof(key));
	memset(b.password, 0, sizeof(b.password));
	return rc;

err_media:
	hostops_update(st, mac, set_state, &failed, NULL, 0);
err_key:
	memset(key, 0, sizeof(key));
err_bmc:
	memset(b.password, 0, sizeof(b.password));
	return rc;
}

int hostmedia_eject(struct store *st, const char *mac, const char *why, char *err, size_t errlen)
{
	struct state_ctx x = { .state = "ejected", .now = (long long)time(NULL) };
	struct bmc b;
	int rc = bmc_load(st, mac, &b, err, errlen);

	if (rc == 0) {
		rc = bmc_media(&b, NULL, err, errlen);
		memset(b.password, 0, sizeof(b.password));
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
	int refused;
};

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
	if (jstr(m, "client")[0] == '\0') {
		json_object_object_add(m, "client", json_object_new_string(x->client));
		json_object_object_add(m, "fetched", json_object_new_int64(x->now));
		events_add(st, jstr(h, "mac"), x->now, "media", "the rescue ISO fetched by %s (the BMC): its URL now "
			   "answers that address only", x->client);
		return 0;
	}
	if (strcmp(jstr(m, "client"), x->client) != 0) {
		x->refused = 1;
		x->why = "the rescue ISO is bound to another address";
		return -EPERM;
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
