#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loopmount.h"

#define LOOP_TRIES 8 /* another process may take the free device first */

/* A free loop device configured with fd; its open descriptor, or -errno. */
static int loop_attach(int fd, char *dev, size_t devlen)
{
	struct loop_config lc;
	int ctl, lfd = -1, n, rc = -EBUSY, i;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		return -errno;
	}
	for (i = 0; i < LOOP_TRIES && rc == -EBUSY; i++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			rc = -errno;
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		lfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (lfd < 0) {
			rc = -errno;
			break;
		}
		memset(&lc, 0, sizeof(lc));
		lc.fd = (unsigned int)fd;
		lc.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
		snprintf((char *)lc.info.lo_file_name, sizeof(lc.info.lo_file_name), "lifeboat-toolbox");
		if (ioctl(lfd, LOOP_CONFIGURE, &lc) == 0) {
			rc = lfd;
			break;
		}
		rc = -errno;
		close(lfd);
		lfd = -1;
	}
	close(ctl);
	return rc;
}

int loop_mount_ro(int fd, const char *target, const char *fstype, char *dev, size_t devlen)
{
	int lfd, rc = 0;

	lfd = loop_attach(fd, dev, devlen);
	if (lfd < 0) {
		return lfd;
	}
	if (mkdir(target, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto err_mount;
	}
	if (mount(dev, target, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0) {
		rc = -errno;
		goto err_mount;
	}
	close(lfd); /* the mount holds the device now */
	return 0;
err_mount:
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
	return rc;
}
