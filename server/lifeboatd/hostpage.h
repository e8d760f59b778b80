/* The hosts page (hostpage.c): GET /. */
#ifndef LIFEBOAT_HOSTPAGE_H
#define LIFEBOAT_HOSTPAGE_H

#include "lifeboatd/http.h"

enum MHD_Result handle_page(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
