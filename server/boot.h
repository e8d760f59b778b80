/* GET /boot.ipxe and /chain.ipxe: the HTTP side of the boot decision
 * (decide.c): facts from the host file (cached by inode and mtime, no
 * lock), the step carried out under the state lock, the script rendered.
 * Normal boots of known hosts are remembered in memory and written to
 * seen.json every few seconds (boot_seen_flush), not per request. */
#ifndef LIFEBOAT_BOOT_H
#define LIFEBOAT_BOOT_H

#include <json-c/json.h>

/* Loads seen.json at start. */
void boot_seen_init(void);
/* Writes seen.json when something changed (housekeeping, and at stop). */
void boot_seen_flush(void);
/* Sets the host's last_boot from the normal boots seen, when newer. */
void boot_seen_merge(json_object *host);

#endif
