/* Network policy: which interfaces, static or DHCP, fallbacks. */
#ifndef LIFEBOAT_NETPOLICY_H
#define LIFEBOAT_NETPOLICY_H

#include "config.h"

/* Brings the network up as cfg says; every wait bounded and announced.
 * On failure of the configured method, falls back to DHCP on all links.
 * Returns 0 when an address is configured (or a lease obtained), else
 * -errno (udhcpc keeps trying in the background). */
int netpolicy_setup(const struct config *cfg);

#endif
