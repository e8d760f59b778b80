/* Whole files in and out of the image writer: read into memory, and
 * written through a temporary in the same directory, fsync, rename (never
 * a partial file at the path). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

int image_read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t cap = 0, n = 0, got;
	int rc = 0;

	if (f == NULL) {
		return -errno;
	}
	do {
		if (n == cap) {
			unsigned char *q = realloc(p, cap ? cap * 2 : 1 << 20);

			if (q == NULL) {
				rc = -ENOMEM;
				break;
			}
			p = q;
			cap = cap ? cap * 2 : 1 << 20;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
	}
	fclose(f);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*data = p;
	*len = n;
	return 0;
}

int image_write_file(const char *path, const unsigned char *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		return ERR("cannot write %s: path too long", path);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		return ERR("cannot create a temporary next to %s: %s", path, strerror(errno));
	}
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = ERR("cannot write %s: %s", tmp, strerror(errno));
			goto err_write;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		rc = ERR("cannot write %s: %s", tmp, strerror(errno));
		goto err_write;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = ERR("cannot write %s: %s", tmp, strerror(errno));
		goto err_write;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ERR("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto err_write;
	}
	return 0;

err_write:
	if (fd >= 0) {
		close(fd);
	}
	unlink(tmp);
	return rc;
}

