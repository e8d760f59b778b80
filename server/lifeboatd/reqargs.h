/* What the control API's handlers (control.c, consoleapi.c, the page's
 * buttons) read off a request alike. */
#ifndef LIFEBOAT_REQARGS_H
#define LIFEBOAT_REQARGS_H

#include <stddef.h>

#include "lifeboatd/http.h"

/* "admin NAME" or "local user NAME": who made a change, for the host's
 * record and log. */
void req_who(const struct req *r, char *by, size_t len);

/* ?since=S: seconds (1 to 366 days; 0 when absent). 0, or -EINVAL. */
int req_since(struct MHD_Connection *c, long long *seconds);

#endif
