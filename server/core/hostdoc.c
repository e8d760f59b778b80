#include <string.h>

#include "core/hostdoc.h"
#include "core/session.h"
#include "core/report.h"

static int is_policy(const char *s)
{
	return strcmp(s, "normal") == 0 || strcmp(s, "rescue") == 0 || strcmp(s, "rescue-once") == 0;
}

static int is_phase(const char *s)
{
	return strcmp(s, "loading") == 0 || report_phase_ok(s);
}

static int is_session_state(const char *s)
{
	return session_state_parse(s) >= 0;
}

static int is_decision(const char *s)
{
	return schema_word(s);
}

#define T(n) { n, SK_INT, 0, 0, 1LL << 40, NULL, NULL, NULL, NULL }
#define S(n, max, fn, w) { n, SK_STRING, 0, 0, max, fn, w, NULL, NULL }
#define END { NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL }

static const struct schema_field hostkey_members[] = {
	{ "type", SK_STRING, SF_REQUIRED, 1, 64, schema_word, "an SSH key type", NULL, NULL },
	{ "key", SK_STRING, SF_REQUIRED, 1, 8192, schema_base64, "base64", NULL, NULL },
	{ "fingerprint", SK_STRING, 0, 0, 100, NULL, NULL, NULL, NULL },
	END,
};
static const struct schema_field hostkey_elem = { NULL, SK_OBJECT, 0, 0, 0, NULL, NULL, hostkey_members, NULL };

static const struct schema_field conflict_members[] = {
	T("time"),
	S("source", 45, schema_ip, "an IP address"),
	S("reason", 200, NULL, NULL),
	END,
};

static const struct schema_field session_members[] = {
	{ "id", SK_INT, 0, 0, 1LL << 40, NULL, NULL, NULL, NULL },
	{ "state", SK_STRING, SF_REQUIRED, 1, 16, is_session_state, "a session state", NULL, NULL },
	T("armed"), T("expires"), T("issued"), T("ssh_ready"), T("ends"), T("ended"),
	{ "once", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	S("token_sha256", 64, schema_hex64, "a SHA-256 in hex"),
	S("bound", 45, schema_ip, "an IP address"),
	{ "boots", SK_INT, 0, 0, 1LL << 30, NULL, NULL, NULL, NULL },
	{ "host_keys", SK_ARRAY, 0, 0, 8, NULL, NULL, NULL, &hostkey_elem },
	{ "conflict", SK_OBJECT, 0, 0, 0, NULL, NULL, conflict_members, NULL },
	S("end_reason", 32, schema_word, "a word"),
	END,
};

static const struct schema_field boot_members[] = {
	T("time"),
	S("source", 45, schema_ip, "an IP address"),
	S("decision", 32, is_decision, "a word"),
	S("ip", 15, schema_ipv4, "an IPv4 address"),
	S("netmask", 15, schema_ipv4, "an IPv4 address"),
	S("gateway", 15, schema_ipv4, "an IPv4 address"),
	S("dns", 15, schema_ipv4, "an IPv4 address"),
	S("ip6", 45, schema_ip, "an IP address"),
	{ "len6", SK_INT, 0, 1, 128, NULL, NULL, NULL, NULL },
	S("gateway6", 45, schema_ip, "an IP address"),
	S("uuid", 36, NULL, NULL),
	S("serial", 64, NULL, NULL),
	S("product", 64, NULL, NULL),
	S("manufacturer", 64, NULL, NULL),
	S("platform", 15, schema_word, "a word"),
	S("buildarch", 15, schema_word, "a word"),
	END,
};

static const struct schema_field pubkey_elem = { NULL, SK_STRING, 0, 1, 8400, schema_pubkey,
						 "an OpenSSH public key line", NULL, NULL };

static const struct schema_field session_keys_members[] = {
	{ "keys", SK_ARRAY, SF_REQUIRED, 1, 16, NULL, NULL, NULL, &pubkey_elem },
	{ "only", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	END,
};

static const struct schema_field bmc_public_members[] = {
	S("driver", 15, schema_word, "a word"),
	S("address", 253, NULL, NULL),
	{ "port", SK_INT, 0, 1, 65535, NULL, NULL, NULL, NULL },
	S("user", 64, NULL, NULL),
	S("system", 127, schema_word, "a word"),
	S("pin", 52, NULL, NULL),
	{ "ca_bytes", SK_INT, 0, 0, 65535, NULL, NULL, NULL, NULL },
	{ "insecure", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "console", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "cipher_suite", SK_INT, 0, 1, 17, NULL, NULL, NULL, NULL },
	END,
};

static int is_media_state(const char *s)
{
	return strcmp(s, "inserting") == 0 || strcmp(s, "inserted") == 0 || strcmp(s, "ejected") == 0 ||
	       strcmp(s, "failed") == 0;
}

static const struct schema_field media_from_elem = { NULL, SK_STRING, 0, 1, 45, schema_ip, "an IP address", NULL,
						     NULL };

/* the session's rescue ISO (core/media.h) */
static const struct schema_field media_members[] = {
	S("key_sha256", 64, schema_hex64, "a SHA-256 in hex"),
	{ "session", SK_INT, 0, 0, 1LL << 40, NULL, NULL, NULL, NULL },
	S("state", 16, is_media_state, "inserting, inserted, ejected or failed"),
	T("armed"), T("expires"), T("fetched"), T("ejected"),
	S("client", 45, schema_ip, "an IP address"),
	{ "from", SK_ARRAY, 0, 0, 4, NULL, NULL, NULL, &media_from_elem },
	S("error", 300, NULL, NULL),
	END,
};

static const struct schema_field policy_set_members[] = {
	T("time"),
	S("by", 64, NULL, NULL),
	END,
};

const struct schema_field host_members[] = {
	{ "mac", SK_STRING, SF_REQUIRED, 17, 17, schema_mac, "a MAC address", NULL, NULL },
	S("policy", 16, is_policy, "normal, rescue or rescue-once"),
	{ "nat", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "auto", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	T("created"),
	S("phase", 32, is_phase, "a phase"),
	T("report_time"),
	S("report_source", 45, schema_ip, "an IP address"),
	{ "report", SK_OBJECT, 0, 0, 0, NULL, NULL, report_members, NULL },
	{ "last_boot", SK_OBJECT, 0, 0, 0, NULL, NULL, boot_members, NULL },
	{ "session", SK_OBJECT, 0, 0, 0, NULL, NULL, session_members, NULL },
	{ "policy_set", SK_OBJECT, 0, 0, 0, NULL, NULL, policy_set_members, NULL },
	{ "session_keys", SK_OBJECT, 0, 0, 0, NULL, NULL, session_keys_members, NULL },
	{ "bmc", SK_OBJECT, 0, 0, 0, NULL, NULL, bmc_public_members, NULL },
	{ "media", SK_OBJECT, 0, 0, 0, NULL, NULL, media_members, NULL },
	S("alias", 63, schema_word, "an alias"),
	END,
};

json_object *hostdoc_clean(json_object *raw, struct schema_skipped *sk)
{
	return schema_lenient(raw, host_members, sk);
}
