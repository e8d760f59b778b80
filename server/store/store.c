#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/query.h"
#include "common/clock.h"
#include "core/schema.h"
#include "store/store.h"

int store_open(struct store *s, const char *dir, const char *database, unsigned db_timeout_ms, char *err,
	       size_t errlen)
{
	int rc, from = 0;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->changes_tail = &s->changes;
	if (strlen(dir) >= sizeof(s->dir)) {
		snprintf(err, errlen, "cannot use state directory %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	strcpy(s->dir, dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return rc;
	}
	if (access(dir, W_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write state directory %s: %s", dir, strerror(errno));
		return rc;
	}
	rc = db_setup(&s->db, database, dir, db_timeout_ms, err, errlen);
	if (rc < 0) {
		return rc;
	}
	rc = db_migrate(&s->db, 0, &from, err, errlen);
	if (rc < 0) {
		return rc;
	}
	return 0;
}

int store_dir_idle(const char *dir)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/lifeboatd.pid", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return errno == ENOENT ? -ENOENT : -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int store_claim_dir(const char *dir, char *err, size_t errlen)
{
	char path[600], buf[32] = "";
	ssize_t n;
	int fd = -1, rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/lifeboatd.pid", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "cannot use state directory %s: %s", dir,
			 rc == -EBUSY ? "another lifeboatd uses it (one per state directory)" : strerror(-rc));
		if (rc == -EBUSY && buf[0] != '\0') {
			size_t len = strlen(err);

			snprintf(err + len, errlen - len, ": pid %s", buf);
		}
		close(fd);
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd; /* held until exit */
}

/* ---- changes for the caches of this process ------------------------------------------ */

struct store_change {
	struct store_change *next;
	char mac[18];
	long long version;
	char *doc;   /* NULL: forgotten */
	char *event; /* an event instead: its text (doc unused) */
	char kind[24];
};

void store_follow(struct store *s, store_change_fn fn, void *ctx)
{
	s->on_change = fn;
	s->on_change_ctx = ctx;
}

static void changes_free(struct store *s)
{
	struct store_change *c = s->changes, *next = NULL;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c->doc);
		free(c->event);
		free(c);
	}
	s->changes = NULL;
	s->changes_tail = &s->changes;
}

static void changes_deliver(struct store *s)
{
	struct store_change *c = NULL;

	for (c = s->changes; c != NULL; c = c->next) {
		store_event_fn ev = __atomic_load_n(&s->on_event, __ATOMIC_ACQUIRE);

		if (c->event != NULL && ev != NULL) {
			ev(c->mac, c->version, c->kind, c->event, __atomic_load_n(&s->on_event_ctx, __ATOMIC_ACQUIRE));
		} else if (c->event == NULL && s->on_change != NULL) {
			s->on_change(c->mac, c->version, c->doc, s->on_change_ctx);
		}
	}
	changes_free(s);
}

void store_on_event(struct store *s, store_event_fn fn, void *ctx)
{
	/* set while other threads may write events: atomically */
	__atomic_store_n(&s->on_event_ctx, ctx, __ATOMIC_RELEASE);
	__atomic_store_n(&s->on_event, fn, __ATOMIC_RELEASE);
}

/* An event: kept for the commit as a change is (version: its time). */
void store_event_made(struct store *s, const char *mac, long long time, const char *kind, const char *text)
{
	struct store_change *c = NULL;

	if (__atomic_load_n(&s->on_event, __ATOMIC_ACQUIRE) == NULL) {
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->event = strdup(text)) == NULL) {
		free(c);
		return; /* out of memory: not notified (it is in the log) */
	}
	snprintf(c->mac, sizeof(c->mac), "%s", mac);
	snprintf(c->kind, sizeof(c->kind), "%s", kind);
	c->version = time;
	*s->changes_tail = c;
	s->changes_tail = &c->next;
	if (!s->locked) {
		changes_deliver(s);
	}
}

/* A change made: kept for the commit, or handed on now outside a
 * transaction (it is committed already). Out of memory: the cache learns
 * it from the database instead. */
