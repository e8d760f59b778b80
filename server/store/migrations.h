/* The schema, written once for both back ends (db_sqlite.c, db_pg.c):
 * they differ only in how an event's id counts up (ID). Migration i+1
 * goes from schema version i to i+1; a new version is a new macro here
 * and one more row in each back end's table, never an edit of an old one. */
#ifndef LIFEBOAT_MIGRATIONS_H
#define LIFEBOAT_MIGRATIONS_H

/* 1: hosts as documents (core/hostdoc.h) with a version from one counter, the
 * token index, pending auto-created hosts, the event log, the last normal
 * boots, BMC credentials, admin tokens, forgotten hosts (for caches that
 * follow the changes) */
#define DB_SCHEMA_1(ID)                                                                                              \
	"CREATE TABLE hosts (mac TEXT PRIMARY KEY, doc TEXT NOT NULL, version BIGINT NOT NULL,"                     \
	" updated BIGINT NOT NULL);"                                                                                 \
	"CREATE INDEX hosts_version ON hosts (version);"                                                             \
	"CREATE TABLE forgotten (mac TEXT PRIMARY KEY, version BIGINT NOT NULL);"                                    \
	"CREATE TABLE tokens (hash TEXT PRIMARY KEY, mac TEXT NOT NULL);"                                            \
	"CREATE INDEX tokens_mac ON tokens (mac);"                                                                   \
	"CREATE TABLE pending (mac TEXT PRIMARY KEY, source TEXT NOT NULL, time BIGINT NOT NULL);"                   \
	"CREATE TABLE events (id " ID ", mac TEXT NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL,"               \
	" text TEXT NOT NULL);"                                                                                      \
	"CREATE INDEX events_mac ON events (mac, id);"                                                               \
	"CREATE TABLE seen (mac TEXT PRIMARY KEY, time BIGINT NOT NULL, source TEXT NOT NULL,"                      \
	" decision TEXT NOT NULL);"                                                                                  \
	"CREATE TABLE bmc (mac TEXT PRIMARY KEY, doc TEXT NOT NULL);"                                                \
	"CREATE TABLE admin_tokens (hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);"     \
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"                                             \
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"                                      \
	"INSERT INTO counters (name, value) VALUES ('host_version', 0);"

/* 2: a pending auto-created host holds its place until holds_until: for
 * session_grace while it has not reported, then until its session ends
 * (a host that reports no longer frees its place at once: one address
 * reporting with each token it gets made hosts without end). Rows from
 * before get the default session_grace. */
#define DB_SCHEMA_2                                                                                                  \
	"ALTER TABLE pending ADD COLUMN holds_until BIGINT NOT NULL DEFAULT 0;"                                      \
	"UPDATE pending SET holds_until = time + 900;"

/* 3: what a rescue system sent of its logs (the kernel's and the agent's,
 * batched) and its diagnostic bundles, per host and session */
#define DB_SCHEMA_3(ID)                                                                                              \
	"CREATE TABLE logs (id " ID ", mac TEXT NOT NULL, session BIGINT NOT NULL, time BIGINT NOT NULL,"            \
	" kind TEXT NOT NULL, text TEXT NOT NULL);"                                                                  \
	"CREATE INDEX logs_mac ON logs (mac, id);"

/* 4: what the hosts' serial consoles printed (one row per line), and the
 * leases that let exactly one lifeboatd of several capture a console */
#define DB_SCHEMA_4(ID)                                                                                              \
	"CREATE TABLE console (id " ID ", mac TEXT NOT NULL, time BIGINT NOT NULL, text TEXT NOT NULL);"           \
	"CREATE INDEX console_mac ON console (mac, id);"                                                             \
	"CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until BIGINT NOT NULL);"

/* 5: what admins type into a console (lifeboatctl console --write), until
 * the lifeboatd that captures it (whichever holds its lease) takes it */
#define DB_SCHEMA_5(ID)                                                                                              \
	"CREATE TABLE console_input (id " ID ", mac TEXT NOT NULL, time BIGINT NOT NULL, data TEXT NOT NULL);"

#endif
