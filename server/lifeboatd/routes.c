/* Every URL lifeboatd answers, with the handler and whether the admin
 * gate (login.c) runs first. The HTTP layer (http.c) walks this table; it
 * knows no handler itself. */
#include "lifeboatd/agentapi.h"
#include "lifeboatd/boot.h"
#include "lifeboatd/control.h"
#include "lifeboatd/hostpage.h"
#include "lifeboatd/hostsapi.h"
#include "lifeboatd/login.h"
#include "lifeboatd/media.h"
#include "lifeboatd/metricsapi.h"
#include "lifeboatd/pageaction.h"
#include "lifeboatd/payload.h"
#include "lifeboatd/routes.h"
#include "common/wire.h"

const struct http_route routes[] = {
	{ "/", ROUTE_EXACT, HTTP_GET, ROUTE_ADMIN, handle_page },
	{ "/login", ROUTE_EXACT, HTTP_GET, ROUTE_OPEN, handle_login_form },
	{ "/login", ROUTE_EXACT, HTTP_POST, ROUTE_OPEN, handle_login },
	{ "/logout", ROUTE_EXACT, HTTP_POST, ROUTE_OPEN, handle_logout },
	{ "/hosts/", ROUTE_PREFIX, HTTP_POST, ROUTE_ADMIN, handle_page_action },
	{ "/boot.ipxe", ROUTE_EXACT, HTTP_GET, ROUTE_OPEN, handle_boot },
	{ "/chain.ipxe", ROUTE_EXACT, HTTP_GET, ROUTE_OPEN, handle_chain },
	{ "/payload/", ROUTE_PREFIX, HTTP_GET, ROUTE_OPEN, handle_payload },
	{ LB_PATH_MEDIA, ROUTE_PREFIX, HTTP_GET, ROUTE_OPEN, handle_media },
	{ LB_PATH_REPORT, ROUTE_EXACT, HTTP_POST, ROUTE_OPEN, handle_report },
	{ LB_PATH_LOGS, ROUTE_EXACT, HTTP_POST, ROUTE_OPEN, handle_logs },
	{ LB_PATH_KEYS, ROUTE_PREFIX, HTTP_GET, ROUTE_OPEN, handle_keys },
	{ "/api/v1/hosts", ROUTE_EXACT, HTTP_GET, ROUTE_ADMIN, handle_hosts },
	{ "/metrics", ROUTE_EXACT, HTTP_GET, ROUTE_ADMIN, handle_metrics },
	{ "/api/v1/hosts/", ROUTE_PREFIX, HTTP_GET, ROUTE_ADMIN, handle_host_get },
	{ "/api/v1/hosts/", ROUTE_PREFIX, HTTP_POST, ROUTE_ADMIN, handle_host_action },
};
const size_t routes_count = sizeof(routes) / sizeof(routes[0]);
