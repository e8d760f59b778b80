/* GET /metrics (metricsapi.c). */
#ifndef LIFEBOAT_METRICSAPI_H
#define LIFEBOAT_METRICSAPI_H

#include "lifeboatd/http.h"

enum MHD_Result handle_metrics(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
