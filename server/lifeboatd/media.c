/* GET /media/<key>/lifeboat.iso: a session's rescue ISO for the BMC's
 * virtual media (core/media.h), and the eject once SSH is up.
 *
 * The file is payload_dir/lifeboat-media.iso, served with Range (BMCs
 * read virtual media in pieces, iDRAC and iLO with HEAD first) and every
 * region of the kernel arguments overwritten on the way out with this
 * session's: the token derived from the key in the URL, the server, the
 * toolbox's URL. The key opens the ISO of an active session only, until
 * it is ejected or media_timeout; its first fetch binds it to that
 * address (the BMC's). Nothing here takes the state lock but that first
 * fetch; the eject runs on a thread of its own (BMC calls take seconds). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/media.h"
#include "core/range.h"
#include "core/script.h"
#include "core/session.h"
#include "lifeboatd/http.h"
#include "lifeboatd/media.h"
#include "lifeboatd/server.h"
#include "store/hostmedia.h"

#define MEDIA_ARGS_MAX 2048

/* ---- the ISO's regions, found once per file version ------------------------------ */

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct media_iso m;
	int ok;
} scanned;

static int iso_regions(int fd, const struct stat *st, struct media_iso *m)
{
	FILE *f = NULL;
	int rc = 0, copy;

	pthread_mutex_lock(&scan_lock);
	if (!(scanned.ok && scanned.dev == st->st_dev && scanned.ino == st->st_ino && scanned.size == st->st_size &&
	      scanned.mtime.tv_sec == st->st_mtim.tv_sec && scanned.mtime.tv_nsec == st->st_mtim.tv_nsec)) {
		copy = dup(fd); /* the FILE closes its own; the scan reads from 0 */
		f = copy >= 0 ? fdopen(copy, "rb") : NULL;
		if (f == NULL) {
			rc = -errno;
			if (copy >= 0) {
				close(copy);
			}
			goto out;
		}
		rewind(f);
		rc = media_iso_scan(f, &scanned.m);
		fclose(f);
		if (rc < 0) {
			scanned.ok = 0;
			goto out;
		}
		scanned.dev = st->st_dev;
		scanned.ino = st->st_ino;
		scanned.size = st->st_size;
		scanned.mtime = st->st_mtim;
		scanned.ok = 1;
	}
	*m = scanned.m;
out:
	pthread_mutex_unlock(&scan_lock);
	return rc;
}

/* ---- the response: the file, the regions overwritten ----------------------------- */

struct iso_reader {
	int fd;
	uint64_t start, len;
	struct media_iso m;
	char args[MEDIA_ARGS_MAX];
};

