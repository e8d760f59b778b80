#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "core/addr.h"
#include "core/schema.h"

#define PATH_MAX_LEN 160

struct walk {
	int strict;
	char *err;
	size_t errlen;
	int failed;
	struct schema_skipped *sk;
};

static void note(struct walk *w, const char *path, const char *why)
{
	if (w->strict) {
		if (!w->failed) {
			snprintf(w->err, w->errlen, "%s: %s", path, why);
		}
		w->failed = 1;
		return;
	}
	if (w->sk != NULL) {
		size_t used = strlen(w->sk->text);

		if (used + 4 < sizeof(w->sk->text)) {
			snprintf(w->sk->text + used, sizeof(w->sk->text) - used, "%s%s (%s)", used ? "; " : "", path,
				 why);
		}
		w->sk->count++;
	}
}

static const char *kind_name(enum schema_kind k)
{
	static const char *const names[] = { "a string", "an integer", "a number", "true or false", "an object",
					     "an array" };

	return names[k];
}

static json_object *clean_object(json_object *o, const struct schema_field *members, const char *path,
				 struct walk *w, int *ok);

/* One value against its field: *ok = 0 when it is wrong (noted), else the
 * clean copy (NULL for a JSON null). */
static json_object *clean_value(json_object *v, const struct schema_field *f, const char *path, struct walk *w,
				int *ok)
{
	char why[160];

	*ok = 1;
	if (v == NULL) {
		if (f->flags & SF_NULL) {
			return NULL;
		}
		snprintf(why, sizeof(why), "null, want %s", kind_name(f->kind));
		goto err_type;
	}
	switch (f->kind) {
	case SK_STRING: {
		const char *s = NULL;
		int64_t n;

		if (!json_object_is_type(v, json_type_string)) {
			break;
		}
		s = json_object_get_string(v);
		n = (int64_t)json_object_get_string_len(v);
		if ((size_t)n != strlen(s) || n < f->min || n > f->max) {
			snprintf(why, sizeof(why), "%lld bytes, want %lld to %lld", (long long)n, (long long)f->min,
				 (long long)f->max);
			goto err_type;
		}
		if (!(f->check ? f->check(s) : schema_text(s))) {
			snprintf(why, sizeof(why), "not %s", f->want ? f->want : "text");
			goto err_type;
		}
		return json_object_new_string(s);
	}
	case SK_INT: {
		int64_t n;

		if (!json_object_is_type(v, json_type_int)) {
			break;
		}
		n = json_object_get_int64(v); /* json-c clamps what overflows */
		if (n < f->min || n > f->max) {
			snprintf(why, sizeof(why), "%lld is out of range %lld to %lld", (long long)n, (long long)f->min,
				 (long long)f->max);
			goto err_type;
		}
		return json_object_new_int64(n);
	}
	case SK_NUMBER: {
		double d;

		if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
			break;
		}
		d = json_object_get_double(v);
		if (!(d >= (double)f->min && d <= (double)f->max)) {
			snprintf(why, sizeof(why), "out of range %lld to %lld", (long long)f->min, (long long)f->max);
			goto err_type;
		}
		return json_object_new_double(d);
	}
	case SK_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			break;
		}
		return json_object_new_boolean(json_object_get_boolean(v));
	case SK_OBJECT:
		if (!json_object_is_type(v, json_type_object)) {
			break;
		}
		return clean_object(v, f->members, path, w, ok);
	case SK_ARRAY: {
		json_object *out = NULL;
		size_t i, n;

		if (!json_object_is_type(v, json_type_array)) {
			break;
		}
		n = json_object_array_length(v);
		if ((int64_t)n > f->max) {
			snprintf(why, sizeof(why), "%zu items, want at most %lld", n, (long long)f->max);
			goto err_type;
		}
		out = json_object_new_array();
		for (i = 0; i < n; i++) {
			char sub[PATH_MAX_LEN];
			json_object *c = NULL;
			int eok = 0;

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			c = clean_value(json_object_array_get_idx(v, i), f->elem, sub, w, &eok);
			if (w->failed) {
				json_object_put(out);
				*ok = 0;
				return NULL;
			}
			if (eok) {
				json_object_array_add(out, c);
			}
		}
		return out;
	}
	}
	snprintf(why, sizeof(why), "not %s", kind_name(f->kind));
err_type:
	note(w, path, why);
	*ok = 0;
	return NULL;
}

static json_object *clean_object(json_object *o, const struct schema_field *members, const char *path,
				 struct walk *w, int *ok)
{
	json_object *out = json_object_new_object();
	const struct schema_field *f = NULL;

	*ok = 1;
	for (f = members; f->name != NULL; f++) {
		char sub[PATH_MAX_LEN];
		json_object *v = NULL, *c = NULL;
		int vok = 0;

		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", f->name);
		if (!json_object_object_get_ex(o, f->name, &v)) {
			if (f->flags & SF_REQUIRED) {
				note(w, sub, "missing");
				goto err_member;
			}
			continue;
		}
		c = clean_value(v, f, sub, w, &vok);
		if (w->failed) {
			goto err_member;
		}
		if (!vok) {
			if (f->flags & SF_REQUIRED) {
				goto err_member; /* lenient: the whole object goes */
			}
			continue;
		}
		json_object_object_add(out, f->name, c);
	}
	return out;

err_member:
	json_object_put(out);
	*ok = 0;
	return NULL;
}

