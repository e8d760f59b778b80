#include <errno.h>
#include <json-c/json.h>
#include <nettle/hmac.h>
#include <stdio.h>
#include <string.h>

#include "core/webhook.h"

void webhook_event_name(const char *kind, const char *text, char *out, size_t len)
{
	const char *to = strstr(text, "-> ");
	size_t n;

	if (strcmp(kind, "phase") != 0) {
		snprintf(out, len, "%s", kind);
		return;
	}
	to = to != NULL ? to + 3 : text; /* the first phase has no arrow */
	n = strcspn(to, ", ");
	snprintf(out, len, "%.*s", (int)n, to);
}

int webhook_wanted(const char *wanted, const char *name)
{
	size_t n = strlen(name);
	const char *p = wanted;

	while (*p != '\0') {
		size_t w;

		p += strspn(p, " ");
		w = strcspn(p, " ");
		if (w == n && w > 0 && strncmp(p, name, n) == 0) {
			return 1;
		}
		p += w;
	}
	return 0;
}

int webhook_body(const struct webhook_event *e, const char *server, char *out, size_t len)
{
	json_object *o = json_object_new_object();
	const char *s = NULL;
	int n;

	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "event", json_object_new_string(e->event));
	json_object_object_add(o, "kind", json_object_new_string(e->kind));
	json_object_object_add(o, "mac", json_object_new_string(e->mac));
	json_object_object_add(o, "time", json_object_new_int64(e->time));
	json_object_object_add(o, "text", json_object_new_string(e->text));
	json_object_object_add(o, "server", json_object_new_string(server));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = snprintf(out, len, "%s", s);
	json_object_put(o);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

void webhook_sign(const unsigned char *secret, size_t secret_len, long long timestamp, const char *body,
		  size_t body_len, char out[WEBHOOK_SIG_LEN + 1])
{
	struct hmac_sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	char ts[24];
	int i;

	snprintf(ts, sizeof(ts), "%lld.", timestamp);
	hmac_sha256_set_key(&ctx, secret_len, secret);
	hmac_sha256_update(&ctx, strlen(ts), (const uint8_t *)ts);
	hmac_sha256_update(&ctx, body_len, (const uint8_t *)body);
	hmac_sha256_digest(&ctx, sizeof(d), d);
	memcpy(out, "sha256=", 7);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
	}
}
