/* lifeboatd's HTTP layer on libmicrohttpd: one request's record, the
 * answers every handler uses, the route table, and the connection
 * policy (per-address limit, total cap answered with 503, a deadline
 * for receiving a whole request). */
#ifndef LIFEBOAT_HTTP_H
#define LIFEBOAT_HTTP_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "store.h"

/* What every handler shares (set up by main). */
struct server {
	struct conf conf;
	struct store store;
	char tls_pin[80]; /* lifeboat.tlspin= for scripts served over HTTPS */
	char listen_note[80]; /* how listen = :: came out: "" or " (IPv4 only: ...)" */
};
extern struct server srv;

struct req {
	struct timespec start;
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
};

enum MHD_Result http_respond(struct MHD_Connection *c, struct req *r, unsigned int status, const char *type,
			     const char *body, size_t len);
/* text/plain "msg\n"; for status >= 400 msg is also the log's reason */
enum MHD_Result http_text(struct MHD_Connection *c, struct req *r, unsigned int status, const char *msg);
enum MHD_Result http_json(struct MHD_Connection *c, struct req *r, unsigned int status, json_object *o);
enum MHD_Result http_queue(struct MHD_Connection *c, struct req *r, unsigned int status,
			   struct MHD_Response *resp, uint64_t bytes);

/* The token from "Authorization: Bearer <token>", checked for shape. */
const char *http_bearer(struct MHD_Connection *c);

/* Handlers (boot.c, payload.c, api.c), called by the route table with
 * what follows the route's path (rest: "" for exact routes). */
enum MHD_Result handle_boot(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_chain(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_payload(struct MHD_Connection *c, struct req *r, const char *name);
enum MHD_Result handle_status(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_keys(struct MHD_Connection *c, struct req *r, const char *mac);
enum MHD_Result handle_hosts(struct MHD_Connection *c, struct req *r, const char *mac);
/* What the API shows of a host (a new reference): no token hash, the
 * last request seen (already read with the host when seen_read), what of
 * a damaged document was skipped. */
json_object *api_host(json_object *h, const char *mac, const struct schema_skipped *sk, int seen_read);
/* The control API (control.c): GET /api/v1/hosts/<mac>[/known-hosts|/events],
 * POST /api/v1/hosts/<mac>/<rescue|normal|forget>. */
enum MHD_Result handle_host_get(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_host_action(struct MHD_Connection *c, struct req *r, const char *rest);
/* The page's buttons: POST /hosts/<mac>/<action> with the form token. */
enum MHD_Result handle_page_action(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_page(struct MHD_Connection *c, struct req *r, const char *rest);

/* Starts the listeners on srv.conf's address: plain HTTP on port, HTTPS
 * on tls_port when set, and the control API on control_socket. 0, or -1
 * with err set. */
int http_start(char *err, size_t errlen);
void http_stop(void);

#endif
