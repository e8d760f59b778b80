#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/admin.h"
#include "store/events.h"
#include "store/import.h"
#include "core/query.h"
#include "core/schema.h"

#define FILE_MAX (1024 * 1024)
/* a pending host of the old layout holds its place as one made now would
 * with the default session_grace */
#define IMPORT_PENDING_HOLD 900

/* 1 when s is UTF-8 without NUL (what both databases store as TEXT) */
static int utf8_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		size_t k;

		if (c == 0 || len == 0 || i + len > n || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4)) {
			return 0;
		}
		for (k = 1; k < len; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80) {
				return 0;
			}
		}
		if (len == 3 && ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
				 (c == 0xed && (unsigned char)s[i + 1] >= 0xa0))) {
			return 0; /* overlong, or a surrogate */
		}
		if (len == 4 && ((c == 0xf0 && (unsigned char)s[i + 1] < 0x90) ||
				 (c == 0xf4 && (unsigned char)s[i + 1] >= 0x90))) {
			return 0;
		}
		i += len;
	}
	return 1;
}

/* The text (malloc'd) of the regular file name in the directory dirfd,
 * NULL when it is not one (a symbolic link is never followed: the
 * directory's owner could point it at a file only the importer may read),
 * unreadable, too big or not text. */
static char *slurp_at(int dirfd, const char *name, const char **why)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r = 0;

	*why = "cannot be read";
	if (fd < 0) {
		*why = errno == ELOOP ? "a symbolic link: not followed" : "cannot be read";
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return NULL;
	}
	buf = malloc(FILE_MAX + 2);
	while (buf != NULL && n <= FILE_MAX && (r = read(fd, buf + n, FILE_MAX + 1 - n)) > 0) {
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || r < 0) {
		free(buf);
		return NULL;
	}
	if (n > FILE_MAX) {
		*why = "larger than 1 MiB";
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (!utf8_ok(buf, n)) {
		*why = "not UTF-8 text";
		free(buf);
		return NULL;
	}
	return buf;
}

static void skip(struct import_counts *n, const char *path, const char *why)
{
	if (n->skipped++ == 0) {
		snprintf(n->first_skipped, sizeof(n->first_skipped), "%s (%s)", path, why);
	}
	fprintf(stderr, "lifeboat: cannot import %s: %s (left where it is)\n", path, why);
}

/* "52-54-00-12-34-56<suffix>" -> "52:54:00:12:34:56" */
static int name_mac(const char *name, const char *suffix, char mac[18])
{
	char m[18];
	size_t i;

	if (strlen(name) != 17 + strlen(suffix) || strcmp(name + 17, suffix) != 0) {
		return -EINVAL;
	}
	memcpy(m, name, 17);
	m[17] = '\0';
	for (i = 0; i < 17; i++) {
		m[i] = m[i] == '-' ? ':' : m[i];
	}
	return parse_mac(m, mac);
}

typedef int (*entry_fn)(struct store *s, const char *dir, const char *path, const char *name, const char *text,
			struct import_counts *n, char *err, size_t errlen);

static int import_host(struct store *s, const char *dir, const char *path, const char *name, const char *text,
		       struct import_counts *n, char *err, size_t errlen)
{
	char mac[18];

	(void)dir;
	if (name_mac(name, ".json", mac) < 0) {
		return 0;
	}
	if (store_exists(s, mac) == 1) {
		n->kept++;
		return 0;
	}
	n->hosts++;
	(void)path;
	return store_save_text(s, mac, text, err, errlen);
}

/* the host file of mac was imported by this run (not one the database kept) */
static int imported(const char *dir, const char *mac)
{
	char path[700], m[18];
	size_t i;

	snprintf(m, sizeof(m), "%s", mac);
	for (i = 0; m[i] != '\0'; i++) {
		m[i] = m[i] == ':' ? '-' : m[i];
	}
	snprintf(path, sizeof(path), "%s/hosts/%s.json", dir, m);
	return access(path, F_OK) == 0;
}

static int import_token(struct store *s, const char *dir, const char *path, const char *name, const char *text,
			struct import_counts *n, char *err, size_t errlen)
{
	char mac[18];