static void changed(struct store *s, const char *mac, long long version, const char *doc)
{
	struct store_change *c = NULL;

	if (s->on_change == NULL) {
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (doc != NULL && (c->doc = strdup(doc)) == NULL)) {
		free(c);
		return;
	}
	snprintf(c->mac, sizeof(c->mac), "%s", mac);
	c->version = version;
	*s->changes_tail = c;
	s->changes_tail = &c->next;
	if (!s->locked) {
		changes_deliver(s);
	}
}

/* Two locks: the mutex for the threads of this process (one writer at a
 * time, without each waiting inside the database), then the database's
 * write transaction for other processes (lifeboatctl, other lifeboatd). */
int store_lock(struct store *s, char *err, size_t errlen)
{
	char why[300];
	struct timespec until;
	int rc;

	/* a database that does not answer is not waited for behind the lock
	 * either: whoever holds it waits at most db_timeout, and so do we */
	rc = db_available(&s->db, why, sizeof(why));
	if (rc == 0) {
		lb_wall_after(&until, s->db.timeout_ms);
		rc = -pthread_mutex_timedlock(&s->mu, &until);
		if (rc < 0) {
			snprintf(why, sizeof(why), "another writer of this lifeboatd held it for %u ms", s->db.timeout_ms);
		}
	}
	if (rc < 0) {
		if (err != NULL) {
			snprintf(err, errlen, "cannot lock database %s: %s", s->db.shown, why);
		}
		return rc;
	}
	rc = db_begin(&s->db, why, sizeof(why));
	if (rc < 0) {
		pthread_mutex_unlock(&s->mu);
		if (err != NULL) {
			snprintf(err, errlen, "cannot lock database %s: %s", s->db.shown, why);
		}
		return rc;
	}
	s->locked = 1;
	return 0;
}

int store_unlock(struct store *s, char *err, size_t errlen)
{
	char why[300];
	int rc = db_commit(&s->db, why, sizeof(why));

	s->locked = 0;
	if (rc == 0) {
		changes_deliver(s);
	}
	changes_free(s);
	pthread_mutex_unlock(&s->mu);
	if (rc < 0 && err != NULL) {
		snprintf(err, errlen, "cannot write database %s: %s", s->db.shown, why);
	}
	return rc;
}

void store_abort(struct store *s)
{
	db_rollback(&s->db);
	s->locked = 0;
	changes_free(s);
	pthread_mutex_unlock(&s->mu);
}

/* ---- hosts ------------------------------------------------------------------------------- */

json_object *store_load_raw(struct store *s, const char *mac, char *err, size_t errlen)
{
	const char *p[1] = { mac };
	struct db_text_copy d = { .text = NULL };
	json_object *o = NULL;
	enum json_tokener_error jerr = json_tokener_success;

	if (db_exec(&s->db, "SELECT doc FROM hosts WHERE mac = $1", 1, p, db_copy_text, &d, NULL, 0) < 0 ||
	    d.rows == 0) {
		free(d.text);
		return NULL;
	}
	o = json_tokener_parse_verbose(d.text, &jerr);
	if (o == NULL && err != NULL) {
		snprintf(err, errlen, "host %s: not JSON (%s)", mac, json_tokener_error_desc(jerr));
	}
	free(d.text);
	return o;
}

json_object *store_load(struct store *s, const char *mac, struct schema_skipped *sk)
{
	char err[300] = "";
	json_object *raw = store_load_raw(s, mac, err, sizeof(err)), *clean = NULL;

	if (raw == NULL) {
		if (sk != NULL && err[0] != '\0') {
			snprintf(sk->text, sizeof(sk->text), "the whole document (not JSON)");
			sk->count++;
		}
		return NULL;
	}
	clean = hostdoc_clean(raw, sk);
	json_object_put(raw);
	return clean;
}

static int take_int(const struct db_row *r, void *ctx)
{
	*(long long *)ctx = db_int(r, 0);
	return 0;
}

int store_version(struct store *s, const char *mac, long long *version)
{
	const char *p[1] = { mac };
	long long v = -1;
	int rc = db_exec(&s->db, "SELECT version FROM hosts WHERE mac = $1", 1, p, take_int, &v, NULL, 0);

	if (rc < 0) {
		return rc;
	}
	if (v < 0) {
		return -ENOENT;
	}
	*version = v;
	return 0;
}

