#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "http.h"
#include "inventory.h"
#include "log.h"
#include "report.h"
#include "ssh.h"
#include "state.h"

#ifndef LIFEBOAT_VERSION
#define LIFEBOAT_VERSION "unknown"
#endif

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define REQUEST_TIMEOUT_MS 10000u
#define AUTH_KEYS "/root/.ssh/authorized_keys"

static double uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_history(struct json *j)
{
	char buf[4096], *line = NULL, *save = NULL;

	state_read("history", buf, sizeof(buf));
	json_key(j, "history");
	json_array_begin(j);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp == NULL) {
			continue;
		}
		*sp = '\0';
		json_object_begin(j);
		json_kv_string(j, "phase", line);
		json_key(j, "uptime");
		json_double(j, strtod(sp + 1, NULL), 2);
		json_object_end(j);
	}
	json_array_end(j);
}

/* hostkeys: "type base64 fingerprint" per line */
static void write_ssh(struct json *j)
{
	char buf[4096], *line = NULL, *save = NULL, count[32];

	json_key(j, "ssh");
	json_object_begin(j);
	json_kv_int(j, "port", 22);
	state_read("authorized_keys", count, sizeof(count));
	json_kv_int(j, "authorized_keys", strtol(count, NULL, 10));
	state_read("hostkeys", buf, sizeof(buf));
	json_key(j, "host_keys");
	json_array_begin(j);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char type[64], key[1024], fp[128];

		if (sscanf(line, "%63s %1023s %127s", type, key, fp) != 3) {
			continue;
		}
		json_object_begin(j);
		json_kv_string(j, "type", type);
		json_kv_string(j, "key", key);
		json_kv_string(j, "fingerprint", fp);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void kv_state_line(struct json *j, const char *key, const char *name)
{
	char buf[1024];

	state_read(name, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	json_kv_string(j, key, buf[0] ? buf : NULL);
}

int report_build(struct json *j, const struct config *cfg, unsigned long seq, const char *phase)
{
	struct utsname u;
	char host[65] = "";

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	json_object_begin(j);
	json_kv_string(j, "format", LB_REPORT_FORMAT);
	json_kv_int(j, "version", REPORT_FORMAT_VERSION);
	json_kv_uint(j, "seq", seq);
	json_kv_string(j, "phase", phase);
	write_history(j);
	json_kv_string(j, "agent_version", LIFEBOAT_VERSION);
	json_kv_string(j, "kernel", u.release);
	json_kv_string(j, "hostname", host);
	json_key(j, "uptime");
	json_double(j, uptime_s(), 2);
	kv_state_line(j, "boot_mac", "bootmac");
	inventory_interfaces(j);
	write_ssh(j);
	inventory_write(j);
	kv_state_line(j, "error", "error");
	json_object_end(j);
	return j->failed;
}

/* ---- keys from the server --------------------------------------------- */

/* Keeps the valid key lines of what lifeboat.keys= answered in the state
 * directory and asks PID 1 (SIGHUP), the only writer of authorized_keys,
 * to install them. Returns how many were new. */
static int install_fetched_keys(const char *body)
{
	static char old[HTTP_MAX_BODY], copy[HTTP_MAX_BODY + 1], keep[HTTP_MAX_BODY + 1];
	char err[256], *line = NULL, *save = NULL;
	FILE *in = fopen(AUTH_KEYS, "re");
	size_t n = 0, used = 0;
	int added = 0, bad = 0, total = 0, rc;

	old[0] = '\0';
	keep[0] = '\0';
	if (in != NULL) {
		n = fread(old, 1, sizeof(old) - 1, in);
		old[n] = '\0';
		fclose(in);
	}
	snprintf(copy, sizeof(copy), "%s", body);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[0] == '#') {
			continue;
		}
		if (config_check_sshkey(line, err, sizeof(err)) < 0) {
			bad++;
			continue;
		}
		if (strstr(old, line) == NULL) {
			added++;
		}
		if (used + strlen(line) + 2 < sizeof(keep)) {
			used += (size_t)snprintf(keep + used, sizeof(keep) - used, "%s\n", line);
		}
		total++;
	}
	rc = state_write(SSH_FETCHED_KEYS, keep);
	if (rc < 0) {
		return rc;
	}
	if (kill(1, SIGHUP) < 0) {
		return -errno;
	}
	if (bad > 0) {
		lb_log("ignored %d malformed key line%s from lifeboat.keys", bad, bad == 1 ? "" : "s");
	}
	lb_log("%d SSH key%s from lifeboat.keys (%d new)", total, total == 1 ? "" : "s", added);
	return added;
}

