/* The storage layer under the store (store.h): one small SQL interface,
 * two back ends behind it, chosen by the `database` setting:
 *
 *   sqlite:PATH or a bare path   SQLite, embedded: one file (the default,
 *                                STATE/lifeboat.db), WAL, one writer at a
 *                                time, readers never blocked
 *   postgresql://... (postgres://)  PostgreSQL through libpq: several
 *                                lifeboatd share hosts, sessions and events
 *
 * Statements are written once, in the SQL both speak, with $1, $2 ...
 * parameters passed as text (NULL for SQL NULL); only the schema
 * (migrations) and the write lock differ per back end. Every thread has
 * its own connection (made on first use, closed when the thread ends).
 *
 * Writes happen between db_begin and db_commit: BEGIN IMMEDIATE on SQLite,
 * BEGIN + a transaction-scoped advisory lock on PostgreSQL, so a
 * read-modify-write is one step across every lifeboatd and lifeboatctl
 * sharing the database (a token is issued once however they race). A
 * statement that fails inside the transaction spoils it: db_commit then
 * rolls back and says so, nothing half-done is kept. */
#ifndef LIFEBOAT_DB_H
#define LIFEBOAT_DB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A connection; each back end's own starts with it. */
struct db_conn {
	int in_txn;
	int unreachable;         /* the last call got no answer in time (set by the back end) */
	int spoiled;             /* a statement failed inside the transaction */
	char spoil_reason[300];
};

/* One result row: n text columns, NULL for SQL NULL. */
struct db_row {
	int n;
	const char *const *v;
};

/* Called per row; a negative return stops the statement with that error. */
typedef int (*db_row_fn)(const struct db_row *row, void *ctx);

struct db_backend {
	const char *name; /* "sqlite", "postgresql" */
	/* Every call on the connection waits at most timeout_ms. */
	int (*connect)(const char *target, unsigned timeout_ms, struct db_conn **out, char *err, size_t errlen);
	void (*disconnect)(struct db_conn *c);
	/* Runs sql with params; rows to fn. The number of rows changed, or
	 * -errno: -EEXIST (a unique key), -EBUSY (locked too long), -ENOTCONN
	 * (the server went away), -ETIMEDOUT (no answer within the timeout:
	 * unreachable set), -EIO; err says what the database said. */
	int (*exec)(struct db_conn *c, const char *sql, int nparams, const char *const *params, db_row_fn fn,
		    void *ctx, char *err, size_t errlen);
	/* Runs several statements without parameters (the schema). */
	int (*script)(struct db_conn *c, const char *sql, char *err, size_t errlen);
	const char *begin_write; /* the statements that open a write transaction */
	const char *begin_rows;  /* a transaction that locks only the rows it writes
	                          * (no read-modify-write in it), NULL: begin_write */
	const char *const *migrations; /* schema version i+1 from version i; NULL-terminated */
};

extern const struct db_backend db_sqlite, db_postgresql;

struct db {
	const struct db_backend *be;
	char target[600];      /* the file, or the libpq connection string */
	char shown[300];       /* what messages name: the URL without a password */
	pthread_key_t key;     /* this thread's struct db_conn */
	int key_made;
	unsigned timeout_ms;   /* every call's bound (DB_TIMEOUT_MS unless set) */
	/* After a call that got no answer in time, every call fails at once
	 * (no thread waits for a server known to hang) until down_until, then
	 * one call tries again (db.c). Monotonic ms, 0: reachable. */
	uint64_t down_until;
	pthread_mutex_t down_mu; /* down_why */
	char down_why[300];
};

#define DB_TIMEOUT_MS 5000u
#define DB_RETRY_MS 1000u /* how long a database that did not answer is not asked */

/* Picks the back end from url ("" means STATE/lifeboat.db) and names it;
 * connects nothing yet; timeout_ms 0: DB_TIMEOUT_MS. 0 or -EINVAL with err. */
int db_setup(struct db *d, const char *url, const char *state_dir, unsigned timeout_ms, char *err, size_t errlen);

/* 0, or -ETIMEDOUT with err while the database is known not to answer
 * (the gap after a call that got no answer): for callers that would wait
 * for something else first (a lock) before asking it. */
int db_available(struct db *d, char *err, size_t errlen);

/* This thread's connection, made on first use. 0 or -errno with err. */
int db_conn(struct db *d, struct db_conn **c, char *err, size_t errlen);

/* Brings the schema to the newest version this program knows (in one
 * write transaction, so two lifeboatd starting together migrate once),
 * or to `to` when it is not 0 (tests). *from: the version found (0: a new
 * database). -EPROTO when the database is newer than this program. */
int db_migrate(struct db *d, int to, int *from, char *err, size_t errlen);
int db_latest_version(const struct db *d);

/* On this thread's connection. sql must live as long as the program and
 * never change (a literal, or a buffer written once): each connection
 * keeps its prepared statements by the text's address. */
int db_exec(struct db *d, const char *sql, int nparams, const char *const *params, db_row_fn fn, void *ctx,
	    char *err, size_t errlen);
int db_begin(struct db *d, char *err, size_t errlen);
/* A transaction for writes that read nothing first (begin_rows). */
int db_begin_rows(struct db *d, char *err, size_t errlen);
int db_commit(struct db *d, char *err, size_t errlen);
void db_rollback(struct db *d);


/* Row helpers: column i as text ("" for NULL) or as a number (0). */
const char *db_text(const struct db_row *r, int i);
long long db_int(const struct db_row *r, int i);

/* A db_row_fn keeping a copy of column 0 (of the last row) in text (free
 * it) and counting the rows: ctx is a struct db_text_copy. */
struct db_text_copy {
	char *text;
	int rows;
};
int db_copy_text(const struct db_row *r, void *ctx);

/* postgresql://user:secret@host/db -> postgresql://user@host/db */
void db_redact(const char *url, char *out, size_t len);

#endif
