#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/query.h"
#include "store/console.h"
#include "store/events.h"

/* In the caller's transaction: one host's lines, and its oldest beyond
 * CONSOLE_MAX gone. */
static int add_one(struct store *st, const struct console_batch *b)
{
	char m[18], t[24], keep[24];
	const char *trim[2] = { m, keep };
	size_t i;
	int rc = 0;

	if (parse_mac(b->mac, m) < 0) {
		return -EINVAL;
	}
	snprintf(t, sizeof(t), "%lld", b->time_ms);
	snprintf(keep, sizeof(keep), "%d", CONSOLE_MAX - 1);
	for (i = 0; rc >= 0 && i < b->n; i++) {
		const char *p[3] = { m, t, b->lines[i] };

		/* the rows it changed, or -errno */
		rc = db_exec(&st->db, "INSERT INTO console (mac, time, text) VALUES ($1, $2, $3)", 3, p, NULL, NULL, NULL, 0);
	}
	if (rc >= 0) {
		rc = db_exec(&st->db, "DELETE FROM console WHERE mac = $1 AND id < (SELECT id FROM console WHERE mac = $1 "
				      "ORDER BY id DESC LIMIT 1 OFFSET CAST($2 AS INTEGER))", 2, trim, NULL, NULL, NULL, 0);
	}
	return rc < 0 ? rc : 0;
}

int console_add_batches(struct store *st, const struct console_batch *b, size_t n)
{
	size_t i;
	int rc = store_lock(st, NULL, 0);

	if (rc < 0) {
		return rc;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		rc = add_one(st, &b[i]);
	}
	if (rc < 0) {
		store_abort(st);
		return rc;
	}
	return store_unlock(st, NULL, 0);
}

int console_add(struct store *st, const char *mac, long long time_ms, const char *const *lines, size_t n)
{
	struct console_batch b = { .time_ms = time_ms, .lines = (char **)lines, .n = n };

	if (strlen(mac) >= sizeof(b.mac)) {
		return -EINVAL;
	}
	snprintf(b.mac, sizeof(b.mac), "%s", mac);
	return console_add_batches(st, &b, 1);
}

struct rows {
	struct buf b;
	int times;
};

