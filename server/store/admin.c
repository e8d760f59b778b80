#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "store/admin.h"
#include "core/schema.h"
#include "core/session.h"

int admin_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= ADMIN_NAME_MAX && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int admin_token_add(struct store *s, const char *name, char token[ADMIN_TOKEN_LEN + 1], char *err,
		    size_t errlen)
{
	char hash[65], created[24], raw[LB_TOKEN_LEN + 1], why[300];
	const char *p[3] = { hash, name, created };
	int rc;

	if (!admin_name_ok(name)) {
		snprintf(err, errlen, "'%s' is not a name of 1 to 32 of a-z 0-9 . _ -", name);
		return -EINVAL;
	}
	if (store_new_token(raw) < 0) {
		snprintf(err, errlen, "cannot make a token: no randomness");
		return -EIO;
	}
	snprintf(token, ADMIN_TOKEN_LEN + 1, ADMIN_TOKEN_PREFIX "%s", raw);
	token_hash(token, hash);
	snprintf(created, sizeof(created), "%lld", (long long)time(NULL));
	rc = db_exec(&s->db, "INSERT INTO admin_tokens (hash, name, created) VALUES ($1, $2, $3)", 3, p, NULL, NULL,
		     why, sizeof(why));
	if (rc == -EEXIST) {
		snprintf(err, errlen, "%s has an admin token already (revoke it first)", name);
	} else if (rc < 0) {
		snprintf(err, errlen, "cannot store the admin token in %s: %s", s->db.shown, why);
	}
	return rc < 0 ? rc : 0;
}

int admin_token_revoke(struct store *s, const char *name)
{
	const char *p[1] = { name };

	return db_exec(&s->db, "DELETE FROM admin_tokens WHERE name = $1", 1, p, NULL, NULL, NULL, 0);
}

static int list_one(const struct db_row *r, void *ctx)
{
	char when[32] = "?";
	time_t t = (time_t)db_int(r, 1);
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	fprintf(ctx, "%-32s  created %s\n", db_text(r, 0), when);
	return 0;
}

int admin_token_list(struct store *s, FILE *out)
{
	int rc = db_exec(&s->db, "SELECT name, created FROM admin_tokens ORDER BY name", 0, NULL, list_one, out, NULL,
			 0);

	return rc < 0 ? rc : 0;
}

static int take_name(const struct db_row *r, void *ctx)
{
	if (admin_name_ok(db_text(r, 0))) {
		snprintf(ctx, ADMIN_NAME_MAX + 1, "%s", db_text(r, 0));
	}
	return 0;
}

int admin_token_by_hash(struct store *s, const char hash[65], char name[ADMIN_NAME_MAX + 1])
{
	const char *p[1] = { hash };
	int rc;

	name[0] = '\0';
	rc = db_exec(&s->db, "SELECT name FROM admin_tokens WHERE hash = $1", 1, p, take_name, name, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	return name[0] != '\0' ? 0 : -ENOENT;
}

int admin_token_find(struct store *s, const char *token, char name[ADMIN_NAME_MAX + 1])
{
	char hash[65];
	int rc;

	if (strncmp(token, ADMIN_TOKEN_PREFIX, sizeof(ADMIN_TOKEN_PREFIX) - 1) != 0) {
		return -EINVAL; /* an agent's token is never an admin's */
	}
	/* looked up by its SHA-256: what is compared is the hash of a secret,
	 * never the secret */
	token_hash(token, hash);
	rc = admin_token_by_hash(s, hash, name);
	return rc < 0 ? rc : 0;
}

int admin_host_allowed(const char *allowed, const char *host)
{
	char h[256], list[600], *tok = NULL, *save = NULL;

	if (host == NULL || host[0] == '\0' || strlen(host) >= sizeof(h)) {
		return 0;
	}
	snprintf(h, sizeof(h), "%s", host);
	/* strip :port (not inside an IPv6 literal) */
	if (h[0] == '[') {
		char *end = strchr(h, ']');

		if (end == NULL) {
			return 0;
		}
		end[1] = '\0';
	} else if (strchr(h, ':') != NULL) {
		*strchr(h, ':') = '\0';
	}
	snprintf(list, sizeof(list), "%s", allowed);
	for (tok = strtok_r(list, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save)) {
		if (strcasecmp(tok, h) == 0) {
			return 1;
		}
	}
	return 0;
}

int form_field(const char *body, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = body;

	while (p != NULL && *p != '\0') {
		const char *end = p + strcspn(p, "&");

		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = 0;

			for (p += klen + 1; p < end; p++) {
				int c = (unsigned char)*p;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (p + 2 >= end || hex_value(p[1]) < 0 || hex_value(p[2]) < 0) {
						return -EINVAL;
					}
					c = hex_value(p[1]) << 4 | hex_value(p[2]);
					p += 2;
				}
				if (c == 0 || n + 1 >= len) {
					return -EINVAL;
				}
				out[n++] = (char)c;
			}
			out[n] = '\0';
			return 0;
		}
		p = *end == '&' ? end + 1 : NULL;
	}
	return -ENOENT;
}