	(void)path;
	if (!schema_hex64(name) || parse_mac(text, mac) < 0 || !imported(dir, mac)) {
		return 0;
	}
	n->tokens++;
	if (store_token_put(s, name, mac) < 0) {
		snprintf(err, errlen, "cannot store token index entry %.16s...", name);
		return -EIO;
	}
	return 0;
}

static int import_pending(struct store *s, const char *dir, const char *path, const char *name, const char *text,
			  struct import_counts *n, char *err, size_t errlen)
{
	char mac[18], src[32];
	long long t = 0;

	(void)dir;
	(void)path;
	if (name_mac(name, "", mac) < 0 || sscanf(text, "%31s %lld", src, &t) != 2) {
		return 0;
	}
	n->pending++;
	if (store_pending_put(s, mac, src, t, t + IMPORT_PENDING_HOLD) < 0) {
		snprintf(err, errlen, "cannot store pending host %s", mac);
		return -EIO;
	}
	return 0;
}

/* 1 when the database has this event already: an import run again (its
 * files could not be moved aside) adds nothing. */
static int event_known(struct store *s, const char *mac, json_object *e)
{
	char t[24];
	const char *p[4] = { mac, t, jstr(e, "kind"), jstr(e, "text") };

	struct db_text_copy found = { .text = NULL };

	snprintf(t, sizeof(t), "%lld", jint(e, "time"));
	/* counted by the row callback: db_exec's number is of rows changed */
	db_exec(&s->db, "SELECT 1 FROM events WHERE mac = $1 AND time = $2 AND kind = $3 AND text = $4", 4, p,
		db_copy_text, &found, NULL, 0);
	free(found.text);
	return found.rows > 0;
}

static int import_events(struct store *s, const char *dir, const char *path, const char *name, const char *text,
			 struct import_counts *n, char *err, size_t errlen)
{
	char mac[18];
	const char *line = text;

	(void)dir;
	(void)path;
	if (name_mac(name, ".jsonl", mac) < 0) {
		return 0;
	}
	while (*line != '\0') {
		size_t len = strcspn(line, "\n");
		char *one = strndup(line, len);
		json_object *e = one != NULL ? json_tokener_parse(one) : NULL;

		free(one);
		if (e != NULL && json_object_is_type(jget(e, "kind"), json_type_string) &&
		    json_object_is_type(jget(e, "time"), json_type_int) &&
		    json_object_is_type(jget(e, "text"), json_type_string) && !event_known(s, mac, e)) {
			int rc = events_add(s, mac, jint(e, "time"), jstr(e, "kind"), "%s", jstr(e, "text"));

			if (rc < 0) {
				json_object_put(e);
				snprintf(err, errlen, "cannot store the events of %s", mac);
				return rc;
			}
			n->events++;
		}
		json_object_put(e);
		line += len + (line[len] == '\n');
	}
	return 0;
}

static int import_bmc(struct store *s, const char *dir, const char *path, const char *name, const char *text,
		      struct import_counts *n, char *err, size_t errlen)
{
	const char *p[2] = { NULL, text };
	char mac[18], why[300];
	int rc;

	(void)dir;
	(void)path;
	if (name_mac(name, ".json", mac) < 0) {
		return 0;
	}
	p[0] = mac;
	rc = db_exec(&s->db, "INSERT INTO bmc (mac, doc) VALUES ($1, $2) ON CONFLICT (mac) DO NOTHING", 2, p, NULL,
		     NULL, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot store the BMC of %s: %s", mac, why);
		return rc;
	}
	n->bmc += (unsigned int)rc;
	return 0;
}

static int import_admin(struct store *s, const char *dir, const char *path, const char *name, const char *text,
			struct import_counts *n, char *err, size_t errlen)
{
	char who[ADMIN_NAME_MAX + 2] = "", created[24], why[300];
	const char *p[3] = { name, who, created };
	long long t = 0;
	int rc;