static ssize_t read_iso(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct iso_reader *x = cls;
	ssize_t n;

	if (pos >= x->len) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (max > x->len - pos) {
		max = (size_t)(x->len - pos);
	}
	n = pread(x->fd, buf, max, (off_t)(x->start + pos));
	if (n <= 0) {
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	media_iso_overlay(&x->m, x->args, x->start + pos, buf, (size_t)n);
	return n;
}

static void free_iso(void *cls)
{
	struct iso_reader *x = cls;

	close(x->fd);
	explicit_bzero(x->args, sizeof(x->args));
	free(x);
}

/* The session's kernel arguments, as a boot script would have them
 * (without lifeboat.bound=: the token is bound at its first report). */
static int session_args(const struct req *r, const char *mac, const char *key, char *out, size_t len, char *err,
			size_t errlen)
{
	char token[LB_TOKEN_LEN + 1], payload[600];
	struct agent_args a = { .mac = mac, .ip = "ip=dhcp", .ip6 = LB_KARG_IP6 "=auto", .token = token,
				.extra_args = srv.conf.kernel_args, .heartbeat = srv.conf.heartbeat,
				.netconsole = srv.conf.netconsole_port };
	int rc;

	media_token(key, token);
	snprintf(payload, sizeof(payload), "%s/payload", srv.conf.tls_public_url);
	a.public_url = r->tls || srv.conf.agent_ca ? srv.conf.tls_public_url : srv.conf.public_url;
	a.tls_pin = r->tls ? srv.tls_pin : NULL;
	a.payload_url = r->tls ? payload : srv.conf.payload_url;
	rc = script_media_args(&a, out, len, err, errlen);
	explicit_bzero(token, sizeof(token));
	return rc;
}

static int key_ok(const char *k)
{
	static const char chars[] = LB_TOKEN_CHARS;

	return strlen(k) == LB_TOKEN_LEN && strspn(k, chars) == LB_TOKEN_LEN;
}

/* The host whose ISO key opens, for client: 0 with mac, or -ENOENT
 * (no such ISO, or no more), -EPERM (bound to another address), -EAGAIN
 * (the database), with why. */
static int find_media(const char *key, const char *client, char mac[18], const char **why)
{
	char hash[65], err[300];
	json_object *h = NULL, *m = NULL;
	struct session s;
	long long now = (long long)time(NULL);
	int rc = 0;

	token_hash(key, hash);
	if (store_token_find(&srv.store, hash, mac) < 0 || (h = store_load(&srv.store, mac, NULL)) == NULL) {
		*why = "no such rescue ISO";
		return -ENOENT;
	}
	session_read(h, &s);
	m = jget(h, "media");
	*why = media_refusal(m, &s, key, now);
	if (*why != NULL) {
		rc = -ENOENT;
	} else if (!hostmedia_may_fetch(m, client)) {
		*why = "the rescue ISO is for another address";
		rc = -EPERM;
	} else if (jstr(m, "client")[0] == '\0') {
		/* the first fetch binds it (under the lock: one wins) */
		rc = hostmedia_bind(&srv.store, mac, key, client, now, why, err, sizeof(err));
		if (rc < 0 && rc != -EPERM && rc != -ENOENT) {
			*why = "the database is not available";
			rc = -EAGAIN;
		}
	}
	json_object_put(h);
	return rc;
}

enum MHD_Result handle_media(struct MHD_Connection *c, struct req *r, const char *rest)
{
	char key[LB_TOKEN_LEN + 1], mac[18], path[700], err[300], msg[1200], crange[96];
	const char *slash = strchr(rest, '/'), *why = NULL;
	struct iso_reader *x = NULL;
	struct MHD_Response *resp = NULL;
	struct stat st;
	uint64_t start = 0, end = 0;
	int rc, range, fd = -1;

	if (slash == NULL || (size_t)(slash - rest) != LB_TOKEN_LEN || strcmp(slash + 1, LB_MEDIA_FILE) != 0) {
		return http_text(c, r, 404, "no such rescue ISO");
	}
	memcpy(key, rest, LB_TOKEN_LEN);
	key[LB_TOKEN_LEN] = '\0';
	if (!key_ok(key)) {
		return http_text(c, r, 404, "no such rescue ISO");
	}
	rc = find_media(key, r->client, mac, &why);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot give the rescue ISO: %s", why);
		if (rc == -EPERM) {
			fprintf(stderr, "lifeboatd: %s: refused the rescue ISO to %s: it is for the BMC's address\n", mac,
				r->client);
		}
		explicit_bzero(key, sizeof(key));
		return http_text(c, r, rc == -EPERM ? 403 : rc == -EAGAIN ? 503 : 404, msg);
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		explicit_bzero(key, sizeof(key));
		return MHD_NO;
	}
	rc = session_args(r, mac, key, x->args, sizeof(x->args), err, sizeof(err));
	explicit_bzero(key, sizeof(key));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot make the rescue ISO's kernel arguments: %s", err);
		goto err_reader;
	}
	snprintf(path, sizeof(path), "%s/%s", srv.conf.payload_dir, LB_MEDIA_ISO);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open %s: %s (make builds it into out/)", path, strerror(errno));
		goto err_reader;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "cannot use %s: %s", path, S_ISREG(st.st_mode) ? strerror(errno) : "not a file");
		goto err_file;
	}
	rc = iso_regions(fd, &st, &x->m);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot use %s: %s", path,
			 rc == -ENOENT ? "it has no region for the kernel arguments (not made by mkiso.sh media)" :
					 strerror(-rc));
		goto err_file;
	}
	if (strlen(x->args) > x->m.len) {
		snprintf(msg, sizeof(msg), "cannot fit the session's kernel arguments (%zu bytes) into %s's %zu",
			 strlen(x->args), path, x->m.len);
		goto err_file;
	}
	range = range_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
			    (uint64_t)st.st_size, &start, &end);
	if (range < 0) {
		x->fd = fd;
		free_iso(x);
		snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)st.st_size);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp != NULL) {
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		}
		return http_queue(c, r, 416, resp, 0);
	}
	if (range == 0) {
		start = 0;
		end = st.st_size > 0 ? (uint64_t)st.st_size - 1 : 0;
	}
	x->fd = fd;
	x->start = start;
	x->len = st.st_size == 0 ? 0 : end - start + 1;
	resp = MHD_create_response_from_callback(x->len, 64 * 1024, read_iso, x, free_iso);
	if (resp == NULL) {
		free_iso(x);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-iso9660-image");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (range == 1) {
		snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu", (unsigned long long)start, (unsigned long long)end,
			 (unsigned long long)st.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		return http_queue(c, r, 206, resp, x->len);
	}
	return http_queue(c, r, 200, resp, x->len);

