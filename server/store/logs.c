#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "store/logs.h"

int logs_add(struct store *st, const char *mac, long long session, long long now, const char *kind, const char *text,
	     char *err, size_t errlen)
{
	char m[18], s[24], t[24], keep[24];
	const char *p[5] = { m, s, t, kind, text }, *trim[3] = { m, kind, keep };
	int rc;

	if (parse_mac(mac, m) < 0) {
		snprintf(err, errlen, "not a MAC: %s", mac);
		return -EINVAL;
	}
	snprintf(s, sizeof(s), "%lld", session);
	snprintf(t, sizeof(t), "%lld", now);
	snprintf(keep, sizeof(keep), "%d", (strcmp(kind, "bundle") == 0       ? LOGS_BUNDLES_MAX :
					    strcmp(kind, "netconsole") == 0 ? LOGS_NETCONSOLE_MAX :
									      LOGS_MAX) - 1);
	rc = db_exec(&st->db, "INSERT INTO logs (mac, session, time, kind, text) VALUES ($1, $2, $3, $4, $5)", 5, p,
		     NULL, NULL, err, errlen);
	if (rc >= 0) {
		/* the newest of this kind stay */
		rc = db_exec(&st->db, "DELETE FROM logs WHERE mac = $1 AND kind = $2 AND id < (SELECT id FROM logs WHERE "
				      "mac = $1 AND kind = $2 ORDER BY id DESC LIMIT 1 OFFSET CAST($3 AS INTEGER))", 3, trim,
			     NULL, NULL, err, errlen);
	}
	return rc < 0 ? rc : 0;
}

struct rows {
	char *text[LOGS_MAX + LOGS_BUNDLES_MAX + LOGS_NETCONSOLE_MAX];
	size_t n, bytes;
	int full, headers;
};

/* newest first, as long as they fit */
static int take_row(const struct db_row *r, void *ctx)
{
	struct rows *x = ctx;
	const char *text = db_text(r, 2);
	char *one = NULL;
	size_t n = strlen(text);

	if (x->full || x->n == sizeof(x->text) / sizeof(x->text[0])) {
		x->full = 1; /* said: older ones left out */
		return 0;
	}
	if (x->bytes + n + 80 > LOGS_READ_MAX) {
		x->full = 1;
		return 0;
	}
	if ((x->headers ? asprintf(&one, "== %s %lld\n%s%s", db_text(r, 1), db_int(r, 0), text,
				   n > 0 && text[n - 1] != '\n' ? "\n" : "") :
			  asprintf(&one, "%s%s", text, n > 0 && text[n - 1] != '\n' ? "\n" : "")) < 0) {
		return -ENOMEM;
	}
	x->text[x->n++] = one;
	x->bytes += strlen(one);
	return 0;
}

char *logs_read(struct store *st, const char *mac, long long since, const char *kind, int headers, size_t *len,
		int *rc)
{
	static const char more[] = "lifeboatd: (older ones left out: more than 1 MiB or 520 batches; ask with a later "
				   "--since)\n";
	struct rows *x = calloc(1, sizeof(*x));
	char s[24], *out = NULL, *o = NULL;
	const char *p[3] = { mac, s, kind };
	size_t i;

	if (x == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	x->headers = headers;
	snprintf(s, sizeof(s), "%lld", since);
	*rc = db_exec(&st->db, "SELECT time, kind, text FROM logs WHERE mac = $1 AND time >= CAST($2 AS BIGINT) AND "
			       "($3 = '' OR kind = $3) ORDER BY id DESC", 3, p, take_row, x, NULL, 0);
	out = *rc < 0 ? NULL : malloc(x->bytes + sizeof(more));
	if (out != NULL) {
		o = out;
		if (x->full) {
			memcpy(o, more, sizeof(more) - 1);
			o += sizeof(more) - 1;
		}
		for (i = x->n; i > 0; i--) {
			size_t l = strlen(x->text[i - 1]);

			memcpy(o, x->text[i - 1], l);
			o += l;
		}
		*o = '\0';
		*len = (size_t)(o - out);
	} else if (*rc >= 0) {
		*rc = -ENOMEM;
	}
	for (i = 0; i < x->n; i++) {
		free(x->text[i]);
	}
	free(x);
	return out;
}
