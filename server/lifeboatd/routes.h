/* lifeboatd's route table (routes.c): the one place that knows every
 * handler. main hands it to http_start. */
#ifndef LIFEBOAT_ROUTES_H
#define LIFEBOAT_ROUTES_H

#include <stddef.h>

#include "lifeboatd/http.h"

extern const struct http_route routes[];
extern const size_t routes_count;

#endif
