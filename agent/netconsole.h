/* netconsole to lifeboatd (netconsole.c): the kernel's console lines as
 * UDP datagrams, set up through configfs once the network is up, so that
 * an oops or a panic of the rescue kernel reaches lifeboatd even when no
 * process of ours runs any more (docs/server.md#netconsole). */
#ifndef LIFEBOAT_NETCONSOLE_H
#define LIFEBOAT_NETCONSOLE_H

#include <stddef.h>

#include "http.h"

/* To u's host at UDP port: 0, or -errno with err (the kernel has no
 * netconsole, no route, configfs refused). */
int netconsole_setup(const struct url *u, unsigned int port, char *err, size_t errlen);

#endif