	(void)dir;
	(void)path;
	if (!schema_hex64(name) || sscanf(text, "%33s %lld", who, &t) < 1 || !admin_name_ok(who)) {
		return 0;
	}
	snprintf(created, sizeof(created), "%lld", t);
	/* a name the database has already keeps its token */
	rc = db_exec(&s->db, "INSERT INTO admin_tokens (hash, name, created) SELECT $1, $2, $3 WHERE NOT EXISTS "
			     "(SELECT 1 FROM admin_tokens WHERE name = $2 OR hash = $1)", 3, p, NULL, NULL, why,
		     sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot store the admin token of %s: %s", who, why);
		return rc;
	}
	n->admins += (unsigned int)rc;
	return 0;
}

static const struct {
	const char *subdir;
	entry_fn fn;
} kinds[] = {
	/* hosts first: the others follow only the hosts imported */
	{ "hosts", import_host }, { "tokens", import_token }, { "pending", import_pending },
	{ "events", import_events }, { "bmc", import_bmc }, { "admin", import_admin },
};

/* A directory to import from belongs to the one importing it or to root:
 * else its owner could have planted what we read (trust_owner: told to
 * trust them). 0, or -EPERM with err naming both. */
static int check_owner(int fd, const char *path, int trust_owner, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0 && !trust_owner) {
		snprintf(err, errlen, "%s belongs to uid %u, not to you (uid %u) or root: its owner could have "
			 "planted what it holds (--trust-owner if you trust them)", path, (unsigned int)st.st_uid,
			 (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

static int import_kind(struct store *s, const char *dir, size_t k, int trust_owner, struct import_counts *n,
		       char *err, size_t errlen)
{
	char path[700];
	struct dirent *e = NULL;
	DIR *d = NULL;
	int rc = 0, fd;

	snprintf(path, sizeof(path), "%s/%s", dir, kinds[k].subdir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			return 0;
		}
		rc = -errno;
		snprintf(err, errlen, "%.300s: %s", path, errno == ELOOP || errno == ENOTDIR ? "not a directory (a link is "
			 "not followed)" : strerror(errno));
		return rc;
	}
	rc = check_owner(fd, path, trust_owner, err, errlen);
	d = rc == 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		close(fd);
		return rc < 0 ? rc : -errno;
	}
	while (rc >= 0 && (e = readdir(d)) != NULL) {
		const char *why = NULL;
		char *text = NULL;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp") != NULL) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", dir, kinds[k].subdir, e->d_name);
		text = slurp_at(dirfd(d), e->d_name, &why);
		if (text == NULL) {
			skip(n, path, why);
			continue;
		}
		rc = kinds[k].fn(s, dir, path, e->d_name, text, n, err, errlen);
		free(text);
	}
	closedir(d);
	return rc;
}

static int import_seen(struct store *s, const char *dir, struct import_counts *n, char *err, size_t errlen)
{
	char path[700];
	const char *why = NULL;
	char *text = NULL;
	json_object *all = NULL, *batch = json_object_new_object();
	int rc = 0;

	int fd;

	snprintf(path, sizeof(path), "%s/seen.json", dir);
	if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		json_object_put(batch);
		return 0;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	text = fd >= 0 ? slurp_at(fd, "seen.json", &why) : NULL;
	if (fd >= 0) {
		close(fd);
	}
	if (text != NULL) {
		all = json_tokener_parse(text);
		why = "not a JSON object";
		free(text);
	}
	if (all == NULL || !json_object_is_type(all, json_type_object)) {
		skip(n, path, why);
		json_object_put(all);
		json_object_put(batch);
		return 0;
	}
	json_object_object_foreach(all, key, b)
	{
		char mac[18], t[24];
		const char *p[4] = { mac, t, jstr(b, "source"), jstr(b, "decision") };

		if (parse_mac(key, mac) < 0 || !json_object_is_type(b, json_type_object)) {
			continue;
		}
		snprintf(t, sizeof(t), "%lld", jint(b, "time"));
		rc = db_exec(&s->db, "INSERT INTO seen (mac, time, source, decision) VALUES ($1, $2, $3, $4) "
				     "ON CONFLICT (mac) DO NOTHING", 4, p, NULL, NULL, err, errlen);
		if (rc < 0) {
			break;
		}
		n->seen += (unsigned int)rc;
	}
	json_object_put(all);
	json_object_put(batch);
	return rc < 0 ? rc : 0;
}

