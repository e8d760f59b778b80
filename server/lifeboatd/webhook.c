/* Webhooks: the events of the hosts' logs that webhook_events names, and
 * "expired" for a session whose time ran out, POSTed to webhook_url,
 * signed (core/webhook.h), in order, from a bounded queue by one thread
 * of their own.
 *
 * An event is queued when its transaction commits (store_on_event: under
 * the store's lock, so queueing only copies it); nothing that answers a
 * boot or a report waits for a POST. A receiver that fails or does not
 * answer (each POST bounded by WEBHOOK_TIMEOUT_MS) gets the same event
 * again after 1, 2, 4 ... 60 s; meanwhile new events queue behind it.
 * When webhook_queue events wait, the oldest is dropped (said in the log
 * and counted). Delivery is at least once: a receiver drops duplicates
 * by "id" (several lifeboatd each say "expired"). */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/conf.h"
#include "core/metrics.h"
#include "core/session.h"
#include "core/webhook.h"
#include "lifeboatd/server.h"
#include "lifeboatd/webhook.h"

#define WEBHOOK_TIMEOUT_MS 10000
#define WEBHOOK_BACKOFF_MAX_S 60
#define WEBHOOK_SCAN_S 5
#define WEBHOOK_SECRET_MAX 1024
#define WEBHOOK_BODY_MAX 2048

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct webhook_event *q;  /* a ring of cap */
	size_t head, n, cap;
	unsigned long long seq;
	unsigned char secret[WEBHOOK_SECRET_MAX];
	size_t secret_len;
	long long started;
	int stop, running;
} wh = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the queue ---------------------------------------------------------------------- */

/* id: the event's own (the same from every lifeboatd), or NULL: one of
 * this lifeboatd's */
static void enqueue(const char *id, const char *event, const char *kind, const char *mac, long long time,
		    const char *text)
{
	struct webhook_event *e = NULL;

	pthread_mutex_lock(&wh.lock);
	if (wh.n == wh.cap) {
		fprintf(stderr, "lifeboatd: %s: webhook: dropped the event %s: %zu events wait already\n",
			wh.q[wh.head].mac, wh.q[wh.head].event, wh.cap);
		wh.head = (wh.head + 1) % wh.cap;
		wh.n--;
		metric_webhook(MW_DROPPED);
	}
	e = &wh.q[(wh.head + wh.n) % wh.cap];
	if (id != NULL) {
		snprintf(e->id, sizeof(e->id), "%s", id);
	} else {
		snprintf(e->id, sizeof(e->id), "%lld-%d-%llu", wh.started, (int)getpid(), ++wh.seq);
	}
	snprintf(e->event, sizeof(e->event), "%s", event);
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->mac, sizeof(e->mac), "%s", mac);
	e->time = time;
	snprintf(e->text, sizeof(e->text), "%s", text);
	wh.n++;
	metric_webhook_queue(wh.n);
	pthread_cond_signal(&wh.wake);
	pthread_mutex_unlock(&wh.lock);
}

/* store_on_event: under the store's lock, at the commit */
static void on_event(const char *mac, long long time, const char *kind, const char *text, void *ctx)
{
	char name[32];

	(void)ctx;
	webhook_event_name(kind, text, name, sizeof(name));
	if (webhook_wanted(srv.conf.webhook_events, name)) {
		enqueue(NULL, name, kind, mac, time, text);
	}
}

/* ---- sessions that ran out --------------------------------------------------------- */

struct scan {
	long long since, now;
};

static void expired_host(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	const struct scan *x = ctx;
	struct session s;
	char text[160], id[64];

	(void)sk;
	if (h == NULL) {
		return;
	}
	session_read(h, &s);
	if ((s.state == SS_ARMED || s.state == SS_ACTIVE || s.state == SS_CONFLICT) && s.expires > x->since &&
	    s.expires <= x->now) {
		snprintf(text, sizeof(text), "session %lld expired (armed for %llds)", s.id, s.expires - s.armed);
		/* every lifeboatd says it: one id for a receiver's dedup */
		snprintf(id, sizeof(id), "expired-%s-%lld", mac, s.id);
		enqueue(id, "expired", "session", mac, s.expires, text);
	}
}

