/* The readers' API: GET /api/v1/hosts[/<mac>] (admin_gate has run). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/query.h"
#include "lifeboatd/boot.h"
#include "lifeboatd/hostsapi.h"
#include "lifeboatd/http.h"
#include "lifeboatd/server.h"

/* What the API shows of a host: no token hash; what was skipped, named. */
json_object *api_host(json_object *h, const char *mac, const struct schema_skipped *sk, int seen_read)
{
	json_object *out = NULL;

	if (h != NULL) {
		json_object_deep_copy(h, &out, NULL);
		jdel(jget(out, "session"), "token_sha256");
		jdel(jget(out, "media"), "key_sha256");
		boot_seen_merge(out, seen_read);
	} else {
		out = json_object_new_object();
		json_object_object_add(out, "mac", json_object_new_string(mac));
		json_object_object_add(out, "unreadable", json_object_new_boolean(1));
	}
	if (sk != NULL && sk->count > 0) {
		json_object_object_add(out, "skipped", json_object_new_string(sk->text));
	}
	return out;
}

static void add_host(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	json_object_array_add(ctx, api_host(h, mac, sk, 1)); /* store_each read last_request */
}

enum MHD_Result handle_hosts(struct MHD_Connection *c, struct req *r, const char *macs)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *out = NULL, *h = NULL;
	enum MHD_Result ret;
	char mac[18];

	if (macs[0] == '\0') {
		out = json_object_new_array();
		store_each(&srv.store, add_host, out);
	} else {
		if (parse_mac(macs, mac) < 0 || (h = store_load(&srv.store, mac, &sk)) == NULL) {
			return http_text(c, r, 404, sk.count ? "the stored host cannot be read" :
							       "no such host");
		}
		out = api_host(h, mac, &sk, 0);
		json_object_put(h);
	}
	ret = http_json(c, r, 200, out);
	json_object_put(out);
	return ret;
}
