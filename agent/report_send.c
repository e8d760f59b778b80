#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "fetchkeys.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "logship.h"
#include "netconsole.h"
#include "phase.h"
#include "report_build.h"
#include "state.h"
#include "tls.h"
#include "clock.h"

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define REQUEST_TIMEOUT_MS 10000u

struct retry {
	unsigned int delay_ms;
	long long next_ms;
	unsigned int failures;
	const char *what;
	char last[600]; /* the last failure, until a success */
};

/* What keeps the reporter from doing its job, for `lifeboat status` over
 * SSH (the console is not always at hand): the state file "reporter",
 * one line per trouble, rewritten when it changes. */
static char refused[1400];
static struct retry *retries[4];

static void publish_trouble(void)
{
	static char text[2600], shown[2600];
	size_t i, used;

	used = (size_t)snprintf(text, sizeof(text), "%s", refused);
	for (i = 0; i < sizeof(retries) / sizeof(retries[0]); i++) {
		if (retries[i] != NULL && retries[i]->last[0] != '\0' && used < sizeof(text)) {
			used += (size_t)snprintf(text + used, sizeof(text) - used, "cannot %s: %s\n", retries[i]->what,
						 retries[i]->last);
		}
	}
	if (strcmp(text, shown) != 0 && state_write("reporter", text) == 0) {
		snprintf(shown, sizeof(shown), "%s", text);
	}
}

static unsigned int jitter(unsigned int ms)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		r = (unsigned int)((long long)lb_mono_ms()) * 2654435761u;
	}
	return ms / 2 + r % (ms / 2 + 1);
}

static void retry_failed(struct retry *r, const char *why)
{
	unsigned int wait = jitter(r->delay_ms);

	/* say it once, then again only every 10th time or when the reason
	 * changes: no console spam, and nothing new goes unsaid */
	if (r->failures % 10 == 0 || strcmp(why, r->last) != 0) {
		lb_log("cannot %s: %s; retrying in %.1f s (attempt %u)", r->what, why, wait / 1000.0, r->failures + 1);
	}
	r->failures++;
	snprintf(r->last, sizeof(r->last), "%s", why);
	publish_trouble();
	r->next_ms = ((long long)lb_mono_ms()) + wait;
	r->delay_ms = r->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->delay_ms * 2;
}

static void retry_ok(struct retry *r)
{
	if (r->failures > 0) {
		lb_log("%s: succeeded after %u failed attempt%s", r->what, r->failures, r->failures == 1 ? "" : "s");
	}
	r->failures = 0;
	r->delay_ms = BACKOFF_MIN_MS;
	r->next_ms = 0;
	r->last[0] = '\0';
	publish_trouble();
}

static long installed_keys(void)
{
	char count[32];

	state_read("authorized_keys", count, sizeof(count));
	return strtol(count, NULL, 10);
}

static int send_report(const struct config *cfg, const struct url *u, const struct tls_trust *trust,
		       const char *path, unsigned long seq, const char *phase, char *err, size_t errlen)
{
	static struct http_response resp;
	struct json j;
	const char *body = NULL;
	size_t len = 0;
	int rc;

	json_init(&j);
	report_build(&j, cfg, seq, phase);
	rc = json_result(&j, &body, &len);
	if (rc < 0) {
		lb_err(err, errlen, "cannot encode the report");
		json_free(&j);
		return rc;
	}
	rc = http_request("POST", u, trust, path, cfg->token[0] ? cfg->token : NULL, "application/json", body, len,
			  REQUEST_TIMEOUT_MS, &resp, err, errlen);
	json_free(&j);
	if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		lb_err(err, errlen, "the server answered %d", resp.status);
		rc = -EPROTO;
	}
	return rc;
}

/* A batch of the logs, or the bundle (kind), as text/plain. */
/* 0 sent; -EPROTO with *refused set: the server will never take it
 * (4xx but 409 and 429: left out, not tried again); -errno: try again. */
