/* iPXE script rendering. Every value that reaches a script is either
 * validated by query.c or generated here, and is checked against a
 * whitelist (ipxe_safe) before it is written: nothing from a query string
 * can add a command, a setting expansion or an argument. */
#ifndef LIFEBOAT_SCRIPT_H
#define LIFEBOAT_SCRIPT_H

#include <stddef.h>

#include "core/query.h"

enum decision {
	DECIDE_NORMAL,      /* exit to the next boot device */
	DECIDE_RESCUE,      /* load and boot the payload */
	DECIDE_IP_MISMATCH, /* say why, then the next boot device */
	DECIDE_CONFLICT,    /* another machine holds (or contests) the session: next device */
	DECIDE_BUSY,        /* too many new hosts pending: next device */
};

struct render_ctx {
	const struct boot_query *q;
	const char *policy;       /* "normal", "rescue", "rescue-once" */
	const char *public_url;   /* how the agent reaches lifeboatd */
	const char *tls_pin;      /* lifeboat.tlspin=, only in scripts served over HTTPS; or NULL */
	const char *payload_url;  /* where bzImage and the initramfs are */
	const char *token;        /* this boot's token */
	const char *extra_args;   /* kernel arguments from the configuration */
	unsigned int heartbeat;
	unsigned int netconsole;  /* lifeboat.netconsole=, 0: none */
	const char *source_ip;    /* the request's source address */
	int signed_payload;       /* .sig files exist: imgverify both images */
};

/* The agent's kernel arguments (docs/agent.md#kernel-arguments). */
struct agent_args {
	const char *mac;          /* BOOTIF= */
	const char *ip, *ip6;     /* "ip=dhcp", "lifeboat.ip6=auto", or static ones */
	const char *public_url;   /* lifeboat.server= */
	const char *tls_pin;      /* lifeboat.tlspin=, or NULL */
	const char *payload_url;  /* the toolbox's URL is under it */
	const char *token;
	const char *extra_args;   /* kernel_args of the configuration */
	unsigned int heartbeat;
	unsigned int netconsole;  /* lifeboat.netconsole=, 0: none */
	const char *bound;        /* lifeboat.bound=, or NULL (bound at the first report) */
};

/* 1 when s may appear in a script as one word: [A-Za-z0-9] and
 * . _ ~ : / ? = & % + , @ - only; nothing else (no blanks, no '$',
 * no '#', no quotes, no control characters). */
int ipxe_safe_word(const char *s);

/* Like ipxe_safe_word, for a blank-separated list of words. */
int ipxe_safe_words(const char *s);

/* Writes the script for decision d into out. Returns its length, or
 * -EINVAL (a value failed the whitelist; err says which) / -ENOSPC. */
/* The chain script (GET /chain.ipxe): what a stock iPXE ROM, pointed at
 * lifeboatd by DHCP, runs to ask /boot.ipxe with its identity. */
int script_render_chain(const char *public_url, char *out, size_t outlen, char *err, size_t errlen);
/* The answer to a boot lifeboatd cannot decide now (its database does
 * not answer): iPXE says so, sleeps `seconds` and asks boot.ipxe again,
 * replacing this script (no nesting), as long as it gets this answer or
 * none (lifeboatd down); Ctrl-C at the console boots the next device. */
int script_render_wait(const char *public_url, const char *mac, unsigned int seconds, char *out, size_t outlen,
		       char *err, size_t errlen);

/* The agent's arguments alone, for a session's ISO (virtual media):
 * length, or -EINVAL (err says which value) / -ENOSPC. */
int script_media_args(const struct agent_args *a, char *out, size_t outlen, char *err, size_t errlen);

int script_render(enum decision d, const struct render_ctx *c, char *out, size_t outlen, char *err,
		  size_t errlen);

#endif
