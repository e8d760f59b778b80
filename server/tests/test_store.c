/* The store on SQLite in a temporary directory: the schema and its
 * version, documents and their versions, the token index, forgetting, the
 * changes a cache follows, transactions that keep all or nothing, the JSON
 * import, and how a PostgreSQL URL is shown. (The same store on a real
 * PostgreSQL: test-qemu/test_store.py and every `backends` test module.) */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/console.h"
#include "store/db.h"
#include "store/events.h"
#include "store/import.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lifeboat-test-store.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void open_store(struct store *s)
{
	char note[600], err[600];

	assert_int_equal(store_open(s, dir, "", 0, err, sizeof(err)), 0);
	assert_int_equal(import_state_dir(s, 1, note, sizeof(note), err, sizeof(err)), 0);
}

static void save(struct store *s, const char *mac, const char *policy)
{
	char err[300];
	json_object *h = store_new_host(mac, policy);

	assert_int_equal(store_lock(s, err, sizeof(err)), 0);
	assert_int_equal(store_save(s, mac, h, err, sizeof(err)), 0);
	assert_int_equal(store_unlock(s, err, sizeof(err)), 0);
	json_object_put(h);
}

static void test_schema_version_and_file_mode(void **state)
{
	struct store s;
	struct stat sb;
	char path[128];
	int from = -1;
	char err[300];

	(void)state;
	open_store(&s);
	snprintf(path, sizeof(path), "%s/lifeboat.db", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(db_migrate(&s.db, 0, &from, err, sizeof(err)), 0);
	assert_int_equal(from, db_latest_version(&s.db)); /* nothing left to do */
}

static void test_documents_versions_and_tokens(void **state)
{
	struct store s;
	long long v1 = 0, v2 = 0, v3 = 0;
	char mac[18];
	json_object *h = NULL;

	(void)state;
	open_store(&s);
	save(&s, "52:54:00:00:00:01", "rescue");
	save(&s, "52:54:00:00:00:02", "normal");
	assert_int_equal(store_version(&s, "52:54:00:00:00:01", &v1), 0);
	assert_int_equal(store_version(&s, "52:54:00:00:00:02", &v2), 0);
	save(&s, "52:54:00:00:00:01", "normal");
	assert_int_equal(store_version(&s, "52:54:00:00:00:01", &v3), 0);
	assert_true(v1 < v2 && v2 < v3); /* one counter for every row */
	h = store_load(&s, "52:54:00:00:00:01", NULL);
	assert_string_equal(jstr(h, "policy"), "normal");
	json_object_put(h);
	assert_int_equal(store_exists(&s, "52:54:00:00:00:03"), 0);
	assert_int_equal(store_version(&s, "52:54:00:00:00:03", &v1), -ENOENT);

	assert_int_equal(store_lock(&s, NULL, 0), 0);
	assert_int_equal(store_token_put(&s, "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
					 "52:54:00:00:00:01"), 0);
	assert_int_equal(store_token_put(&s, "not-a-hash", "52:54:00:00:00:01"), -EINVAL);
	assert_int_equal(store_unlock(&s, NULL, 0), 0);
	assert_int_equal(store_token_find(&s, "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", mac),
			 0);
	assert_string_equal(mac, "52:54:00:00:00:01");
	assert_int_equal(store_token_find(&s, "cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", mac),
			 -ENOENT);
}

struct seen_changes {
	char log[512];
};

static int note_change(const char *mac, long long version, const char *doc, void *ctx)
{
	struct seen_changes *c = ctx;
	size_t n = strlen(c->log);

	(void)version;
	snprintf(c->log + n, sizeof(c->log) - n, "%s%s ", mac, doc == NULL ? "-" : "+");
	return 0;
}

static void test_forget_and_the_changes_a_cache_follows(void **state)
{
	struct store s;
	struct seen_changes c = { "" };
	long long v = 0;
	json_object *ev = NULL;

	(void)state;
	open_store(&s);
	save(&s, "52:54:00:00:00:01", "rescue");
	save(&s, "52:54:00:00:00:02", "normal");
	assert_int_equal(store_version(&s, "52:54:00:00:00:02", &v), 0);
	assert_int_equal(store_lock(&s, NULL, 0), 0);
	assert_int_equal(events_add(&s, "52:54:00:00:00:01", 1, "policy", "armed by %s", "test"), 0);
	assert_int_equal(store_forget(&s, "52:54:00:00:00:01"), 0);
	assert_int_equal(store_forget(&s, "52:54:00:00:00:09"), -ENOENT);
	assert_int_equal(store_unlock(&s, NULL, 0), 0);
	ev = events_read(&s, "52:54:00:00:00:01", 10);
	assert_int_equal(json_object_array_length(ev), 0); /* forgotten with the host */
	json_object_put(ev);
	assert_int_equal(store_changes(&s, 0, note_change, &c), 0);
	assert_string_equal(c.log, "52:54:00:00:00:02+ 52:54:00:00:00:01- ");
	c.log[0] = '\0';
	assert_int_equal(store_changes(&s, v, note_change, &c), 0);
	assert_string_equal(c.log, "52:54:00:00:00:01- "); /* only what came after */
}

static void test_a_failed_statement_keeps_nothing_of_its_transaction(void **state)
{
	struct store s;
	char err[300] = "";

	(void)state;
	open_store(&s);
	assert_int_equal(store_lock(&s, NULL, 0), 0);
	assert_int_equal(store_token_put(&s, "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
					 "52:54:00:00:00:01"), 0);
	assert_true(db_exec(&s.db, "INSERT INTO nowhere VALUES (1)", 0, NULL, NULL, NULL, NULL, 0) < 0);
	assert_int_equal(store_unlock(&s, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "rolled back: no such table: nowhere"));
	assert_int_equal(store_exists(&s, "52:54:00:00:00:01"), 0);
	assert_true(store_token_find(&s, "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
				     (char[18]){ 0 }) == -ENOENT);
	/* and an abort keeps nothing either */
	assert_int_equal(store_lock(&s, NULL, 0), 0);
	assert_int_equal(store_save_text(&s, "52:54:00:00:00:05", "{}", err, sizeof(err)), 0);
	store_abort(&s);
	assert_int_equal(store_exists(&s, "52:54:00:00:00:05"), 0);
}

static void test_a_newer_schema_is_refused(void **state)
{
	struct store s, again;
	char err[600];

	(void)state;
	open_store(&s);
	assert_true(db_exec(&s.db, "UPDATE lifeboat_schema SET version = 7", 0, NULL, NULL, NULL, NULL, 0) >= 0);
	assert_int_equal(store_open(&again, dir, "", 0, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "its schema is version 7, newer than this lifeboat knows (5): upgrade lifeboat"));
}

/* store_follow: what this process committed, in order, and nothing of
 * a transaction rolled back. */
struct followed {
	int n;
	char macs[4][18];
	long long versions[4];
	int forgotten[4];
};

static void note_commit(const char *mac, long long version, const char *doc, void *ctx)
{
	struct followed *c = ctx;

	if (c->n < 4) {
		snprintf(c->macs[c->n], 18, "%s", mac);
		c->versions[c->n] = version;
		c->forgotten[c->n] = doc == NULL;
	}
	c->n++;
}

static void test_committed_changes_are_followed(void **state)
{
	struct store s;
	struct followed c = { .n = 0 };
	long long v = 0;
	char err[300];

	(void)state;
	open_store(&s);
	store_follow(&s, note_commit, &c);
	assert_int_equal(store_lock(&s, err, sizeof(err)), 0);
	assert_int_equal(store_save_text(&s, "52:54:00:00:00:07", "{\"mac\":\"52:54:00:00:00:07\"}", err, sizeof(err)),
			 0);
	assert_int_equal(c.n, 0); /* not before the commit */
	assert_int_equal(store_unlock(&s, err, sizeof(err)), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.macs[0], "52:54:00:00:00:07");
	assert_int_equal(store_version(&s, "52:54:00:00:00:07", &v), 0);
	assert_int_equal(c.versions[0], v);
	assert_int_equal(store_lock(&s, err, sizeof(err)), 0);
	assert_int_equal(store_save_text(&s, "52:54:00:00:00:08", "{}", err, sizeof(err)), 0);
	store_abort(&s);
	assert_int_equal(c.n, 1); /* rolled back: never seen */
	assert_int_equal(store_lock(&s, err, sizeof(err)), 0);
	assert_int_equal(store_forget(&s, "52:54:00:00:00:07"), 0);
	assert_int_equal(store_unlock(&s, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	assert_true(c.forgotten[1] && c.versions[1] > v);
}

/* A host made by default_policy = rescue holds its place until it is due
 * to report, then (once it reported) until its session ends; rows of
 * schema 1 are migrated with the default grace. */
static void test_pending_places_and_their_migration(void **state)
{
	struct store s;
	unsigned int total = 9, mine = 9;
	int from = 0;
	char err[300];

	(void)state;
	assert_int_equal(store_open(&s, dir, "", 0, err, sizeof(err)), 0);
	/* back to schema 1: what 2 changed, and what 3, 4 and 5 made */
	assert_true(db_exec(&s.db, "DROP TABLE pending", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "DROP TABLE logs", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "DROP TABLE console", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "DROP TABLE leases", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "DROP TABLE console_input", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "CREATE TABLE pending (mac TEXT PRIMARY KEY, source TEXT NOT NULL, time BIGINT NOT "
				   "NULL)", 0, NULL, NULL, NULL, err, sizeof(err)) >= 0);
	assert_true(db_exec(&s.db, "UPDATE lifeboat_schema SET version = 1", 0, NULL, NULL, NULL, err, sizeof(err)) >=
		    0);
	assert_int_equal(db_exec(&s.db, "INSERT INTO pending VALUES ('52:54:00:00:00:09', '10.0.0.9', 1000)", 0, NULL,
				 NULL, NULL, err, sizeof(err)), 1);
	assert_int_equal(db_migrate(&s.db, 0, &from, err, sizeof(err)), 0);
	assert_int_equal(from, 1);
	assert_int_equal(store_pending_count(&s, "10.0.0.9", 1900, &total, &mine), 0);
	assert_true(total == 1 && mine == 1); /* held until 1000 + 900 */
	assert_int_equal(store_pending_count(&s, "10.0.0.9", 1901, &total, &mine), 0);
	assert_true(total == 0 && mine == 0);
	assert_int_equal(store_pending_put(&s, "52:54:00:00:00:0a", "10.0.0.10", 2000, 2900), 0);
	assert_int_equal(store_pending_hold(&s, "52:54:00:00:00:0a", 90000), 0); /* it reported */
	assert_int_equal(store_pending_count(&s, "10.0.0.9", 50000, &total, &mine), 0);
	assert_true(total == 1 && mine == 0);
	store_pending_del(&s, "52:54:00:00:00:0a"); /* the admin took it over */
	assert_int_equal(store_pending_count(&s, "10.0.0.10", 50000, &total, &mine), 0);
	assert_true(total == 0 && mine == 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_json_directory_import(void **state)
{
	struct store s;
	struct import_counts n;
	char path[256], note[900], err[600];
	json_object *h = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/hosts/52-54-00-00-00-01.json", dir);
	write_file(path, "{\"mac\": \"52:54:00:00:00:01\", \"policy\": \"rescue\", \"alias\": \"db1\"}");
	snprintf(path, sizeof(path), "%s/hosts/52-54-00-00-00-02.json", dir);
	write_file(path, "{\"alias\": \"\xc0\xaf\"}"); /* an overlong '/': not UTF-8 */
	snprintf(path, sizeof(path), "%s/hosts/README", dir);
	write_file(path, "not a host");
	assert_int_equal(store_open(&s, dir, "", 0, err, sizeof(err)), 0);
	assert_int_equal(import_state_dir(&s, 1, note, sizeof(note), err, sizeof(err)), 0);
	assert_non_null(strstr(note, "imported the JSON state directory"));
	assert_non_null(strstr(note, ": 1 hosts, 0 token index entries"));
	assert_non_null(strstr(note, "1 files skipped, the first: "));
	assert_non_null(strstr(note, "52-54-00-00-00-02.json (not UTF-8 text)"));
	h = store_load(&s, "52:54:00:00:00:01", NULL);
	assert_string_equal(jstr(h, "alias"), "db1");
	json_object_put(h);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	assert_int_equal(access(path, F_OK), -1); /* moved aside, not read again */
	assert_int_equal(import_json_dir(&s, "/nonexistent", 0, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not a JSON state directory: it has no hosts/"));
}

static void test_urls_are_shown_without_passwords(void **state)
{
	char out[300];
	struct db d;
	char err[300];

	(void)state;
	db_redact("postgresql://lifeboat:s3cret@db.example:5432/lifeboat", out, sizeof(out));
	assert_string_equal(out, "postgresql://lifeboat@db.example:5432/lifeboat");
	db_redact("postgresql://db.example/lifeboat?sslmode=verify-full&password=s3cret", out, sizeof(out));
	assert_null(strstr(out, "s3cret"));
	db_redact("postgres://u@h/db", out, sizeof(out));
	assert_string_equal(out, "postgres://u@h/db");
	/* every password form libpq takes (issue: sslpassword and a second
	 * password= were shown) */
	db_redact("postgresql://u@h/db?sslpassword=k3y&sslmode=require&password=a&password=b", out, sizeof(out));
	assert_string_equal(out, "postgresql://u@h/db?sslpassword=***&sslmode=require&password=***&password=***");
	db_redact("postgresql://u:p%40ss@h:5/db?PassWord=x", out, sizeof(out));
	assert_string_equal(out, "postgresql://u@h:5/db?PassWord=***");
	db_redact("host=db.example password='se cret\\' x' dbname=lb sslpassword=k user=u", out, sizeof(out));
	assert_string_equal(out, "host=db.example password=*** dbname=lb sslpassword=*** user=u");
	db_redact("host=h application_name='a password=no' dbname=d", out, sizeof(out));
	assert_string_equal(out, "host=h application_name='a password=no' dbname=d");
	assert_int_equal(db_setup(&d, "mysql://h/db", "/x", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(db_setup(&d, "", "/var/lib/lifeboat", 0, err, sizeof(err)), 0);
	assert_string_equal(d.target, "/var/lib/lifeboat/lifeboat.db");
	assert_string_equal(d.be->name, "sqlite");
	assert_int_equal(db_setup(&d, "sqlite:/srv/l.db", "/x", 0, err, sizeof(err)), 0);
	assert_string_equal(d.target, "/srv/l.db");
	assert_int_equal(db_setup(&d, "postgresql://a:b@h/db", "/x", 0, err, sizeof(err)), 0);
	assert_string_equal(d.be->name, "postgresql");
	assert_string_equal(d.shown, "postgresql://a@h/db");
}

/* The live console's reads: the newest lines first, then what came after. */
struct seen_rows {
	long long last;
	char text[256];
};

static int note_row(long long id, long long time_ms, const char *text, void *ctx)
{
	struct seen_rows *r = ctx;

	(void)time_ms;
	r->last = id;
	snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text), "%s;", text);
	return 0;
}

static void test_console_rows_tail_then_follow(void **state)
{
	const char *first[] = { "one", "two", "three" }, *more[] = { "four" };
	struct seen_rows r = { .last = -1 };
	struct store s;

	(void)state;
	open_store(&s);
	assert_int_equal(console_add(&s, "52:54:00:00:00:01", 1000, first, 3), 0);
	assert_int_equal(console_add(&s, "52:54:00:00:00:02", 1000, more, 1), 0);
	assert_int_equal(console_rows(&s, "52:54:00:00:00:01", -1, 2, note_row, &r), 0);
	assert_string_equal(r.text, "two;three;");
	assert_int_equal(console_add(&s, "52:54:00:00:00:01", 2000, more, 1), 0);
	r.text[0] = '\0';
	assert_int_equal(console_rows(&s, "52:54:00:00:00:01", r.last, 0, note_row, &r), 0);
	assert_string_equal(r.text, "four;"); /* the other host's line is not its */
	r.text[0] = '\0';
	assert_int_equal(console_rows(&s, "52:54:00:00:00:01", r.last, 0, note_row, &r), 0);
	assert_string_equal(r.text, "");
}

/* Typing: queued with an event that names who typed and how much (not
 * what), taken only by the lifeboatd that wants the host, handed over
 * once, and dropped when nobody took it in time. */
struct typed_here {
	const char *mine;
	char got[256];
};

static int wants_mine(const char *mac, void *ctx)
{
	return strcmp(mac, ((struct typed_here *)ctx)->mine) == 0;
}

static void give_mine(const char *mac, const char *data, void *ctx)
{
	struct typed_here *t = ctx;

	snprintf(t->got + strlen(t->got), sizeof(t->got) - strlen(t->got), "%s=%s;", mac, data);
}

static void test_console_input_is_taken_once_by_its_capturer(void **state)
{
	static const struct console_input_ops ops = { wants_mine, give_mine };
	struct typed_here t = { .mine = "52:54:00:00:00:01" };
	struct store s;
	json_object *ev = NULL;
	unsigned int expired = 9;
	char big[CONSOLE_INPUT_MAX + 2];

	(void)state;
	open_store(&s);
	assert_int_equal(console_input_add(&s, "52:54:00:00:00:01", 10000, "secret\r", 7, "admin alice"), 0);
	assert_int_equal(console_input_add(&s, "52:54:00:00:00:02", 10000, "other\r", 6, "admin bob"), 0);
	assert_int_equal(console_input_add(&s, "52:54:00:00:00:01", 11000, "ls\r", 3, "admin alice"), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(console_input_add(&s, "52:54:00:00:00:01", 11000, big, strlen(big), "admin alice"), -EINVAL);
	assert_int_equal(console_input_add(&s, "52:54:00:00:00:01", 11000, "", 0, "admin alice"), -EINVAL);
	/* one stretch of typing, one event (counted); another admin, or later, another */
	ev = events_read(&s, "52:54:00:00:00:01", 10);
	assert_int_equal(json_object_array_length(ev), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(ev, 0), "text")),
			    "10 bytes typed into the console by admin alice");
	assert_null(strstr(json_object_to_json_string(ev), "secret"));
	json_object_put(ev);
	assert_int_equal(console_input_note(&s, "52:54:00:00:00:01", 12, 1, "admin bob"), 0);
	assert_int_equal(console_input_note(&s, "52:54:00:00:00:01", 13, 2, "admin bob"), 0);
	assert_int_equal(console_input_note(&s, "52:54:00:00:00:01", 13 + CONSOLE_TYPING_EVENT_S, 4, "admin bob"), 0);
	ev = events_read(&s, "52:54:00:00:00:01", 10);
	assert_int_equal(json_object_array_length(ev), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(ev, 1), "text")),
			    "3 bytes typed into the console by admin bob");
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(ev, 2), "text")),
			    "4 bytes typed into the console by admin bob");
	json_object_put(ev);

	assert_int_equal(console_input_take(&s, 0, &ops, &t, &expired), 0);
	assert_string_equal(t.got, "52:54:00:00:00:01=secret\r;52:54:00:00:00:01=ls\r;");
	assert_int_equal(expired, 0);
	t.got[0] = '\0';
	assert_int_equal(console_input_take(&s, 0, &ops, &t, &expired), 0);
	assert_string_equal(t.got, ""); /* once */
	/* the other host's waits, until it is too old */
	assert_int_equal(console_input_take(&s, 10001, &ops, &t, &expired), 0);
	assert_int_equal(expired, 1);
	t.mine = "52:54:00:00:00:02";
	assert_int_equal(console_input_take(&s, 0, &ops, &t, &expired), 0);
	assert_string_equal(t.got, "");
}

static void test_a_lease_is_held_until_it_runs_out(void **state)
{
	struct store s;

	(void)state;
	open_store(&s);
	assert_int_equal(lease_held(&s, "console:x", 100), 0);
	assert_int_equal(lease_take(&s, "console:x", "a", 100, 30), 1);
	assert_int_equal(lease_take(&s, "console:x", "b", 110, 30), 0);
	assert_int_equal(lease_held(&s, "console:x", 130), 1);
	assert_int_equal(lease_held(&s, "console:x", 131), 0);
	assert_int_equal(lease_take(&s, "console:x", "b", 131, 30), 1);
	lease_drop(&s, "console:x", "a"); /* not a's any more: stays */
	assert_int_equal(lease_held(&s, "console:x", 140), 1);
	lease_drop(&s, "console:x", "b");
	assert_int_equal(lease_held(&s, "console:x", 140), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_version_and_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_documents_versions_and_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_and_the_changes_a_cache_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_statement_keeps_nothing_of_its_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_committed_changes_are_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_places_and_their_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_directory_import, setup, teardown),
		cmocka_unit_test(test_urls_are_shown_without_passwords),
		cmocka_unit_test_setup_teardown(test_console_rows_tail_then_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_input_is_taken_once_by_its_capturer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_lease_is_held_until_it_runs_out, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
