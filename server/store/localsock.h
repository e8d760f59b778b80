/* The control API on a local socket, for lifeboatctl on the boot server:
 * a Unix stream socket whose file only its owner may connect to (0600),
 * and the peer's kernel-checked credentials (SO_PEERCRED) as the
 * authentication: root or lifeboatd's own user. */
#ifndef LIFEBOAT_LOCALSOCK_H
#define LIFEBOAT_LOCALSOCK_H

#include <stddef.h>

/* A listening socket at path (a stale one from a killed lifeboatd is
 * replaced). The descriptor, or -EADDRINUSE (a lifeboatd answers there),
 * -EEXIST (path is not a socket), -ENAMETOOLONG or -errno; err says it. */
int localsock_listen(const char *path, char *err, size_t errlen);

/* Who is on the other end of fd: 0 with name ("root", or the user's name
 * or uid) when that is root or our own user, -EACCES (name still set)
 * otherwise, -errno when the kernel does not say. */
int localsock_peer(int fd, char *name, size_t len);

/* 0 when a lifeboatd answers at path; -ENOENT / -ECONNREFUSED / -errno. */
int localsock_probe(const char *path);

#endif
