/* The PostgreSQL back end (db.h), on libpq. The URL is libpq's own
 * (postgresql://user@host:port/db?sslmode=verify-full ...; a password
 * from ~/.pgpass or PGPASSFILE, never needed on the command line).
 * Statements are prepared once per connection. Writers serialize on a
 * transaction-scoped advisory lock, taken by every lifeboatd and
 * lifeboatctl sharing the database: the read-modify-write of a host is
 * one step across all of them. A connection that broke is made again
 * before the next statement outside a transaction.
 *
 * Every call is bounded by the connection's timeout (db_timeout), on
 * both sides. The server is told statement_timeout, lock_timeout and
 * idle_in_transaction_session_timeout, and TCP keepalives and
 * tcp_user_timeout drop a peer that vanished; but a server that hangs
 * (stopped, or behind a partition that drops packets) answers none of
 * that, so libpq is driven asynchronously here and we wait with poll(2)
 * against our own deadline. A call that misses it drops the connection
 * (its state is unknown; a cancel request would itself hang on such a
 * server) and says -ETIMEDOUT with base.unreachable set; the next call
 * connects again. Settings given in the URL override these defaults. */
#define _GNU_SOURCE
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "store/db.h"
#include "store/migrations.h"

#define CACHED 64

struct pg_conn {
	struct db_conn base;
	PGconn *pg;          /* NULL after a missed deadline: made again */
	char target[600];    /* what it connects to */
	unsigned timeout_ms; /* every call's bound */
	const char *cache[CACHED]; /* statement i is prepared as "lb<i>" */
};

static const char *const migrations[] = {
	DB_SCHEMA_1("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	DB_SCHEMA_2,
	DB_SCHEMA_3("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	DB_SCHEMA_4("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	DB_SCHEMA_5("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	NULL,
};

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("already exists, skipping") are not ours to print */
}

static const char *pg_message(PGconn *pg)
{
	return pg != NULL ? PQerrorMessage(pg) : "not connected";
}

/* libpq says 'connection to server at "db.example" (192.0.2.5), port
 * 5432 failed: REASON': the reason alone (the server is named by the
 * redacted URL where it should be, and never in an answer to the network). */
static const char *reason_only(const char *msg)
{
	const char *f = strncmp(msg, "connection to server", 20) == 0 ? strstr(msg, " failed: ") : NULL;

	return f != NULL ? f + strlen(" failed: ") : msg;
}

static int say(struct pg_conn *c, PGresult *res, char *err, size_t errlen)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	int rc = -EIO;

	if (msg[0] == '\0') {
		msg = pg_message(c->pg);
	}
	msg = reason_only(msg);
	if (err != NULL) {
		snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		rc = -ENOTCONN;
	} else if (state != NULL && strcmp(state, "23505") == 0) {
		rc = -EEXIST;
	} else if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		rc = -EAGAIN;
	} else if (state != NULL && (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0)) {
		rc = -ETIMEDOUT; /* the server's statement_timeout or lock_timeout */
	}
	return rc;
}

/* Gives up on the connection after a missed deadline. */
static int lost(struct pg_conn *c, const char *doing, char *err, size_t errlen)
{
	if (err != NULL) {
		snprintf(err, errlen, "no answer from the database within %u ms (%s)", c->timeout_ms, doing);
	}
	PQfinish(c->pg); /* non-blocking: the Terminate message is a few bytes, never waited for */
	c->pg = NULL;
	memset(c->cache, 0, sizeof(c->cache));
	c->base.unreachable = 1;
	return -ETIMEDOUT;
}

/* Waits until the socket is readable (or also writable: for_write) or
 * the deadline passes: 1 ready, 0 the deadline passed, -errno. */
static int wait_socket(PGconn *pg, int for_write, uint64_t deadline)
{
	struct pollfd p = { .fd = PQsocket(pg), .events = (short)(for_write ? POLLIN | POLLOUT : POLLIN) };

	for (;;) {
		uint64_t now = lb_mono_ms();
		int r;

		if (p.fd < 0) {
			return -EBADF;
		}
		if (now >= deadline) {
			return 0;
		}
		r = poll(&p, 1, (int)(deadline - now));
		if (r > 0) {
			return 1;
		}
		if (r < 0 && errno != EINTR) {
			return -errno;
		}
	}
}

static void pg_disconnect(struct db_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;

	PQfinish(c->pg);
	free(c);
}

/* A new connection to c->target, within the deadline: 0, -ETIMEDOUT, or
 * -ECONNREFUSED with err (libpq's reason). Our bounds come before the URL
 * (libpq lets later settings override earlier ones), so the URL may set
 * its own. */