static int send_logs(const struct config *cfg, const struct url *u, const struct tls_trust *trust, const char *path,
		     const char *kind, const char *body, size_t len, int *refused, char *err, size_t errlen)
{
	static struct http_response resp;
	char p[1200];
	int rc;

	*refused = 0;
	snprintf(p, sizeof(p), "%s?kind=%s", path, kind);
	rc = http_request("POST", u, trust, p, cfg->token[0] ? cfg->token : NULL, "text/plain; charset=utf-8", body, len,
			  REQUEST_TIMEOUT_MS, &resp, err, errlen);
	if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		lb_err(err, errlen, "the server answered %d", resp.status);
		/* 409 (no report yet) and 429 (too many) pass: tried again */
		*refused = resp.status >= 400 && resp.status < 500 && resp.status != 409 && resp.status != 429;
		rc = -EPROTO;
	}
	return rc;
}

/* Whether this URL may be spoken to; says why not on the console. */
static int url_usable(const struct config *cfg, const char *url, int have_ca, const char *what)
{
	char err[700];

	if (url[0] == '\0') {
		return 0;
	}
	if (config_url_allowed(cfg, url, have_ca, err, sizeof(err)) < 0) {
		size_t used = strlen(refused);

		lb_log("cannot %s: %s", what, err);
		snprintf(refused + used, sizeof(refused) - used, "cannot %s: %s\n", what, err);
		return 0;
	}
	return 1;
}

