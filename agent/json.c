#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->failed) {
		return;
	}
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 1024;
		char *p = NULL;

		while (cap < j->len + n + 1) {
			cap *= 2;
		}
		p = realloc(j->buf, cap);
		if (p == NULL) {
			j->failed = -ENOMEM;
			return;
		}
		j->buf = p;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Before any value: a comma unless first at this level (or after a key). */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth]++ > 0) {
		put(j, ",", 1);
	}
}

static void open_(struct json *j, char c)
{
	sep(j);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->failed = -EINVAL;
		return;
	}
	put(j, &c, 1);
	j->depth++;
	j->count[j->depth] = 0;
}

static void close_(struct json *j, char c)
{
	if (j->depth == 0) {
		j->failed = -EINVAL;
		return;
	}
	put(j, &c, 1);
	j->depth--;
}

void json_object_begin(struct json *j)
{
	open_(j, '{');
}

void json_object_end(struct json *j)
{
	close_(j, '}');
}

void json_array_begin(struct json *j)
{
	open_(j, '[');
}

void json_array_end(struct json *j)
{
	close_(j, ']');
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		return 0;
	}
	return len;
}

static void put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	put(j, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		char esc[8];
		size_t l;

		switch (c) {
		case '"':
			puts_(j, "\\\"");
			i++;
			continue;
		case '\\':
			puts_(j, "\\\\");
			i++;
			continue;
		case '\n':
			puts_(j, "\\n");
			i++;
			continue;
		case '\r':
			puts_(j, "\\r");
			i++;
			continue;
		case '\t':
			puts_(j, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(j, esc);
			i++;
			continue;
		}
		l = utf8_len(p + i, n - i);
		if (l == 0) {
			puts_(j, "\\ufffd");
			i++;
			continue;
		}
		put(j, s + i, l);
		i += l;
	}
	put(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	put_escaped(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = 1;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	sep(j);
	put_escaped(j, s, n);
}

void json_string(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	char b[32];

	sep(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void json_uint(struct json *j, uint64_t v)
{
	char b[32];

	sep(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void json_double(struct json *j, double v, int decimals)
{
	char b[64];

	sep(j);
	if (v != v || v > 1e300 || v < -1e300) {
		puts_(j, "null"); /* JSON has no NaN or infinity */
		return;
	}
	snprintf(b, sizeof(b), "%.*f", decimals, v);
	puts_(j, b);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	puts_(j, "null");
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

int json_result(struct json *j, const char **text, size_t *len)
{
	if (j->failed) {
		return j->failed;
	}
	if (j->depth != 0 || j->after_key || j->buf == NULL) {
		return -EINVAL;
	}
	*text = j->buf;
	*len = j->len;
	return 0;
}
