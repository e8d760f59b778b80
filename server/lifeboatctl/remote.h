/* The remote backend (remote.c, backend.h): lifeboatd's control API. */
#ifndef LIFEBOAT_CTL_REMOTE_H
#define LIFEBOAT_CTL_REMOTE_H

#include <stddef.h>

#include "lifeboatctl/apiclient.h"

/* Over the network: url, an admin token from token_file (or the
 * environment, apiclient.h), cacert for HTTPS. 0 or -errno with err. */
int remote_setup(const char *url, const char *token_file, const char *cacert, char *err, size_t errlen);

/* Through lifeboatd's control socket on this machine (no token: the
 * socket's peer credentials). */
void remote_setup_local(const char *socket_path);

#endif
