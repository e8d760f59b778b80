#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"

/* text is cut at 600 bytes; even escaped as \u00XX throughout, a line
 * stays under 4 KiB */
#define EVENT_LINE_MAX 4096

static int events_path(struct store *st, const char *mac, char *buf, size_t len)
{
	return store_mac_path(st, "events", mac, ".jsonl", buf, len);
}

/* Keeps the newest half (from a line start) of a log that grew too big. */
static int cut_log(const char *path)
{
	char tmp[720], *buf = NULL, *start = NULL;
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &sb) < 0 || sb.st_size <= EVENTS_MAX_BYTES) {
		close(fd);
		return 0;
	}
	buf = malloc(EVENTS_MAX_BYTES / 2);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, EVENTS_MAX_BYTES / 2, sb.st_size - EVENTS_MAX_BYTES / 2);
	close(fd);
	start = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
	} else {
		if (start != NULL && write(out, start + 1, (size_t)(buf + n - start - 1)) < 0) {
			rc = -errno;
		}
		close(out);
		if (rc == 0 && rename(tmp, path) < 0) {
			rc = -errno;
		}
	}
	free(buf);
	return rc;
}

int events_add(struct store *st, const char *mac, long long now, const char *kind, const char *fmt, ...)
{
	json_object *e = NULL;
	char path[700], text[600], *buf = NULL;
	const char *line = NULL;
	va_list ap;
	size_t len;
	int fd, rc = 0;

	if (events_path(st, mac, path, sizeof(path)) < 0) {
		return -EINVAL;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	e = json_object_new_object();
	json_object_object_add(e, "time", json_object_new_int64(now));
	json_object_object_add(e, "kind", json_object_new_string(kind));
	json_object_object_add(e, "text", json_object_new_string(text));
	line = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(line);
	buf = malloc(len + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto err_buf;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto err_open;
	}
	/* one write: a line is never split, even by another process */
	if (write(fd, buf, len + 1) != (ssize_t)(len + 1)) {
		rc = -EIO;
	}
	close(fd);
	if (rc == 0) {
		rc = cut_log(path);
	}
err_open:
	free(buf);
err_buf:
	json_object_put(e);
	return rc;
}

json_object *events_read(struct store *st, const char *mac, size_t max)
{
	json_object *all = json_object_new_array(), *out = NULL;
	char path[700], *line = NULL;
	size_t cap = 0, n, i;
	FILE *f = NULL;

	if (events_path(st, mac, path, sizeof(path)) == 0) {
		f = fopen(path, "re");
	}
	/* the page wants 5 of up to ~1,000 lines: read only the tail that
	 * can hold them (a line is at most EVENT_LINE_MAX), from a line start */
	if (f != NULL && fseeko(f, 0, SEEK_END) == 0 && ftello(f) > (off_t)(max * EVENT_LINE_MAX)) {
		fseeko(f, -(off_t)(max * EVENT_LINE_MAX), SEEK_END);
		if (getline(&line, &cap, f) < 0) {
			clearerr(f);
		}
	} else if (f != NULL) {
		rewind(f);
	}
	while (f != NULL && getline(&line, &cap, f) > 0) {
		json_object *e = json_tokener_parse(line), *k = NULL, *t = NULL, *x = NULL;

		if (e != NULL && json_object_object_get_ex(e, "kind", &k) && json_object_is_type(k, json_type_string) &&
		    json_object_object_get_ex(e, "time", &t) && json_object_is_type(t, json_type_int) &&
		    json_object_object_get_ex(e, "text", &x) && json_object_is_type(x, json_type_string)) {
			json_object_array_add(all, e);
		} else {
			json_object_put(e);
		}
	}
	free(line);
	if (f != NULL) {
		fclose(f);
	}
	n = json_object_array_length(all);
	if (n <= max) {
		return all;
	}
	out = json_object_new_array();
	for (i = n - max; i < n; i++) {
		json_object_array_add(out, json_object_get(json_object_array_get_idx(all, i)));
	}
	json_object_put(all);
	return out;
}

void events_forget(struct store *st, const char *mac)
{
	char path[700];

	if (events_path(st, mac, path, sizeof(path)) == 0) {
		unlink(path);
	}
}
