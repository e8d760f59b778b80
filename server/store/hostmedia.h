/* A rescue through the BMC's virtual media (lifeboatctl rescue --once
 * --media; docs/server.md#virtual-media): the session armed and claimed
 * with a token that only the session's ISO carries, the ISO's URL made
 * with a key of its own, inserted into the BMC's virtual CD, the next
 * boot set to it, the host powered on or cycled; ejected once SSH is up.
 * core/media.h has the key, the token and the ISO. */
#ifndef LIFEBOAT_HOSTMEDIA_H
#define LIFEBOAT_HOSTMEDIA_H

#include <stddef.h>

#include "store/hostops.h"

/* c: a rescue-once change; media_url: where the BMC reaches lifeboatd
 * (conf media_url); the ISO's URL works for `seconds` at most. 0, or
 * -ENOENT (no BMC), -EOPNOTSUPP (its driver has no virtual media), the
 * power errors, with err. *armed says whether the session was armed
 * (it stays armed when the BMC fails after that). */
int hostmedia_rescue(struct store *st, const char *mac, const struct host_change *c, const char *media_url,
		     long long seconds, long long now, int *armed, char *err, size_t errlen);

/* Ejects the host's rescue ISO through its BMC (why: for the log) and
 * ends its URL. 0 or -errno with err; the log says either. */
int hostmedia_eject(struct store *st, const char *mac, const char *why, char *err, size_t errlen);

/* The first fetch of the ISO binds its URL to client (the BMC's address,
 * under the store's lock); a fetch from another address is -EPERM, a key
 * that no longer opens the ISO -ENOENT (why says why). */
int hostmedia_bind(struct store *st, const char *mac, const char *key, const char *client, long long now,
		   const char **why, char *err, size_t errlen);

#endif
