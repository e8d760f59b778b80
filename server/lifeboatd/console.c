/* Serial console capture (docs/server.md#serial-consoles): every host
 * whose BMC says console (ipmi: Serial-over-LAN) has one worker thread in
 * exactly one lifeboatd, the one that holds the host's lease in the store
 * ("console:<mac>", CONSOLE_LEASE_S, renewed every scan).
 *
 * A worker runs power/sol.c's ipmitool under a terminal, cuts what comes
 * into lines (a line the console leaves open goes out after a second),
 * and hands them over once a second; the manager writes every console's
 * lines in one transaction a second (store/console.h), at most
 * CONSOLE_RATE lines a second (more are counted and said: a console that
 * floods costs a bounded amount). When ipmitool ends (the BMC went away,
 * someone else took SOL) the worker starts it again after 1, 2, 4 ... 60 s.
 * Everything it does is bounded; it never takes a boot's locks, and the
 * store's once a second for all consoles together.
 *
 * What admins type (lifeboatctl console --write) goes to the worker's
 * pipe at once when the lifeboatd they asked captures that console
 * (console_type_here); otherwise it is queued in the store (consoleapi.c)
 * and the manager that captures it takes it within CONSOLE_INPUT_MS. Only
 * while ipmitool's session is up (a session starting drops what waited
 * in the pipe): nothing typed into a console minutes ago arrives late. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/redact.h"
#include "core/ansi.h"
#include "core/metrics.h"
#include "lifeboatd/console.h"
#include "lifeboatd/server.h"
#include "power/power.h"
#include "store/bmc.h"
#include "store/console.h"

#define CONSOLE_SCAN_S 5
#define CONSOLE_LEASE_S 30
#define CONSOLE_HOSTS_MAX 4096
#define CONSOLE_LINE_MAX 1024
#define CONSOLE_RATE 200       /* lines a second, at most (115200 baud is 140 full lines) */
#define CONSOLE_BATCH 256      /* lines per write */
#define CONSOLE_BACKOFF_MAX_S 60
#define CONSOLE_INPUT_MS 250
#define CONSOLE_INPUT_QUEUED_S 30  /* typing nobody took by then is dropped */
#define CONSOLE_QUEUED_MAX 200000  /* lines handed over within a second, at most (200 consoles at 200 a second, 5x) */

struct worker {
	struct worker *next;
	char mac[18];
	struct bmc b;
	pthread_t thread;
	int stop;                  /* atomic */
	int live;                  /* atomic: ipmitool's session is up */
	int in[2];                 /* typing: the manager writes, the worker reads */
	int typed_sol;             /* the last byte typed ended a line (or none yet) */
	char line[CONSOLE_LINE_MAX + 1];
	size_t len;
	uint64_t line_ms;          /* when the open line began */
	char *batch[CONSOLE_BATCH];
	size_t nbatch;
	unsigned long dropped;
	uint64_t second_ms;
	unsigned int in_second;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct worker *workers;    /* changed by the manager only, under list_lock */
	pthread_mutex_t list_lock; /* for readers in other threads (console_type_here) */
	char owner[128];
	int stop, running;
	size_t n;
} cs = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .list_lock = PTHREAD_MUTEX_INITIALIZER };

