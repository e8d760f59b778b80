#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lifeboatd/boot.h"
#include "core/decide.h"
#include "store/events.h"
#include "lifeboatd/http.h"
#include "lifeboatd/server.h"
#include "core/query.h"
#include "core/metrics.h"
#include "core/script.h"
#include "core/session.h"
#include "common/clock.h"

#define MAX_ARGS 32
#define SCRIPT_MAX 8192

/* ---- facts of every host, following the database ---------------------------
 * A boot request is decided from the facts (policy, nat, session) of every
 * host kept here: loaded at start, then brought up to date every
 * FACTS_SYNC_MS by a thread of their own from the database's changes
 * (store_changes: the hosts saved or forgotten since the newest version
 * seen; one query, usually returning nothing), and told at once of every
 * change committed through this process (store_follow). So no request
 * ever asks the database here, a storm of boots costs no query per boot, a
 * change through this lifeboatd shows before its answer is sent, one
 * through another lifeboatd on the same database within FACTS_SYNC_MS.
 * Documents are parsed before the lock is taken, which is only held to
 * apply what was read.
 *
 * The facts are trusted for FACTS_TRUST_MS after the start of the last
 * sync that worked (facts_trusted): past that (the database does not
 * answer) a boot that they would send to its disk is told to wait and ask
 * again (store_unreachable = wait), since an arm made through another
 * lifeboatd meanwhile would be missed. A rescue is decided again inside
 * the write transaction (carry_out), never from here; a host missing here
 * is unknown. Each entry keeps the version it was taken from, so an older
 * change (a sync that raced a commit of ours) never overwrites a newer
 * one; a forgotten host stays as a tombstone for the same reason. */

#define FACT_BUCKETS 4096
#define FACTS_SYNC_MS 500
#define FACTS_TRUST_MS 1500

struct fact_entry {
	struct fact_entry *next;
	char mac[18];
	long long version;
	int gone; /* forgotten at version */
	struct boot_facts f;
};

static struct fact_entry *facts_tab[FACT_BUCKETS];
static pthread_rwlock_t facts_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t sync_mu = PTHREAD_MUTEX_INITIALIZER; /* one sync at a time; the follower's stop */
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static pthread_t follower;
static int follower_started, follower_stop; /* under sync_mu */
static long long synced_version; /* the newest version a sync returned (under sync_mu) */
static uint64_t synced_ms;       /* when the last good sync began (monotonic; 0: never; atomic) */

static unsigned int mac_bucket(const char *mac)
{
	unsigned int h = 2166136261u;

	for (; *mac != '\0'; mac++) {
		h = (h ^ (unsigned char)*mac) * 16777619u;
	}
	return h % FACT_BUCKETS;
}

static void facts_from_host(json_object *h, struct boot_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->known = 1;
	snprintf(f->policy, sizeof(f->policy), "%s", h != NULL ? jstr(h, "policy") : "normal");
	f->nat = jbool(h, "nat");
	session_read(h, &f->s);
}

/* A stored document's facts (unreadable: known, policy normal). */
static void facts_from_doc(const char *doc, struct boot_facts *f)
{
	json_object *raw = json_tokener_parse(doc), *h = raw != NULL ? hostdoc_clean(raw, NULL) : NULL;

	facts_from_host(h, f);
	json_object_put(h);
	json_object_put(raw);
}

static struct fact_entry *facts_find(const char *mac, unsigned int b)
{
	struct fact_entry *e = facts_tab[b];

	while (e != NULL && strcmp(e->mac, mac) != 0) {
		e = e->next;
	}
	return e;
}

/* Under facts_lock (written): the host as of version (f NULL: forgotten),
 * unless what is here is as new. */
