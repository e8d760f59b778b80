#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

int fileio_read(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char extra;
	int fd, rc = 0;

	if (len == 0) {
		return -EINVAL;
	}
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			break;
		}
		n += (size_t)r;
	}
	if (rc == 0 && n == len - 1 && read(fd, &extra, 1) == 1) {
		rc = -EFBIG;
	}
	close(fd);
	buf[rc == 0 || rc == -EFBIG ? n : 0] = '\0';
	return rc;
}

int fileio_atomic_open(struct atomic_file *af, const char *path, mode_t mode)
{
	int fd, rc;

	af->f = NULL;
	if ((size_t)snprintf(af->path, sizeof(af->path), "%s", path) >= sizeof(af->path) ||
	    (size_t)snprintf(af->tmp, sizeof(af->tmp), "%s.tmp", path) >= sizeof(af->tmp)) {
		return -ENAMETOOLONG;
	}
	fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		return -errno;
	}
	af->f = fdopen(fd, "w");
	if (af->f == NULL) {
		rc = -errno;
		close(fd);
		unlink(af->tmp);
		return rc;
	}
	return 0;
}

int fileio_atomic_commit(struct atomic_file *af)
{
	int rc = 0;

	if (ferror(af->f)) {
		rc = -EIO;
	}
	if (fclose(af->f) != 0 && rc == 0) {
		rc = -errno;
	}
	af->f = NULL;
	if (rc == 0 && rename(af->tmp, af->path) < 0) {
		rc = -errno;
	}
	if (rc < 0) {
		unlink(af->tmp);
	}
	return rc;
}

void fileio_atomic_abort(struct atomic_file *af)
{
	if (af->f != NULL) {
		fclose(af->f);
		af->f = NULL;
	}
	unlink(af->tmp);
}

int fileio_write_atomic(const char *path, const char *text, mode_t mode)
{
	struct atomic_file af;
	int rc = fileio_atomic_open(&af, path, mode);

	if (rc < 0) {
		return rc;
	}
	fputs(text, af.f);
	return fileio_atomic_commit(&af);
}

int fileio_put(const char *path, const char *value)
{
	size_t n = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		return -errno;
	}
	if (write(fd, value, n) != (ssize_t)n) {
		rc = -errno;
	}
	close(fd);
	return rc;
}
