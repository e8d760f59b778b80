/* A host's serial console in the control API (consoleapi.h): the log,
 * the live stream, and what an admin types.
 *
 * The live stream follows the store, not the capturing thread: with
 * several lifeboatd on one database, the one that answers need not be the
 * one that captures (console.c's lease). A thread of its own reads each
 * stream's new lines every LIVE_POLL_MS and hands them to libmicrohttpd,
 * which parks a stream with nothing to send (MHD_suspend_connection): a
 * stream holds no HTTP thread. A heartbeat every LIVE_HEARTBEAT_MS ends a
 * stream whose reader went away, and the credential it was opened with is
 * checked again as often (a revoked admin token or login ends it);
 * LIVE_MAX streams at most; a reader that does not keep up loses what
 * comes beyond LIVE_PENDING_MAX, and is told. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "core/ansi.h"
#include "core/json.h"
#include "core/sse.h"
#include "lifeboatd/console.h"
#include "lifeboatd/consoleapi.h"
#include "lifeboatd/login.h"
#include "lifeboatd/reqargs.h"
#include "lifeboatd/server.h"
#include "store/console.h"

#define LIVE_MAX 32
#define LIVE_TAIL 20               /* lines a new stream starts with */
#define LIVE_POLL_MS 500
#define LIVE_HEARTBEAT_MS 15000
#define LIVE_PENDING_MAX (256 * 1024) /* bytes waiting for a slow reader */

/* ---- the log -------------------------------------------------------------------- */

/* ?since=S (the last S seconds; none: all kept) &raw=1 (as it came, for a
 * terminal: no times, control sequences kept) */
enum MHD_Result console_log(struct MHD_Connection *c, struct req *r, const char *mac)
{
	const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "raw");
	long long seconds = 0;
	enum MHD_Result ret;
	char *text = NULL, *shown = NULL;
	size_t len = 0;
	int rc, as_is = raw != NULL && strcmp(raw, "1") == 0;

	if (req_since(c, &seconds) < 0) {
		return http_text(c, r, 400, "cannot use since: not a number of seconds from 1 to 31622400");
	}
	if (store_exists(&srv.store, mac) != 1) {
		return http_text(c, r, 404, "no such host");
	}
	text = console_read(&srv.store, mac, seconds ? ((long long)time(NULL) - seconds) * 1000 : 0, !as_is, 0, &len, &rc);
	if (text == NULL) {
		return http_text(c, r, 503, "cannot read the console: the database is not available");
	}
	if (!as_is) {
		shown = malloc(len + 1);
		if (shown == NULL) {
			free(text);
			return http_text(c, r, 500, "cannot show the console: out of memory");
		}
		len = console_text(text, len, shown, len + 1);
		free(text);
		text = shown;
	}
	ret = http_respond(c, r, 200, as_is ? "application/octet-stream" : "text/plain; charset=utf-8", text, len);
	free(text);
	return ret;
}

/* ---- live streams ------------------------------------------------------------------ */

