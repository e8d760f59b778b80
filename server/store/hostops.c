#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "store/bmc.h"
#include "store/events.h"
#include "core/hostdoc.h"
#include "store/hostops.h"
#include "core/query.h"
#include "core/session.h"

/* The session's token leaves the index, and its rescue ISO's key (the
 * ISO's URL dies with its session); a pending (auto) entry goes. */
static void drop_token(struct store *st, json_object *h, const struct session *s)
{
	if (s->token_sha256[0] != '\0') {
		store_token_del(st, s->token_sha256);
	}
	if (jstr(jget(h, "media"), "key_sha256")[0] != '\0') {
		store_token_del(st, jstr(jget(h, "media"), "key_sha256"));
	}
	json_object_object_del(h, "media");
	store_pending_del(st, jstr(h, "mac"));
}

static void apply_change(struct store *st, json_object *h, const struct host_change *c, long long now)
{
	struct session s;
	session_read(h, &s);
	drop_token(st, h, &s);
	json_object_object_add(h, "policy", json_object_new_string(c->policy));
	if (c->nat >= 0) {
		json_object_object_add(h, "nat", json_object_new_boolean(c->nat));
	}
	json_object_object_del(h, "auto");
	/* activation keys live as long as the session they came with */
	json_object_object_del(h, "session_keys");
	if (strcmp(c->policy, "normal") != 0 && c->keys != NULL && json_object_array_length(c->keys) > 0) {
		json_object *sk = json_object_new_object();

		json_object_object_add(sk, "keys", json_object_get(c->keys));
		json_object_object_add(sk, "only", json_object_new_boolean(c->keys_only));
		json_object_object_add(h, "session_keys", sk);
	}
	if (strcmp(c->policy, "normal") == 0) {
		session_end(&s, "normal", now);
	} else {
		session_arm(&s, strcmp(c->policy, "rescue-once") == 0, now, c->seconds);
	}
	if (s.state != SS_NONE) {
		session_write(&s, h);
	}
}

static void record_change(json_object *h, const char *by, long long now)
{
	json_object *set = json_object_new_object();

	json_object_object_add(set, "time", json_object_new_int64(now));
	json_object_object_add(set, "by", json_object_new_string(by));
	json_object_object_add(h, "policy_set", set);
}

int hostops_update(struct store *st, const char *mac, int (*fn)(struct store *st, json_object *h, void *ctx),
		  void *ctx, char *err, size_t errlen)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = NULL;
	int rc;

	rc = store_lock(st, err, errlen);
	if (rc < 0) {
		return rc;
	}
	h = store_load(st, mac, &sk);
	if (h == NULL && sk.count > 0) {
		snprintf(err, errlen, "cannot change %s: its stored document cannot be read (%s); fix it or forget it",
			 mac, sk.text);
		rc = -EIO;
		goto err_load;
	}
	if (h == NULL) {
		h = store_new_host(mac, "normal");
	}
	rc = fn(st, h, ctx);
	if (rc == 0) {
		rc = store_save(st, mac, h, err, errlen);
	} else {
		snprintf(err, errlen, "cannot change %s: %s", mac, strerror(-rc));
	}
	json_object_put(h);
	if (rc < 0) {
		goto err_load;
	}
	return store_unlock(st, err, errlen);

err_load:
	store_abort(st);
	return rc;
}

struct policy_ctx {
	const struct host_change *c;
	long long now;
};

static int set_policy(struct store *st, json_object *h, void *ctx)
{
	const struct policy_ctx *p = ctx;

	hostops_policy_in(st, h, p->c, p->now);
	return 0;
}

void hostops_policy_in(struct store *st, json_object *h, const struct host_change *c, long long now)
{
	const struct policy_ctx pc = { .c = c, .now = now }, *p = &pc;
	const char *mac = jstr(h, "mac");

	apply_change(st, h, p->c, p->now);
	record_change(h, p->c->by, p->now);
	if (strcmp(p->c->policy, "normal") == 0) {
		events_add(st, mac, p->now, "policy", "normal, set by %s", p->c->by);
	} else {
		size_t nkeys = p->c->keys ? json_object_array_length(p->c->keys) : 0;
		char keys[96] = "";

		if (nkeys > 0) {
			snprintf(keys, sizeof(keys), ", %zu SSH key%s for this session%s", nkeys, nkeys == 1 ? "" : "s",
				 p->c->keys_only ? " only (not keys_file)" : "");
		}
		events_add(st, mac, p->now, "policy", "%s%s, session armed for %llds%s, set by %s", p->c->policy,
			   p->c->nat == 1 ? " (nat)" : "", p->c->seconds, keys, p->c->by);
	}
}

