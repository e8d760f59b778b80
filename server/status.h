/* Validation of a status report (the agent's wire format, version 1).
 * Pure: bytes in, parsed object or a reason out. */
#ifndef LIFEBOAT_STATUS_H
#define LIFEBOAT_STATUS_H

#include <json-c/json.h>
#include <stddef.h>

#define STATUS_MAX_BYTES (256 * 1024)

/* Returns the report (new reference) or NULL with err set. */
json_object *status_parse(const char *body, size_t len, char *err, size_t errlen);

#endif
