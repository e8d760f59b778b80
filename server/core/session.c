#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/session.h"

static const char *const state_names[] = {
	[SS_NONE] = "none", [SS_ARMED] = "armed", [SS_ACTIVE] = "active", [SS_CONFLICT] = "conflict",
	[SS_ENDED] = "ended",
};

int session_state_parse(const char *s)
{
	int i;

	for (i = SS_ARMED; i <= SS_ENDED; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

void session_read(json_object *host, struct session *s)
{
	json_object *o = jget(host, "session"), *c = NULL;
	int st;

	memset(s, 0, sizeof(*s));
	if (o == NULL) {
		const char *policy = jstr(host, "policy");

		s->state = strncmp(policy, "rescue", 6) == 0 ? SS_ARMED : SS_NONE;
		s->once = strcmp(policy, "rescue-once") == 0;
		return;
	}
	st = session_state_parse(jstr(o, "state"));
	s->state = st < 0 ? SS_NONE : (enum session_state)st;
	s->id = jint(o, "id");
	s->armed = jint(o, "armed");
	s->expires = jint(o, "expires");
	s->issued = jint(o, "issued");
	s->ssh_ready = jint(o, "ssh_ready");
	s->ends = jint(o, "ends");
	s->ended = jint(o, "ended");
	s->once = jbool(o, "once");
	s->boots = (int)jint(o, "boots");
	copy(s->token_sha256, sizeof(s->token_sha256), jstr(o, "token_sha256"));
	copy(s->bound, sizeof(s->bound), jstr(o, "bound"));
	copy(s->end_reason, sizeof(s->end_reason), jstr(o, "end_reason"));
	c = jget(o, "conflict");
	if (c != NULL) {
		s->conflict_time = jint(c, "time");
		copy(s->conflict_source, sizeof(s->conflict_source), jstr(c, "source"));
		copy(s->conflict_reason, sizeof(s->conflict_reason), jstr(c, "reason"));
	}
}

static void put_int(json_object *o, const char *k, long long v)
{
	if (v != 0) {
		json_object_object_add(o, k, json_object_new_int64(v));
	}
}

static void put_str(json_object *o, const char *k, const char *v)
{
	if (v[0] != '\0') {
		json_object_object_add(o, k, json_object_new_string(v));
	}
}

void session_write(const struct session *s, json_object *host)
{
	json_object *o = json_object_new_object(), *old = jget(host, "session"), *keys = jget(old, "host_keys");

	put_int(o, "id", s->id);
	json_object_object_add(o, "state", json_object_new_string(state_names[s->state == SS_NONE ? SS_ENDED : s->state]));
	put_int(o, "armed", s->armed);
	put_int(o, "expires", s->expires);
	put_int(o, "issued", s->issued);
	put_int(o, "ssh_ready", s->ssh_ready);
	put_int(o, "ends", s->ends);
	put_int(o, "ended", s->ended);
	json_object_object_add(o, "once", json_object_new_boolean(s->once));
	put_int(o, "boots", s->boots);
	put_str(o, "token_sha256", s->token_sha256);
	put_str(o, "bound", s->bound);
	put_str(o, "end_reason", s->end_reason);
	if (s->conflict_time != 0) {
		json_object *c = json_object_new_object();

		put_int(c, "time", s->conflict_time);
		put_str(c, "source", s->conflict_source);
		put_str(c, "reason", s->conflict_reason);
		json_object_object_add(o, "conflict", c);
	}
	if (keys != NULL && s->state != SS_ARMED) {
		json_object_object_add(o, "host_keys", json_object_get(keys));
	}
	json_object_object_add(host, "session", o);
}

enum session_state session_effective(const struct session *s, long long now, const char **why)
{
	const char *dummy = NULL;

	if (why == NULL) {
		why = &dummy;
	}
	*why = s->end_reason;
	if (s->state == SS_ENDED || s->state == SS_NONE) {
		return s->state;
	}
	if (s->ends != 0 && now >= s->ends) {
		*why = "ssh-ready+grace";
		return SS_ENDED;
	}
	if (s->expires != 0 && now >= s->expires) {
		*why = "expired";
		return SS_ENDED;
	}
	return s->state;
}

void session_arm(struct session *s, int once, long long now, long long timeout)
{
	long long id = s->id + 1;

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->state = SS_ARMED;
	s->armed = now;
	s->expires = now + timeout;
	s->once = once;
}

void session_end(struct session *s, const char *reason, long long now)
{
	if (s->state == SS_NONE) {
		return;
	}
	s->state = SS_ENDED;
	s->ended = now;
	s->token_sha256[0] = '\0';
	copy(s->end_reason, sizeof(s->end_reason), reason);
}

void token_hash(const char *token, char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	int i;

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(token), (const uint8_t *)token);
	sha256_digest(&ctx, sizeof(d), d);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
}

int token_matches(const char *stored_hex, const char *token)
{
	char hex[65];

	if (strlen(stored_hex) != 64) {
		return 0;
	}
	token_hash(token, hex);
	return memeql_sec(hex, stored_hex, 64);
}
