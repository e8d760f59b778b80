/* Virtual media (docs/protocol.md#virtual-media): the rescue ISO a BMC
 * fetches for one session. Pure functions.
 *
 *   the key     LB_TOKEN_LEN random characters in the ISO's URL
 *               (/media/<key>/lifeboat.iso); stored as its SHA-256 only
 *   the token   the session's token, derived from the key (one-way): the
 *               URL gives the ISO and the ISO gives the agent its token,
 *               while lifeboatd keeps neither in clear; the token gives
 *               no ISO, the key reports nothing
 *   the ISO     out/lifeboat-media.iso holds LB_MEDIA_MARK followed by
 *               '#'s in its isolinux.cfg and grub.cfg (the kernel command
 *               line): lifeboatd serves the file with each such region
 *               overwritten by the session's arguments, padded with
 *               blanks; nothing else of the file changes */
#ifndef LIFEBOAT_MEDIA_H
#define LIFEBOAT_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wire.h"

#include <json-c/json.h>

#include "core/session.h"

#define MEDIA_REGIONS_MAX 4

/* Why the host's media object (h's "media") does not give its ISO for
 * key at now: NULL when it does (the key's hash, the session it was made
 * for and still active, inserting or inserted, not expired), else the
 * words for it. The address binding is the caller's. */
const char *media_refusal(json_object *media, const struct session *s, const char *key, long long now);

/* The session's token for key (LB_TOKEN_LEN characters of LB_TOKEN_CHARS). */
void media_token(const char *key, char token[LB_TOKEN_LEN + 1]);

struct media_iso {
	uint64_t off[MEDIA_REGIONS_MAX]; /* where each region starts */
	size_t len;                      /* the shortest region's length */
	size_t n;
};

/* Finds the regions in an ISO image. 0, or -ENOENT (no region: not a
 * media ISO), -E2BIG (more than MEDIA_REGIONS_MAX), -EIO (read error). */
int media_iso_scan(FILE *f, struct media_iso *m);

/* Overwrites what buf (n bytes of the file from offset off) has of the
 * regions with args and blanks. args must fit: strlen(args) <= m->len. */
void media_iso_overlay(const struct media_iso *m, const char *args, uint64_t off, char *buf, size_t n);

#endif
