#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/metrics.h"
#include "common/clock.h"
#include "store/db.h"

static const struct {
	const char *prefix;
	const struct db_backend *be;
	int strip; /* 1: the target is what follows the prefix */
} schemes[] = {
	{ "postgresql://", &db_postgresql, 0 },
	{ "postgres://", &db_postgresql, 0 },
	{ "sqlite:", &db_sqlite, 1 },
};

/* Appends n bytes of p to out (of len, used *o), truncating. */
static void put(char *out, size_t len, size_t *o, const char *p, size_t n)
{
	while (n-- > 0 && *o + 1 < len) {
		out[(*o)++] = *p++;
	}
	out[*o] = '\0';
}

/* Where the value at v ends: at the next of seps or, when quoted and it
 * starts with a quote, after its closing one ('...' with \-escapes, which
 * may hold separators: the keyword form of libpq). */
static const char *value_end(const char *v, const char *seps, int quoted)
{
	if (!quoted || *v != '\'') {
		return v + strcspn(v, seps);
	}
	for (v++; *v != '\0' && *v != '\''; v += (*v == '\\' && v[1] != '\0') ? 2 : 1) {
	}
	return v + (*v == '\'');
}

/* Copies the key=value list src (separated by any of seps) to out, with
 * the value of every key that ends in "password" (password, sslpassword,
 * in any case) as ***. */
static void redact_params(const char *src, const char *seps, int quoted, char *out, size_t len, size_t *o)
{
	const char *p = src, *end = NULL;

	while (*p != '\0') {
		size_t sep = strspn(p, seps), key, field;

		put(out, len, o, p, sep);
		p += sep;
		key = strcspn(p, "=");
		field = strcspn(p, seps);
		if (p[key] != '=' || key > field) {
			put(out, len, o, p, field); /* no value: as it is */
			p += field;
			continue;
		}
		end = value_end(p + key + 1, seps, quoted);
		if (key >= 8 && strncasecmp(p + key - 8, "password", 8) == 0) {
			put(out, len, o, p, key + 1);
			put(out, len, o, "***", 3);
		} else {
			put(out, len, o, p, (size_t)(end - p));
		}
		p = end;
	}
}

void db_redact(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://"), *rest = NULL, *at = NULL, *colon = NULL, *query = NULL;
	size_t o = 0, auth;

	out[0] = '\0';
	if (scheme == NULL) {
		/* libpq's keyword form: host=... password=... */
		redact_params(url, " \t\n", 1, out, len, &o);
		return;
	}
	rest = scheme + 3;
	auth = strcspn(rest, "/?#");
	at = memrchr(rest, '@', auth);
	colon = at != NULL ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
	/* scheme://user:secret@host -> scheme://user@host */
	put(out, len, &o, url, (size_t)((colon != NULL ? colon : rest) - url));
	if (colon != NULL) {
		rest = at;
	}
	query = strchr(rest, '?');
	put(out, len, &o, rest, query != NULL ? (size_t)(query + 1 - rest) : strlen(rest));
	if (query != NULL) {
		redact_params(query + 1, "&", 0, out, len, &o);
	}
}

