#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "schema.h"
#include "session.h"

int admin_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= ADMIN_NAME_MAX && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static void admin_dir(struct store *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/admin", s->dir);
}

/* calls fn(path, name) for each stored token; stops when fn returns < 0 */
static int each_token(struct store *s, int (*fn)(const char *path, const char *name, long long created, void *ctx),
		      void *ctx)
{
	char dir[600], path[700];
	struct dirent *e = NULL;
	DIR *d = NULL;
	int rc = 0;

	admin_dir(s, dir, sizeof(dir));
	d = opendir(dir);
	if (d == NULL) {
		return errno == ENOENT ? 0 : -errno;
	}
	while (rc >= 0 && (e = readdir(d)) != NULL) {
		char name[ADMIN_NAME_MAX + 2] = "";
		long long created = 0;
		FILE *f = NULL;

		if (!schema_hex64(e->d_name)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%.64s", dir, e->d_name);
		f = fopen(path, "re");
		if (f == NULL) {
			continue;
		}
		if (fscanf(f, "%33s %lld", name, &created) < 1 || !admin_name_ok(name)) {
			fclose(f);
			continue;
		}
		fclose(f);
		rc = fn(path, name, created, ctx);
	}
	closedir(d);
	return rc < 0 ? rc : 0;
}

static int name_taken(const char *path, const char *name, long long created, void *ctx)
{
	(void)path;
	(void)created;
	return strcmp(name, ctx) == 0 ? -EEXIST : 0;
}

int admin_token_add(struct store *s, const char *name, char token[ADMIN_TOKEN_LEN + 1], char *err,
		    size_t errlen)
{
	char dir[600], path[700], hash[65], text[80], raw[LB_TOKEN_LEN + 1];
	int fd, rc;
	ssize_t n;

	if (!admin_name_ok(name)) {
		snprintf(err, errlen, "'%s' is not a name of 1 to 32 of a-z 0-9 . _ -", name);
		return -EINVAL;
	}
	admin_dir(s, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return rc;
	}
	rc = each_token(s, name_taken, (void *)name);
	if (rc < 0) {
		snprintf(err, errlen, rc == -EEXIST ? "%s has an admin token already (revoke it first)" : "cannot read %s",
			 rc == -EEXIST ? name : dir);
		return rc;
	}
	if (store_new_token(raw) < 0) {
		snprintf(err, errlen, "cannot make a token: no randomness");
		return -EIO;
	}
	snprintf(token, ADMIN_TOKEN_LEN + 1, ADMIN_TOKEN_PREFIX "%s", raw);
	token_hash(token, hash);
	snprintf(path, sizeof(path), "%s/%s", dir, hash);
	snprintf(text, sizeof(text), "%s %lld\n", name, (long long)time(NULL));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return rc;
	}
	n = write(fd, text, strlen(text));
	rc = n == (ssize_t)strlen(text) && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (rc < 0) {
		unlink(path);
		snprintf(err, errlen, "cannot write %s", path);
	}
	return rc;
}

struct revoke {
	const char *name;
	int count;
};

static int revoke_one(const char *path, const char *name, long long created, void *ctx)
{
	struct revoke *r = ctx;

	(void)created;
	if (strcmp(name, r->name) == 0 && unlink(path) == 0) {
		r->count++;
	}
	return 0;
}

int admin_token_revoke(struct store *s, const char *name)
{
	struct revoke r = { .name = name, .count = 0 };
	int rc = each_token(s, revoke_one, &r);

	return rc < 0 ? rc : r.count;
}

struct listing {
	char *lines[1024];
	size_t n;
};

static int list_one(const char *path, const char *name, long long created, void *ctx)
{
	struct listing *l = ctx;
	char when[32] = "?";
	time_t t = (time_t)created;
	struct tm tm;

	(void)path;
	if (l->n == sizeof(l->lines) / sizeof(l->lines[0])) {
		return 0;
	}
	if (gmtime_r(&t, &tm) != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	if (asprintf(&l->lines[l->n], "%-32s  created %s", name, when) >= 0) {
		l->n++;
	}
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int admin_token_list(struct store *s, FILE *out)
{
	struct listing *l = calloc(1, sizeof(*l));
	size_t i;
	int rc;

	if (l == NULL) {
		return -ENOMEM;
	}
	rc = each_token(s, list_one, l);
	qsort(l->lines, l->n, sizeof(l->lines[0]), cmp_line);
	for (i = 0; i < l->n; i++) {
		fprintf(out, "%s\n", l->lines[i]);
		free(l->lines[i]);
	}
	free(l);
	return rc;
}

int admin_token_find(struct store *s, const char *token, char name[ADMIN_NAME_MAX + 1])
{
	char path[700], hash[65], buf[64];
	ssize_t n;
	int fd;

	if (strncmp(token, ADMIN_TOKEN_PREFIX, sizeof(ADMIN_TOKEN_PREFIX) - 1) != 0) {
		return -EINVAL; /* an agent's token is never an admin's */
	}
	token_hash(token, hash);
	snprintf(path, sizeof(path), "%s/admin/%s", s->dir, hash);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return -ENOENT;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return -ENOENT;
	}
	buf[n] = '\0';
	buf[strcspn(buf, " \n")] = '\0';
	if (!admin_name_ok(buf)) {
		return -ENOENT;
	}
	snprintf(name, ADMIN_NAME_MAX + 1, "%.32s", buf);
	return 0;
}

int admin_host_allowed(const char *allowed, const char *host)
{
	char h[256], list[600], *tok = NULL, *save = NULL;

	if (host == NULL || host[0] == '\0' || strlen(host) >= sizeof(h)) {
		return 0;
	}
	snprintf(h, sizeof(h), "%s", host);
	/* strip :port (not inside an IPv6 literal) */
	if (h[0] == '[') {
		char *end = strchr(h, ']');

		if (end == NULL) {
			return 0;
		}
		end[1] = '\0';
	} else if (strchr(h, ':') != NULL) {
		*strchr(h, ':') = '\0';
	}
	snprintf(list, sizeof(list), "%s", allowed);
	for (tok = strtok_r(list, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save)) {
		if (strcasecmp(tok, h) == 0) {
			return 1;
		}
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int form_field(const char *body, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = body;

	while (p != NULL && *p != '\0') {
		const char *end = p + strcspn(p, "&");

		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = 0;

			for (p += klen + 1; p < end; p++) {
				int c = (unsigned char)*p;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (p + 2 >= end || hexval(p[1]) < 0 || hexval(p[2]) < 0) {
						return -EINVAL;
					}
					c = hexval(p[1]) << 4 | hexval(p[2]);
					p += 2;
				}
				if (c == 0 || n + 1 >= len) {
					return -EINVAL;
				}
				out[n++] = (char)c;
			}
			out[n] = '\0';
			return 0;
		}
		p = *end == '&' ? end + 1 : NULL;
	}
	return -ENOENT;
}
