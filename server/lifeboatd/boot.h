/* GET /boot.ipxe and /chain.ipxe: the HTTP side of the boot decision
 * (decide.c): facts of every host kept in memory and followed by a thread
 * of their own (no request asks the database for them), the step carried
 * out in a write transaction, the script rendered.
 * Normal boots of known hosts are remembered in memory and written to the
 * store every few seconds (boot_seen_flush), not per request. */
#ifndef LIFEBOAT_BOOT_H
#define LIFEBOAT_BOOT_H

#include <json-c/json.h>

#include "lifeboatd/http.h"

/* Loads the facts of every host (at start, before the first boot asks)
 * and starts the thread that follows the database's changes; 0, or -errno
 * with err. stop: ends that thread (before the store closes). */
int boot_facts_start(char *err, size_t errlen);
void boot_facts_stop(void);
/* Writes the boots seen since the last flush (housekeeping, and at stop). */
void boot_seen_flush(void);
/* Adds the host's last normal boot request (last_request), if any: the
 * one not yet written, else the stored one (read with the host already
 * when seen_read, as store_each does). */
void boot_seen_merge(json_object *host, int seen_read);

/* GET /boot.ipxe (the boot decision) and GET /chain.ipxe (the step after
 * a ROM that cannot do HTTPS or needs its own script). */
enum MHD_Result handle_boot(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_chain(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
