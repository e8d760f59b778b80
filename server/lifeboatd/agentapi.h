/* The agent's side of the API (agentapi.c), authenticated by the rescue
 * session's token: POST /api/v1/status (the report) and GET
 * /api/v1/keys/<mac> (the SSH keys for the session). */
#ifndef LIFEBOAT_AGENTAPI_H
#define LIFEBOAT_AGENTAPI_H

#include "lifeboatd/http.h"

enum MHD_Result handle_report(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_keys(struct MHD_Connection *c, struct req *r, const char *mac);

/* POST /api/v1/logs?kind=kmsg|bundle: a batch of the rescue system's log
 * with the session's token, from its bound address. */
enum MHD_Result handle_logs(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