/* What the workers handed over, for the manager's write. */
static struct {
	pthread_mutex_t lock;
	struct console_batch *b;
	size_t n, cap, lines;
	unsigned long dropped;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- one console ------------------------------------------------------------------ */

static int stopping(struct worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

/* The worker's lines to the queue (the manager writes them). */
static void flush(struct worker *w)
{
	char note[120];
	struct console_batch *grown = NULL;
	size_t i;

	if (w->dropped > 0 && w->nbatch < CONSOLE_BATCH) {
		snprintf(note, sizeof(note), "lifeboatd: (%lu lines left out: the console printed more than %d a second)",
			 w->dropped, CONSOLE_RATE);
		w->batch[w->nbatch] = strdup(note);
		if (w->batch[w->nbatch] != NULL) {
			w->nbatch++;
			w->dropped = 0;
		}
	}
	if (w->nbatch == 0) {
		return;
	}
	pthread_mutex_lock(&q.lock);
	if (q.n == q.cap && q.lines + w->nbatch <= CONSOLE_QUEUED_MAX) {
		grown = realloc(q.b, (q.cap ? q.cap * 2 : 64) * sizeof(*q.b));
		if (grown != NULL) {
			q.b = grown;
			q.cap = q.cap ? q.cap * 2 : 64;
		}
	}
	if (q.n < q.cap && q.lines + w->nbatch <= CONSOLE_QUEUED_MAX) {
		struct console_batch *b = &q.b[q.n++];

		snprintf(b->mac, sizeof(b->mac), "%s", w->mac);
		b->time_ms = (long long)time(NULL) * 1000;
		b->lines = malloc(w->nbatch * sizeof(char *));
		if (b->lines != NULL) {
			memcpy(b->lines, w->batch, w->nbatch * sizeof(char *));
			b->n = w->nbatch;
			q.lines += w->nbatch;
			w->nbatch = 0;
		} else {
			q.n--;
		}
	}
	if (w->nbatch > 0) {
		q.dropped += w->nbatch; /* the database is away and the queue full */
	}
	pthread_mutex_unlock(&q.lock);
	for (i = 0; i < w->nbatch; i++) {
		free(w->batch[i]);
	}
	w->nbatch = 0;
}

/* The manager's write: every console's lines in one transaction. */
static void write_queue(void)
{
	struct console_batch *b = NULL;
	size_t n = 0, lines = 0, i, j;
	unsigned long dropped = 0;
	int rc;

	pthread_mutex_lock(&q.lock);
	b = q.b;
	n = q.n;
	lines = q.lines;
	dropped = q.dropped;
	q.b = NULL;
	q.n = q.cap = q.lines = 0;
	q.dropped = 0;
	pthread_mutex_unlock(&q.lock);
	if (dropped > 0) {
		fprintf(stderr, "lifeboatd: %lu console lines left out: the database did not take them\n", dropped);
	}
	if (n == 0) {
		free(b);
		return;
	}
	rc = console_add_batches(&srv.store, b, n);
	if (rc < 0) {
		fprintf(stderr, "lifeboatd: cannot store %zu console lines of %zu consoles: the database is not available\n",
			lines, n);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < b[i].n; j++) {
			free(b[i].lines[j]);
		}
		free(b[i].lines);
	}
	free(b);
}

/* The open line, as stored (core/ansi.h: control sequences kept). */
static void end_line(struct worker *w)
{
	char clean[CONSOLE_LINE_MAX * 4 + 1];
	uint64_t now = lb_mono_ms();

	if (now - w->second_ms >= 1000) {
		w->second_ms = now;
		w->in_second = 0;
	}
	if (w->in_second >= CONSOLE_RATE) {
		w->dropped++;
	} else {
		console_line_clean(w->line, w->len, clean, sizeof(clean));
		lb_redact_token(clean, strlen(clean)); /* the rescue kernel prints its command line */
		w->in_second++;
		w->batch[w->nbatch] = strdup(clean);
		if (w->batch[w->nbatch] != NULL) {
			w->nbatch++;
		}
	}
	w->len = 0;
	if (w->nbatch == CONSOLE_BATCH) {
		flush(w);
	}
}

static void take_bytes(struct worker *w, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			continue;
		}
		if (p[i] == '\n') {
			end_line(w);
			continue;
		}
		if (w->len == 0) {
			w->line_ms = lb_mono_ms();
		}
		w->line[w->len++] = p[i];
		if (w->len == CONSOLE_LINE_MAX) {
			end_line(w);
		}
	}
}

/* What the manager handed over, to ipmitool. Its escape character '~'
 * at the start of a line ("~." ends its session) is doubled: ipmitool
 * sends "~~" as one '~', so an admin's "~." reaches the host as typed. */
static void type_into(struct worker *w, int fd)
{
	char in[512], out[1024];
	ssize_t n = read(w->in[0], in, sizeof(in));
	size_t o = 0, i;

	for (i = 0; n > 0 && i < (size_t)n; i++) {
		if (in[i] == '~' && w->typed_sol) {
			out[o++] = '~';
		}
		out[o++] = in[i];
		w->typed_sol = in[i] == '\r' || in[i] == '\n';
	}
	if (o > 0 && write(fd, out, o) != (ssize_t)o) {
		fprintf(stderr, "lifeboatd: %s: cannot type all of it into the console: ipmitool did not take it\n", w->mac);
	}
}

/* One SOL session: until ipmitool ends or the worker is stopped. How long
 * it lasted, in ms. */
static uint64_t capture(struct worker *w)
{
	uint64_t start = lb_mono_ms(), last_flush = start;
	char err[600], buf[4096];
	pid_t pid = -1;
	int fd = -1;

	if (bmc_sol_open(&w->b, &pid, &fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: %s: %s\n", w->mac, err);
		return 0;
	}
	fprintf(stderr, "lifeboatd: %s: capturing the serial console (SOL of %s:%u)\n", w->mac, w->b.address, w->b.port);
	while (read(w->in[0], buf, sizeof(buf)) > 0) {
		/* typed before this session: too late to mean anything */
	}
	__atomic_store_n(&w->live, 1, __ATOMIC_RELEASE);
	w->typed_sol = 1;
	while (!stopping(w)) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = w->in[0], .events = POLLIN } };
		ssize_t n;
		uint64_t now;

		if (poll(p, 2, 500) > 0) {
			if (p[1].revents & POLLIN) {
				type_into(w, fd);
			}
			n = read(fd, buf, sizeof(buf));
			if (n > 0) {
				take_bytes(w, buf, (size_t)n);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				break; /* EIO: ipmitool ended */
			}
		}
		now = lb_mono_ms();
		if (w->len > 0 && now - w->line_ms >= 1000) {
			end_line(w); /* a prompt, or a line still being written */
		}
		if (now - last_flush >= 1000) {
			flush(w);
			last_flush = now;
		}
	}
	__atomic_store_n(&w->live, 0, __ATOMIC_RELEASE);
	if (w->len > 0) {
		end_line(w);
	}
	flush(w);
	bmc_sol_close(pid, fd);
	return lb_mono_ms() - start;
}