static int facts_apply(const char *mac, long long version, const struct boot_facts *f)
{
	unsigned int b = mac_bucket(mac);
	struct fact_entry *e = facts_find(mac, b);

	if (e != NULL && e->version >= version) {
		return 0;
	}
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			return -ENOMEM;
		}
		snprintf(e->mac, sizeof(e->mac), "%s", mac);
		e->next = facts_tab[b];
		facts_tab[b] = e;
	}
	e->version = version;
	e->gone = f == NULL;
	if (f != NULL) {
		e->f = *f;
	}
	return 0;
}

/* store_follow: a change committed through this process */
static void facts_committed(const char *mac, long long version, const char *doc, void *ctx)
{
	struct boot_facts f;

	(void)ctx;
	if (doc != NULL) {
		facts_from_doc(doc, &f);
	}
	pthread_rwlock_wrlock(&facts_lock);
	facts_apply(mac, version, doc != NULL ? &f : NULL);
	pthread_rwlock_unlock(&facts_lock);
}

/* What a sync read, parsed, applied after the query. */
struct change {
	struct change *next;
	char mac[18];
	long long version;
	int gone;
	struct boot_facts f;
};

struct changes {
	struct change *head, **tail;
	long long newest;
	int failed;
};

static int take_change(const char *mac, long long version, const char *doc, void *ctx)
{
	struct changes *cs = ctx;
	struct change *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		cs->failed = 1;
		return -ENOMEM;
	}
	snprintf(c->mac, sizeof(c->mac), "%s", mac);
	c->version = version;
	c->gone = doc == NULL;
	if (doc != NULL) {
		facts_from_doc(doc, &c->f);
	}
	*cs->tail = c;
	cs->tail = &c->next;
	if (version > cs->newest) {
		cs->newest = version;
	}
	return 0;
}

/* Reads what changed since the last sync and applies it; a failed query
 * keeps what is here (and the next sync tries again). */