int hostops_set_policy(struct store *st, const char *mac, const struct host_change *c, long long now, char *err,
		       size_t errlen)
{
	struct policy_ctx p = { .c = c, .now = now };

	return hostops_update(st, mac, set_policy, &p, err, errlen);
}

struct token_ctx {
	const char *token;
	long long seconds, now;
	const char *by;
};

static int set_token(struct store *st, json_object *h, void *ctx)
{
	const struct token_ctx *t = ctx;
	struct session s;
	char hash[65];

	session_read(h, &s);
	drop_token(st, h, &s);
	session_arm(&s, 0, t->now, t->seconds);
	s.state = SS_ACTIVE; /* bound to the address of its first use */
	s.issued = t->now;
	token_hash(t->token, hash);
	snprintf(s.token_sha256, sizeof(s.token_sha256), "%s", hash);
	session_write(&s, h);
	record_change(h, t->by, t->now);
	events_add(st, jstr(h, "mac"), t->now, "token", "a session started by hand (a token for a boot without iPXE), "
		   "by %s", t->by);
	return store_token_put(st, hash, jstr(h, "mac")) < 0 ? -EIO : 0;
}

int hostops_manual_token(struct store *st, const char *mac, const char *token, long long seconds, const char *by,
			 long long now, char *err, size_t errlen)
{
	struct token_ctx t = { .token = token, .seconds = seconds, .now = now, .by = by };

	return hostops_update(st, mac, set_token, &t, err, errlen);
}

struct bmc_ctx {
	const struct bmc *b;
	const char *by;
	long long now;
};

static int set_bmc(struct store *st, json_object *h, void *ctx)
{
	const struct bmc_ctx *x = ctx;
	char err[300];
	int rc = bmc_save(st, jstr(h, "mac"), x->b, err, sizeof(err));

	if (rc < 0) {
		return rc;
	}
	json_object_object_add(h, "bmc", bmc_public(x->b));
	if (strcmp(x->b->driver, "ipmi") == 0) {
		events_add(st, jstr(h, "mac"), x->now, "bmc", "BMC ipmi %s@%s:%u, set by %s", x->b->user, x->b->address,
			   x->b->port, x->by);
	} else {
		events_add(st, jstr(h, "mac"), x->now, "bmc", "BMC %s %s@%s%s, set by %s", x->b->driver, x->b->user,
			   x->b->address, x->b->insecure ? " (insecure: its certificate is not checked)" : "", x->by);
	}
	return 0;
}

int hostops_set_bmc(struct store *st, const char *mac, const struct bmc *b, const char *by, long long now, char *err,
		    size_t errlen)
{
	struct bmc_ctx x = { .b = b, .by = by, .now = now };

	return hostops_update(st, mac, set_bmc, &x, err, errlen);
}

void hostops_event(struct store *st, const char *mac, long long now, const char *kind, const char *text)
{
	if (store_lock(st, NULL, 0) == 0) {
		events_add(st, mac, now, kind, "%s", text);
		store_unlock(st, NULL, 0);
	}
}

/* Points the next boot at the network, then powers on (if off) or
 * cycles. 0, or -errno with err; says in the host's log what it did. */
int hostops_power_into_rescue(struct store *st, const char *mac, const char *by, char *err, size_t errlen)
{
	struct bmc b;
	char state[8], why[600];
	int rc = bmc_load(st, mac, &b, err, errlen);

	if (rc < 0) {
		return rc;
	}
	/* a BMC that cannot set the boot device still boots by its order */
	if (bmc_power(&b, POWER_BOOT_PXE, state, why, sizeof(why)) < 0) {
		char note[800];

		snprintf(note, sizeof(note), "cannot set the next boot to PXE (booting by its order): %s", why);
		hostops_event(st, mac, (long long)time(NULL), "power", note);
	}
	rc = hostops_power_on_or_cycle(st, mac, &b, by, err, errlen);
	memset(b.password, 0, sizeof(b.password));
	return rc;
}

int hostops_power_on_or_cycle(struct store *st, const char *mac, const struct bmc *bp, const char *by, char *err,
			      size_t errlen)
{
	char state[8], line[1000];
	int rc, was_off;

	rc = bmc_power(bp, POWER_STATUS, state, err, errlen);
	was_off = rc == 0 && strcmp(state, "off") == 0;
	if (rc == 0) {
		rc = bmc_power(bp, was_off ? POWER_ON : POWER_CYCLE, state, err, errlen);
	}
	snprintf(line, sizeof(line), "%s by %s for the rescue%s%s", was_off ? "power on" : "power cycle", by,
		 rc < 0 ? ": failed: " : "", rc < 0 ? err : "");
	hostops_event(st, mac, (long long)time(NULL), "power", line);
	return rc;
}