static void *worker_loop(void *arg)
{
	struct worker *w = arg;
	unsigned int backoff = 1, waited;

	while (!stopping(w)) {
		uint64_t lasted = capture(w);

		if (stopping(w)) {
			break;
		}
		backoff = lasted > 60000 ? 1 : backoff;
		fprintf(stderr, "lifeboatd: %s: the serial console's session ended; again in %u s\n", w->mac, backoff);
		for (waited = 0; waited < backoff * 10 && !stopping(w); waited++) {
			usleep(100 * 1000);
		}
		backoff = backoff * 2 > CONSOLE_BACKOFF_MAX_S ? CONSOLE_BACKOFF_MAX_S : backoff * 2;
	}
	return NULL;
}

/* ---- which consoles, and whose ------------------------------------------------------ */

static struct worker *find(const char *mac)
{
	struct worker *w = NULL;

	for (w = cs.workers; w != NULL && strcmp(w->mac, mac) != 0; w = w->next) {
	}
	return w;
}

static void worker_stop(struct worker *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
	close(w->in[0]);
	close(w->in[1]);
	explicit_bzero(w->b.password, sizeof(w->b.password));
}

static void start(const char *mac, const struct bmc *b)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		return;
	}
	snprintf(w->mac, sizeof(w->mac), "%.17s", mac);
	w->b = *b;
	if (pipe2(w->in, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "lifeboatd: %s: cannot start the console's capture: %s\n", mac, strerror(errno));
		explicit_bzero(w, sizeof(*w));
		free(w);
		return;
	}
	if (pthread_create(&w->thread, NULL, worker_loop, w) != 0) {
		fprintf(stderr, "lifeboatd: %s: cannot start the console's thread\n", mac);
		close(w->in[0]);
		close(w->in[1]);
		explicit_bzero(w, sizeof(*w));
		free(w);
		return;
	}
	pthread_mutex_lock(&cs.list_lock);
	w->next = cs.workers;
	cs.workers = w;
	pthread_mutex_unlock(&cs.list_lock);
	cs.n++;
}

/* Stops and removes mac's worker (its lease dropped when drop). */
static void stop_one(const char *mac_in, int drop)
{
	struct worker **pp = &cs.workers, *w = NULL;
	char lease[40], mac[18];

	snprintf(mac, sizeof(mac), "%.17s", mac_in); /* it may be w->mac, freed below */
	for (; *pp != NULL && strcmp((*pp)->mac, mac) != 0; pp = &(*pp)->next) {
	}
	w = *pp;
	if (w == NULL) {
		return;
	}
	pthread_mutex_lock(&cs.list_lock);
	*pp = w->next;
	pthread_mutex_unlock(&cs.list_lock);
	worker_stop(w);
	explicit_bzero(w, sizeof(*w));
	free(w);
	cs.n--;
	if (drop) {
		snprintf(lease, sizeof(lease), "console:%.17s", mac);
		lease_drop(&srv.store, lease, cs.owner);
	}
}

static int same_bmc(const struct bmc *a, const struct bmc *b)
{
	return strcmp(a->address, b->address) == 0 && a->port == b->port && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->password, b->password) == 0 && a->cipher == b->cipher;
}

static void scan(void)
{
	static char macs[CONSOLE_HOSTS_MAX][18];
	char err[300], lease[40];
	struct worker *w = NULL, *next = NULL;
	struct bmc *b = calloc(1, sizeof(*b));
	size_t n = 0, i;
	long long now = (long long)time(NULL);

	if (b == NULL || bmc_macs(&srv.store, macs, CONSOLE_HOSTS_MAX, &n) < 0) {
		free(b);
		return; /* the database: the workers go on, their leases run out */
	}
	for (i = 0; i < n; i++) {
		int lrc = bmc_load(&srv.store, macs[i], b, err, sizeof(err)), want = lrc == 0 && b->console;
		int held = 0;

		if (lrc < 0 && lrc != -ENOENT && lrc != -EIO) {
			continue; /* the database: as it was until the next scan */
		}

		snprintf(lease, sizeof(lease), "console:%.17s", macs[i]);
		w = find(macs[i]);
		if (want) {
			int rc = lease_take(&srv.store, lease, cs.owner, now, CONSOLE_LEASE_S);

			/* the database not answering: a capture goes on as it was */
			held = rc == 1 || (rc < 0 && w != NULL);
		}
		if (w != NULL && (!held || !same_bmc(&w->b, b))) {
			stop_one(macs[i], !want);
			w = NULL;
		}
		if (held && w == NULL) {
			start(macs[i], b);
		}
	}
	/* a host whose BMC is gone */
	for (w = cs.workers; w != NULL; w = next) {
		next = w->next;
		for (i = 0; i < n && strcmp(macs[i], w->mac) != 0; i++) {
		}
		if (i == n) {
			stop_one(w->mac, 1);
		}
	}
	explicit_bzero(b, sizeof(*b));
	free(b);
	metric_console_workers(cs.n);
}