struct live {
	struct live *next;
	struct MHD_Connection *c;
	char mac[18];
	int raw;
	long long last_id;         /* the last line sent; -1: none yet (the tail first) */
	char *pending;             /* events not yet taken by libmicrohttpd */
	size_t len, off;
	int suspended, ended, gone;
	int over;                  /* what came was dropped: the reader is too slow */
	uint64_t sent_ms;          /* when pending was last filled */
	char cred[ADMIN_CREDENTIAL_MAX]; /* checked again every LIVE_HEARTBEAT_MS */
	uint64_t checked_ms;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct live *streams;
	unsigned int n;
	int stop, running;
} lv = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* libmicrohttpd asks for the next bytes (in one of its threads). */
static ssize_t live_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct live *s = cls;
	size_t n = 0;

	(void)pos;
	pthread_mutex_lock(&lv.lock);
	if (s->len > s->off) {
		n = s->len - s->off < max ? s->len - s->off : max;
		memcpy(buf, s->pending + s->off, n);
		s->off += n;
		if (s->off == s->len) {
			s->off = s->len = 0;
		}
		pthread_mutex_unlock(&lv.lock);
		return (ssize_t)n;
	}
	if (s->ended) {
		pthread_mutex_unlock(&lv.lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	/* nothing now: parked until the feeder has some (microhttpd.h: the
	 * one safe place to suspend is this callback) */
	s->suspended = 1;
	MHD_suspend_connection(s->c);
	pthread_mutex_unlock(&lv.lock);
	return 0;
}

/* The response is done with (the reader left, or the stream ended). */
static void live_free(void *cls)
{
	struct live *s = cls;

	pthread_mutex_lock(&lv.lock);
	s->gone = 1; /* freed by the feeder, which may be using it */
	pthread_cond_signal(&lv.wake);
	pthread_mutex_unlock(&lv.lock);
}

/* Under lv.lock: bytes for the reader. */
static void append(struct live *s, const char *p, size_t n)
{
	char *grown = NULL;

	if (s->off > 0) {
		memmove(s->pending, s->pending + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	grown = realloc(s->pending, s->len + n);
	if (grown == NULL) {
		return;
	}
	s->pending = grown;
	memcpy(s->pending + s->len, p, n);
	s->len += n;
}

/* Under lv.lock: what is new for the reader; when more than
 * LIVE_PENDING_MAX waits, the new is dropped (what waits, maybe half
 * sent, stays whole) and the reader told once. */
static void pend(struct live *s, const char *p, size_t n)
{
	char note[160];

	if (s->len - s->off + n > LIVE_PENDING_MAX) {
		if (!s->over) {
			s->over = 1;
			append(s, note,
			       sse_event(note, sizeof(note), -1, "lifeboatd: (lines left out: this reader did not keep up)"));
		}
		return;
	}
	if (s->len - s->off < LIVE_PENDING_MAX / 2) {
		s->over = 0;
	}
	append(s, p, n);
	s->sent_ms = lb_mono_ms();
}

struct batch {
	int raw;
	long long last_id;
	char *p;
	size_t len, cap;
};

static int add_row(long long id, long long time_ms, const char *text, void *ctx)
{
	struct batch *b = ctx;
	char shown[SSE_DATA_MAX], event[SSE_DATA_MAX + 64];
	size_t n;

	(void)time_ms;
	if (b->raw) {
		snprintf(shown, sizeof(shown), "%s", text);
	} else {
		ansi_strip(text, strlen(text), shown, sizeof(shown));
	}
	n = sse_event(event, sizeof(event), id, shown);
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		char *grown = realloc(b->p, cap);

		if (grown == NULL) {
			return -ENOMEM;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, event, n);
	b->len += n;
	b->last_id = id;
	return 0;
}

/* One stream's new lines: read outside the lock (only this thread frees
 * a stream), handed over under it. 1 when it is to be resumed. */
static int feed_one(struct live *s, uint64_t now)
{
	struct batch b = { .raw = s->raw, .last_id = s->last_id, .p = NULL };
	int stopping = __atomic_load_n(&lv.stop, __ATOMIC_ACQUIRE), revoked = 0, resume = 0, rc = 0;
	char note[160];

	if (!stopping) {
		rc = console_rows(&srv.store, s->mac, s->last_id, LIVE_TAIL, add_row, &b);
	}
	if (!stopping && now - s->checked_ms >= LIVE_HEARTBEAT_MS) {
		revoked = admin_recheck(s->cred) == -ENOENT; /* a database error: the next time */
		s->checked_ms = now;
	}
	pthread_mutex_lock(&lv.lock);
	if (b.len > 0) {
		pend(s, b.p, b.len);
	} else if (s->last_id < 0 || now - s->sent_ms >= LIVE_HEARTBEAT_MS || stopping) {
		/* the first answer, a heartbeat (a reader gone is noticed when
		 * it fails), or the last */
		pend(s, SSE_HEARTBEAT, strlen(SSE_HEARTBEAT));
	}
	if (revoked) {
		pend(s, note, sse_event(note, sizeof(note), -1, "lifeboatd: (the admin token or login was revoked: the end)"));
	}
	if (stopping || revoked) {
		s->ended = 1;
	}
	if (b.last_id > s->last_id) {
		s->last_id = b.last_id;
	} else if (rc >= 0 && s->last_id < 0) {
		s->last_id = 0; /* no line yet: every line is new */
	} /* else a database error: again at the next poll */
	if (s->suspended && (s->len > s->off || s->ended)) {
		s->suspended = 0;
		resume = 1;
	}
	pthread_mutex_unlock(&lv.lock);
	free(b.p);
	return resume;
}

/* Under lv.lock: streams whose response is done, freed. */
static void reap(void)
{
	struct live **pp = &lv.streams;

	while (*pp != NULL) {
		struct live *s = *pp;

		if (s->gone) {
			*pp = s->next;
			free(s->pending);
			explicit_bzero(s->cred, sizeof(s->cred));
			free(s);
			lv.n--;
		} else {
			pp = &s->next;
		}
	}
}

static void *feeder(void *arg)
{
	struct timespec until;
	int last = 0;

	(void)arg;
	pthread_mutex_lock(&lv.lock);
	while (!last) {
		struct live *s = NULL;
		uint64_t now = lb_mono_ms();

		last = lv.stop;
		reap();
		for (s = lv.streams; s != NULL; s = s->next) {
			int resume;

			if (s->gone) {
				continue;
			}
			pthread_mutex_unlock(&lv.lock);
			resume = feed_one(s, now);
			if (resume) {
				MHD_resume_connection(s->c);
			}
			pthread_mutex_lock(&lv.lock);
		}
		if (!last) {
			lb_wall_after(&until, LIVE_POLL_MS);
			pthread_cond_timedwait(&lv.wake, &lv.lock, &until);
		}
	}
	pthread_mutex_unlock(&lv.lock);
	return NULL;
}

/* ?raw=1: control sequences kept (for a terminal) */
enum MHD_Result console_live(struct MHD_Connection *c, struct req *r, const char *mac)
{
	const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "raw");
	struct MHD_Response *resp = NULL;
	struct live *s = NULL;
	char msg[120];

	if (store_exists(&srv.store, mac) != 1) {
		return http_text(c, r, 404, "no such host");
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return http_text(c, r, 500, "cannot follow the console: out of memory");
	}
	s->c = c;
	admin_credential(c, s->cred);
	s->sent_ms = s->checked_ms = lb_mono_ms();
	s->raw = raw != NULL && strcmp(raw, "1") == 0;
	s->last_id = -1;
	snprintf(s->mac, sizeof(s->mac), "%s", mac);
	pthread_mutex_lock(&lv.lock);
	if (!lv.running || lv.stop || lv.n >= LIVE_MAX) {
		pthread_mutex_unlock(&lv.lock);
		explicit_bzero(s, sizeof(*s));
		free(s);
		snprintf(msg, sizeof(msg), "cannot follow the console: %s",
			 lv.n >= LIVE_MAX ? "too many live consoles are open (32)" : "lifeboatd is stopping");
		return http_text(c, r, 503, msg);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, live_read, s, live_free);
	if (resp == NULL) {
		pthread_mutex_unlock(&lv.lock);
		explicit_bzero(s, sizeof(*s));
		free(s);
		return http_text(c, r, 500, "cannot follow the console: out of memory");
	}
	s->next = lv.streams;
	lv.streams = s;
	lv.n++;
	pthread_cond_signal(&lv.wake); /* its tail at once */
	pthread_mutex_unlock(&lv.lock);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SSE_TYPE "; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* a proxy in front passes it on at once */
	return http_queue(c, r, 200, resp, 0);
}

int live_start(char *err, size_t errlen)
{
	int rc = pthread_create(&lv.thread, NULL, feeder, NULL);

	if (rc != 0) {
		snprintf(err, errlen, "cannot start the live consoles' thread: %s", strerror(rc));
		return -rc;
	}
	lv.running = 1;
	return 0;
}

void live_stop(void)
{
	unsigned int waited;

	if (!lv.running) {
		return;
	}
	pthread_mutex_lock(&lv.lock);
	__atomic_store_n(&lv.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&lv.wake);
	pthread_mutex_unlock(&lv.lock);
	pthread_join(lv.thread, NULL); /* its last round ended and resumed every stream */
	/* libmicrohttpd sends their ends; wait for it, briefly */
	for (waited = 0; waited < 40; waited++) {
		pthread_mutex_lock(&lv.lock);
		reap();
		if (lv.n == 0) {
			pthread_mutex_unlock(&lv.lock);
			break;
		}
		pthread_mutex_unlock(&lv.lock);
		usleep(50 * 1000);
	}
	lv.running = 0;
}

/* ---- typing ---------------------------------------------------------------------- */

const struct schema_field console_input_members[] = {
	{ "data", SK_STRING, SF_REQUIRED, 1, CONSOLE_INPUT_MAX, schema_keys, "UTF-8 keystrokes", NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

/* To the capture when this lifeboatd has it (nothing typed touches the
 * database then), else queued in the store for whichever lifeboatd
 * captures the console (it takes it within a quarter of a second);
 * admins only (the route's gate), and the host's event log says who
 * typed, and how much. */
enum MHD_Result console_input(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body)
{
	json_object *d = NULL;
	const char *data = NULL;
	char by[64], lease[40], msg[200];
	size_t len;
	int rc = 0, here;

	json_object_object_get_ex(body, "data", &d);
	data = json_object_get_string(d);
	len = (size_t)json_object_get_string_len(d);
	if (data == NULL || strlen(data) != len) {
		return http_text(c, r, 400, "cannot type into the console: data holds a NUL");
	}
	if (store_exists(&srv.store, mac) != 1) {
		return http_text(c, r, 404, "no such host");
	}
	snprintf(lease, sizeof(lease), "console:%s", mac);
	rc = lease_held(&srv.store, lease, (long long)time(NULL));
	if (rc < 0) {
		return http_text(c, r, 503, "cannot type into the console: the database is not available");
	}
	if (rc == 0) {
		snprintf(msg, sizeof(msg), "cannot type into the console of %s: no lifeboatd captures it (bmc --console, "
					   "and its BMC answering)", mac);
		return http_text(c, r, 409, msg);
	}
	req_who(r, by, sizeof(by));
	here = console_captured_here(mac);
	if (here) {
		/* the event first: nothing is typed that the log does not say */
		if (console_input_note(&srv.store, mac, (long long)time(NULL), len, by) < 0) {
			return http_text(c, r, 503, "cannot type into the console: the database is not available");
		}
		rc = console_type_here(mac, data, len);
		if (rc == -EAGAIN) {
			return http_text(c, r, 503, "cannot type into the console: its capture is behind (64 KiB wait)");
		}
	}
	if (!here || rc == 0) { /* another lifeboatd captures it (or the session just ended): queued */
		rc = console_input_add(&srv.store, mac, (long long)time(NULL) * 1000, data, len, here ? NULL : by);
		if (rc < 0) {
			return http_text(c, r, 503, "cannot type into the console: the database is not available");
		}
	}
	fprintf(stderr, "lifeboatd: %s: %zu byte%s typed into the console by %s\n", mac, len, len == 1 ? "" : "s", by);
	return http_text(c, r, 202, "queued for the console");
}
