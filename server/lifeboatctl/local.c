/* The local backend (backend.h): the state directory's database, changed
 * with the code lifeboatd's control API uses (store/hostops.h), so both
 * write paths are one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ansi.h"
#include "core/hostdoc.h"
#include "core/json.h"
#include "core/view.h"
#include "lifeboatctl/backend.h"
#include "lifeboatctl/local.h"
#include "store/events.h"
#include "store/hostmedia.h"
#include "store/console.h"
#include "store/logs.h"
#include "store/import.h"

#define BY "lifeboatctl"

static struct store store;
static long long session_timeout;
static char media_url[512];
static struct media_conf media;

int local_open(const char *state, const struct conf *conf, char *note, size_t notelen, char *err, size_t errlen)
{
	/* JSON files of an older lifeboat are imported (and moved) only
	 * while no lifeboatd runs on them: we hold its lock meanwhile */
	int idle = store_dir_idle(state), rc;

	note[0] = '\0';
	session_timeout = conf->session_timeout;
	hostmedia_conf(conf, &media);
	snprintf(media_url, sizeof(media_url), "%s", conf->media_url);
	media.url = media_url; /* conf is not ours to keep */
	rc = store_open(&store, state, conf->database, conf->db_timeout * 1000u, err, errlen);
	if (rc == 0) {
		rc = import_state_dir(&store, idle >= 0 || idle == -ENOENT, note, notelen, err, errlen);
	}
	if (idle >= 0) {
		close(idle);
	}
	return rc;
}

struct store *local_store(void)
{
	return &store;
}

static long long now(void)
{
	return (long long)time(NULL);
}

static int resolve(const char *name, char mac[18], char *err, size_t errlen)
{
	return hostops_resolve(&store, name, mac, err, errlen);
}

static int set_policy(const char *mac, const struct host_change *c, struct policy_result *res, char *err,
		      size_t errlen)
{
	struct host_change hc = *c;
	int rc;

	if (hc.seconds == 0) {
		hc.seconds = session_timeout;
	}
	res->reset_rc = 0;
	if (hc.media) {
		int armed = 0;

		rc = hostmedia_rescue(&store, mac, &hc, &media, now(), &armed, res->reset_err, sizeof(res->reset_err));
		if (!armed) {
			snprintf(err, errlen, "%s", res->reset_err);
			return rc;
		}
		res->reset_rc = rc;
	} else {
		rc = hostops_set_policy(&store, mac, &hc, now(), err, errlen);
	}
	if (rc < 0 && !hc.media) {
		return rc;
	}
	snprintf(res->policy, sizeof(res->policy), "%s", hc.policy);
	res->nat = hc.nat == 1;
	res->seconds = hc.seconds;
	if (hc.reset && !hc.media) {
		/* a failure leaves the session armed: a person can still press the button */
		res->reset_rc = hostops_power_into_rescue(&store, mac, BY, res->reset_err, sizeof(res->reset_err));
	}
	return 0;
}

static int forget(const char *mac, char *err, size_t errlen)
{
	return hostops_forget(&store, mac, err, errlen);
}

/* The host as readers see it, with its last normal boot request. */
static json_object *host(const char *mac, struct schema_skipped *sk, char *err, size_t errlen)
{
	json_object *h = store_load(&store, mac, sk), *seen = NULL;

	if (h == NULL) {
		snprintf(err, errlen, "cannot find host %s%s", mac, sk->count ? " (unreadable)" : "");
		return NULL;
	}
	jdel(jget(h, "session"), "token_sha256");
	seen = store_seen_get(&store, mac);
	if (seen != NULL) {
		json_object *wrap = json_object_new_object(), *cw = NULL, *clean = NULL;

		json_object_object_add(wrap, "mac", json_object_new_string(mac));
		json_object_object_add(wrap, "last_boot", json_object_get(seen));
		cw = hostdoc_clean(wrap, NULL);
		clean = jget(cw, "last_boot");
		if (clean != NULL) {
			json_object_object_add(h, "last_request", json_object_get(clean));
		}
		json_object_put(cw);
		json_object_put(wrap);
	}
	json_object_put(seen);
	return h;
}

