/* SSH: authorized keys, host keys, the dropbear service. */
#ifndef LIFEBOAT_SSH_H
#define LIFEBOAT_SSH_H

#include <stddef.h>

#include "config.h"

struct hostkey {
	const char *type;      /* dropbearkey -t */
	const char *path;
	char pubkey[800];      /* "ssh-ed25519 AAAA..." */
	char fingerprint[128]; /* "SHA256:..." */
	int ok;
};

/* Writes /root/.ssh/authorized_keys (its only writer: PID 1) from the
 * command line keys, the keys baked into the image
 * (/etc/lifeboat/authorized_keys) and those fetched from lifeboat.keys=,
 * each once. Returns the number of keys installed, or -errno. */
int ssh_install_keys(const struct config *cfg);

/* The state file (state.h) where the reporter leaves the keys it fetched
 * from lifeboat.keys=, one per line, for ssh_install_keys. */
#define SSH_FETCHED_KEYS "fetched_keys"
#define SSH_AUTH_KEYS "/root/.ssh/authorized_keys"

/* Generates the host keys (ed25519, ecdsa); fills keys[]. Returns the
 * number generated. */
int ssh_make_hostkeys(struct hostkey *keys, size_t n);

/* Starts dropbear under supervision: public-key logins only. */
int ssh_start(const struct hostkey *keys, size_t n);

#endif
