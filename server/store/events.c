#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/events.h"
#include "core/query.h"

int events_add(struct store *st, const char *mac, long long now, const char *kind, const char *fmt, ...)
{
	char m[18], t[24], text[600], keep[24];
	const char *p[4] = { m, t, kind, text }, *trim[2] = { m, keep };
	va_list ap;
	int rc;

	if (parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(t, sizeof(t), "%lld", now);
	snprintf(keep, sizeof(keep), "%d", EVENTS_MAX - 1);
	rc = db_exec(&st->db, "INSERT INTO events (mac, time, kind, text) VALUES ($1, $2, $3, $4)", 4, p, NULL, NULL,
		     NULL, 0);
	if (rc >= 0) {
		store_event_made(st, m, now, kind, text);
		/* the newest EVENTS_MAX stay */
		rc = db_exec(&st->db, "DELETE FROM events WHERE mac = $1 AND id < (SELECT id FROM events WHERE mac = $1 "
				      "ORDER BY id DESC LIMIT 1 OFFSET CAST($2 AS INTEGER))", 2, trim, NULL, NULL, NULL, 0);
	}
	return rc < 0 ? rc : 0;
}

static int take_event(const struct db_row *r, void *ctx)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "time", json_object_new_int64(db_int(r, 0)));
	json_object_object_add(e, "kind", json_object_new_string(db_text(r, 1)));
	json_object_object_add(e, "text", json_object_new_string(db_text(r, 2)));
	json_object_array_add(ctx, e);
	return 0;
}

json_object *events_read(struct store *st, const char *mac, size_t max)
{
	json_object *newest = json_object_new_array(), *out = json_object_new_array();
	char n[24];
	const char *p[2] = { mac, n };
	size_t i, len;

	snprintf(n, sizeof(n), "%zu", max);
	db_exec(&st->db, "SELECT time, kind, text FROM events WHERE mac = $1 ORDER BY id DESC LIMIT CAST($2 AS INTEGER)",
		2, p, take_event, newest, NULL, 0);
	len = json_object_array_length(newest);
	for (i = len; i > 0; i--) {
		json_object_array_add(out, json_object_get(json_object_array_get_idx(newest, i - 1)));
	}
	json_object_put(newest);
	return out;
}