/* ---- typing ------------------------------------------------------------------------ */

static int is_live(const struct worker *w)
{
	return w != NULL && __atomic_load_n(&w->live, __ATOMIC_ACQUIRE);
}

static int wants(const char *mac, void *ctx)
{
	(void)ctx;
	return is_live(find(mac));
}

int console_captured_here(const char *mac)
{
	int rc;

	pthread_mutex_lock(&cs.list_lock);
	rc = is_live(find(mac));
	pthread_mutex_unlock(&cs.list_lock);
	return rc;
}

int console_type_here(const char *mac, const char *data, size_t len)
{
	struct worker *w = NULL;
	int rc = 0;

	pthread_mutex_lock(&cs.list_lock);
	w = find(mac);
	if (is_live(w)) {
		rc = write(w->in[1], data, len) == (ssize_t)len ? 1 : -EAGAIN;
	}
	pthread_mutex_unlock(&cs.list_lock);
	return rc;
}

static void give(const char *mac, const char *data, void *ctx)
{
	struct worker *w = find(mac);
	size_t len = strlen(data);

	(void)ctx;
	if (w != NULL && write(w->in[1], data, len) != (ssize_t)len) {
		fprintf(stderr, "lifeboatd: %s: cannot type all of it into the console: the capture is behind\n", mac);
	}
}

static void take_input(void)
{
	static const struct console_input_ops ops = { wants, give };
	unsigned int expired = 0;

	if (cs.n == 0) {
		return; /* nothing here to type into (what waits is dropped by one that has) */
	}
	if (console_input_take(&srv.store, ((long long)time(NULL) - CONSOLE_INPUT_QUEUED_S) * 1000, &ops, NULL,
			       &expired) == 0 && expired > 0) {
		fprintf(stderr, "lifeboatd: %u typed input%s dropped: no lifeboatd took %s within %d s\n", expired,
			expired == 1 ? "" : "s", expired == 1 ? "it" : "them", CONSOLE_INPUT_QUEUED_S);
	}
}

static void *manager_loop(void *arg)
{
	struct timespec until;
	uint64_t scanned = 0, written = lb_mono_ms();

	(void)arg;
	pthread_mutex_lock(&cs.lock);
	while (!cs.stop) {
		pthread_mutex_unlock(&cs.lock);
		if (scanned == 0 || lb_mono_ms() - scanned >= CONSOLE_SCAN_S * 1000u) {
			scan();
			scanned = lb_mono_ms();
		}
		take_input();
		if (lb_mono_ms() - written >= 1000) {
			write_queue();
			written = lb_mono_ms();
		}
		pthread_mutex_lock(&cs.lock);
		lb_wall_after(&until, CONSOLE_INPUT_MS);
		while (!cs.stop && pthread_cond_timedwait(&cs.wake, &cs.lock, &until) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&cs.lock);
	/* every worker told first, then each waited for: they end together */
	for (struct worker *w = cs.workers; w != NULL; w = w->next) {
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	}
	while (cs.workers != NULL) {
		stop_one(cs.workers->mac, 1);
	}
	write_queue(); /* what they handed over last */
	return NULL;
}

int console_start(char *err, size_t errlen)
{
	char host[64] = "";
	int rc;

	gethostname(host, sizeof(host) - 1);
	snprintf(cs.owner, sizeof(cs.owner), "%s:%d:%lld", host, (int)getpid(), (long long)time(NULL));
	rc = pthread_create(&cs.thread, NULL, manager_loop, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the serial consoles' thread: %s", strerror(rc));
		return -rc;
	}
	cs.running = 1;
	return 0;
}

void console_stop(void)
{
	if (!cs.running) {
		return;
	}
	pthread_mutex_lock(&cs.lock);
	cs.stop = 1;
	pthread_cond_signal(&cs.wake);
	pthread_mutex_unlock(&cs.lock);
	pthread_join(cs.thread, NULL);
	cs.running = 0;
}
