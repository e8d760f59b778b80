/* The PostgreSQL back end (db.h), on libpq. The URL is libpq's own
 * (postgresql://user@host:port/db?sslmode=verify-full ...; a password
 * from ~/.pgpass or PGPASSFILE, never needed on the command line);
 * connect_timeout is 10 s unless the URL says otherwise. Statements are
 * prepared once per connection. Writers serialize on a transaction-scoped
 * advisory lock, taken by every lifeboatd and lifeboatctl sharing the
 * database: the read-modify-write of a host is one step across all of
 * them. A connection that broke is made again before the next statement
 * outside a transaction. */
#define _GNU_SOURCE
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/migrations.h"

#define CACHED 64

struct pg_conn {
	struct db_conn base;
	PGconn *pg;
	const char *cache[CACHED]; /* statement i is prepared as "lb<i>" */
};

static const char *const migrations[] = {
	DB_SCHEMA_1("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	NULL,
};

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("already exists, skipping") are not ours to print */
}

static int say(struct pg_conn *c, PGresult *res, char *err, size_t errlen)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	int rc = -EIO;

	if (msg[0] == '\0') {
		msg = PQerrorMessage(c->pg);
	}
	if (err != NULL) {
		snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		rc = -ENOTCONN;
	} else if (state != NULL && strcmp(state, "23505") == 0) {
		rc = -EEXIST;
	} else if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		rc = -EAGAIN;
	} else if (state != NULL && strncmp(state, "57014", 5) == 0) {
		rc = -ETIMEDOUT;
	}
	return rc;
}

static void pg_disconnect(struct db_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;

	PQfinish(c->pg);
	free(c);
}

static int pg_connect(const char *url, struct db_conn **out, char *err, size_t errlen)
{
	static const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "lifeboat", url, NULL };
	struct pg_conn *c = calloc(1, sizeof(*c));
	char shown[300];

	if (c == NULL) {
		snprintf(err, errlen, "cannot connect to the database: out of memory");
		return -ENOMEM;
	}
	db_redact(url, shown, sizeof(shown));
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory";

		snprintf(err, errlen, "cannot connect to database %s: %.*s", shown, (int)strcspn(msg, "\n"), msg);
		PQfinish(c->pg);
		free(c);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(c->pg, quiet, NULL);
	*out = &c->base;
	return 0;
}

/* outside a transaction, a broken connection is made again (and what was
 * prepared on it is gone) */
static int alive(struct pg_conn *c, char *err, size_t errlen)
{
	if (PQstatus(c->pg) == CONNECTION_OK) {
		return 0;
	}
	if (c->base.in_txn) {
		snprintf(err, errlen, "the connection to the database broke");
		return -ENOTCONN;
	}
	PQreset(c->pg);
	memset(c->cache, 0, sizeof(c->cache));
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(c->pg);

		snprintf(err, errlen, "cannot connect to the database again: %.*s", (int)strcspn(msg, "\n"), msg);
		return -ENOTCONN;
	}
	return 0;
}

static int pg_script(struct db_conn *base, const char *sql, char *err, size_t errlen)
{
	struct pg_conn *c = (struct pg_conn *)base;
	PGresult *res = NULL;
	char buf[300];
	int rc, tries;

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	/* outside a transaction (BEGIN), a broken connection is made again once */
	for (tries = base->in_txn ? 1 : 2; tries > 0; tries--) {
		rc = alive(c, err, errlen);
		if (rc < 0) {
			return rc;
		}
		res = PQexec(c->pg, sql);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ?
			     0 :
			     say(c, res, err, errlen);
		PQclear(res);
		if (rc != -ENOTCONN) {
			break;
		}
	}
	return rc;
}

/* "lb<i>" for sql, prepared on this connection when it is new here; NULL
 * name: the cache is full, run it unprepared */
static int statement(struct pg_conn *c, const char *sql, int nparams, char name[8], char *err, size_t errlen)
{
	PGresult *res = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < CACHED && c->cache[i] != NULL; i++) {
		if (c->cache[i] == sql) {
			snprintf(name, 8, "lb%zu", i);
			return 0;
		}
	}
	if (i == CACHED) {
		name[0] = '\0';
		return 0;
	}
	snprintf(name, 8, "lb%zu", i);
	res = PQprepare(c->pg, name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = say(c, res, err, errlen);
	} else {
		c->cache[i] = sql;
	}
	PQclear(res);
	return rc;
}

static int pg_exec_once(struct db_conn *base, const char *sql, int nparams, const char *const *params,
			db_row_fn fn, void *ctx, char *err, size_t errlen);

/* A statement outside a transaction that finds the connection broken
 * (the server restarted, a failover) is tried once more on a new one. */
static int pg_exec(struct db_conn *base, const char *sql, int nparams, const char *const *params, db_row_fn fn,
		   void *ctx, char *err, size_t errlen)
{
	int rc = pg_exec_once(base, sql, nparams, params, fn, ctx, err, errlen);

	if (rc == -ENOTCONN && !base->in_txn) {
		rc = pg_exec_once(base, sql, nparams, params, fn, ctx, err, errlen);
	}
	return rc;
}

static int pg_exec_once(struct db_conn *base, const char *sql, int nparams, const char *const *params,
			db_row_fn fn, void *ctx, char *err, size_t errlen)
{
	struct pg_conn *c = (struct pg_conn *)base;
	PGresult *res = NULL;
	char name[8];
	int rc = alive(c, err, errlen), r, i, stop = 0;

	if (rc < 0) {
		return rc;
	}
	rc = statement(c, sql, nparams, name, err, errlen);
	if (rc < 0) {
		return rc;
	}
	res = name[0] != '\0' ? PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0) :
				PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK: {
		const char *vals[16];
		int cols = PQnfields(res) > 16 ? 16 : PQnfields(res);

		for (r = 0; r < PQntuples(res) && fn != NULL && stop >= 0; r++) {
			struct db_row row = { .n = cols, .v = vals };

			for (i = 0; i < cols; i++) {
				vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
			}
			stop = fn(&row, ctx);
		}
		rc = stop < 0 ? stop : PQntuples(res);
		break;
	}
	case PGRES_COMMAND_OK:
		rc = atoi(PQcmdTuples(res));
		break;
	default:
		rc = say(c, res, err, errlen);
		break;
	}
	PQclear(res);
	return rc;
}

const struct db_backend db_postgresql = {
	.name = "postgresql",
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.exec = pg_exec,
	.script = pg_script,
	/* one lock for every writer of this database (0x4c42: "LB") */
	.begin_write = "BEGIN; SELECT pg_advisory_xact_lock(19522)",
	.begin_rows = "BEGIN",
	.migrations = migrations,
};
