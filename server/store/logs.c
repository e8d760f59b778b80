#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/query.h"
#include "store/logs.h"

int logs_add(struct store *st, const char *mac, long long session, long long now, const char *kind, const char *text)
{
	char m[18], s[24], t[24], keep[24];
	const char *p[5] = { m, s, t, kind, text }, *trim[2] = { m, keep };
	int rc;

	if (parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	snprintf(s, sizeof(s), "%lld", session);
	snprintf(t, sizeof(t), "%lld", now);
	snprintf(keep, sizeof(keep), "%d", LOGS_MAX - 1);
	rc = db_exec(&st->db, "INSERT INTO logs (mac, session, time, kind, text) VALUES ($1, $2, $3, $4, $5)", 5, p,
		     NULL, NULL, NULL, 0);
	if (rc >= 0) {
		rc = db_exec(&st->db, "DELETE FROM logs WHERE mac = $1 AND id < (SELECT id FROM logs WHERE mac = $1 "
				      "ORDER BY id DESC LIMIT 1 OFFSET CAST($2 AS INTEGER))", 2, trim, NULL, NULL, NULL, 0);
	}
	return rc < 0 ? rc : 0;
}

struct rows {
	struct buf b;
	int headers;
};

static int take_row(const struct db_row *r, void *ctx)
{
	struct rows *x = ctx;
	const char *text = db_text(r, 2);
	char head[80];
	size_t n = strlen(text);

	if (x->b.too_big) {
		return 0;
	}
	if (x->headers) {
		snprintf(head, sizeof(head), "== %s %lld\n", db_text(r, 1), db_int(r, 0));
		buf_append(&x->b, head, strlen(head), LOGS_READ_MAX);
	}
	buf_append(&x->b, text, n, LOGS_READ_MAX);
	if (n > 0 && text[n - 1] != '\n') {
		buf_append(&x->b, "\n", 1, LOGS_READ_MAX);
	}
	return 0;
}

char *logs_read(struct store *st, const char *mac, long long since, const char *kind, int headers, size_t *len,
		int *rc)
{
	static const char more[] = "lifeboatd: (more than 1 MiB: the rest left out; ask with a later --since)\n";
	struct rows x = { .b = { .p = NULL }, .headers = headers };
	char s[24], cap[24];
	const char *p[4] = { mac, s, kind, cap };
	char *out = NULL;

	snprintf(s, sizeof(s), "%lld", since);
	snprintf(cap, sizeof(cap), "%d", LOGS_MAX);
	/* the newest LOGS_MAX (the inner LIMIT), in their order */
	*rc = db_exec(&st->db, "SELECT time, kind, text FROM (SELECT id, time, kind, text FROM logs WHERE mac = $1 AND "
			       "time >= CAST($2 AS BIGINT) AND ($3 = '' OR kind = $3) ORDER BY id DESC LIMIT "
			       "CAST($4 AS INTEGER)) AS newest ORDER BY id",
		      4, p, take_row, &x, NULL, 0);
	if (*rc < 0) {
		free(x.b.p);
		return NULL;
	}
	if (x.b.too_big) {
		x.b.too_big = 0;
		buf_append(&x.b, more, sizeof(more) - 1, LOGS_READ_MAX + sizeof(more));
	}
	out = x.b.p != NULL ? x.b.p : strdup("");
	if (out == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	*len = x.b.p != NULL ? x.b.len : 0;
	return out;
}
