/* See localsock.h. Hand-written on the socket API: libmicrohttpd takes
 * the listening descriptor as it is (MHD_OPTION_LISTEN_SOCKET). */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "store/localsock.h"

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		return -ENAMETOOLONG;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int localsock_probe(const char *path)
{
	struct sockaddr_un sa;
	int fd = -1, rc;

	rc = unix_addr(path, &sa);
	if (rc < 0) {
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int localsock_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1, rc;

	rc = unix_addr(path, &sa);
	if (rc < 0) {
		snprintf(err, errlen, "cannot use control_socket %s: longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return rc;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "cannot use control_socket %s: it exists and is not a socket", path);
			return -EEXIST;
		}
		if (localsock_probe(path) == 0) {
			/* control_socket shared with another state directory */
			snprintf(err, errlen, "cannot use control_socket %s: another lifeboatd answers on it", path);
			return -EADDRINUSE;
		}
		unlink(path); /* left by a lifeboatd that was killed */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto err_socket;
	}
	/* Linux makes the file with the socket's own mode less the umask:
	 * 0600 from the start, no window in which others may connect */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err_bind;
	}
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		goto err_listen;
	}
	return fd;

err_listen:
	unlink(path);
err_bind:
	close(fd);
err_socket:
	snprintf(err, errlen, "cannot listen on control_socket %s: %s", path, strerror(-rc));
	return rc;
}

int localsock_peer(int fd, char *name, size_t len)
{
	struct ucred cred;
	socklen_t n = sizeof(cred);
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) < 0) {
		snprintf(name, len, "?");
		return -errno;
	}
	if (getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL) {
		snprintf(name, len, "%s", found->pw_name);
	} else {
		snprintf(name, len, "uid %u", (unsigned int)cred.uid);
	}
	return cred.uid == 0 || cred.uid == geteuid() ? 0 : -EACCES;
}