void import_summary(const struct import_counts *n, char *out, size_t len)
{
	snprintf(out, len, "%u hosts%s%.0u%s, %u token index entries, %u pending, %u events, %u BMCs, %u admin tokens, "
		 "%u last boots; %u files skipped%s%s", n->hosts, n->kept ? " (" : "", n->kept,
		 n->kept ? " kept as the database had them)" : "", n->tokens, n->pending, n->events, n->bmc, n->admins,
		 n->seen, n->skipped, n->skipped ? ", the first: " : "", n->first_skipped);
}

int import_json_dir(struct store *s, const char *dir, int trust_owner, struct import_counts *n, char *err,
		    size_t errlen)
{
	char why[400] = "", summary[600], key[600];
	size_t k;
	int rc, fd;

	memset(n, 0, sizeof(*n));
	snprintf(key, sizeof(key), "%s/hosts", dir);
	if (access(key, R_OK | X_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot import %s: %s (not a JSON state directory: it has no hosts/)", dir,
			 strerror(errno));
		return rc;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? -errno : check_owner(fd, dir, trust_owner, why, sizeof(why));
	if (fd >= 0) {
		close(fd);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot import %s: %s", dir, why[0] ? why : strerror(-rc));
		return rc;
	}
	rc = store_lock(s, err, errlen);
	if (rc < 0) {
		return rc;
	}
	for (k = 0; rc >= 0 && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		rc = import_kind(s, dir, k, trust_owner, n, why, sizeof(why));
	}
	if (rc >= 0) {
		rc = import_seen(s, dir, n, why, sizeof(why));
	}
	if (rc >= 0) {
		import_summary(n, summary, sizeof(summary));
		snprintf(key, sizeof(key), "json_import %lld %s", (long long)time(NULL), dir);
		rc = store_meta_set(s, key, summary);
	}
	if (rc < 0) {
		store_abort(s);
		snprintf(err, errlen, "cannot import the JSON state directory %s: %s (nothing imported)", dir,
			 why[0] ? why : strerror(-rc));
		return rc;
	}
	rc = store_unlock(s, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot import the JSON state directory %s: %s (nothing imported)", dir, why);
	}
	return rc;
}

/* the JSON files out of the way, kept: STATE/json-imported-<time>/ */
static int move_aside(const char *dir, char *moved, size_t len)
{
	static const char *const names[] = { "hosts", "tokens", "pending", "events", "bmc", "admin", "seen.json",
					     ".lock" };
	char from[700], to[760];
	size_t i;

	snprintf(moved, len, "%s/json-imported-%lld", dir, (long long)time(NULL));
	if (mkdir(moved, 0700) < 0) {
		return -errno;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", dir, names[i]);
		snprintf(to, sizeof(to), "%s/%s", moved, names[i]);
		if (rename(from, to) < 0 && errno != ENOENT) {
			return -errno;
		}
	}
	return 0;
}

int import_state_dir(struct store *s, int may_import, char *note, size_t notelen, char *err, size_t errlen)
{
	struct import_counts n;
	struct stat sb;
	char path[700], summary[600], moved[640];
	int rc;

	note[0] = '\0';
	snprintf(path, sizeof(path), "%s/hosts", s->dir);
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		return 0;
	}
	if (!may_import) {
		snprintf(note, notelen, "%s still holds the JSON files of an older lifeboat, and a lifeboatd runs "
			 "on it: they are imported when lifeboatd starts again", s->dir);
		return 0;
	}
	rc = import_json_dir(s, s->dir, 0, &n, err, errlen);
	if (rc < 0) {
		return rc;
	}
	import_summary(&n, summary, sizeof(summary));
	rc = move_aside(s->dir, moved, sizeof(moved));
	if (rc < 0) {
		/* imported and committed: the files stay; hosts the database has
		 * now are kept as it has them on the next start */
		snprintf(note, notelen, "imported the JSON state directory %s into %s: %s; cannot move its files to "
			 "%s: %s", s->dir, s->db.shown, summary, moved, strerror(-rc));
		return 0;
	}
	snprintf(note, notelen, "imported the JSON state directory %s into %s: %s; the files are kept in %s", s->dir,
		 s->db.shown, summary, moved);
	return 0;
}
