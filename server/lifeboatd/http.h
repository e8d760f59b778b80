/* lifeboatd's HTTP layer on libmicrohttpd: one request's record, the
 * answers every handler uses, the shape of a route table (the table is
 * lifeboatd/routes.c: this layer knows no handler), and the connection
 * policy (per-address limit, total cap answered with 503, a deadline
 * for receiving a whole request). */
#ifndef LIFEBOAT_HTTP_H
#define LIFEBOAT_HTTP_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <stddef.h>

#include "core/addr.h"

struct req {
	uint64_t start_ns;   /* lb_mono_ns() at the first byte, for the log */
	char method[8];
	char path[256];
	unsigned int status;
	uint64_t bytes;
	char *body;
	size_t len;
	int too_big;
	char client[ADDR_TEXT_MAX]; /* canonical text; IPv4-mapped as IPv4 */
	char why[200];      /* for 4xx/5xx: the reason, logged */
	int tls;            /* it came in on the HTTPS listener */
	int local;          /* it came in on the control socket (admin: the peer's user) */
	char admin[33];     /* admin routes: who is signed in */
	int by_login;       /* admin routes: through a browser's login cookie (not a Bearer token) */
};

enum MHD_Result http_respond(struct MHD_Connection *c, struct req *r, unsigned int status, const char *type,
			     const char *body, size_t len);
/* text/plain "msg\n"; for status >= 400 "lifeboatd: msg\n", and msg (said without
 * the program's name: the edge adds it) is the log's reason */
enum MHD_Result http_text(struct MHD_Connection *c, struct req *r, unsigned int status, const char *msg);
enum MHD_Result http_json(struct MHD_Connection *c, struct req *r, unsigned int status, json_object *o);
enum MHD_Result http_queue(struct MHD_Connection *c, struct req *r, unsigned int status,
			   struct MHD_Response *resp, uint64_t bytes);

/* The token from "Authorization: Bearer <token>", checked for shape. */
const char *http_bearer(struct MHD_Connection *c);

typedef enum MHD_Result (*http_handler)(struct MHD_Connection *c, struct req *r, const char *rest);

enum { HTTP_GET = 1, HTTP_POST = 2 };           /* methods: GET includes HEAD */
enum { ROUTE_EXACT = 0, ROUTE_PREFIX = 1 };     /* a prefix route gets the rest */
enum { ROUTE_OPEN = 0, ROUTE_ADMIN = 1 };       /* ROUTE_ADMIN: the admin gate first */

/* One row of the route table (lifeboatd/routes.c). */
struct http_route {
	const char *path;
	int prefix;         /* ROUTE_PREFIX: path is a prefix; the rest goes to the handler */
	int methods;
	int admin;
	http_handler fn;    /* called with what follows path ("" for exact routes) */
};

/* What main hands the HTTP layer: the routes, the gate admin routes pass
 * (0 with the admin's name, or -1 with the answer queued in *ret), and a
 * hook the housekeeping thread calls every few seconds and once at stop. */
struct http_app {
	const struct http_route *routes;
	size_t nroutes;
	int (*admin_gate)(struct MHD_Connection *c, struct req *r, char name[33], enum MHD_Result *ret);
	void (*housekeeping)(void);
};

/* Starts the listeners on srv.conf's address: plain HTTP on port, HTTPS
 * on tls_port when set, and the control API on control_socket. 0, or -1
 * with err set. */
int http_start(const struct http_app *app, char *err, size_t errlen);
void http_stop(void);

#endif
