/* lifeboatctl ssh (ssh.c): waits until the host's rescue system reported
 * SSH up, then runs OpenSSH's ssh as root with StrictHostKeyChecking=yes
 * against a known_hosts file holding only the keys the session verified. */
#ifndef LIFEBOAT_CTL_SSH_H
#define LIFEBOAT_CTL_SSH_H

#include "lifeboatctl/backend.h"

struct ssh_target {
	const char *via;        /* HOST[:PORT] or [IPv6]:PORT ssh connects to; NULL: the reported address */
	const char *identity;   /* ssh -i KEY, or NULL */
	long long deadline;     /* seconds to wait for ssh-ready */
	char **command;         /* after "--", ncommand words */
	int ncommand;
};

/* main's exit code: ssh's, or 1 with the reason said. */
int ssh_into(const struct backend *be, const char *mac, const struct ssh_target *t);

#endif