int db_setup(struct db *d, const char *url, const char *state_dir, unsigned timeout_ms, char *err, size_t errlen)
{
	const char *target = url;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->timeout_ms = timeout_ms != 0 ? timeout_ms : DB_TIMEOUT_MS;
	pthread_mutex_init(&d->down_mu, NULL);
	d->be = &db_sqlite;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(url, schemes[i].prefix, strlen(schemes[i].prefix)) == 0) {
			d->be = schemes[i].be;
			target = schemes[i].strip ? url + strlen(schemes[i].prefix) : url;
			break;
		}
	}
	if (i == sizeof(schemes) / sizeof(schemes[0]) && strstr(url, "://") != NULL) {
		snprintf(err, errlen, "cannot use database %.200s: not postgresql://..., sqlite:PATH or a file", url);
		return -EINVAL;
	}
	if (target[0] == '\0') {
		if ((size_t)snprintf(d->target, sizeof(d->target), "%s/lifeboat.db", state_dir) >= sizeof(d->target)) {
			snprintf(err, errlen, "cannot use state directory %.200s: path too long", state_dir);
			return -ENAMETOOLONG;
		}
	} else if ((size_t)snprintf(d->target, sizeof(d->target), "%s", target) >= sizeof(d->target)) {
		snprintf(err, errlen, "cannot use database %.200s: longer than %zu bytes", url, sizeof(d->target) - 1);
		return -ENAMETOOLONG;
	}
	if (d->be == &db_postgresql) {
		db_redact(url, d->shown, sizeof(d->shown));
	} else {
		snprintf(d->shown, sizeof(d->shown), "%.299s", d->target);
	}
	return 0;
}

/* The thread's connection sits behind a pointer to its back end's
 * disconnect, so the key's destructor (which gets only the pointer) can
 * close it. */
struct holder {
	void (*disconnect)(struct db_conn *c);
	struct db_conn *c;
};

static void holder_gone(void *p)
{
	struct holder *h = p;

	if (h != NULL) {
		h->disconnect(h->c);
		free(h);
	}
}

/* ---- a database that does not answer --------------------------------------------
 * Each thread has its own connection, so without this every thread would
 * wait out its own timeout on a hung server, one after the other. After
 * one call got no answer, calls fail at once for DB_RETRY_MS; then the
 * first call tries (the others still fail at once) and an answer of any
 * kind closes the gap. */

/* 0: go ahead (perhaps as the one call that tries again); -ETIMEDOUT. */
static int reachable(struct db *d, char *err, size_t errlen)
{
	uint64_t until = __atomic_load_n(&d->down_until, __ATOMIC_ACQUIRE), now = 0;

	if (until == 0) {
		return 0;
	}
	now = lb_mono_ms();
	if (now >= until && __atomic_compare_exchange_n(&d->down_until, &until, now + d->timeout_ms + DB_RETRY_MS, 0,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		return 0;
	}
	if (until == 0) {
		return 0; /* the gap closed meanwhile (the CAS read it) */
	}
	if (err != NULL) {
		pthread_mutex_lock(&d->down_mu);
		snprintf(err, errlen, "%s (not asked again for up to %u ms)", d->down_why, DB_RETRY_MS);
		pthread_mutex_unlock(&d->down_mu);
	}
	return -ETIMEDOUT;
}

static void mark_down(struct db *d, const char *why)
{
	pthread_mutex_lock(&d->down_mu);
	snprintf(d->down_why, sizeof(d->down_why), "%s", why);
	pthread_mutex_unlock(&d->down_mu);
	__atomic_store_n(&d->down_until, lb_mono_ms() + DB_RETRY_MS, __ATOMIC_RELEASE);
}

/* After a call that returned rc: no answer opens the gap, an answer
 * (a result or the server's error) closes it. */
static void judge(struct db *d, struct db_conn *c, int rc, const char *err)
{
	if (c != NULL && c->unreachable) {
		c->unreachable = 0;
		mark_down(d, err);
	} else if (rc != -ENOTCONN && rc != -ECONNREFUSED && rc != -ETIMEDOUT &&
		   __atomic_load_n(&d->down_until, __ATOMIC_ACQUIRE) != 0) {
		__atomic_store_n(&d->down_until, 0, __ATOMIC_RELEASE);
	}
}

int db_available(struct db *d, char *err, size_t errlen)
{
	uint64_t until = __atomic_load_n(&d->down_until, __ATOMIC_ACQUIRE);

	if (until == 0 || lb_mono_ms() >= until) {
		return 0;
	}
	return reachable(d, err, errlen);
}

/* Closes this thread's connection (the server rolls back what it had
 * open); the next call makes a new one. */
static void drop_conn(struct db *d)
{
	struct holder *h = d->key_made ? pthread_getspecific(d->key) : NULL;

	if (h != NULL) {
		pthread_setspecific(d->key, NULL);
		holder_gone(h);
	}
}

int db_conn(struct db *d, struct db_conn **c, char *err, size_t errlen)
{
	struct holder *h = NULL;
	char buf[300];
	int rc;

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	if (!d->key_made) {
		/* made by the first caller, before any thread starts (store_open) */
		if (pthread_key_create(&d->key, holder_gone) != 0) {
			snprintf(err, errlen, "cannot open database %s: out of thread keys", d->shown);
			return -EAGAIN;
		}
		d->key_made = 1;
	}
	h = pthread_getspecific(d->key);
	if (h != NULL) {
		*c = h->c;
		return 0;
	}
	rc = reachable(d, err, errlen);
	if (rc < 0) {
		return rc;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "cannot open database %s: out of memory", d->shown);
		return -ENOMEM;
	}
	rc = d->be->connect(d->target, d->timeout_ms, &h->c, err, errlen);
	if (rc < 0) {
		free(h);
		if (rc == -ETIMEDOUT) {
			mark_down(d, err);
		}
		return rc;
	}
	judge(d, h->c, 0, err); /* it answered: the gap, if any, is closed */
	h->disconnect = d->be->disconnect;
	pthread_setspecific(d->key, h);
	*c = h->c;
	return 0;
}

