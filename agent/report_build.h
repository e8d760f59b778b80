/* What a status report says (the reporter, report_send.c, sends it). Wire
 * format: docs/protocol.md#status-reports-wire-format-version-1. */
#ifndef LIFEBOAT_REPORT_BUILD_H
#define LIFEBOAT_REPORT_BUILD_H

#include "config.h"
#include "json.h"

#include "wire.h"

#define REPORT_FORMAT_VERSION LB_REPORT_VERSION

/* Builds one report from PID 1's state files and the machine. */
int report_build(struct json *j, const struct config *cfg, unsigned long seq, const char *phase);

#endif
