/* The rescue toolbox (docs/building.md#the-toolbox-ssh-first-then-every-tool): after SSH is up, the agent
 * takes the toolbox squashfs from the second initrd or fetches it from
 * lifeboat.toolbox=, checks it against the SHA-256 built into the image,
 * mounts it and links it into /; phase tools-ready, or tools-failed with
 * the reason (state file "tools") and another try later. */
#ifndef LIFEBOAT_TOOLBOX_H
#define LIFEBOAT_TOOLBOX_H

#include <stddef.h>
#include <stdint.h>

#define TOOLBOX_MOUNT "/run/lifeboat/toolbox"
#define TOOLBOX_DOWNLOAD "/run/lifeboat/toolbox.squashfs"
#define TOOLBOX_MAX_BYTES (1ULL << 30)

/* Parses the image's toolbox.sha256: 64 hex digits, a newline allowed
 * after them (sha256sum's first field). 0, or -EINVAL with a reason. */
int toolbox_parse_sha256(const char *text, uint8_t out[32], char *err, size_t errlen);

enum toolbox_source {
	TOOLBOX_NONE,   /* nowhere to take it from */
	TOOLBOX_INITRD, /* LB_PATH_TOOLBOX_INITRD, from the second initrd */
	TOOLBOX_URL,    /* lifeboat.toolbox= */
};

/* Where to take the toolbox from: the second initrd when it brought one
 * (no network needed), else the URL when there is one. */
enum toolbox_source toolbox_pick_source(int have_initrd_file, const char *url);

/* Whether the image has a toolbox to get (its SHA-256 file). */
int toolbox_wanted(void);

/* `lifeboat toolbox`: the service PID 1 starts after SSH. Never returns. */
int toolbox_main(void);

#endif
