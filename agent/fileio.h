/* The agent's small-file I/O, once: a whole small file into a buffer, and
 * a file replaced atomically (written to PATH.tmp, then renamed over
 * PATH, so a reader sees the old file or the new one, never half). Only
 * tmpfs and /run are written: the agent never writes a disk. */
#ifndef LIFEBOAT_FILEIO_H
#define LIFEBOAT_FILEIO_H

#include <stdio.h>
#include <sys/types.h>

/* At most len - 1 bytes of path into buf, NUL-terminated (buf is "" on
 * error). 0, -errno from open/read, or -EFBIG when the file has more. */
int fileio_read(const char *path, char *buf, size_t len);

/* An atomic replacement in progress: write to f, then commit or abort. */
struct atomic_file {
	FILE *f;
	char path[128];
	char tmp[140];
};

/* Opens PATH.tmp (mode for a new file). 0 or -errno. */
int fileio_atomic_open(struct atomic_file *af, const char *path, mode_t mode);
/* Closes and renames over the path: 0, or -errno (the temporary goes). */
int fileio_atomic_commit(struct atomic_file *af);
void fileio_atomic_abort(struct atomic_file *af);

/* text as the whole of path, atomically. 0 or -errno. */
int fileio_write_atomic(const char *path, const char *text, mode_t mode);

/* value written to a kernel's setting (/proc/sys, configfs): one write
 * to the existing file, as `echo value > path`. 0 or -errno. */
int fileio_put(const char *path, const char *value);

#endif
