/* Getters on json-c objects that never fail: what readers of clean
 * documents (hostdoc.h, report.h) use, so a missing or mistyped member
 * reads as "", 0 or NULL instead of a crash. */
#ifndef LIFEBOAT_JSON_H
#define LIFEBOAT_JSON_H

#include <json-c/json.h>

/* "" / 0 / NULL when o is NULL, key is absent or of another type. */
const char *jstr(json_object *o, const char *key);
long long jint(json_object *o, const char *key);
int jbool(json_object *o, const char *key);
json_object *jget(json_object *o, const char *key);

/* Removes key from o when o is an object (json-c asserts otherwise). */
void jdel(json_object *o, const char *key);

/* 1 when a (anything: not trusted to be an array) is an array holding the
 * string s (nocase: in any case); other elements are passed over. */
int jarray_has(json_object *a, const char *s, int nocase);

#endif
