/* A host's stored JSON document (store.h) as every reader sees it:
 * through the host table, leniently, so a hostile or hand-edited document
 * (an older lifeboatd, a JSON import, an UPDATE by hand) shows what it can
 * and names what it skipped (page, API, lifeboatctl). Writers start from
 * the same clean copy. */
#ifndef LIFEBOAT_HOSTFILE_H
#define LIFEBOAT_HOSTFILE_H

#include <json-c/json.h>

#include "schema.h"

extern const struct schema_field host_members[];

/* The clean copy (new reference) of a parsed host document, or NULL when it
 * is not an object or has no valid "mac" (sk says why). */
json_object *hostfile_clean(json_object *raw, struct schema_skipped *sk);

/* Convenience getters on a clean host: "" / 0 / NULL when absent. */
const char *jstr(json_object *o, const char *key);
long long jint(json_object *o, const char *key);
int jbool(json_object *o, const char *key);
json_object *jget(json_object *o, const char *key);

/* Removes key from o when o is an object (json-c asserts otherwise). */
void jdel(json_object *o, const char *key);

#endif
