/* A rescue through the BMC's virtual media (lifeboatctl rescue --once
 * --media; docs/server.md#virtual-media): the session armed and claimed
 * with a token that only the session's ISO carries, the ISO's URL made
 * with a key of its own, inserted into the BMC's virtual CD, the next
 * boot set to it, the host powered on or cycled; ejected once SSH is up.
 * core/media.h has the key, the token and the ISO. */
#ifndef LIFEBOAT_HOSTMEDIA_H
#define LIFEBOAT_HOSTMEDIA_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/conf.h"
#include "store/hostops.h"

struct media_conf {
	const char *url;     /* conf media_url: where the BMC reaches lifeboatd */
	long long seconds;   /* conf media_timeout: the URL works this long at most */
	int any_address;     /* conf media_from = first: the first address that
	                      * fetches it, not only the BMC's own */
};

/* The three from lifeboatd's configuration. */
void hostmedia_conf(const struct conf *conf, struct media_conf *mc);

/* c: a rescue-once change. 0, or -ENOENT (no BMC), -EOPNOTSUPP (its
 * driver has no virtual media), -EHOSTUNREACH (the BMC's name does not
 * resolve), the power errors, with err. *armed says whether the session
 * was armed: when the BMC fails after that the ISO is ejected again and
 * the session left armed and unclaimed (as after a failed --reset). */
int hostmedia_rescue(struct store *st, const char *mac, const struct host_change *c, const struct media_conf *mc,
		     long long now, int *armed, char *err, size_t errlen);

/* Ejects session's rescue ISO through the host's BMC (only images under
 * media_url/media/; why: for the log) and ends its URL. 0 or -errno with
 * err; the log says either. */
int hostmedia_eject(struct store *st, const char *mac, long long session, const char *media_url, const char *why,
		    char *err, size_t errlen);

/* The first fetch of the ISO (from one of the BMC's addresses, or any
 * with media_from = first) binds its URL to that address, under the
 * store's lock; a fetch from another address is -EPERM, a key that no
 * longer opens the ISO -ENOENT (why says why). */
int hostmedia_bind(struct store *st, const char *mac, const char *key, const char *client, long long now,
		   const char **why, char *err, size_t errlen);

/* 1 when client may fetch the ISO of media m (the host's "media"). */
int hostmedia_may_fetch(json_object *m, const char *client);

#endif
