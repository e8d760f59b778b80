/* GET /payload/<name> (payload.c): the kernel, initramfs and toolbox,
 * with byte ranges. */
#ifndef LIFEBOAT_PAYLOAD_H
#define LIFEBOAT_PAYLOAD_H

#include "lifeboatd/http.h"

enum MHD_Result handle_payload(struct MHD_Connection *c, struct req *r, const char *name);

#endif
