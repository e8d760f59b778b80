#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "state.h"

static int path_of(const char *name, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, STATE_DIR "/%s", name) >= len ? -ENAMETOOLONG : 0;
}

int state_write(const char *name, const char *text)
{
	char path[128];

	mkdir(STATE_DIR, 0755);
	if (path_of(name, path, sizeof(path)) < 0) {
		return -ENAMETOOLONG;
	}
	return fileio_write_atomic(path, text, 0644);
}

int state_append(const char *name, const char *line)
{
	char path[128];
	FILE *f = NULL;

	mkdir(STATE_DIR, 0755);
	if (path_of(name, path, sizeof(path)) < 0) {
		return -ENAMETOOLONG;
	}
	f = fopen(path, "ae");
	if (f == NULL) {
		return -errno;
	}
	fprintf(f, "%s\n", line);
	return fclose(f) == 0 ? 0 : -EIO;
}

int state_read(const char *name, char *buf, size_t len)
{
	char path[128];
	int rc;

	buf[0] = '\0';
	if (path_of(name, path, sizeof(path)) < 0) {
		return -ENAMETOOLONG;
	}
	rc = fileio_read(path, buf, len);
	return rc == -EFBIG ? 0 : rc; /* the start of it is what callers read */
}

void state_set_phase(const char *phase)
{
	struct timespec ts;
	char line[96];

	clock_gettime(CLOCK_BOOTTIME, &ts);
	snprintf(line, sizeof(line), "%s %ld.%02ld", phase, (long)ts.tv_sec, ts.tv_nsec / 10000000L);
	state_append("history", line);
	state_write("phase", phase);
}
