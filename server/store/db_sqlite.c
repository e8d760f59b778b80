/* The SQLite back end (db.h): one file, WAL (readers never wait for the
 * writer), synchronous=FULL (a committed token survives a power cut, as
 * the fsync'd files did), 10 s of waiting for another process's write
 * lock. Statements are prepared once per connection and kept. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "store/migrations.h"

#define CACHED 64

struct sqlite_conn {
	struct db_conn base;
	sqlite3 *db;
	struct {
		const char *sql; /* the statement's text, by address (literals) */
		sqlite3_stmt *st;
	} cache[CACHED];
};

static const char *const migrations[] = {
	DB_SCHEMA_1("INTEGER PRIMARY KEY AUTOINCREMENT"),
	DB_SCHEMA_2,
	DB_SCHEMA_3("INTEGER PRIMARY KEY AUTOINCREMENT"),
	DB_SCHEMA_4("INTEGER PRIMARY KEY AUTOINCREMENT"),
	DB_SCHEMA_5("INTEGER PRIMARY KEY AUTOINCREMENT"),
	NULL,
};

static int map_error(int code)
{
	switch (code & 0xff) {
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

static int say(sqlite3 *db, int code, char *err, size_t errlen)
{
	if (err != NULL) {
		snprintf(err, errlen, "%s", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(code));
	}
	return map_error(code);
}

static int sq_script(struct db_conn *base, const char *sql, char *err, size_t errlen)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : say(c->db, rc, err, errlen);
}

static void sq_disconnect(struct db_conn *base)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	size_t i;

	for (i = 0; i < CACHED; i++) {
		sqlite3_finalize(c->cache[i].st);
	}
	sqlite3_close(c->db);
	free(c);
}

/* root (lifeboatctl before lifeboatd's first start) makes the file for the
 * owner of the state directory, lifeboatd's user; SQLite itself gives its
 * -wal and -shm files the owner of the database when it runs as root */
static void own_like_dir(int fd, const char *path)
{
	char dir[600];
	char *slash = NULL;
	struct stat sb;

	if (geteuid() != 0) {
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		*slash = slash == dir ? '/' : '\0';
		if (slash == dir) {
			dir[1] = '\0';
		}
	}
	if (stat(dir, &sb) == 0 && sb.st_uid != 0 && fchown(fd, sb.st_uid, sb.st_gid) < 0) {
		/* the file stays root's: lifeboatd then says it cannot open it */
	}
}

static int sq_connect(const char *path, unsigned timeout_ms, struct db_conn **out, char *err, size_t errlen)
{
	struct sqlite_conn *c = calloc(1, sizeof(*c));
	int fd, rc;

	(void)timeout_ms; /* a local file: a writer waits for another one (busy_timeout below), nothing else hangs */
	if (c == NULL) {
		snprintf(err, errlen, "cannot open database %s: out of memory", path);
		return -ENOMEM;
	}
	/* made 0600 before SQLite opens it (its -wal and -shm files take the
	 * same mode), and only when it is not there: closing a descriptor of
	 * the file would drop the POSIX locks every other connection of this
	 * process holds on it (SQLite's "malformed" databases) */
	if (access(path, F_OK) < 0) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
			goto err_file;
		}
		if (fd >= 0) {
			own_like_dir(fd, path);
			close(fd);
		}
	}
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		char why[200];

		rc = say(c->db, rc, why, sizeof(why));
		snprintf(err, errlen, "cannot open database %s: %s", path, why);
		goto err_open;
	}
	sqlite3_busy_timeout(c->db, 10000);
	rc = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		char why[200];

		rc = say(c->db, rc, why, sizeof(why));
		snprintf(err, errlen, "cannot open database %s: %s", path, why);
		goto err_open;
	}
	*out = &c->base;
	return 0;

err_open:
	sqlite3_close(c->db);
err_file:
	free(c);
	return rc;
}

/* The prepared statement for sql: from the cache, else prepared (and kept
 * when there is room; *temp says it must be finalized after use). */
static int statement(struct sqlite_conn *c, const char *sql, sqlite3_stmt **st, int *temp)
{
	size_t i;
	int rc;

	for (i = 0; i < CACHED && c->cache[i].sql != NULL; i++) {
		if (c->cache[i].sql == sql) {
			*st = c->cache[i].st;
			*temp = 0;
			return SQLITE_OK;
		}
	}
	rc = sqlite3_prepare_v3(c->db, sql, -1, i < CACHED ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL);
	if (rc != SQLITE_OK) {
		return rc;
	}
	*temp = i == CACHED;
	if (i < CACHED) {
		c->cache[i].sql = sql;
		c->cache[i].st = *st;
	}
	return SQLITE_OK;
}

static int sq_exec(struct db_conn *base, const char *sql, int nparams, const char *const *params, db_row_fn fn,
		   void *ctx, char *err, size_t errlen)
{
	struct sqlite_conn *c = (struct sqlite_conn *)base;
	sqlite3_stmt *st = NULL;
	const char *vals[16];
	int temp = 0, rc, i, cols, stop = 0;

	rc = statement(c, sql, &st, &temp);
	if (rc != SQLITE_OK) {
		return say(c->db, rc, err, errlen);
	}
	for (i = 0; i < nparams; i++) {
		char name[16];
		int idx;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0) {
			continue;
		}
		rc = params[i] == NULL ? sqlite3_bind_null(st, idx) :
					 sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK) {
			break;
		}
	}
	cols = sqlite3_column_count(st);
	if (cols > 16) {
		cols = 16;
	}
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && fn != NULL && stop == 0) {
			struct db_row row = { .n = cols, .v = vals };

			for (i = 0; i < cols; i++) {
				vals[i] = (const char *)sqlite3_column_text(st, i);
			}
			stop = fn(&row, ctx);
			if (stop < 0) {
				break;
			}
		}
	}
	if (stop < 0) {
		rc = stop;
	} else if (rc == SQLITE_DONE) {
		rc = sqlite3_changes(c->db);
	} else {
		rc = say(c->db, rc, err, errlen);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (temp) {
		sqlite3_finalize(st);
	}
	return rc;
}

const struct db_backend db_sqlite = {
	.name = "sqlite",
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.exec = sq_exec,
	.script = sq_script,
	.begin_write = "BEGIN IMMEDIATE",
	.migrations = migrations,
};