int store_exists(struct store *s, const char *mac)
{
	long long v;
	int rc = store_version(s, mac, &v);

	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

int store_save_text(struct store *s, const char *mac, const char *text, char *err, size_t errlen)
{
	char now[24], version[24], why[300];
	const char *p[4] = { mac, text, now, version };
	long long v = 0;
	int rc;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	/* one counter for every row: a version is never seen twice */
	rc = db_exec(&s->db, "UPDATE counters SET value = value + 1 WHERE name = 'host_version' RETURNING value", 0,
		     NULL, take_int, &v, why, sizeof(why));
	snprintf(version, sizeof(version), "%lld", v);
	if (rc >= 0) {
		rc = db_exec(&s->db, "INSERT INTO hosts (mac, doc, version, updated) VALUES ($1, $2, $4, $3) "
				     "ON CONFLICT (mac) DO UPDATE SET doc = excluded.doc, version = excluded.version, "
				     "updated = excluded.updated", 4, p, NULL, NULL, why, sizeof(why));
	}
	if (rc >= 0) {
		changed(s, mac, v, text);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot store host %s in %s: %s", mac, s->db.shown, why);
	}
	return rc < 0 ? rc : 0;
}

int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen)
{
	char m[18];

	if (parse_mac(mac, m) < 0) {
		snprintf(err, errlen, "bad MAC %s", mac);
		return -EINVAL;
	}
	return store_save_text(s, m, json_object_to_json_string_ext(host, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE), err, errlen);
}

int store_forget(struct store *s, const char *mac)
{
	static const char *const drops[] = {
		"DELETE FROM tokens WHERE mac = $1", "DELETE FROM pending WHERE mac = $1",
		"DELETE FROM seen WHERE mac = $1",   "DELETE FROM events WHERE mac = $1", "DELETE FROM logs WHERE mac = $1",
		"DELETE FROM console WHERE mac = $1", "DELETE FROM console_input WHERE mac = $1",
		"DELETE FROM bmc WHERE mac = $1",
	};
	const char *p[2] = { mac, NULL };
	char version[24];
	long long v = 0;
	size_t i;
	int rc = db_exec(&s->db, "DELETE FROM hosts WHERE mac = $1", 1, p, NULL, NULL, NULL, 0);

	if (rc == 0) {
		return -ENOENT;
	}
	for (i = 0; rc >= 0 && i < sizeof(drops) / sizeof(drops[0]); i++) {
		rc = db_exec(&s->db, drops[i], 1, p, NULL, NULL, NULL, 0);
	}
	/* for caches that follow the changes (store_changes): it is gone */
	if (rc >= 0) {
		rc = db_exec(&s->db, "UPDATE counters SET value = value + 1 WHERE name = 'host_version' RETURNING value", 0,
			     NULL, take_int, &v, NULL, 0);
	}
	if (rc >= 0) {
		snprintf(version, sizeof(version), "%lld", v);
		p[1] = version;
		rc = db_exec(&s->db, "INSERT INTO forgotten (mac, version) VALUES ($1, $2) ON CONFLICT (mac) DO UPDATE SET "
				     "version = excluded.version", 2, p, NULL, NULL, NULL, 0);
	}
	if (rc >= 0) {
		changed(s, mac, v, NULL);
	}
	return rc < 0 ? rc : 0;
}

struct change_ctx {
	int (*fn)(const char *mac, long long version, const char *doc, void *ctx);
	void *ctx;
};

static int take_change(const struct db_row *r, void *ctx)
{
	struct change_ctx *c = ctx;

	return c->fn(db_text(r, 0), db_int(r, 1), r->n > 2 ? r->v[2] : NULL, c->ctx);
}

int store_changes(struct store *s, long long since, int (*fn)(const char *mac, long long version, const char *doc,
							       void *ctx), void *ctx)
{
	char v[24];
	const char *p[1] = { v };
	struct change_ctx c = { .fn = fn, .ctx = ctx };

	snprintf(v, sizeof(v), "%lld", since);
	return db_exec(&s->db, "SELECT mac, version, doc FROM hosts WHERE version > CAST($1 AS BIGINT) UNION ALL "
			       "SELECT mac, version, NULL FROM forgotten WHERE version > CAST($1 AS BIGINT) "
			       "ORDER BY 2", 1, p, take_change, &c, NULL, 0);
}

