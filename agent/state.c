#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

static int path_of(const char *name, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, STATE_DIR "/%s", name) >= len ? -ENAMETOOLONG : 0;
}

int state_write(const char *name, const char *text)
{
	char path[128], tmp[140];
	FILE *f = NULL;

	mkdir(STATE_DIR, 0755);
	if (path_of(name, path, sizeof(path)) < 0) {
		return -ENAMETOOLONG;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL) {
		return -errno;
	}
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
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
	size_t n;
	FILE *f = NULL;

	buf[0] = '\0';
	if (path_of(name, path, sizeof(path)) < 0 || (f = fopen(path, "re")) == NULL) {
		return -ENOENT;
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
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
