/* A host's stored JSON document (store.h) as every reader sees it:
 * through the host table, leniently, so a hostile or hand-edited document
 * (an older lifeboatd, a JSON import, an UPDATE by hand) shows what it can
 * and names what it skipped (page, API, lifeboatctl). Writers start from
 * the same clean copy. */
#ifndef LIFEBOAT_HOSTDOC_H
#define LIFEBOAT_HOSTDOC_H

#include <json-c/json.h>

#include "core/json.h"
#include "core/schema.h"

extern const struct schema_field host_members[];

/* The clean copy (new reference) of a parsed host document, or NULL when it
 * is not an object or has no valid "mac" (sk says why). */
json_object *hostdoc_clean(json_object *raw, struct schema_skipped *sk);

#endif
