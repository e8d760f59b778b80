/* A host's serial console in the control API (consoleapi.c):
 *   GET  .../console        what it printed (?since=S, ?raw=1)
 *   GET  .../console/live   the same as it comes: text/event-stream
 *   POST .../console/input  {"data": "..."}: typed into it
 * The capture itself is console.c. */
#ifndef LIFEBOAT_CONSOLEAPI_H
#define LIFEBOAT_CONSOLEAPI_H

#include <json-c/json.h>

#include "core/schema.h"
#include "lifeboatd/http.h"

enum MHD_Result console_log(struct MHD_Connection *c, struct req *r, const char *mac);
enum MHD_Result console_live(struct MHD_Connection *c, struct req *r, const char *mac);

extern const struct schema_field console_input_members[];
enum MHD_Result console_input(struct MHD_Connection *c, struct req *r, const char *mac, json_object *body);

/* The thread that feeds the live streams: started before the listeners,
 * and stopped before them (every stream is ended and resumed first:
 * libmicrohttpd must not stop with a connection suspended). */
int live_start(char *err, size_t errlen);
void live_stop(void);

#endif