json_object *schema_strict(json_object *doc, const struct schema_field *members, char *err, size_t errlen)
{
	struct walk w = { .strict = 1, .err = err, .errlen = errlen };
	json_object *out = NULL;
	int ok = 0;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		return NULL;
	}
	out = clean_object(doc, members, "", &w, &ok);
	return ok ? out : NULL;
}

json_object *schema_lenient(json_object *doc, const struct schema_field *members, struct schema_skipped *sk)
{
	struct walk w = { .strict = 0, .sk = sk };
	int ok = 0;
	json_object *out = NULL;

	if (!json_object_is_type(doc, json_type_object)) {
		note(&w, "(document)", "not a JSON object");
		return NULL;
	}
	out = clean_object(doc, members, "", &w, &ok);
	return ok ? out : NULL;
}

/* ---- content checks ------------------------------------------------------ */

/* UTF-8 without C1 controls; C0 controls and DEL only when controls. */
static int utf8_ok(const char *s, int controls)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned int c = *p, need, i, cp;

		if (c < 0x80) {
			if (!controls && (c < 0x20 || c == 0x7f)) {
				return 0;
			}
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return 0;
			}
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong, surrogates, beyond U+10FFFF; C1 controls */
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
			return 0;
		}
		p += need + 1;
	}
	return 1;
}

int schema_text(const char *s)
{
	return utf8_ok(s, 0);
}

int schema_keys(const char *s)
{
	return utf8_ok(s, 1);
}

int schema_word(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+-") == strlen(s);
}

int schema_mac(const char *s)
{
	char m[18];

	return parse_mac(s, m) == 0;
}

int schema_ipv4(const char *s)
{
	struct in_addr a;

	return strlen(s) <= 15 && inet_pton(AF_INET, s, &a) == 1;
}

/* "address/bits": the address as addr_ok says, bits 0 to max_bits. */
static int schema_cidr(const char *s, int (*addr_ok)(const char *), long max_bits)
{
	char addr[ADDR_TEXT_MAX];
	const char *slash = strchr(s, '/');
	char *end = NULL;
	long bits;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr) || !isdigit((unsigned char)slash[1])) {
		return 0;
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	bits = strtol(slash + 1, &end, 10);
	return *end == '\0' && bits >= 0 && bits <= max_bits && addr_ok(addr);
}

int schema_ipv4_cidr(const char *s)
{
	return schema_cidr(s, schema_ipv4, 32);
}

int schema_ip(const char *s)
{
	char out[ADDR_TEXT_MAX];

	return addr_parse(s, out) > 0;
}

static int schema_ipv6(const char *s)
{
	char out[ADDR_TEXT_MAX];

	return addr_parse_ipv6(s, out) == 0;
}

int schema_ipv6_cidr(const char *s)
{
	return schema_cidr(s, schema_ipv6, 128);
}

int schema_base64(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen(s);
}

int schema_pubkey(const char *s)
{
	const char *sp = strchr(s, ' '), *b64 = NULL, *end = NULL;
	char type[64], key[8192];
	size_t tl, kl, i;

	if (sp == NULL || (tl = (size_t)(sp - s)) == 0 || tl >= sizeof(type)) {
		return 0;
	}
	memcpy(type, s, tl);
	type[tl] = '\0';
	if ((strncmp(type, "ssh-", 4) != 0 && strncmp(type, "ecdsa-", 6) != 0 && strncmp(type, "sk-", 3) != 0) ||
	    strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789-@.") != tl) {
		return 0;
	}
	b64 = sp + 1;
	end = strchr(b64, ' ');
	kl = end ? (size_t)(end - b64) : strlen(b64);
	if (kl == 0 || kl >= sizeof(key)) {
		return 0;
	}
	memcpy(key, b64, kl);
	key[kl] = '\0';
	if (!schema_base64(key)) {
		return 0;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return 0; /* one line, no control characters in the comment */
		}
	}
	return 1;
}

int schema_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The first top-level member of o that members does not name, or NULL. */
static const char *unknown_member(json_object *o, const struct schema_field *members)
{
	json_object_object_foreach(o, key, val) {
		const struct schema_field *f = members;

		(void)val;
		while (f->name != NULL && strcmp(f->name, key) != 0) {
			f++;
		}
		if (f->name == NULL) {
			return key;
		}
	}
	return NULL;
}

json_object *schema_parse(const char *body, size_t len, size_t max, const struct schema_field *members,
			  int refuse_unknown, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *o = NULL, *clean = NULL;
	enum json_tokener_error jerr;
	char why[400];

	if (len == 0) {
		snprintf(err, errlen, "empty body");
		return NULL;
	}
	if (len > max) {
		snprintf(err, errlen, "body larger than %zu bytes", max);
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in body");
		return NULL;
	}
	tok = json_tokener_new_ex(24);
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o != NULL && jerr == json_tokener_success && json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "trailing bytes after the JSON value");
		goto err_parse;
	}
	if (o == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "malformed JSON: %s", json_tokener_error_desc(jerr == json_tokener_continue ?
										 json_tokener_error_parse_eof : jerr));
		goto err_parse;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the body is not a JSON object");
		goto err_parse;
	}
	if (refuse_unknown && unknown_member(o, members) != NULL) {
		snprintf(err, errlen, "%s: unknown member", unknown_member(o, members));
		goto err_parse;
	}
	clean = schema_strict(o, members, why, sizeof(why));
	if (clean == NULL) {
		snprintf(err, errlen, "%s", why);
		goto err_parse;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return clean;

err_parse:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}