static void facts_sync(void)
{
	struct changes cs = { .head = NULL, .tail = &cs.head, .newest = 0, .failed = 0 };
	struct change *c = NULL, *next = NULL;
	uint64_t t = lb_mono_ms();

	pthread_mutex_lock(&sync_mu);
	cs.newest = synced_version;
	pthread_mutex_unlock(&sync_mu);
	if (store_changes(&srv.store, cs.newest, take_change, &cs) >= 0 && !cs.failed) {
		pthread_rwlock_wrlock(&facts_lock);
		for (c = cs.head; c != NULL; c = c->next) {
			facts_apply(c->mac, c->version, c->gone ? NULL : &c->f);
		}
		pthread_rwlock_unlock(&facts_lock);
		pthread_mutex_lock(&sync_mu);
		if (cs.newest > synced_version) {
			synced_version = cs.newest;
		}
		pthread_mutex_unlock(&sync_mu);
		__atomic_store_n(&synced_ms, t, __ATOMIC_RELEASE);
	}
	for (c = cs.head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

static void *facts_follow(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&sync_mu);
	while (!follower_stop) {
		lb_wall_after(&ts, FACTS_SYNC_MS);
		pthread_cond_timedwait(&sync_cv, &sync_mu, &ts);
		if (follower_stop) {
			break;
		}
		pthread_mutex_unlock(&sync_mu);
		facts_sync();
		pthread_mutex_lock(&sync_mu);
	}
	pthread_mutex_unlock(&sync_mu);
	return NULL;
}

int boot_facts_start(char *err, size_t errlen)
{
	store_follow(&srv.store, facts_committed, NULL);
	facts_sync();
	if (__atomic_load_n(&synced_ms, __ATOMIC_ACQUIRE) == 0) {
		snprintf(err, errlen, "cannot read the hosts from database %s", srv.store.db.shown);
		return -EIO;
	}
	if (pthread_create(&follower, NULL, facts_follow, NULL) != 0) {
		snprintf(err, errlen, "cannot start the thread that follows the database");
		return -EAGAIN;
	}
	follower_started = 1;
	return 0;
}

void boot_facts_stop(void)
{
	if (!follower_started) {
		return;
	}
	pthread_mutex_lock(&sync_mu);
	follower_stop = 1;
	pthread_cond_signal(&sync_cv);
	pthread_mutex_unlock(&sync_mu);
	pthread_join(follower, NULL);
	follower_started = 0;
}

/* Whether a boot may be answered from facts alone: they were read from
 * the database recently enough that a change through another lifeboatd
 * would be here (FACTS_TRUST_MS), or store_unreachable = cached says
 * facts of any age will do. */
static int facts_trusted(void)
{
	uint64_t t = __atomic_load_n(&synced_ms, __ATOMIC_ACQUIRE), now = lb_mono_ms();

	return srv.conf.store_cached || now < t + FACTS_TRUST_MS;
}

static void facts_get(const char *mac, struct boot_facts *f)
{
	struct fact_entry *e = NULL;

	pthread_rwlock_rdlock(&facts_lock);
	e = facts_find(mac, mac_bucket(mac));
	if (e != NULL && !e->gone) {
		*f = e->f;
	} else {
		memset(f, 0, sizeof(*f));
	}
	pthread_rwlock_unlock(&facts_lock);
}

/* ---- the last boot request of known hosts ---------------------------------------
 * Kept here and written to the store every few seconds (boot_seen_flush),
 * not per boot: a storm of normal boots costs no writes of its own. */

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static json_object *seen_batch; /* not yet written */

static void seen_record(const char *mac, const char *source, enum decision d, long long now)
{
	json_object *b = json_object_new_object();

	json_object_object_add(b, "time", json_object_new_int64(now));
	json_object_object_add(b, "source", json_object_new_string(source));
	json_object_object_add(b, "decision", json_object_new_string(decision_name(d)));
	pthread_mutex_lock(&seen_mu);
	if (seen_batch == NULL) {
		seen_batch = json_object_new_object();
	}
	json_object_object_add(seen_batch, mac, b);
	pthread_mutex_unlock(&seen_mu);
}

void boot_seen_flush(void)
{
	char err[700];
	json_object *batch = NULL;

	pthread_mutex_lock(&seen_mu);
	batch = seen_batch;
	seen_batch = NULL;
	pthread_mutex_unlock(&seen_mu);
	if (batch == NULL) {
		return;
	}
	if (store_seen_put(&srv.store, batch, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		/* kept for the next flush, under what came since */
		pthread_mutex_lock(&seen_mu);
		if (seen_batch != NULL) {
			json_object_object_foreach(seen_batch, mac, b)
			{
				json_object_object_add(batch, mac, json_object_get(b));
			}
			json_object_put(seen_batch);
		}
		seen_batch = batch;
		batch = NULL;
		pthread_mutex_unlock(&seen_mu);
	}
	json_object_put(batch);
}

void boot_seen_merge(json_object *host, int seen_read)
{
	json_object *b = NULL, *copy = NULL;

	pthread_mutex_lock(&seen_mu);
	if (seen_batch != NULL && json_object_object_get_ex(seen_batch, jstr(host, "mac"), &b)) {
		json_object_deep_copy(b, &copy, NULL);
	}
	pthread_mutex_unlock(&seen_mu);
	if (copy == NULL && !seen_read) {
		copy = store_seen_get(&srv.store, jstr(host, "mac"));
	}
	if (copy != NULL) {
		json_object_object_add(host, "last_request", copy);
	}
}

/* ---- GET /boot.ipxe ------------------------------------------------------------------- */

struct args {
	struct qarg v[MAX_ARGS];
	size_t n;
	int overflow;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->n == MAX_ARGS) {
		a->overflow = 1;
		return MHD_NO;
	}
	a->v[a->n].key = key;
	a->v[a->n].val = value;
	a->n++;
	return MHD_YES;
}

/* The claimant's request, with its identity, as the session's last_boot. */
static void record_boot(json_object *h, const struct boot_query *q, const char *source, long long now)
{
	json_object *b = json_object_new_object();

	json_object_object_add(b, "time", json_object_new_int64(now));
	json_object_object_add(b, "source", json_object_new_string(source));
	json_object_object_add(b, "decision", json_object_new_string("rescue"));
#define ADD(f)                                                                     \
	if (q->f[0] != '\0') {                                                     \
		json_object_object_add(b, #f, json_object_new_string(q->f));       \
	}
	ADD(ip) ADD(netmask) ADD(gateway) ADD(dns) ADD(ip6) ADD(gateway6) ADD(uuid) ADD(serial) ADD(product)
	ADD(manufacturer) ADD(platform) ADD(buildarch)
#undef ADD
	if (q->len6 != 0) {
		json_object_object_add(b, "len6", json_object_new_int((int)q->len6));
	}
	json_object_object_add(h, "last_boot", b);
}

/* Issues a token for the session in h (claim, reboot or a new host):
 * index entry and host document in the caller's transaction. */
static int issue_token(json_object *h, struct session *s, const struct boot_query *q, const char *source,
		       long long now, char token[LB_TOKEN_LEN + 1], char *err, size_t errlen)
{
	char old[65], hash[65];
	json_object *so = NULL;
	int rc;

	if (store_new_token(token) < 0) {
		snprintf(err, errlen, "cannot make a token: no randomness");
		return -EIO;
	}
	token_hash(token, hash);
	snprintf(old, sizeof(old), "%s", s->token_sha256);
	s->state = SS_ACTIVE;
	snprintf(s->token_sha256, sizeof(s->token_sha256), "%s", hash);
	snprintf(s->bound, sizeof(s->bound), "%s", source);
	s->issued = now;
	s->boots++;
	if (s->expires == 0) {
		s->expires = now + srv.conf.session_timeout;
	}
	session_write(s, h);
	/* a new boot makes new host keys: the next report pins them */
	so = jget(h, "session");
	jdel(so, "host_keys");
	json_object_object_add(h, "phase", json_object_new_string("loading"));
	record_boot(h, q, source, now);
	rc = store_token_put(&srv.store, hash, q->mac);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write the token index: %s", strerror(-rc));
		return rc;
	}
	rc = store_save(&srv.store, q->mac, h, err, errlen);
	if (rc < 0) {
		store_token_del(&srv.store, hash);
		return rc;
	}
	if (old[0] != '\0' && strcmp(old, hash) != 0) {
		store_token_del(&srv.store, old);
	}
	return 0;
}

/* Carries out o's step under the state lock, deciding again on what the
 * file says now (another request or lifeboatctl may have come first). */
static int carry_out(const struct boot_query *q, const struct boot_env *env, struct boot_outcome *o,
		     char token[LB_TOKEN_LEN + 1], char *err, size_t errlen)
{
	struct boot_facts f;
	json_object *h = NULL;
	int rc;

	rc = store_lock(&srv.store, err, errlen);
	if (rc < 0) {
		return rc;
	}
	h = store_load(&srv.store, q->mac, NULL);
	if (h != NULL) {
		facts_from_host(h, &f);
	} else if (store_exists(&srv.store, q->mac) != 0) {
		facts_from_host(NULL, &f); /* unreadable: normal, and never replaced here */
	} else {
		memset(&f, 0, sizeof(f));
		rc = store_pending_count(&srv.store, env->source, env->now, &f.pending_total, &f.pending_from_source);
		if (rc < 0) {
			snprintf(err, errlen, "cannot count the new hosts: %s", strerror(-rc));
			store_abort(&srv.store);
			return rc;
		}
	}
	boot_decide(&f, q, env, o);
	switch (o->step) {
	case STEP_NONE:
		break;
	case STEP_CREATE:
		h = store_new_host(q->mac, "rescue");
		json_object_object_add(h, "auto", json_object_new_boolean(1));
		session_arm(&f.s, 0, env->now, srv.conf.session_timeout);
		rc = issue_token(h, &f.s, q, env->source, env->now, token, err, errlen);
		if (rc == 0) {
			rc = store_pending_put(&srv.store, q->mac, env->source, env->now, env->now + srv.conf.session_grace);
			events_add(&srv.store, q->mac, env->now, "rescue", "new host (default_policy rescue): rescue script "
				   "with a token for %s", env->source);
		}
		break;
	case STEP_ISSUE:
	case STEP_REISSUE:
		rc = issue_token(h, &f.s, q, env->source, env->now, token, err, errlen);
		if (rc == 0) {
			events_add(&srv.store, q->mac, env->now, "rescue", "%s: rescue script with a %stoken for %s",
				   o->step == STEP_ISSUE ? "session claimed" : "booted again", o->step == STEP_ISSUE ? "" :
				   "new ", env->source);
		}
		break;
	case STEP_CONFLICT:
		f.s.state = SS_CONFLICT;
		metric_conflict();
		f.s.conflict_time = env->now;
		snprintf(f.s.conflict_source, sizeof(f.s.conflict_source), "%s", env->source);
		snprintf(f.s.conflict_reason, sizeof(f.s.conflict_reason), "%s", o->why);
		session_write(&f.s, h);
		rc = store_save(&srv.store, q->mac, h, err, errlen);
		fprintf(stderr, "lifeboatd: %s: session conflict: boot request from %s while bound to %s\n", q->mac,
			env->source, f.s.bound);
		events_add(&srv.store, q->mac, env->now, "conflict", "boot request from %s while bound to %s: %s",
			   env->source, f.s.bound[0] ? f.s.bound : "nobody", o->why);
		break;
	}
	json_object_put(h);
	if (rc < 0) {
		store_abort(&srv.store);
		return rc;
	}
	return store_unlock(&srv.store, err, errlen);
}

/* Signatures next to the payload (make sign) switch on imgverify. */
static int payload_signed(void)
{
	char a[600], b[600];

	snprintf(a, sizeof(a), "%s/bzImage.sig", srv.conf.payload_dir);
	snprintf(b, sizeof(b), "%s/initramfs.cpio.xz.sig", srv.conf.payload_dir);
	return access(a, R_OK) == 0 && access(b, R_OK) == 0;
}

/* A boot that cannot be decided now: iPXE asks again (script.h). The
 * reason stays in the log; the answer names no database. */
static enum MHD_Result answer_wait(struct MHD_Connection *c, struct req *r, const char *mac, const char *why)
{
	char script[SCRIPT_MAX], err[256];
	int len = script_render_wait(r->tls ? srv.conf.tls_public_url : srv.conf.public_url, mac, srv.conf.store_retry,
				     script, sizeof(script), err, sizeof(err));

	if (len < 0) {
		fprintf(stderr, "lifeboatd: cannot write the wait script: %s\n", err);
		return http_text(c, r, 500, "cannot write the boot script");
	}
	snprintf(r->why, sizeof(r->why), "wait: %s", why);
	metric_boot(MB_WAIT);
	return http_respond(c, r, 200, "text/plain; charset=utf-8", script, (size_t)len);
}

enum MHD_Result handle_boot(struct MHD_Connection *c, struct req *r, const char *rest)
{
	struct args a = { .n = 0 };
	struct boot_query q;
	struct boot_facts f;
	struct boot_outcome o;
	struct boot_env env = { .source = r->client, .server_nat = srv.conf.nat,
				.default_policy = srv.conf.default_policy, .now = (long long)time(NULL),
				.auto_hosts = srv.conf.auto_hosts };
	struct render_ctx rc = { 0 };
	char err[512], msg[600], script[SCRIPT_MAX], token[LB_TOKEN_LEN + 1] = "", tls_payload[600];
	int len, trusted;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	if (a.overflow) {
		return http_text(c, r, 400, "cannot use the query: more than 32 parameters");
	}
	if (boot_query_parse(a.v, a.n, &q, err, sizeof(err)) < 0) {
		snprintf(msg, sizeof(msg), "cannot use the query: %s", err);
		return http_text(c, r, 400, msg);
	}
	facts_get(q.mac, &f);
	trusted = facts_trusted();
	boot_decide(&f, &q, &env, &o);
	if (o.step != STEP_NONE && carry_out(&q, &env, &o, token, err, sizeof(err)) < 0) {
		/* nothing was handed out that is not stored: iPXE asks again */
		fprintf(stderr, "lifeboatd: cannot store the session of %s: %s\n", q.mac, err);
		return answer_wait(c, r, q.mac, "cannot store the session");
	}
	if (o.step == STEP_NONE && !trusted) {
		/* what the facts say may be old: an arm since must not be missed */
		return answer_wait(c, r, q.mac, "no answer from the database since the facts were read");
	}
	if (o.step == STEP_NONE && f.known) {
		seen_record(q.mac, r->client, o.d, env.now);
	}
	rc.q = &q;
	if (r->tls) {
		/* a script fetched over HTTPS loads the payload over HTTPS too */
		snprintf(tls_payload, sizeof(tls_payload), "%s/payload", srv.conf.tls_public_url);
	}
	rc.policy = f.known ? (f.policy[0] ? f.policy : "normal") : srv.conf.default_policy;
	if (o.d == DECIDE_NORMAL && strncmp(rc.policy, "rescue", 6) == 0) {
		rc.policy = "rescue-ended"; /* the session expired or ended: say so */
	}
	/* The agent talks HTTPS to lifeboatd when it can check the
	 * certificate: booted by a script that came over HTTPS, it gets the
	 * certificate's pin (never in a plain-HTTP script: anyone on the path
	 * could put their own there); booted over plain HTTP, only with
	 * agent_ca = yes (its image has the CA: make CA=). */
	rc.public_url = r->tls || srv.conf.agent_ca ? srv.conf.tls_public_url : srv.conf.public_url;
	rc.tls_pin = r->tls ? srv.tls_pin : NULL;
	rc.payload_url = r->tls ? tls_payload : srv.conf.payload_url;
	rc.token = token;
	rc.extra_args = srv.conf.kernel_args;
	rc.heartbeat = srv.conf.heartbeat;
	rc.netconsole = srv.conf.netconsole_port;
	rc.source_ip = r->client;
	rc.signed_payload = payload_signed();
	len = script_render(o.d, &rc, script, sizeof(script), err, sizeof(err));
	if (len < 0) {
		snprintf(msg, sizeof(msg), "cannot write the boot script: %s", err);
		fprintf(stderr, "lifeboatd: %s\n", msg);
		return http_text(c, r, 500, msg);
	}
	if (o.d != DECIDE_RESCUE && o.d != DECIDE_NORMAL) {
		snprintf(r->why, sizeof(r->why), "%s: %s", decision_name(o.d), o.why);
	}
	metric_boot(o.d == DECIDE_RESCUE ? MB_RESCUE : o.d == DECIDE_IP_MISMATCH ? MB_IP_MISMATCH :
		    o.d == DECIDE_CONFLICT ? MB_CONFLICT : o.d == DECIDE_BUSY ? MB_BUSY : MB_NORMAL);
	return http_respond(c, r, 200, "text/plain; charset=utf-8", script, (size_t)len);
}

enum MHD_Result handle_chain(struct MHD_Connection *c, struct req *r, const char *rest)
{
	char script[2048], err[256];
	int len = script_render_chain(r->tls ? srv.conf.tls_public_url : srv.conf.public_url, script, sizeof(script), err,
				      sizeof(err));

	if (len < 0) {
		return http_text(c, r, 500, err);
	}
	return http_respond(c, r, 200, "text/plain; charset=utf-8", script, (size_t)len);
}
