/* lifeboat.keys=: the reporter fetches the authorized keys and hands the
 * valid lines to PID 1, the only writer of authorized_keys. */
#ifndef LIFEBOAT_FETCHKEYS_H
#define LIFEBOAT_FETCHKEYS_H

#include <stddef.h>

#include "config.h"

struct tls_trust;

/* One attempt. 0 when the keys were handed over, -errno with err set. */
int fetch_keys(const struct config *cfg, const struct tls_trust *trust, unsigned int timeout_ms, char *err,
	       size_t errlen);

#endif
