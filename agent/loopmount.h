/* Mounting a file read-only through a loop device: the toolbox squashfs,
 * which stays compressed in RAM instead of being unpacked. Mechanism only:
 * errors are returned, the caller says them. */
#ifndef LIFEBOAT_LOOPMOUNT_H
#define LIFEBOAT_LOOPMOUNT_H

#include <stddef.h>

/* Attaches fd to a free loop device read-only (autoclear: the device is
 * released when the mount goes) and mounts it on target (made if missing)
 * as fstype, read-only, nodev, nosuid. The device's name in dev. 0, or
 * -errno: ENOENT/ENODEV without loop support, EINVAL when the file is not
 * an fstype file system. */
int loop_mount_ro(int fd, const char *target, const char *fstype, char *dev, size_t devlen);

#endif