static int fetch_keys(const struct config *cfg, char *err, size_t errlen)
{
	static struct http_response resp;
	struct url u;
	int rc = url_parse(cfg->keys_url, &u, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = http_request("GET", &u, NULL, cfg->token[0] ? cfg->token : NULL, NULL, NULL, 0, REQUEST_TIMEOUT_MS,
			  &resp, err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (resp.status != 200) {
		lb_err(err, errlen, "%s answered %d", cfg->keys_url, resp.status);
		return -EPROTO;
	}
	rc = install_fetched_keys(resp.body);
	if (rc < 0) {
		lb_err(err, errlen, "cannot hand the fetched keys to init: %s", strerror(-rc));
	}
	return rc < 0 ? rc : 0;
}

/* ---- the loop -------------------------------------------------------------- */

struct retry {
	unsigned int delay_ms;
	long long next_ms;
	unsigned int failures;
	const char *what;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned int jitter(unsigned int ms)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		r = (unsigned int)mono_ms() * 2654435761u;
	}
	return ms / 2 + r % (ms / 2 + 1);
}

static void retry_failed(struct retry *r, const char *why)
{
	unsigned int wait = jitter(r->delay_ms);

	/* say it once, then again only every 10th time: no console spam */
	if (r->failures % 10 == 0) {
		lb_log("cannot %s: %s; retrying in %.1f s (attempt %u)", r->what, why, wait / 1000.0, r->failures + 1);
	}
	r->failures++;
	r->next_ms = mono_ms() + wait;
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
}

static long installed_keys(void)
{
	char count[32];

	state_read("authorized_keys", count, sizeof(count));
	return strtol(count, NULL, 10);
}

static int send_report(const struct config *cfg, const struct url *u, const char *path, unsigned long seq,
		       const char *phase, char *err, size_t errlen)
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
	rc = http_request("POST", u, path, cfg->token[0] ? cfg->token : NULL, "application/json", body, len,
			  REQUEST_TIMEOUT_MS, &resp, err, errlen);
	json_free(&j);
	if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		lb_err(err, errlen, "the server answered %d", resp.status);
		rc = -EPROTO;
	}
	return rc;
}

static void ignore_report(const char *msg)
{
	(void)msg;
}

int report_main(void)
{
	static char text[4096];
	struct cmdline cl = { 0 };
	struct config cfg;
	struct url u;
	struct retry rep = { .delay_ms = BACKOFF_MIN_MS, .what = "send status report" };
	struct retry keys = { .delay_ms = BACKOFF_MIN_MS, .what = "fetch lifeboat.keys" };
	char path[1100], err[512], phase[64] = "", sent[64] = "";
	int keys_pending, keys_wanted, have_server;
	long long next_heartbeat = 0;
	unsigned long seq = 0;
	sigset_t wake;
	FILE *f = fopen("/proc/cmdline", "re");

	if (f != NULL) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);

		text[n] = '\0';
		text[strcspn(text, "\n")] = '\0';
		fclose(f);
	}
	cmdline_parse(text, &cl, NULL, 0);
	config_from_cmdline(&cl, &cfg, ignore_report);
	have_server = cfg.server[0] != '\0' && url_parse(cfg.server, &u, NULL, 0) == 0;
	keys_pending = keys_wanted = cfg.keys_url[0] != '\0';
	if (have_server) {
		size_t l = strlen(u.path);

		while (l > 0 && u.path[l - 1] == '/') {
			u.path[--l] = '\0';
		}
		snprintf(path, sizeof(path), "%s" LB_PATH_STATUS, u.path);
	}
	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR1);
	sigprocmask(SIG_BLOCK, &wake, NULL);
	for (;;) {
		long long now = mono_ms(), wait_ms = 1000;
		struct timespec ts;

		if (keys_pending && now >= keys.next_ms) {
			if (fetch_keys(&cfg, err, sizeof(err)) == 0) {
				keys_pending = 0;
				retry_ok(&keys);
			} else {
				retry_failed(&keys, err);
			}
		}
		state_read("phase", phase, sizeof(phase));
		phase[strcspn(phase, "\n")] = '\0';
		/* ssh-ready means someone can log in: not before the keys are here */
		if (keys_wanted && strcmp(phase, "ssh-ready") == 0 && installed_keys() == 0) {
			snprintf(phase, sizeof(phase), "%s", sent[0] ? sent : "network-up");
		}
		if (have_server && now >= rep.next_ms && (strcmp(phase, sent) != 0 || now >= next_heartbeat)) {
			if (send_report(&cfg, &u, path, ++seq, phase, err, sizeof(err)) == 0) {
				retry_ok(&rep);
				snprintf(sent, sizeof(sent), "%s", phase);
				state_write("reported", phase);
				next_heartbeat = mono_ms() + (long long)cfg.heartbeat * 1000;
			} else {
				retry_failed(&rep, err);
			}
		}
		if (!have_server && !keys_pending) {
			pause(); /* nothing left to do; PID 1 may kill us */
		}
		now = mono_ms();
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
