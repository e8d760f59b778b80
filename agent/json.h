/* A small JSON writer for the status report: always produces valid JSON
 * (strings escaped, invalid UTF-8 replaced by U+FFFD), into a growable
 * buffer. Commas are managed by nesting level. */
#ifndef LIFEBOAT_JSON_H
#define LIFEBOAT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	int depth;
	int count[JSON_MAX_DEPTH]; /* members written at each level */
	int after_key;
	int failed;                /* out of memory or nesting misuse */
};

void json_init(struct json *j);
void json_free(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);        /* NULL writes null */
void json_string_n(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* key + value shorthands */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, int v);

/* 0 and the finished text (owned by j), or -ENOMEM / -EINVAL. */
int json_result(struct json *j, const char **text, size_t *len);

#endif