/* ---- sending ----------------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* One POST: 0 on a 2xx, else -errno with err. */
static int post(const struct webhook_event *e, char *err, size_t errlen)
{
	char body[WEBHOOK_BODY_MAX], sig[WEBHOOK_SIG_LEN + 1], line[160];
	struct curl_slist *h = NULL;
	CURL *c = NULL;
	long status = 0, now = (long)time(NULL);
	CURLcode cc;
	int len = webhook_body(e, srv.conf.public_url, body, sizeof(body));

	if (len < 0) {
		snprintf(err, errlen, "the event is longer than %d bytes", WEBHOOK_BODY_MAX);
		return -ENOSPC;
	}
	webhook_sign(wh.secret, wh.secret_len, now, body, (size_t)len, sig);
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -ENOMEM;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Lifeboat-Event: %s", e->event);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Lifeboat-Timestamp: %ld", now);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Lifeboat-Signature: %s", sig);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, srv.conf.webhook_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
		return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "the receiver answered %ld", status);
		return -EIO;
	}
	return 0;
}

/* Waits until stop, an event, or ms have passed (under wh.lock; the
 * condition variable's clock is the wall clock: a jump only shortens or
 * lengthens one wait). */
static void nap(unsigned int ms)
{
	struct timespec until;

	lb_wall_after(&until, ms);
	pthread_cond_timedwait(&wh.wake, &wh.lock, &until);
}

static void *send_loop(void *arg)
{
	struct webhook_event e;
	struct scan x = { .since = wh.started };
	unsigned int backoff = 0;
	uint64_t next_scan = lb_mono_ms() + WEBHOOK_SCAN_S * 1000;
	char err[300], shown[300];
	int rc;

	(void)arg;
	url_host(srv.conf.webhook_url, shown, sizeof(shown)); /* its path may be its secret */
	pthread_mutex_lock(&wh.lock);
	while (!wh.stop) {
		if (lb_mono_ms() >= next_scan && !webhook_wanted(srv.conf.webhook_events, "expired")) {
			next_scan = UINT64_MAX; /* nothing to look for */
		}
		if (lb_mono_ms() >= next_scan) {
			pthread_mutex_unlock(&wh.lock);
			x.now = (long long)time(NULL);
			store_each(&srv.store, expired_host, &x);
			x.since = x.now;
			next_scan = lb_mono_ms() + WEBHOOK_SCAN_S * 1000;
			pthread_mutex_lock(&wh.lock);
			continue;
		}
		if (wh.n == 0) {
			nap(WEBHOOK_SCAN_S * 1000);
			continue;
		}
		e = wh.q[wh.head]; /* stays queued until it is delivered */
		pthread_mutex_unlock(&wh.lock);
		rc = post(&e, err, sizeof(err));
		if (rc == -ENOSPC) {
			/* it never fits: it goes, or nothing after it would */
			fprintf(stderr, "lifeboatd: %s: webhook: dropped the event %s: %s\n", e.mac, e.event, err);
			pthread_mutex_lock(&wh.lock);
			if (wh.n > 0 && strcmp(wh.q[wh.head].id, e.id) == 0) {
				wh.head = (wh.head + 1) % wh.cap;
				wh.n--;
			}
			metric_webhook(MW_DROPPED);
			continue;
		}
		if (rc == 0) {
			pthread_mutex_lock(&wh.lock);
			/* the head may have been dropped meanwhile: only ours goes */
			if (wh.n > 0 && strcmp(wh.q[wh.head].id, e.id) == 0) {
				wh.head = (wh.head + 1) % wh.cap;
				wh.n--;
			}
			metric_webhook(MW_DELIVERED);
			metric_webhook_queue(wh.n);
			backoff = 0;
			continue;
		}
		metric_webhook(MW_FAILED);
		backoff = backoff == 0 ? 1 : backoff * 2 > WEBHOOK_BACKOFF_MAX_S ? WEBHOOK_BACKOFF_MAX_S : backoff * 2;
		fprintf(stderr, "lifeboatd: %s: webhook: cannot POST the event %s to %s: %s (again in %u s)\n", e.mac,
			e.event, shown, err, backoff);
		pthread_mutex_lock(&wh.lock);
		if (!wh.stop) {
			struct timespec until;

			lb_wall_after(&until, backoff * 1000u);
			/* only stop ends the pause: a new event waits behind this one */
			while (!wh.stop && pthread_cond_timedwait(&wh.wake, &wh.lock, &until) != ETIMEDOUT) {
			}
		}
	}
	pthread_mutex_unlock(&wh.lock);
	return NULL;
}

