/* The page's buttons (pageaction.c): POST /hosts/<mac>/<action> with the
 * form token. */
#ifndef LIFEBOAT_PAGEACTION_H
#define LIFEBOAT_PAGEACTION_H

#include "lifeboatd/http.h"

enum MHD_Result handle_page_action(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