int report_main(void)
{
	static struct tls_trust trust;
	struct cmdline cl = { 0 };
	struct config cfg;
	struct url u;
	struct retry rep = { .delay_ms = BACKOFF_MIN_MS, .what = "send status report" };
	struct retry keys = { .delay_ms = BACKOFF_MIN_MS, .what = "fetch lifeboat.keys" };
	struct retry logr = { .delay_ms = BACKOFF_MIN_MS, .what = "send the logs" };
	struct retry bunr = { .delay_ms = BACKOFF_MIN_MS, .what = "send the diagnostic bundle" };
	static struct logship logs;
	static char bundle[LB_LOGS_MAX_BYTES];
	size_t bundle_len = 0;
	int bundle_state = 0, no = 0; /* 0: none yet, 1: made and waiting to go, 2: sent */
	int netconsole_done = 0;
	char path[1100], logs_path[1100], err[512], phase[64] = "", sent[64] = "";
	int keys_pending, keys_wanted, have_server, have_ca = 0;
	long long next_heartbeat = 0;
	unsigned long seq = 0;
	sigset_t wake;

	config_read_quietly(&cl, &cfg);
	lb_log_to_kmsg(0);
	http_pin_sources(STATE_DIR, cfg.bound);
	if (tls_trust_load(&trust, cfg.have_tlspin ? cfg.tlspin : NULL, LB_PATH_AGENT_CA, &have_ca, err,
			   sizeof(err)) < 0) {
		/* a CA that was meant to be there but cannot be used: talking
		 * without it would be the fallback we never do */
		lb_log("cannot use " LB_PATH_AGENT_CA ": %s; no status reports, no lifeboat.keys (SSH takes the keys "
		       "from the command line and the image)", err);
		snprintf(refused, sizeof(refused), "cannot use " LB_PATH_AGENT_CA ": %s\n", err);
		cfg.server[0] = '\0';
		cfg.keys_url[0] = '\0';
	}
	have_server = url_usable(&cfg, cfg.server, have_ca, "send status reports") &&
		      url_parse(cfg.server, &u, NULL, 0) == 0;
	keys_pending = keys_wanted = url_usable(&cfg, cfg.keys_url, have_ca, "fetch lifeboat.keys");
	retries[0] = &rep;
	retries[1] = &keys;
	retries[2] = &logr;
	retries[3] = &bunr;
	logship_open(&logs);
	publish_trouble();
	if (have_server) {
		size_t l = strlen(u.path);

		while (l > 0 && u.path[l - 1] == '/') {
			u.path[--l] = '\0';
		}
		snprintf(path, sizeof(path), "%s" LB_PATH_REPORT, u.path);
		snprintf(logs_path, sizeof(logs_path), "%s" LB_PATH_LOGS, u.path);
	}
	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR1);
	sigprocmask(SIG_BLOCK, &wake, NULL);
	for (;;) {
		long long now = ((long long)lb_mono_ms()), wait_ms = 1000;
		struct timespec ts;

		if (keys_pending && now >= keys.next_ms) {
			if (fetch_keys(&cfg, &trust, REQUEST_TIMEOUT_MS, err, sizeof(err)) == 0) {
				keys_pending = 0;
				retry_ok(&keys);
			} else {
				retry_failed(&keys, err);
			}
		}
		state_read("phase", phase, sizeof(phase));
		phase[strcspn(phase, "\n")] = '\0';
		/* ssh-ready (and the toolbox's phases after it) means someone can
		 * log in: not before the keys are here */
		if (keys_wanted && lb_phase_ssh_up(phase) && installed_keys() == 0) {
			snprintf(phase, sizeof(phase), "%s", sent[0] ? sent : "network-up");
		}
		if (have_server && now >= rep.next_ms && (strcmp(phase, sent) != 0 || now >= next_heartbeat)) {
			if (send_report(&cfg, &u, &trust, path, ++seq, phase, err, sizeof(err)) == 0) {
				retry_ok(&rep);
				snprintf(sent, sizeof(sent), "%s", phase);
				state_write("reported", phase);
				next_heartbeat = ((long long)lb_mono_ms()) + (long long)cfg.heartbeat * 1000;
			} else {
				retry_failed(&rep, err);
			}
		}
		/* the kernel's console to lifeboatd too, once it is reachable */
		if (have_server && sent[0] != '\0' && cfg.netconsole != 0 && !netconsole_done) {
			netconsole_done = 1;
			if (netconsole_setup(&u, cfg.netconsole, err, sizeof(err)) < 0) {
				lb_log("cannot send the kernel's console lines to %s: %s", u.host, err);
			}
		}
		/* the logs once the server has the session's first report */
		if (have_server && sent[0] != '\0') {
			logship_read(&logs);
			if (logship_due(&logs, (long long)lb_mono_ms()) && (long long)lb_mono_ms() >= logr.next_ms) {
				if (send_logs(&cfg, &u, &trust, logs_path, "kmsg", logs.buf, logs.len, &no, err, sizeof(err)) == 0) {
					logship_sent(&logs);
					retry_ok(&logr);
				} else if (no) {
					lb_log("cannot send the logs: %s; %zu bytes of them left out", err, logs.len);
					logship_sent(&logs);
				} else {
					retry_failed(&logr, err);
				}
			}
			if (bundle_state == 0 && (strcmp(phase, LB_PHASE_TOOLS_FAILED) == 0 || strcmp(phase, "error") == 0)) {
				bundle_len = logship_bundle(bundle, sizeof(bundle));
				bundle_state = 1;
				lb_log("%s: sending a diagnostic bundle (%zu bytes) to %s", phase, bundle_len, cfg.server);
			}
			if (bundle_state == 1 && (long long)lb_mono_ms() >= bunr.next_ms) {
				if (send_logs(&cfg, &u, &trust, logs_path, "bundle", bundle, bundle_len, &no, err, sizeof(err)) == 0) {
					bundle_state = 2;
					retry_ok(&bunr);
				} else if (no) {
					lb_log("cannot send the diagnostic bundle: %s; left out", err);
					bundle_state = 2;
				} else {
					retry_failed(&bunr, err);
				}
			}
		}
		if (!have_server && !keys_pending) {
			pause(); /* nothing left to do; PID 1 may kill us */
		}
		now = ((long long)lb_mono_ms());
		if (have_server) {
			long long next = rep.next_ms > now ? rep.next_ms : next_heartbeat;

			wait_ms = next > now ? next - now : 0;
		}
		if (keys_pending && keys.next_ms - now < wait_ms) {
			wait_ms = keys.next_ms > now ? keys.next_ms - now : 0;
		}
		if (wait_ms > 1000) {
			wait_ms = 1000; /* re-read the phase at least every second */
		}
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000L;
		sigtimedwait(&wake, NULL, &ts);
	}
}