static int open_pg(struct pg_conn *c, uint64_t deadline, char *err, size_t errlen)
{
	char connect_s[16], user_ms[16], options[160];
	const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
			       "keepalives_count", "tcp_user_timeout", "options", "application_name", "dbname",
			       NULL };
	const char *vals[] = { connect_s, "1", "10", "5", "3", user_ms, options, "lifeboat", c->target, NULL };
	/* the server's own bounds end before ours: a server that is slow but
	 * alive says so (57014, 55P03) rather than looking hung */
	unsigned server_ms = c->timeout_ms - (c->timeout_ms / 4 > 500 ? c->timeout_ms / 4 : 500);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	const char *msg = NULL;
	int r = 1;

	snprintf(connect_s, sizeof(connect_s), "%u", (c->timeout_ms + 999) / 1000 < 2 ? 2 : (c->timeout_ms + 999) / 1000);
	snprintf(user_ms, sizeof(user_ms), "%u", c->timeout_ms);
	snprintf(options, sizeof(options), "-c statement_timeout=%u -c lock_timeout=%u "
		 "-c idle_in_transaction_session_timeout=%u", server_ms, server_ms, 2 * c->timeout_ms);
	c->pg = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (PQstatus(c->pg) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		r = wait_socket(c->pg, st == PGRES_POLLING_WRITING, deadline);
		if (r <= 0) {
			break;
		}
		st = PQconnectPoll(c->pg);
	}
	if (st == PGRES_POLLING_OK && PQstatus(c->pg) == CONNECTION_OK) {
		PQsetnonblocking(c->pg, 1);
		PQsetNoticeProcessor(c->pg, quiet, NULL);
		return 0;
	}
	msg = reason_only(PQerrorMessage(c->pg));
	if (r == 0) {
		snprintf(err, errlen, "no answer within %u ms", c->timeout_ms);
	} else {
		snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	PQfinish(c->pg);
	c->pg = NULL;
	if (r == 0) {
		c->base.unreachable = 1;
		return -ETIMEDOUT;
	}
	return -ECONNREFUSED;
}

static int pg_connect(const char *url, unsigned timeout_ms, struct db_conn **out, char *err, size_t errlen)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	char shown[300], why[300];
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "cannot connect to the database: out of memory");
		return -ENOMEM;
	}
	snprintf(c->target, sizeof(c->target), "%s", url);
	c->timeout_ms = timeout_ms < 1000 ? 1000 : timeout_ms;
	rc = open_pg(c, lb_mono_ms() + c->timeout_ms, why, sizeof(why));
	if (rc < 0) {
		db_redact(url, shown, sizeof(shown));
		snprintf(err, errlen, "cannot connect to database %s: %s", shown, why);
		free(c);
		return rc;
	}
	*out = &c->base;
	return 0;
}

/* outside a transaction, a broken or dropped connection is made again
 * (and what was prepared on it is gone) */
static int alive(struct pg_conn *c, uint64_t deadline, char *err, size_t errlen)
{
	char why[300];
	int rc;

	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
		return 0;
	}
	if (c->base.in_txn) {
		snprintf(err, errlen, "the connection to the database broke");
		return -ENOTCONN;
	}
	PQfinish(c->pg);
	c->pg = NULL;
	memset(c->cache, 0, sizeof(c->cache));
	rc = open_pg(c, deadline, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot connect to the database again: %s", why);
		return rc == -ETIMEDOUT ? rc : -ENOTCONN;
	}
	return 0;
}

/* After a PQsend*: sends what is queued and collects every result of the
 * command within the deadline. *last gets the last result (or the first
 * error); 0, or -ETIMEDOUT with the connection dropped. */
static int collect(struct pg_conn *c, uint64_t deadline, PGresult **last, char *err, size_t errlen)
{
	PGresult *res = NULL;
	int r;

	*last = NULL;
	/* libpq may need to read before it can write on: both, as its
	 * manual says, consuming what came */
	while ((r = PQflush(c->pg)) == 1) {
		if (wait_socket(c->pg, 1, deadline) <= 0) {
			return lost(c, "sending", err, errlen);
		}
		if (!PQconsumeInput(c->pg)) {
			r = -1;
			break;
		}
	}
	if (r < 0) {
		return say(c, NULL, err, errlen) == -ENOTCONN ? -ENOTCONN : -EIO;
	}
	for (;;) {
		while (r == 0 && PQisBusy(c->pg)) {
			if (wait_socket(c->pg, 0, deadline) <= 0) {
				PQclear(*last);
				*last = NULL;
				return lost(c, "waiting for the result", err, errlen);
			}
			if (!PQconsumeInput(c->pg)) {
				break; /* the connection broke: PQgetResult says so */
			}
		}
		res = PQgetResult(c->pg);
		if (res == NULL) {
			return 0;
		}
		if (*last != NULL && PQresultStatus(*last) == PGRES_FATAL_ERROR) {
			PQclear(res); /* the first error is the one to tell */
		} else {
			PQclear(*last);
			*last = res;
		}
		if (PQstatus(c->pg) == CONNECTION_BAD) {
			return 0;
		}
	}
}

