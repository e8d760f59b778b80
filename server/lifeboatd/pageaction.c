/* The page's buttons: POST /hosts/<host>/<rescue-once|normal|power-cycle|
 * rescue-reset|rescue-media>, a form that must carry the signed-in browser's token
 * (login_csrf); then back to the page. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/bmc.h"
#include "lifeboatd/control.h"
#include "lifeboatd/reqargs.h"
#include "store/hostmedia.h"
#include "store/hostops.h"
#include "lifeboatd/http.h"
#include "lifeboatd/server.h"
#include "lifeboatd/login.h"

static int page_power_cycle(const char *mac, const char *by, char *err, size_t errlen)
{
	struct bmc b;
	char state[8], line[200];
	int rc = bmc_load(&srv.store, mac, &b, err, errlen);

	if (rc == 0) {
		rc = bmc_power(&b, POWER_CYCLE, state, err, errlen);
	}
	snprintf(line, sizeof(line), "power cycle by %s%s", by, rc < 0 ? ": failed" : "");
	hostops_event(&srv.store, mac, (long long)time(NULL), "power", line);
	return rc;
}

static int page_policy(const char *mac, const char *policy, const char *by, char *err, size_t errlen)
{
	struct host_change hc = { .policy = policy, .nat = -1, .seconds = srv.conf.session_timeout, .by = by };

	return hostops_set_policy(&srv.store, mac, &hc, (long long)time(NULL), err, errlen);
}

static int page_rescue_once(const char *mac, const char *by, char *err, size_t errlen)
{
	return page_policy(mac, "rescue-once", by, err, errlen);
}

static int page_normal(const char *mac, const char *by, char *err, size_t errlen)
{
	return page_policy(mac, "normal", by, err, errlen);
}

static int page_rescue_reset(const char *mac, const char *by, char *err, size_t errlen)
{
	int rc = page_policy(mac, "rescue-once", by, err, errlen);

	return rc < 0 ? rc : hostops_power_into_rescue(&srv.store, mac, by, err, errlen);
}

static int page_rescue_media(const char *mac, const char *by, char *err, size_t errlen)
{
	struct host_change hc = { .policy = "rescue-once", .nat = -1, .seconds = srv.conf.session_timeout, .by = by,
				  .media = 1 };
	struct media_conf mc;
	int armed = 0;

	hostmedia_conf(&srv.conf, &mc);
	return hostmedia_rescue(&srv.store, mac, &hc, &mc, (long long)time(NULL), &armed, err, errlen);
}

/* Each button's action (core/page.c draws them). */
static const struct {
	const char *name;
	int (*run)(const char *mac, const char *by, char *err, size_t errlen);
} page_actions[] = {
	{ "rescue-once", page_rescue_once },
	{ "normal", page_normal },
	{ "power-cycle", page_power_cycle },
	{ "rescue-reset", page_rescue_reset },
	{ "rescue-media", page_rescue_media },
};

static int page_act(const char *mac, const char *action, const char *by, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(page_actions) / sizeof(page_actions[0]); i++) {
		if (strcmp(action, page_actions[i].name) == 0) {
			return page_actions[i].run(mac, by, err, errlen);
		}
	}
	snprintf(err, errlen, "no such action");
	return -ENOENT;
}

enum MHD_Result handle_page_action(struct MHD_Connection *c, struct req *r, const char *rest)
{
	const char *sub = NULL;
	char mac[18], err[600], msg[800], by[64], to[64];
	int rc;

	/* a form needs the signed-in browser's token: a page elsewhere
	 * cannot read it (and SameSite=Strict keeps the cookie home too) */
	if (!login_csrf_ok(c, r->body)) {
		return http_text(c, r, 403, "the form's token is missing or wrong (CSRF check): reload the page");
	}
	if ((rc = control_host(rest, mac, &sub, err, sizeof(err))) < 0) {
		return control_not_resolved(c, r, rc, err);
	}
	req_who(r, by, sizeof(by));
	rc = page_act(mac, sub, by, err, sizeof(err));
	if (rc == -ENOENT && strcmp(err, "no such action") == 0) {
		return http_text(c, r, 404, "no such action");
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s: %s (back to the page to see the state)", mac, err);
		fprintf(stderr, "lifeboatd: %s\n", msg);
		return http_text(c, r, rc == -EHOSTUNREACH ? 504 : 502, msg);
	}
	fprintf(stderr, "lifeboatd: %s: %s from the page by %s\n", mac, sub, by);
	snprintf(to, sizeof(to), "/#%s", mac);
	return login_redirect(c, r, to, NULL);
}
