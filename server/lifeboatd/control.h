/* What the control API (control.c) shares with the page's buttons
 * (pageaction.c). */
#ifndef LIFEBOAT_CONTROL_H
#define LIFEBOAT_CONTROL_H

#include "lifeboatd/http.h"

/* Splits "<host>[/<sub>]" and finds the host by MAC, alias, serial or
 * UUID (hostops_resolve). 0, or -EINVAL / -ENOENT / -EEXIST with err. */
int control_host(const char *rest, char mac[18], const char **sub, char *err, size_t errlen);
/* The answer for a control_host failure: 400, 404 or 409. */
enum MHD_Result control_not_resolved(struct MHD_Connection *c, struct req *r, int rc, const char *err);

/* GET /api/v1/hosts/<host>[/known-hosts|/events] and
 * POST /api/v1/hosts/<host>/<rescue|normal|forget|...>. */
enum MHD_Result handle_host_get(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_host_action(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
