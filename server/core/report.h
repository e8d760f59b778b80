/* Validation of a status report (the agent's wire format, version 1):
 * the JSON parsed strictly, then every member checked against the
 * report's table (type, bounds, content) before anything is stored.
 * Pure: bytes in, a clean copy or a reason out. */
#ifndef LIFEBOAT_REPORT_H
#define LIFEBOAT_REPORT_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/phase.h"
#include "core/schema.h"
#include "common/wire.h"

/* The members of a version-1 report; stored hosts hold one under "report". */
extern const struct schema_field report_members[];

/* Returns the report (new reference; members the table does not name are
 * left out) or NULL with err set ("interfaces[0].ipv4[1]: not a string"). */
json_object *report_parse(const char *body, size_t len, char *err, size_t errlen);

/* 1 when phase is one of the agent's phases. */
int report_phase_ok(const char *phase);

/* A batch of the rescue system's log (LB_PATH_LOGS): at most
 * LB_LOGS_MAX_BYTES of UTF-8 text, no NUL and no control character but
 * newline and tab (kmsg escapes the others as \xNN). 0 or -EINVAL with
 * err. */
int report_log_ok(const char *body, size_t len, char *err, size_t errlen);

/* What an agent may send: "kmsg" or "bundle". */
int report_log_kind_ok(const char *kind);
/* What the store keeps and GET .../logs?kind= takes: those and
 * "netconsole" (lifeboatd's own, from the kernel's UDP lines). */
int report_log_kind_stored(const char *kind);

#endif
