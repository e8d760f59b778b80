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
#include "schema.h"
#include "store.h"

static const char *const subdirs[] = { "hosts", "tokens", "pending", "events", "bmc" };

int store_open(struct store *s, const char *dir, char *err, size_t errlen)
{
	char path[600];
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	s->claim_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	if (strlen(dir) >= sizeof(s->dir)) {
		snprintf(err, errlen, "cannot use state directory %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	strcpy(s->dir, dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return rc;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot create state directory %s: %s", path, strerror(errno));
			return rc;
		}
		if (access(path, W_OK) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot write state directory %s: %s", path, strerror(errno));
			return rc;
		}
	}
	return 0;
}

int store_claim(struct store *s, char *err, size_t errlen)
{
	char path[600], buf[32] = "";
	ssize_t n;
	int fd = -1, rc;

	snprintf(path, sizeof(path), "%s/lifeboatd.pid", s->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "cannot use state directory %s: %s", s->dir,
			 rc == -EBUSY ? "another lifeboatd uses it (one per state directory)" : strerror(-rc));
		if (rc == -EBUSY && buf[0] != '\0') {
			size_t len = strlen(err);

			snprintf(err + len, errlen - len, ": pid %s", buf);
		}
		close(fd);
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	s->claim_fd = fd; /* held until exit */
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
		rc = -errno;
		goto err_open;
	}
	if (flock(s->lock_fd, LOCK_EX) < 0) {
		rc = -errno;
		goto err_flock;
	}
	return 0;

err_flock:
	close(s->lock_fd);
	s->lock_fd = -1;
err_open:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0) {
		close(s->lock_fd); /* releases the flock */
		s->lock_fd = -1;
	}
	pthread_mutex_unlock(&s->mu);
}

/* "52-54-00-12-34-56" from a MAC: validated, so the name is safe */
static int mac_name(const char *mac, char out[18])
{
	int i;

	if (parse_mac(mac, out) < 0) {
		return -EINVAL;
	}
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == ':') {
			out[i] = '-';
		}
	}
	return 0;
}

int store_mac_path(struct store *s, const char *subdir, const char *mac, const char *suffix, char *buf, size_t len)
{
	char m[18];

	if (mac_name(mac, m) < 0) {
		return -EINVAL;
	}
	return (size_t)snprintf(buf, len, "%s/%s/%s%s", s->dir, subdir, m, suffix) >= len ? -ENAMETOOLONG : 0;
}

int store_host_path(struct store *s, const char *mac, char *buf, size_t len)
{
	return store_mac_path(s, "hosts", mac, ".json", buf, len);
}

static void fsync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* text to path through path.tmp: write, fsync, rename, fsync the directory */
int store_write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[700], dir[700], *slash = NULL;
	size_t done = 0;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
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
	if (rc == 0 && fsync(fd) < 0) {
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
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		fsync_dir(dir);
	}
	return 0;
}

json_object *store_load_raw(struct store *s, const char *mac, char *err, size_t errlen)
{
	char path[600];
	json_object *o = NULL;

	if (store_host_path(s, mac, path, sizeof(path)) < 0 || access(path, F_OK) != 0) {
		return NULL;
	}
	o = json_object_from_file(path);
	if (o == NULL && err != NULL) {
		snprintf(err, errlen, "%s: not JSON (%s)", path, json_util_get_last_err());
	}
	return o;
}

json_object *store_load(struct store *s, const char *mac, struct schema_skipped *sk)
{
	char err[700] = "";
	json_object *raw = store_load_raw(s, mac, err, sizeof(err)), *clean = NULL;

	if (raw == NULL) {
		if (sk != NULL && err[0] != '\0') {
			snprintf(sk->text, sizeof(sk->text), "the whole file (not JSON)");
			sk->count++;
		}
		return NULL;
	}
	clean = hostfile_clean(raw, sk);
	json_object_put(raw);
	return clean;
}