err_file:
	if (fd >= 0) {
		close(fd);
	}
err_reader:
	explicit_bzero(x->args, sizeof(x->args));
	free(x);
	fprintf(stderr, "lifeboatd: %s: %s\n", mac, msg);
	return http_text(c, r, 500, msg);
}

/* ---- the eject, after SSH is up ------------------------------------------------------ */

#define EJECT_QUEUE 64

struct eject {
	char mac[18];
	long long session;  /* only this session's ISO */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct eject q[EJECT_QUEUE];
	size_t head, n;
	int stop, started;
} ej = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* Ejects what is queued; at stop what is still queued stays in the BMC
 * (said), the URL dies with its session or media_timeout anyway. */
static void *eject_loop(void *arg)
{
	char err[700];
	struct eject e;

	(void)arg;
	pthread_mutex_lock(&ej.lock);
	for (;;) {
		while (ej.n == 0 && !ej.stop) {
			pthread_cond_wait(&ej.wake, &ej.lock);
		}
		if (ej.stop) {
			if (ej.n > 0) {
				fprintf(stderr, "lifeboatd: stopping with %zu rescue ISO(s) not ejected yet\n", ej.n);
			}
			break;
		}
		e = ej.q[ej.head];
		ej.head = (ej.head + 1) % EJECT_QUEUE;
		ej.n--;
		pthread_mutex_unlock(&ej.lock);
		if (hostmedia_eject(&srv.store, e.mac, e.session, srv.conf.media_url, "SSH is up", err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: %s: cannot eject the rescue ISO: %s\n", e.mac, err);
		} else {
			fprintf(stderr, "lifeboatd: %s: the rescue ISO ejected (SSH is up)\n", e.mac);
		}
		pthread_mutex_lock(&ej.lock);
	}
	pthread_mutex_unlock(&ej.lock);
	return NULL;
}

int media_eject_start(void)
{
	int rc = pthread_create(&ej.thread, NULL, eject_loop, NULL);

	ej.started = rc == 0;
	return -rc;
}

void media_eject_stop(void)
{
	if (!ej.started) {
		return;
	}
	pthread_mutex_lock(&ej.lock);
	ej.stop = 1;
	pthread_cond_signal(&ej.wake);
	pthread_mutex_unlock(&ej.lock);
	pthread_join(ej.thread, NULL);
	ej.started = 0;
}

void media_eject_later(const char *mac, long long session)
{
	size_t i;

	pthread_mutex_lock(&ej.lock);
	for (i = 0; i < ej.n; i++) {
		const struct eject *q = &ej.q[(ej.head + i) % EJECT_QUEUE];

		if (strcmp(q->mac, mac) == 0 && q->session == session) {
			pthread_mutex_unlock(&ej.lock);
			return; /* already queued */
		}
	}
	if (ej.n == EJECT_QUEUE) {
		pthread_mutex_unlock(&ej.lock);
		fprintf(stderr, "lifeboatd: %s: cannot queue the eject of the rescue ISO: %d ejects wait already\n", mac,
			EJECT_QUEUE);
		return;
	}
	snprintf(ej.q[(ej.head + ej.n) % EJECT_QUEUE].mac, 18, "%s", mac);
	ej.q[(ej.head + ej.n) % EJECT_QUEUE].session = session;
	ej.n++;
	pthread_cond_signal(&ej.wake);
	pthread_mutex_unlock(&ej.lock);
}