static int take_seen(const struct db_row *r, void *ctx);

struct rows {
	char (*macs)[18];
	char **docs;
	json_object **seen; /* the last normal boot request, or NULL */
	size_t n, cap;
};

/* collected first: fn may use the store (this connection) itself */
static int take_host(const struct db_row *r, void *ctx)
{
	struct rows *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char(*m)[18] = realloc(l->macs, cap * sizeof(*m));
		char **d = NULL;
		json_object **seen = NULL;

		if (m == NULL) {
			return -ENOMEM;
		}
		l->macs = m;
		d = realloc(l->docs, cap * sizeof(*d));
		if (d == NULL) {
			return -ENOMEM;
		}
		l->docs = d;
		seen = realloc(l->seen, cap * sizeof(*seen));
		if (seen == NULL) {
			return -ENOMEM;
		}
		l->seen = seen;
		l->cap = cap;
	}
	snprintf(l->macs[l->n], 18, "%.17s", db_text(r, 0));
	l->docs[l->n] = strdup(db_text(r, 1));
	if (l->docs[l->n] == NULL) {
		return -ENOMEM;
	}
	l->seen[l->n] = NULL;
	if (r->n > 4 && r->v[2] != NULL) {
		struct db_row rest = { .n = 3, .v = r->v + 2 };

		take_seen(&rest, &l->seen[l->n]);
	}
	l->n++;
	return 0;
}

int store_each(struct store *s, void (*fn)(json_object *host, const char *mac, const struct schema_skipped *sk,
					  void *ctx), void *ctx)
{
	struct rows l = { .n = 0 };
	size_t i;
	/* with each host its last normal boot request (last_request): one query
	 * for a list of thousands, not one more per host */
	int rc = db_exec(&s->db, "SELECT h.mac, h.doc, s.time, s.source, s.decision FROM hosts h LEFT JOIN seen s "
				 "ON s.mac = h.mac ORDER BY h.mac", 0, NULL, take_host, &l, NULL, 0);

	for (i = 0; i < l.n; i++) {
		struct schema_skipped sk = { .count = 0 };
		json_object *raw = rc < 0 ? NULL : json_tokener_parse(l.docs[i]), *h = NULL;

		if (raw != NULL) {
			h = hostdoc_clean(raw, &sk);
			json_object_put(raw);
		} else if (rc >= 0) {
			snprintf(sk.text, sizeof(sk.text), "the whole document (not JSON)");
			sk.count++;
		}
		/* a document whose mac member is not its row's: show it as skipped */
		if (h != NULL && strcmp(jstr(h, "mac"), l.macs[i]) != 0) {
			json_object_put(h);
			h = NULL;
			snprintf(sk.text, sizeof(sk.text), "mac (not the row's)");
			sk.count++;
		}
		if (h != NULL && l.seen[i] != NULL) {
			json_object_object_add(h, "last_request", json_object_get(l.seen[i]));
		}
		if (rc >= 0) {
			fn(h, l.macs[i], &sk, ctx);
		}
		json_object_put(h);
		json_object_put(l.seen[i]);
		free(l.docs[i]);
	}
	free(l.macs);
	free(l.docs);
	free(l.seen);
	return rc < 0 ? rc : 0;
}

/* ---- token index ----------------------------------------------------------- */

