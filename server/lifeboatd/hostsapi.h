/* The readers' API (hostsapi.c): GET /api/v1/hosts[/<mac>]. */
#ifndef LIFEBOAT_HOSTSAPI_H
#define LIFEBOAT_HOSTSAPI_H

#include <json-c/json.h>

#include "core/schema.h"
#include "lifeboatd/http.h"

enum MHD_Result handle_hosts(struct MHD_Connection *c, struct req *r, const char *mac);

/* What the API shows of a host (a new reference): no token hash, the
 * last request seen (already read with the host when seen_read), what of
 * a damaged document was skipped. */
json_object *api_host(json_object *h, const char *mac, const struct schema_skipped *sk, int seen_read);

#endif