/* ---- start and stop ----------------------------------------------------------------- */

static int read_secret(char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = open(srv.conf.webhook_secret_file, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read webhook_secret_file %s: %s", srv.conf.webhook_secret_file, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read webhook_secret_file %s: %s", srv.conf.webhook_secret_file, strerror(errno));
		close(fd);
		return rc;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "cannot use webhook_secret_file %s: readable by others (chmod 600 it)",
			 srv.conf.webhook_secret_file);
		close(fd);
		return -EPERM;
	}
	n = read(fd, wh.secret, sizeof(wh.secret));
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read webhook_secret_file %s: %s", srv.conf.webhook_secret_file, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	while (n > 0 && (wh.secret[n - 1] == '\n' || wh.secret[n - 1] == '\r')) {
		n--;
	}
	if (n < 16 || (size_t)n >= sizeof(wh.secret)) {
		snprintf(err, errlen, "cannot use webhook_secret_file %s: the secret must be 16 to %d bytes",
			 srv.conf.webhook_secret_file, WEBHOOK_SECRET_MAX - 1);
		return -EINVAL;
	}
	wh.secret_len = (size_t)n;
	return 0;
}

int webhook_start(char *err, size_t errlen)
{
	int rc;

	if (srv.conf.webhook_url[0] == '\0') {
		return 0;
	}
	rc = read_secret(err, errlen);
	if (rc < 0) {
		return rc;
	}
	wh.cap = srv.conf.webhook_queue;
	wh.q = calloc(wh.cap, sizeof(*wh.q));
	if (wh.q == NULL) {
		snprintf(err, errlen, "cannot make the webhook queue of %zu events: out of memory", wh.cap);
		return -ENOMEM;
	}
	wh.started = (long long)time(NULL);
	pthread_cond_init(&wh.wake, NULL);
	store_on_event(&srv.store, on_event, NULL);
	rc = pthread_create(&wh.thread, NULL, send_loop, NULL);
	if (rc != 0) {
		store_on_event(&srv.store, NULL, NULL);
		free(wh.q);
		wh.q = NULL;
		snprintf(err, errlen, "cannot start the webhook thread: %s", strerror(rc));
		return -rc;
	}
	wh.running = 1;
	return 0;
}

void webhook_stop(void)
{
	if (!wh.running) {
		return;
	}
	pthread_mutex_lock(&wh.lock);
	wh.stop = 1;
	pthread_cond_signal(&wh.wake);
	pthread_mutex_unlock(&wh.lock);
	pthread_join(wh.thread, NULL);
	store_on_event(&srv.store, NULL, NULL);
	if (wh.n > 0) {
		fprintf(stderr, "lifeboatd: webhook: stopping with %zu events not sent\n", wh.n);
	}
	explicit_bzero(wh.secret, sizeof(wh.secret));
	wh.running = 0;
}