static int take_line(const struct db_row *r, void *ctx)
{
	struct rows *x = ctx;
	const char *text = db_text(r, 1);
	char stamp[40];

	if (x->b.too_big) {
		return 0;
	}
	if (x->times) {
		long long ms = db_int(r, 0);
		time_t s = (time_t)(ms / 1000);
		struct tm tm;

		gmtime_r(&s, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03lld ", ms % 1000);
		buf_append(&x->b, stamp, strlen(stamp), CONSOLE_READ_MAX);
	}
	buf_append(&x->b, text, strlen(text), CONSOLE_READ_MAX);
	buf_append(&x->b, "\n", 1, CONSOLE_READ_MAX);
	return 0;
}

char *console_read(struct store *st, const char *mac, long long since_ms, int times, int newest, size_t *len,
		   int *rc)
{
	struct rows x = { .b = { .p = NULL }, .times = times };
	char s[24], cap[24];
	const char *p[3] = { mac, s, cap };
	char *out = NULL;

	snprintf(s, sizeof(s), "%lld", since_ms);
	snprintf(cap, sizeof(cap), "%d", newest > 0 && newest < CONSOLE_MAX ? newest : CONSOLE_MAX);
	*rc = db_exec(&st->db, "SELECT time, text FROM (SELECT id, time, text FROM console WHERE mac = $1 AND "
			       "time >= CAST($2 AS BIGINT) ORDER BY id DESC LIMIT CAST($3 AS INTEGER)) AS newest ORDER BY id",
		      3, p, take_line, &x, NULL, 0);
	if (*rc < 0) {
		free(x.b.p);
		return NULL;
	}
	out = x.b.p != NULL ? x.b.p : strdup("");
	if (out == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	*len = x.b.p != NULL ? x.b.len : 0;
	return out;
}

int lease_take(struct store *st, const char *name, const char *owner, long long now, long long seconds)
{
	char n[24], u[24];
	const char *p[4] = { name, owner, u, n };
	struct db_text_copy who = { .text = NULL };
	int rc, mine;

	snprintf(n, sizeof(n), "%lld", now);
	snprintf(u, sizeof(u), "%lld", now + seconds);
	rc = store_lock(st, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	/* taken when free or run out, renewed when ours; another's stays */
	rc = db_exec(&st->db, "INSERT INTO leases (name, owner, until) VALUES ($1, $2, CAST($3 AS BIGINT)) ON CONFLICT "
			      "(name) DO UPDATE SET owner = excluded.owner, until = excluded.until WHERE leases.owner = "
			      "excluded.owner OR leases.until < CAST($4 AS BIGINT)", 4, p, NULL, NULL, NULL, 0);
	if (rc >= 0) { /* the rows it changed: 0 when another holds it */
		rc = db_exec(&st->db, "SELECT owner FROM leases WHERE name = $1", 1, p, db_copy_text, &who, NULL, 0);
	}
	if (rc < 0) {
		free(who.text);
		store_abort(st);
		return rc;
	}
	mine = who.text != NULL && strcmp(who.text, owner) == 0;
	free(who.text);
	rc = store_unlock(st, NULL, 0);
	return rc < 0 ? rc : mine;
}

void lease_drop(struct store *st, const char *name, const char *owner)
{
	const char *p[2] = { name, owner };

	if (store_lock(st, NULL, 0) == 0) {
		if (db_exec(&st->db, "DELETE FROM leases WHERE name = $1 AND owner = $2", 2, p, NULL, NULL, NULL, 0) < 0) {
			store_abort(st);
			return;
		}
		store_unlock(st, NULL, 0);
	}
}

struct walk {
	console_row_fn fn;
	void *ctx;
};

static int take_row(const struct db_row *r, void *ctx)
{
	struct walk *w = ctx;

	return w->fn(db_int(r, 0), db_int(r, 1), db_text(r, 2), w->ctx);
}

int console_rows(struct store *st, const char *mac, long long after_id, int newest, console_row_fn fn, void *ctx)
{
	struct walk w = { fn, ctx };
	char a[24], n[24];
	const char *p[3] = { mac, a, n };

	snprintf(a, sizeof(a), "%lld", after_id);
	if (after_id >= 0) {
		snprintf(n, sizeof(n), "%d", CONSOLE_ROWS_MAX);
		return db_exec(&st->db, "SELECT id, time, text FROM console WHERE mac = $1 AND id > CAST($2 AS BIGINT) "
				       "ORDER BY id LIMIT CAST($3 AS INTEGER)", 3, p, take_row, &w, NULL, 0);
	}
	snprintf(n, sizeof(n), "%d", newest > 0 && newest < CONSOLE_ROWS_MAX ? newest : CONSOLE_ROWS_MAX);
	p[1] = n;
	return db_exec(&st->db, "SELECT id, time, text FROM (SELECT id, time, text FROM console WHERE mac = $1 ORDER BY "
			       "id DESC LIMIT CAST($2 AS INTEGER)) AS newest ORDER BY id", 2, p, take_row, &w, NULL, 0);
}

struct last_event {
	long long id, time;
	char *text;
};

static int take_last(const struct db_row *r, void *ctx)
{
	struct last_event *e = ctx;

	e->id = db_int(r, 0);
	e->time = db_int(r, 1);
	free(e->text);
	e->text = strdup(db_text(r, 2));
	return 0;
}

/* In the caller's transaction: the event for len bytes typed by `by`.
 * When the host's newest event says `by` typed, less than
 * CONSOLE_TYPING_EVENT_S ago, it is counted in there (one event per
 * stretch of typing, not one per keystroke: the host's other events are
 * not pushed out of its log). */
static int note_typing(struct store *st, const char *m, long long now, size_t len, const char *by)
{
	static const char tail[] = " typed into the console by ";
	struct last_event e = { .id = 0, .text = NULL };
	const char *p[1] = { m };
	char id[24], text[300], *end = NULL, *after = NULL;
	unsigned long long before = 0;
	int rc = db_exec(&st->db, "SELECT id, time, text FROM events WHERE mac = $1 AND kind = 'console-input' AND id = "
				  "(SELECT MAX(id) FROM events WHERE mac = $1)", 1, p, take_last, &e, NULL, 0);

	if (rc >= 0 && e.text != NULL && now - e.time < CONSOLE_TYPING_EVENT_S) {
		before = strtoull(e.text, &end, 10);
		after = end != NULL ? strstr(end, tail) : NULL;
		if (after != NULL && strcmp(after + strlen(tail), by) == 0) {
			const char *u[2] = { text, id };

			snprintf(text, sizeof(text), "%llu bytes%s%s", before + len, tail, by);
			snprintf(id, sizeof(id), "%lld", e.id);
			free(e.text);
			rc = db_exec(&st->db, "UPDATE events SET text = $1 WHERE id = CAST($2 AS BIGINT)", 2, u, NULL, NULL,
				     NULL, 0);
			return rc < 0 ? rc : 0;
		}
	}
	free(e.text);
	if (rc < 0) {
		return rc;
	}
	return events_add(st, m, now, "console-input", "%zu byte%s%s%s", len, len == 1 ? "" : "s", tail, by);
}

int console_input_note(struct store *st, const char *mac, long long now, size_t len, const char *by)
{
	char m[18];
	int rc;

	if (parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	rc = store_lock(st, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	rc = note_typing(st, m, now, len, by);
	if (rc < 0) {
		store_abort(st);
		return rc;
	}
	return store_unlock(st, NULL, 0);
}

int console_input_add(struct store *st, const char *mac, long long now_ms, const char *data, size_t len,
		      const char *by)
{
	char m[18], t[24];
	const char *p[3] = { m, t, data };
	int rc;

	if (parse_mac(mac, m) < 0 || len == 0 || len > CONSOLE_INPUT_MAX || strlen(data) != len) {
		return -EINVAL;
	}
	snprintf(t, sizeof(t), "%lld", now_ms);
	rc = store_lock(st, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	rc = db_exec(&st->db, "INSERT INTO console_input (mac, time, data) VALUES ($1, $2, $3)", 3, p, NULL, NULL, NULL,
		     0);
	if (rc >= 0 && by != NULL) {
		rc = note_typing(st, m, now_ms / 1000, len, by);
	}
	if (rc < 0) {
		store_abort(st);
		return rc;
	}
	return store_unlock(st, NULL, 0);
}

struct queued {
	long long id;
	char mac[18];
	char *data;
};

struct queue {
	struct queued q[CONSOLE_INPUT_ROWS];
	size_t n;
};

static int take_queued(const struct db_row *r, void *ctx)
{
	struct queue *x = ctx;
	struct queued *q = &x->q[x->n];

	if (x->n == CONSOLE_INPUT_ROWS) {
		return 0;
	}
	q->id = db_int(r, 0);
	snprintf(q->mac, sizeof(q->mac), "%.17s", db_text(r, 1));
	q->data = strdup(db_text(r, 2));
	if (q->data != NULL) {
		x->n++;
	}
	return 0;
}

int console_input_take(struct store *st, long long expired_before, const struct console_input_ops *ops, void *ctx,
		       unsigned int *expired)
{
	struct queue *x = calloc(1, sizeof(*x));
	char id[24], before[24], lim[24];
	const char *p[1] = { id }, *e[1] = { before }, *l[1] = { lim };
	int mine[CONSOLE_INPUT_ROWS] = { 0 }, rc;
	size_t i;

	*expired = 0;
	if (x == NULL) {
		return -ENOMEM;
	}
	snprintf(lim, sizeof(lim), "%d", CONSOLE_INPUT_ROWS);
	snprintf(before, sizeof(before), "%lld", expired_before);
	rc = db_exec(&st->db, "SELECT id, mac, data FROM console_input ORDER BY id LIMIT CAST($1 AS INTEGER)", 1, l,
		     take_queued, x, NULL, 0);
	if (rc >= 0 && x->n > 0 && (rc = store_lock(st, NULL, 0)) == 0) {
		for (i = 0; rc >= 0 && i < x->n; i++) {
			mine[i] = ops->wants(x->q[i].mac, ctx);
			if (mine[i]) {
				snprintf(id, sizeof(id), "%lld", x->q[i].id);
				/* 0 rows: another took it first */
				rc = db_exec(&st->db, "DELETE FROM console_input WHERE id = CAST($1 AS BIGINT)", 1, p, NULL,
					     NULL, NULL, 0);
				mine[i] = rc > 0;
			}
		}
		if (rc >= 0) {
			rc = db_exec(&st->db, "DELETE FROM console_input WHERE time < CAST($1 AS BIGINT)", 1, e, NULL, NULL,
				     NULL, 0);
			*expired = rc > 0 ? (unsigned int)rc : 0;
		}
		if (rc >= 0) {
			rc = store_unlock(st, NULL, 0);
		} else {
			store_abort(st);
		}
	}
	for (i = 0; i < x->n; i++) {
		if (rc >= 0 && mine[i]) {
			ops->give(x->q[i].mac, x->q[i].data, ctx);
		}
		explicit_bzero(x->q[i].data, strlen(x->q[i].data));
		free(x->q[i].data);
	}
	free(x);
	return rc < 0 ? rc : 0;
}

int lease_held(struct store *st, const char *name, long long now)
{
	char n[24];
	const char *p[2] = { name, n };
	struct db_text_copy who = { .text = NULL };
	int rc, held;

	snprintf(n, sizeof(n), "%lld", now);
	rc = db_exec(&st->db, "SELECT owner FROM leases WHERE name = $1 AND until >= CAST($2 AS BIGINT)", 2, p,
		     db_copy_text, &who, NULL, 0);
	held = who.text != NULL;
	free(who.text);
	return rc < 0 ? rc : held;
}
