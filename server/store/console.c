#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/query.h"
#include "store/console.h"

int console_add(struct store *st, const char *mac, long long time_ms, const char *const *lines, size_t n)
{
	char m[18], t[24], keep[24];
	const char *trim[2] = { m, keep };
	size_t i;
	int rc;

	if (parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	snprintf(t, sizeof(t), "%lld", time_ms);
	snprintf(keep, sizeof(keep), "%d", CONSOLE_MAX - 1);
	rc = store_lock(st, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	for (i = 0; rc >= 0 && i < n; i++) {
		const char *p[3] = { m, t, lines[i] };

		/* the rows it changed, or -errno */
		rc = db_exec(&st->db, "INSERT INTO console (mac, time, text) VALUES ($1, $2, $3)", 3, p, NULL, NULL, NULL, 0);
	}
	if (rc >= 0) {
		rc = db_exec(&st->db, "DELETE FROM console WHERE mac = $1 AND id < (SELECT id FROM console WHERE mac = $1 "
				      "ORDER BY id DESC LIMIT 1 OFFSET CAST($2 AS INTEGER))", 2, trim, NULL, NULL, NULL, 0);
	}
	if (rc < 0) {
		store_abort(st);
		return rc;
	}
	return store_unlock(st, NULL, 0);
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