int store_save(struct store *s, const char *mac, json_object *host, char *err, size_t errlen)
{
	char path[600];
	const char *text = json_object_to_json_string_ext(host, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *buf = NULL;
	size_t len = strlen(text);
	int rc;

	if (store_host_path(s, mac, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "bad MAC %s", mac);
		return -EINVAL;
	}
	buf = malloc(len + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "cannot write %s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(buf, text, len);
	buf[len] = '\n';
	rc = store_write_atomic(path, buf, len + 1);
	free(buf);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	}
	return rc;
}

int store_forget(struct store *s, const char *mac)
{
	char path[600];
	json_object *h = store_load(s, mac, NULL), *sess = jget(h, "session");
	const char *hash = jstr(sess, "token_sha256");

	if (store_host_path(s, mac, path, sizeof(path)) < 0) {
		json_object_put(h);
		return -EINVAL;
	}
	if (hash[0] != '\0') {
		store_token_del(s, hash);
	}
	json_object_put(h);
	store_pending_del(s, mac);
	return unlink(path) < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_each(struct store *s, void (*fn)(json_object *host, const char *mac, const struct schema_skipped *sk,
					  void *ctx), void *ctx)
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
		char m[18];

		if (strlen(e->d_name) != 22 || strcmp(e->d_name + 17, ".json") != 0) {
			continue;
		}
		snprintf(m, sizeof(m), "%.17s", e->d_name);
		if (parse_mac(m, m) < 0) {
			continue;
		}
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (v == NULL) {
				break;
			}
			names = v;
		}
		names[n] = strdup(m);
		if (names[n] != NULL) {
			n++;
		}
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), cmp_str);
	}
	for (i = 0; i < n; i++) {
		struct schema_skipped sk = { .count = 0 };
		json_object *h = store_load(s, names[i], &sk);

		/* a file whose mac member is not its name: show it as skipped */
		if (h != NULL && strcmp(jstr(h, "mac"), names[i]) != 0) {
			json_object_put(h);
			h = NULL;
			snprintf(sk.text, sizeof(sk.text), "mac (not the file's name)");
			sk.count++;
		}
		fn(h, names[i], &sk, ctx);
		json_object_put(h);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* ---- token index ----------------------------------------------------------- */

static int token_path(struct store *s, const char *hash, char *buf, size_t len)
{
	if (!schema_hex64(hash)) {
		return -EINVAL;
	}
	snprintf(buf, len, "%s/tokens/%s", s->dir, hash);
	return 0;
}

int store_token_put(struct store *s, const char *hash, const char *mac)
{
	char path[700], m[18];

	if (token_path(s, hash, path, sizeof(path)) < 0 || parse_mac(mac, m) < 0) {
		return -EINVAL;
	}
	return store_write_atomic(path, m, 17);
}

void store_token_del(struct store *s, const char *hash)
{
	char path[700];

	if (token_path(s, hash, path, sizeof(path)) == 0) {
		unlink(path);
	}
}

int store_token_find(struct store *s, const char *hash, char mac[18])
{
	char path[700], buf[32];
	ssize_t n;
	int fd, rc;

	if (token_path(s, hash, path, sizeof(path)) < 0) {
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return -errno;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0) {
		return rc;
	}
	buf[n] = '\0';
	return parse_mac(buf, mac);
}

/* ---- pending auto-created hosts ------------------------------------------- */

int store_pending_put(struct store *s, const char *mac, const char *source, long long now)
{
	char path[700], m[18], text[64];

	if (mac_name(mac, m) < 0) {
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/pending/%s", s->dir, m);
	snprintf(text, sizeof(text), "%s %lld\n", source, now);
	return store_write_atomic(path, text, strlen(text));
}

void store_pending_del(struct store *s, const char *mac)
{
	char path[700], m[18];

	if (mac_name(mac, m) == 0) {
		snprintf(path, sizeof(path), "%s/pending/%s", s->dir, m);
		unlink(path);
	}
}

void store_pending_count(struct store *s, const char *source, long long now, long long max_age,
			 unsigned int *total, unsigned int *from_source)
{
	char path[700];
	struct dirent *e = NULL;
	DIR *d = NULL;

	*total = 0;
	*from_source = 0;
	snprintf(path, sizeof(path), "%s/pending", s->dir);
	d = opendir(path);
	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char src[32] = "";
		long long t = 0;
		FILE *f = NULL;

		if (strlen(e->d_name) != 17 || strchr(e->d_name, '.') != NULL) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/pending/%.17s", s->dir, e->d_name);
		f = fopen(path, "re");
		if (f == NULL) {
			continue;
		}
		if (fscanf(f, "%31s %lld", src, &t) != 2) {
			t = 0;
		}
		fclose(f);
		if (now - t > max_age) {
			unlink(path); /* it never reported: no longer counts */
			continue;
		}
		(*total)++;
		if (strcmp(src, source) == 0) {
			(*from_source)++;
		}
	}
	closedir(d);
}

/* ---- seen.json ------------------------------------------------------------------ */

json_object *store_seen_read(struct store *s)
{
	char path[600];
	json_object *o = NULL;

	snprintf(path, sizeof(path), "%s/seen.json", s->dir);
	if (access(path, F_OK) != 0) {
		return NULL;
	}
	o = json_object_from_file(path);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int store_seen_write(struct store *s, json_object *seen, char *err, size_t errlen)
{
	char path[600];
	const char *text = json_object_to_json_string_ext(seen, JSON_C_TO_STRING_PLAIN);
	int rc;

	snprintf(path, sizeof(path), "%s/seen.json", s->dir);
	rc = store_write_atomic(path, text, strlen(text));
	if (rc < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	}
	return rc;
}

/* ---- new things -------------------------------------------------------------------- */

int store_new_token(char out[LB_TOKEN_LEN + 1])
{
	static const char alphabet[] = LB_TOKEN_CHARS;
	unsigned char raw[LB_TOKEN_LEN];
	size_t i;

	_Static_assert(LB_TOKEN_ISSUE_CHARS == 64, "one symbol per 6 bits");
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