int db_exec(struct db *d, const char *sql, int nparams, const char *const *params, db_row_fn fn, void *ctx,
	    char *err, size_t errlen)
{
	struct db_conn *c = NULL;
	char buf[300];
	int rc;

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	rc = db_conn(d, &c, err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (c->in_txn && c->spoiled) {
		snprintf(err, errlen, "%s", c->spoil_reason);
		return -EIO;
	}
	rc = reachable(d, err, errlen);
	if (rc == 0) {
		uint64_t t0 = lb_mono_ns();

		rc = d->be->exec(c, sql, nparams, params, fn, ctx, err, errlen);
		metric_store_call((lb_mono_ns() - t0) / 1000);
		judge(d, c, rc, err);
	}
	if (rc < 0 && c->in_txn && !c->spoiled) {
		c->spoiled = 1;
		snprintf(c->spoil_reason, sizeof(c->spoil_reason), "%s", err);
	}
	return rc;
}

static int begin(struct db *d, const char *sql, char *err, size_t errlen)
{
	struct db_conn *c = NULL;
	int rc = db_conn(d, &c, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = reachable(d, err, errlen);
	if (rc < 0) {
		return rc;
	}
	rc = d->be->script(c, sql, err, errlen);
	judge(d, c, rc, err);
	if (rc < 0) {
		c->in_txn = 1; /* whatever of sql began */
		db_rollback(d);
		return rc;
	}
	c->in_txn = 1;
	c->spoiled = 0;
	c->spoil_reason[0] = '\0';
	return 0;
}

int db_begin(struct db *d, char *err, size_t errlen)
{
	return begin(d, d->be->begin_write, err, errlen);
}

int db_begin_rows(struct db *d, char *err, size_t errlen)
{
	return begin(d, d->be->begin_rows != NULL ? d->be->begin_rows : d->be->begin_write, err, errlen);
}

void db_rollback(struct db *d)
{
	struct db_conn *c = NULL;

	char why[300];
	int rc;

	if (!d->key_made || pthread_getspecific(d->key) == NULL || db_conn(d, &c, NULL, 0) < 0 || !c->in_txn) {
		return;
	}
	/* a server that does not answer is not waited for: the connection
	 * goes, and the server rolls back when it sees it gone */
	rc = reachable(d, NULL, 0);
	if (rc == 0) {
		rc = d->be->script(c, "ROLLBACK", why, sizeof(why));
		judge(d, c, rc, why);
	}
	c->in_txn = 0;
	if (rc < 0) {
		drop_conn(d);
	}
}

int db_commit(struct db *d, char *err, size_t errlen)
{
	struct db_conn *c = NULL;
	char buf[300];
	int rc;

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	rc = db_conn(d, &c, err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (!c->in_txn) {
		return 0;
	}
	if (c->spoiled) {
		snprintf(err, errlen, "rolled back: %s", c->spoil_reason);
		db_rollback(d);
		return -EIO;
	}
	rc = reachable(d, err, errlen);
	if (rc == 0) {
		rc = d->be->script(c, "COMMIT", err, errlen);
		judge(d, c, rc, err);
	}
	if (rc < 0) {
		db_rollback(d); /* may close c */
		return rc;
	}
	c->in_txn = 0;
	return 0;
}

int db_latest_version(const struct db *d)
{
	int n = 0;

	while (d->be->migrations[n] != NULL) {
		n++;
	}
	return n;
}

static int get_version(const struct db_row *r, void *ctx)
{
	*(long long *)ctx = db_int(r, 0);
	return 0;
}

int db_migrate(struct db *d, int to, int *from, char *err, size_t errlen)
{
	struct db_conn *c = NULL;
	long long v = 0;
	char num[24], why[300];
	const char *p[1] = { num };
	int latest = db_latest_version(d), rc, i;

	if (to <= 0 || to > latest) {
		to = latest;
	}
	rc = db_begin(d, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot open database %s: %s", d->shown, why);
		return rc;
	}
	db_conn(d, &c, NULL, 0);
	rc = db_exec(d, "CREATE TABLE IF NOT EXISTS lifeboat_schema (version BIGINT NOT NULL)", 0, NULL, NULL, NULL,
		     why, sizeof(why));
	if (rc >= 0) {
		rc = db_exec(d, "SELECT COALESCE(MAX(version), 0) FROM lifeboat_schema", 0, NULL, get_version, &v, why,
			     sizeof(why));
	}
	if (rc < 0) {
		goto err_txn;
	}
	*from = (int)v;
	if (v > latest) {
		snprintf(why, sizeof(why), "its schema is version %lld, newer than this lifeboat knows (%d): upgrade "
			 "lifeboat", v, latest);
		rc = -EPROTO;
		goto err_txn;
	}
	for (i = (int)v; i < to && rc >= 0; i++) {
		rc = d->be->script(c, d->be->migrations[i], why, sizeof(why));
		if (rc < 0) {
			size_t n = strlen(why);

			snprintf(why + n, sizeof(why) - n, " (migrating to schema version %d)", i + 1);
		}
	}
	if (rc >= 0 && to > v) {
		snprintf(num, sizeof(num), "%d", to);
		rc = db_exec(d, "DELETE FROM lifeboat_schema", 0, NULL, NULL, NULL, why, sizeof(why));
		if (rc >= 0) {
			rc = db_exec(d, "INSERT INTO lifeboat_schema (version) VALUES ($1)", 1, p, NULL, NULL, why,
				     sizeof(why));
		}
	}
	if (rc < 0) {
		goto err_txn;
	}
	rc = db_commit(d, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot open database %s: %s", d->shown, why);
		return rc;
	}
	return 0;

err_txn:
	db_rollback(d);
	snprintf(err, errlen, "cannot open database %s: %s", d->shown, why);
	return rc < 0 ? rc : -EIO;
}

const char *db_text(const struct db_row *r, int i)
{
	return i < r->n && r->v[i] != NULL ? r->v[i] : "";
}

long long db_int(const struct db_row *r, int i)
{
	return i < r->n && r->v[i] != NULL ? strtoll(r->v[i], NULL, 10) : 0;
}

int db_copy_text(const struct db_row *r, void *ctx)
{
	struct db_text_copy *c = ctx;

	c->rows++;
	free(c->text);
	c->text = strdup(db_text(r, 0));
	return c->text == NULL ? -ENOMEM : 0;
}
