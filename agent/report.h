/* What a status report says (the reporter, reporter.c, sends it). Wire
 * format: README, "Status reports". */
#ifndef LIFEBOAT_REPORT_H
#define LIFEBOAT_REPORT_H

#include "config.h"
#include "json.h"

#include "wire.h"

#define REPORT_FORMAT_VERSION LB_REPORT_VERSION

/* Builds one report from PID 1's state files and the machine. */
int report_build(struct json *j, const struct config *cfg, unsigned long seq, const char *phase);

#endif