int store_token_put(struct store *s, const char *hash, const char *mac)
{
	const char *p[2] = { hash, mac };
	char m[18];

	if (!schema_hex64(hash) || parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	p[1] = m;
	return db_exec(&s->db, "INSERT INTO tokens (hash, mac) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET "
			       "mac = excluded.mac", 2, p, NULL, NULL, NULL, 0) < 0 ? -EIO : 0;
}

void store_token_del(struct store *s, const char *hash)
{
	const char *p[1] = { hash };

	db_exec(&s->db, "DELETE FROM tokens WHERE hash = $1", 1, p, NULL, NULL, NULL, 0);
}

static int take_mac(const struct db_row *r, void *ctx)
{
	snprintf(ctx, 18, "%.17s", db_text(r, 0));
	return 0;
}

int store_token_find(struct store *s, const char *hash, char mac[18])
{
	const char *p[1] = { hash };
	char m[18] = "";
	int rc;

	if (!schema_hex64(hash)) {
		return -EINVAL;
	}
	rc = db_exec(&s->db, "SELECT mac FROM tokens WHERE hash = $1", 1, p, take_mac, m, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	return m[0] == '\0' ? -ENOENT : parse_mac(m, mac);
}

/* ---- pending auto-created hosts ------------------------------------------- */

int store_pending_put(struct store *s, const char *mac, const char *source, long long now, long long until)
{
	char t[24], u[24];
	const char *p[4] = { mac, source, t, u };

	snprintf(t, sizeof(t), "%lld", now);
	snprintf(u, sizeof(u), "%lld", until);
	return db_exec(&s->db, "INSERT INTO pending (mac, source, time, holds_until) VALUES ($1, $2, $3, $4) ON "
			       "CONFLICT (mac) DO UPDATE SET source = excluded.source, time = excluded.time, "
			       "holds_until = excluded.holds_until", 4, p, NULL, NULL, NULL, 0) < 0 ?
		       -EIO : 0;
}

int store_pending_hold(struct store *s, const char *mac, long long until)
{
	char u[24];
	const char *p[2] = { mac, u };

	snprintf(u, sizeof(u), "%lld", until);
	return db_exec(&s->db, "UPDATE pending SET holds_until = $2 WHERE mac = $1", 2, p, NULL, NULL, NULL, 0) < 0 ?
		       -EIO : 0;
}

void store_pending_del(struct store *s, const char *mac)
{
	const char *p[1] = { mac };

	db_exec(&s->db, "DELETE FROM pending WHERE mac = $1", 1, p, NULL, NULL, NULL, 0);
}

struct counts {
	const char *source;
	unsigned int total, from_source;
};

static int count_pending(const struct db_row *r, void *ctx)
{
	struct counts *c = ctx;

	c->total++;
	if (strcmp(db_text(r, 0), c->source) == 0) {
		c->from_source++;
	}
	return 0;
}

int store_pending_count(struct store *s, const char *source, long long now, unsigned int *total,
			unsigned int *from_source)
{
	char t[24];
	const char *p[1] = { t };
	struct counts c = { .source = source };
	int rc;

	snprintf(t, sizeof(t), "%lld", now);
	/* no longer holding a place (the writer's transaction drops them); a
	 * row without holds_until (0: put by a lifeboatd of schema 1 still
	 * running beside us) holds it for the default session_grace */
	rc = db_exec(&s->db, "DELETE FROM pending WHERE COALESCE(NULLIF(holds_until, 0), time + 900) < "
			     "CAST($1 AS BIGINT)", 1, p, NULL, NULL, NULL, 0);
	if (rc >= 0) {
		rc = db_exec(&s->db, "SELECT source FROM pending WHERE COALESCE(NULLIF(holds_until, 0), time + 900) >= "
				     "CAST($1 AS BIGINT)", 1, p, count_pending, &c, NULL, 0);
	}
	*total = c.total;
	*from_source = c.from_source;
	return rc < 0 ? rc : 0;
}

/* ---- the last normal boots --------------------------------------------------------------- */

#define SEEN_CHUNK 64
#define SEEN_ONE "INSERT INTO seen (mac, time, source, decision) VALUES ($1, $2, $3, $4)"
#define SEEN_UPSERT " ON CONFLICT (mac) DO UPDATE SET time = excluded.time, source = excluded.source, " \
		    "decision = excluded.decision"

/* SEEN_CHUNK rows in one statement, its text made once (the statement
 * caches know a statement by the address of its text) */
static char seen_many[SEEN_CHUNK * 24 + 256];
static pthread_once_t seen_many_once = PTHREAD_ONCE_INIT;

static void make_seen_many(void)
{
	size_t n = (size_t)snprintf(seen_many, sizeof(seen_many), "INSERT INTO seen (mac, time, source, decision) VALUES ");
	int i;

	for (i = 0; i < SEEN_CHUNK; i++) {
		n += (size_t)snprintf(seen_many + n, sizeof(seen_many) - n, "%s($%d, $%d, $%d, $%d)", i ? ", " : "",
				      4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
	}
	snprintf(seen_many + n, sizeof(seen_many) - n, "%s", SEEN_UPSERT);
}

/* Only upserts of rows nothing reads first: on PostgreSQL a transaction
 * that locks those rows alone, so a flush of 10,000 boots never holds up
 * a claim or a report; on SQLite the one writer's lock, as every write. */
int store_seen_put(struct store *s, json_object *batch, char *err, size_t errlen)
{
	const char *p[4 * SEEN_CHUNK];
	char times[SEEN_CHUNK][24], why[300] = "";
	int rows = 0, rc, rows_txn = s->db.be->begin_rows != NULL;

	pthread_once(&seen_many_once, make_seen_many);
	rc = rows_txn ? db_begin_rows(&s->db, why, sizeof(why)) : store_lock(s, err, errlen);
	if (rc < 0) {
		if (rows_txn) {
			snprintf(err, errlen, "cannot write database %s: %s", s->db.shown, why);
		}
		return rc;
	}
	json_object_object_foreach(batch, mac, b)
	{
		snprintf(times[rows], sizeof(times[rows]), "%lld", jint(b, "time"));
		p[4 * rows] = mac;
		p[4 * rows + 1] = times[rows];
		p[4 * rows + 2] = jstr(b, "source");
		p[4 * rows + 3] = jstr(b, "decision");
		if (++rows == SEEN_CHUNK) {
			rc = db_exec(&s->db, seen_many, 4 * SEEN_CHUNK, p, NULL, NULL, why, sizeof(why));
			rows = 0;
			if (rc < 0) {
				break;
			}
		}
	}
	for (int i = 0; rc >= 0 && i < rows; i++) {
		rc = db_exec(&s->db, SEEN_ONE SEEN_UPSERT, 4, p + 4 * i, NULL, NULL, why, sizeof(why));
	}
	if (!rows_txn) {
		return store_unlock(s, err, errlen);
	}
	rc = db_commit(&s->db, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot write database %s: %s", s->db.shown, why);
	}
	return rc;
}

static int take_seen(const struct db_row *r, void *ctx)
{
	json_object *b = json_object_new_object();

	json_object_object_add(b, "time", json_object_new_int64(db_int(r, 0)));
	json_object_object_add(b, "source", json_object_new_string(db_text(r, 1)));
	json_object_object_add(b, "decision", json_object_new_string(db_text(r, 2)));
	*(json_object **)ctx = b;
	return 0;
}

json_object *store_seen_get(struct store *s, const char *mac)
{
	const char *p[1] = { mac };
	json_object *b = NULL;

	if (db_exec(&s->db, "SELECT time, source, decision FROM seen WHERE mac = $1", 1, p, take_seen, &b, NULL, 0) <
	    0) {
		json_object_put(b);
		return NULL;
	}
	return b;
}

/* ---- the database's own settings ---------------------------------------------------------- */

int store_meta_set(struct store *s, const char *key, const char *value)
{
	const char *p[2] = { key, value };

	return db_exec(&s->db, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET "
			       "value = excluded.value", 2, p, NULL, NULL, NULL, 0) < 0 ? -EIO : 0;
}

/* ---- new things -------------------------------------------------------------------- */

int store_new_token(char out[LB_TOKEN_LEN + 1])
{
	static const char alphabet[] = LB_TOKEN_CHARS;
	unsigned char raw[LB_TOKEN_LEN];
	size_t i;

	_Static_assert(LB_TOKEN_ISSUE_CHARS == 64, "one symbol per 6 bits");
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		return -EIO;
	}
	for (i = 0; i < sizeof(raw); i++) {
		out[i] = alphabet[raw[i] & 63]; /* 64 symbols: no bias */
	}
	out[sizeof(raw)] = '\0';
	return 0;
}

json_object *store_new_host(const char *mac, const char *policy)
{
	json_object *h = json_object_new_object();

	json_object_object_add(h, "mac", json_object_new_string(mac));
	json_object_object_add(h, "policy", json_object_new_string(policy));
	json_object_object_add(h, "nat", json_object_new_boolean(0));
	json_object_object_add(h, "created", json_object_new_int64((int64_t)time(NULL)));
	return h;
}