static int each_host(host_fn fn, void *ctx, char *err, size_t errlen)
{
	int rc = store_each(&store, fn, ctx);

	if (rc < 0) {
		snprintf(err, errlen, "cannot read the hosts of %s: %s", store.db.shown, strerror(-rc));
	}
	return rc;
}

static char *known_hosts(const char *mac, const char *name, char *err, size_t errlen)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = host(mac, &sk, err, errlen);
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc = -ENOMEM;

	char why[600];

	if (h == NULL) {
		return NULL;
	}
	f = open_memstream(&text, &len);
	if (f != NULL) {
		rc = view_known_hosts(h, name, now(), f, why, sizeof(why));
		fclose(f);
	} else {
		snprintf(why, sizeof(why), "out of memory");
	}
	json_object_put(h);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write known_hosts for %s: %s", mac, why);
		free(text);
		return NULL;
	}
	return text;
}

static char *logs(const char *mac, long long seconds, const char *kind, size_t *len, char *err, size_t errlen)
{
	int rc = 0;
	char *text = NULL;

	if (store_exists(&store, mac) != 1) {
		snprintf(err, errlen, "no host %s", mac);
		return NULL;
	}
	text = logs_read(&store, mac, seconds ? now() - seconds : 0, kind ? kind : "", kind == NULL, len, &rc);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read the logs of %s: %s", mac, strerror(-rc));
	}
	return text;
}

/* Live: only lifeboatd captures (and takes typing); without it running
 * here, nothing would come. */
static int no_live(char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot attach to the console: lifeboatd is not running here (it captures the consoles; "
			      "--since reads what it captured)");
	return -ENOTCONN;
}

static int console_follow(const char *mac, int raw, int (*fn)(const char *line, void *ctx), void *ctx,
			  const volatile int *stop, char *err, size_t errlen)
{
	return no_live(err, errlen);
}

static int console_type(const char *mac, const char *data, size_t len, char *err, size_t errlen)
{
	return no_live(err, errlen);
}

static char *console(const char *mac, long long seconds, int raw, size_t *len, char *err, size_t errlen)
{
	int rc = 0;
	char *text = NULL, *shown = NULL;

	if (store_exists(&store, mac) != 1) {
		snprintf(err, errlen, "no host %s", mac);
		return NULL;
	}
	text = console_read(&store, mac, seconds ? (now() - seconds) * 1000 : 0, !raw, 0, len, &rc);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read the console of %s: %s", mac, strerror(-rc));
		return NULL;
	}
	if (raw) {
		return text;
	}
	shown = malloc(*len + 1);
	if (shown != NULL) {
		*len = console_text(text, *len, shown, *len + 1);
	} else {
		snprintf(err, errlen, "cannot show the console: out of memory");
	}
	free(text);
	return shown;
}

static json_object *events(const char *mac, char *err, size_t errlen)
{
	json_object *ev = events_read(&store, mac, EVENTS_MAX);

	if (ev == NULL) {
		snprintf(err, errlen, "cannot read the events of %s", mac);
	}
	return ev;
}

static int set_bmc(const char *mac, const struct bmc *b, char *err, size_t errlen)
{
	return hostops_set_bmc(&store, mac, b, BY, now(), err, errlen);
}

static int power(const char *mac, enum power_op op, const char *name, char state[8], char *err, size_t errlen)
{
	struct bmc b;
	char why[600], line[200];
	int rc = bmc_load(&store, mac, &b, why, sizeof(why));

	if (rc == 0) {
		rc = bmc_power(&b, op, state, why, sizeof(why));
	}
	if (op != POWER_STATUS) {
		snprintf(line, sizeof(line), "power %s by " BY "%s", name, rc < 0 ? ": failed" : "");
		hostops_event(&store, mac, now(), "power", line);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot control the power of %s: %s", mac, why);
	}
	return rc;
}

static int token(const char *mac, char tok[LB_TOKEN_LEN + 1], char *err, size_t errlen)
{
	int rc = store_new_token(tok);

	if (rc < 0) {
		snprintf(err, errlen, "cannot make a token: no randomness");
		return rc;
	}
	return hostops_manual_token(&store, mac, tok, session_timeout, BY, now(), err, errlen);
}

static int set_alias(const char *mac, const char *alias, char *err, size_t errlen)
{
	return hostops_set_alias(&store, mac, alias, BY, now(), err, errlen);
}

const struct backend local_backend = {
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