static int ok_status(PGresult *res)
{
	return PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
}

static int pg_script(struct db_conn *base, const char *sql, char *err, size_t errlen)
{
	struct pg_conn *c = (struct pg_conn *)base;
	uint64_t deadline = lb_mono_ms() + c->timeout_ms;
	PGresult *res = NULL;
	char buf[300];
	int rc, tries;

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	/* outside a transaction (BEGIN), a broken connection is made again
	 * once; all of it within one timeout */
	for (tries = base->in_txn ? 1 : 2; tries > 0; tries--) {
		rc = alive(c, deadline, err, errlen);
		if (rc < 0) {
			return rc;
		}
		if (!PQsendQuery(c->pg, sql)) {
			rc = say(c, NULL, err, errlen);
		} else {
			rc = collect(c, deadline, &res, err, errlen);
			if (rc == 0) {
				rc = res != NULL && ok_status(res) ? 0 : say(c, res, err, errlen);
			}
			PQclear(res);
			res = NULL;
		}
		if (rc != -ENOTCONN) {
			break;
		}
	}
	return rc;
}

/* "lb<i>" for sql, prepared on this connection when it is new here; NULL
 * name: the cache is full, run it unprepared */
static int statement(struct pg_conn *c, const char *sql, int nparams, char name[8], uint64_t deadline, char *err,
		     size_t errlen)
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
	if (!PQsendPrepare(c->pg, name, sql, nparams, NULL)) {
		return say(c, NULL, err, errlen);
	}
	rc = collect(c, deadline, &res, err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = say(c, res, err, errlen);
	} else {
		c->cache[i] = sql;
	}
	PQclear(res);
	return rc;
}

static int pg_exec_once(struct db_conn *base, uint64_t deadline, const char *sql, int nparams,
			const char *const *params, db_row_fn fn, void *ctx, char *err, size_t errlen);

/* A statement outside a transaction that finds the connection broken
 * (the server restarted, a failover) is tried once more on a new one;
 * both within one timeout. */
static int pg_exec(struct db_conn *base, const char *sql, int nparams, const char *const *params, db_row_fn fn,
		   void *ctx, char *err, size_t errlen)
{
	uint64_t deadline = lb_mono_ms() + ((struct pg_conn *)base)->timeout_ms;
	int rc = pg_exec_once(base, deadline, sql, nparams, params, fn, ctx, err, errlen);

	if (rc == -ENOTCONN && !base->in_txn) {
		rc = pg_exec_once(base, deadline, sql, nparams, params, fn, ctx, err, errlen);
	}
	return rc;
}

static int take_rows(PGresult *res, db_row_fn fn, void *ctx)
{
	const char *vals[16];
	int cols = PQnfields(res) > 16 ? 16 : PQnfields(res), r, i, stop = 0;

	for (r = 0; r < PQntuples(res) && fn != NULL && stop >= 0; r++) {
		struct db_row row = { .n = cols, .v = vals };

		for (i = 0; i < cols; i++) {
			vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
		}
		stop = fn(&row, ctx);
	}
	return stop < 0 ? stop : PQntuples(res);
}

static int pg_exec_once(struct db_conn *base, uint64_t deadline, const char *sql, int nparams,
			const char *const *params, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
	struct pg_conn *c = (struct pg_conn *)base;
	PGresult *res = NULL;
	char name[8];
	int rc = alive(c, deadline, err, errlen), sent;

	if (rc < 0) {
		return rc;
	}
	rc = statement(c, sql, nparams, name, deadline, err, errlen);
	if (rc < 0) {
		return rc;
	}
	sent = name[0] != '\0' ? PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0) :
				 PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!sent) {
		return say(c, NULL, err, errlen);
	}
	rc = collect(c, deadline, &res, err, errlen);
	if (rc < 0) {
		return rc;
	}
	switch (res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR) {
	case PGRES_TUPLES_OK:
		rc = take_rows(res, fn, ctx);
		break;
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