int hostops_alias_ok(const char *a)
{
	size_t n = strlen(a);

	return n <= 63 && (n == 0 || ((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= '0' && a[0] <= '9'))) &&
	       strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

struct find {
	const char *name;
	const char *skip;  /* a MAC not to count (set_alias: the host itself) */
	int alias_only;
	char macs[4][18];
	int n;
};

static void match_host(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	struct find *f = ctx;
	json_object *dmi = jget(jget(jget(h, "report"), "inventory"), "dmi"), *boot = jget(h, "last_boot");
	int hit;

	(void)sk;
	if (h == NULL || (f->skip != NULL && strcmp(mac, f->skip) == 0)) {
		return;
	}
	hit = strcmp(jstr(h, "alias"), f->name) == 0;
	if (!f->alias_only) {
		hit = hit || strcmp(jstr(dmi, "serial"), f->name) == 0 || strcasecmp(jstr(dmi, "uuid"), f->name) == 0 ||
		      strcmp(jstr(boot, "serial"), f->name) == 0 || strcasecmp(jstr(boot, "uuid"), f->name) == 0;
	}
	if (hit) {
		if (f->n < 4) {
			snprintf(f->macs[f->n], sizeof(f->macs[0]), "%s", mac);
		}
		f->n++;
	}
}

int hostops_resolve(struct store *st, const char *name, char mac[18], char *err, size_t errlen)
{
	struct find f = { .name = name };

	if (parse_mac(name, mac) == 0) {
		return 0;
	}
	if (name[0] == '\0') {
		snprintf(err, errlen, "no host named ''");
		return -ENOENT;
	}
	store_each(st, match_host, &f);
	if (f.n == 0) {
		snprintf(err, errlen, "no host with MAC, alias, serial or UUID '%s'", name);
		return -ENOENT;
	}
	if (f.n > 1) {
		snprintf(err, errlen, "'%s' names %d hosts (%s, %s%s): use the MAC", name, f.n, f.macs[0], f.macs[1],
			 f.n > 2 ? ", ..." : "");
		return -EEXIST;
	}
	snprintf(mac, 18, "%s", f.macs[0]);
	return 0;
}

struct alias_ctx {
	const char *alias, *by;
	long long now;
	char taken[18]; /* the host that has the alias already */
};

/* Under the lock (update): the uniqueness scan and the save are one step. */
static int set_alias(struct store *st, json_object *h, void *ctx)
{
	struct alias_ctx *a = ctx;
	struct find f = { .name = a->alias, .skip = jstr(h, "mac"), .alias_only = 1 };

	if (a->alias[0] == '\0') {
		json_object_object_del(h, "alias");
		events_add(st, jstr(h, "mac"), a->now, "alias", "alias removed by %s", a->by);
		return 0;
	}
	store_each(st, match_host, &f);
	if (f.n > 0) {
		snprintf(a->taken, sizeof(a->taken), "%s", f.macs[0]);
		return -EEXIST;
	}
	json_object_object_add(h, "alias", json_object_new_string(a->alias));
	events_add(st, jstr(h, "mac"), a->now, "alias", "alias %s, set by %s", a->alias, a->by);
	return 0;
}

int hostops_set_alias(struct store *st, const char *mac, const char *alias, const char *by, long long now,
		      char *err, size_t errlen)
{
	struct alias_ctx a = { .alias = alias, .by = by, .now = now };
	char other[18];
	int rc;

	if (!hostops_alias_ok(alias) || parse_mac(alias, other) == 0) {
		snprintf(err, errlen, "'%s' is not an alias: a-z 0-9 . - (starting with a letter or digit), at most 63, "
			 "not a MAC", alias);
		return -EINVAL;
	}
	rc = hostops_update(st, mac, set_alias, &a, err, errlen);
	if (rc == -EEXIST && a.taken[0] != '\0') {
		snprintf(err, errlen, "the alias %s belongs to %s already", alias, a.taken);
	}
	return rc;
}

int hostops_forget(struct store *st, const char *mac, char *err, size_t errlen)
{
	int rc = store_lock(st, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = store_forget(st, mac);
	if (rc < 0) {
		store_abort(st);
		snprintf(err, errlen, "cannot forget %s: %s", mac, rc == -ENOENT ? "no such host" : strerror(-rc));
		return rc;
	}
	return store_unlock(st, err, errlen);
}
