#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "query.h"
#include "store.h"

int store_open(struct store *s, const char *dir, char *err, size_t errlen)
{
	char path[600];

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	if (strlen(dir) >= sizeof(s->dir)) {
		snprintf(err, errlen, "cannot use state directory %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	strcpy(s->dir, dir);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || (mkdir(path, 0700) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create state directory %s: %s", path, strerror(errno));
		return -errno;
	}
	if (access(path, W_OK) < 0) {
		snprintf(err, errlen, "cannot write state directory %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Two locks: the mutex for the threads of this process (lifeboatd's thread
 * pool: one lock_fd for all of them), then flock for other processes
 * (lifeboatctl). Without the mutex, a second thread's open() replaced
 * lock_fd and the first thread's unlock closed the wrong descriptor: the
 * flock stayed held and lifeboatd hung under concurrent boots. */
int store_lock(struct store *s)
{
	char path[600];
	int rc;

	pthread_mutex_lock(&s->mu);
	snprintf(path, sizeof(path), "%s/.lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		return -errno;
	}
	if (flock(s->lock_fd, LOCK_EX) < 0) {
		rc = -errno;
		close(s->lock_fd);
		s->lock_fd = -1;
		return rc;
	}
	return 0;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0) {
		close(s->lock_fd); /* releases the flock */
		s->lock_fd = -1;
	}
	pthread_mutex_unlock(&s->mu);
}

/* hosts/52-54-00-12-34-56.json: the MAC is validated, so the name is safe */
static int host_path(struct store *s, const char *mac, char *buf, size_t len)
{
	char m[18];
	int i;

	if (parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	for (i = 0; m[i] != '\0'; i++) {
		if (m[i] == ':') {
			m[i] = '-';
		}
	}
	return (size_t)snprintf(buf, len, "%s/hosts/%s.json", s->dir, m) >= len ? -ENAMETOOLONG : 0;
}

json_object *store_load(struct store *s, const char *mac)
{
	char path[600];
	json_object *o = NULL;

	if (host_path(s, mac, path, sizeof(path)) < 0 || access(path, F_OK) != 0) {
		return NULL;
	}
	o = json_object_from_file(path);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen)
{
	char path[600], tmp[620], dir[600];
	const char *text = json_object_to_json_string_ext(host, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text), done = 0;
	int fd, dfd, rc = 0;

	if (host_path(s, mac, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "bad MAC %s", mac);
		return -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -errno;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (rc == 0 && (write(fd, "\n", 1) != 1 || fsync(fd) < 0)) {
		rc = -errno;
	}
	if (close(fd) < 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -errno;
	}
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s/hosts", s->dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int store_forget(struct store *s, const char *mac)
{
	char path[600];

	if (host_path(s, mac, path, sizeof(path)) < 0) {
		return -EINVAL;
	}
	return unlink(path) < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_each(struct store *s, void (*fn)(json_object *host, void *ctx), void *ctx)
{
	char path[600], **names = NULL;
	struct dirent *e = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;

	snprintf(path, sizeof(path), "%s/hosts", s->dir);
	d = opendir(path);
	if (d == NULL) {
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l != 22 || strcmp(e->d_name + 17, ".json") != 0) {
			continue;
		}
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (v == NULL) {
				break;
			}
			names = v;
		}
		names[n] = strndup(e->d_name, 17);
		if (names[n] != NULL) {
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		json_object *h = store_load(s, names[i]);

		if (h != NULL) {
			fn(h, ctx);
			json_object_put(h);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

struct find_ctx {
	const char *token;
	char *mac;
	int found;
};

static void find_one(json_object *h, void *ctx)
{
	struct find_ctx *f = ctx;
	const char *t = jstr(h, "token");

	if (!f->found && t[0] != '\0' && strlen(t) == strlen(f->token) && strcmp(t, f->token) == 0) {
		snprintf(f->mac, 18, "%s", jstr(h, "mac"));
		f->found = 1;
	}
}

int store_find_token(struct store *s, const char *token, char mac[18])
{
	struct find_ctx f = { .token = token, .mac = mac, .found = 0 };

	store_each(s, find_one, &f);
	return f.found ? 0 : -ENOENT;
}

int store_new_token(char out[33])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[32];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		return -EIO;
	}
	for (i = 0; i < sizeof(raw); i++) {
		out[i] = alphabet[raw[i] & 63]; /* 64 symbols: no bias */
	}
	out[sizeof(raw)] = '\0';
	return 0;
}

json_object *store_new_host(const char *mac, const char *policy)
{
	json_object *h = json_object_new_object();

	json_object_object_add(h, "mac", json_object_new_string(mac));
	json_object_object_add(h, "policy", json_object_new_string(policy));
	json_object_object_add(h, "nat", json_object_new_boolean(0));
	json_object_object_add(h, "created", json_object_new_int64((int64_t)time(NULL)));
	return h;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		return "";
	}
	return json_object_get_string(v);
}
