#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bmc.h"
#include "core/hostdoc.h"

static int is_driver(const char *s)
{
	return power_driver_known(s);
}

/* a host name or an IPv4 address: letters, digits, '.', '-' */
static int is_host(const char *s)
{
	return s[0] != '\0' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == strlen(s);
}

/* ipmi's host, or redfish's https://host[:port] (an IPv6 host in
 * brackets), nothing after it: no user part, no path */
static int is_address(const char *s)
{
	const char *h = NULL;
	size_t n;

	if (strncmp(s, "https://", 8) != 0) {
		return is_host(s);
	}
	h = s + 8;
	n = strcspn(h, ":");
	if (h[0] == '[') {
		n = strcspn(h, "]") + 1;
		if (n < 4 || h[n - 1] != ']' || strspn(h + 1, "0123456789abcdefABCDEF:.") != n - 2) {
			return 0;
		}
	} else {
		char host[254];

		if (n == 0 || n >= sizeof(host)) {
			return 0;
		}
		memcpy(host, h, n);
		host[n] = '\0';
		if (!is_host(host)) {
			return 0;
		}
	}
	if (h[n] == '\0') {
		return 1;
	}
	/* :port, 1 to 65535 */
	return h[n] == ':' && h[n + 1] != '\0' && strlen(h + n + 1) <= 5 &&
	       strspn(h + n + 1, "0123456789") == strlen(h + n + 1) && atoi(h + n + 1) >= 1 && atoi(h + n + 1) <= 65535;
}

static int is_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* sha256//BASE64 of a public key (libcurl's pin) */
static int is_pin(const char *s)
{
	return strncmp(s, "sha256//", 8) == 0 && strlen(s + 8) == 44 && s[8 + 43] == '=' &&
	       strspn(s + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == 43;
}

static int is_pem(const char *s)
{
	return strstr(s, "-----BEGIN CERTIFICATE-----") != NULL && strstr(s, "-----END CERTIFICATE-----") != NULL;
}

/* a Redfish Id: no '/', nothing a URL path would read otherwise */
static int is_system_id(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(s);
}

const struct schema_field bmc_members[] = {
	{ "driver", SK_STRING, 0, 1, 15, is_driver, "ipmi or redfish", NULL, NULL },
	{ "address", SK_STRING, SF_REQUIRED, 1, 253, is_address,
	  "a host name or IPv4 address (ipmi), https://host[:port] (redfish)", NULL, NULL },
	{ "port", SK_INT, 0, 1, 65535, NULL, NULL, NULL, NULL },
	{ "user", SK_STRING, SF_REQUIRED, 0, 64, is_printable, "printable ASCII", NULL, NULL },
	{ "password", SK_STRING, SF_REQUIRED, 0, 128, is_printable, "printable ASCII", NULL, NULL },
	{ "system", SK_STRING, 0, 0, 127, is_system_id, "a Redfish Id (letters, digits, . _ -)", NULL, NULL },
	{ "pin", SK_STRING, 0, 0, 52, is_pin, "sha256//BASE64 of the BMC's public key", NULL, NULL },
	{ "ca", SK_STRING, 0, 0, BMC_CA_MAX - 1, is_pem, "PEM certificates", NULL, NULL },
	{ "insecure", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "console", SK_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL },
	{ "cipher_suite", SK_INT, 0, 1, 17, NULL, NULL, NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

/* What each driver takes of the members: the rest is refused by name. */
static int bmc_check(const struct bmc *b, char *err, size_t errlen)
{
	int redfish = strcmp(b->driver, "redfish") == 0;

	if (!redfish) {
		if (!is_host(b->address)) {
			snprintf(err, errlen, "address: ipmi wants a host name or IPv4 address, not %s", b->address);
		} else if (strlen(b->user) > 16 || strlen(b->password) > 20) {
			snprintf(err, errlen, "%s: IPMI 2.0 takes at most %d bytes", strlen(b->user) > 16 ? "user" : "password",
				 strlen(b->user) > 16 ? 16 : 20);
		} else if (b->system[0] || b->pin[0] || b->ca[0] || b->insecure) {
			snprintf(err, errlen, "%s: only for the redfish driver",
				 b->system[0] ? "system" : b->pin[0] ? "pin" : b->ca[0] ? "ca" : "insecure");
		} else {
			return 0;
		}
		return -EINVAL;
	}
	if (strncmp(b->address, "https://", 8) != 0) {
		snprintf(err, errlen, "address: redfish wants https://host[:port], not %s", b->address);
		return -EINVAL;
	}
	if (b->console || b->cipher) {
		snprintf(err, errlen, "%s: only for the ipmi driver (Redfish has no standard serial console)",
			 b->console ? "console" : "cipher_suite");
		return -EINVAL;
	}
	if (b->insecure && (b->pin[0] || b->ca[0])) {
		snprintf(err, errlen, "insecure: not with %s (they are what checks the BMC)", b->pin[0] ? "pin" : "ca");
		return -EINVAL;
	}
	return 0;
}

int bmc_from_json(json_object *o, struct bmc *b, char *err, size_t errlen)
{
	const char *driver = jstr(o, "driver");

	memset(b, 0, sizeof(*b));
	snprintf(b->driver, sizeof(b->driver), "%s", driver[0] ? driver : "ipmi");
	snprintf(b->address, sizeof(b->address), "%s", jstr(o, "address"));
	snprintf(b->user, sizeof(b->user), "%s", jstr(o, "user"));
	snprintf(b->password, sizeof(b->password), "%s", jstr(o, "password"));
	snprintf(b->system, sizeof(b->system), "%s", jstr(o, "system"));
	snprintf(b->pin, sizeof(b->pin), "%s", jstr(o, "pin"));
	snprintf(b->ca, sizeof(b->ca), "%s", jstr(o, "ca"));
	b->insecure = jbool(o, "insecure");
	b->console = jbool(o, "console");
	b->cipher = jget(o, "cipher_suite") ? (unsigned int)jint(o, "cipher_suite") : 0;
	b->port = jget(o, "port") ? (unsigned int)jint(o, "port") : 623;
	if (!is_driver(b->driver) || !is_address(b->address)) {
		snprintf(err, errlen, "a BMC needs an address and the driver ipmi or redfish");
		return -EINVAL;
	}
	return bmc_check(b, err, errlen);
}

/* the members both forms share */
static json_object *bmc_common(const struct bmc *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "driver", json_object_new_string(b->driver));
	json_object_object_add(o, "address", json_object_new_string(b->address));
	if (strcmp(b->driver, "ipmi") == 0) {
		json_object_object_add(o, "port", json_object_new_int((int)b->port));
	}
	json_object_object_add(o, "user", json_object_new_string(b->user));
	if (b->system[0] != '\0') {
		json_object_object_add(o, "system", json_object_new_string(b->system));
	}
	if (b->pin[0] != '\0') {
		json_object_object_add(o, "pin", json_object_new_string(b->pin));
	}
	if (b->insecure) {
		json_object_object_add(o, "insecure", json_object_new_boolean(1));
	}
	if (b->console) {
		json_object_object_add(o, "console", json_object_new_boolean(1));
	}
	if (b->cipher) {
		json_object_object_add(o, "cipher_suite", json_object_new_int((int)b->cipher));
	}
	return o;
}

json_object *bmc_public(const struct bmc *b)
{
	json_object *o = bmc_common(b);

	if (b->ca[0] != '\0') {
		json_object_object_add(o, "ca_bytes", json_object_new_int((int)strlen(b->ca)));
	}
	return o;
}

json_object *bmc_body(const struct bmc *b)
{
	json_object *o = bmc_common(b);

	if (b->ca[0] != '\0') {
		json_object_object_add(o, "ca", json_object_new_string(b->ca));
	}
	return o;
}

int bmc_save(struct store *st, const char *mac, const struct bmc *b, char *err, size_t errlen)
{
	json_object *o = bmc_body(b);
	const char *p[2] = { mac, NULL };
	char why[300];
	int rc;

	json_object_object_add(o, "password", json_object_new_string(b->password));
	p[1] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_exec(&st->db, "INSERT INTO bmc (mac, doc) VALUES ($1, $2) ON CONFLICT (mac) DO UPDATE SET "
			      "doc = excluded.doc", 2, p, NULL, NULL, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot store the BMC of %s: %s", mac, why);
	}
	json_object_put(o);
	return rc < 0 ? rc : 0;
}

int bmc_load(struct store *st, const char *mac, struct bmc *b, char *err, size_t errlen)
{
	const char *p[1] = { mac };
	struct db_text_copy f = { .text = NULL };
	char why[300];
	json_object *raw = NULL, *clean = NULL;
	int rc = db_exec(&st->db, "SELECT doc FROM bmc WHERE mac = $1", 1, p, db_copy_text, &f, why, sizeof(why));

	if (rc < 0 || f.rows == 0) {
		free(f.text);
		snprintf(err, errlen, rc < 0 ? "cannot read the BMC of %s: %s" : "%s has no BMC (lifeboatctl bmc %s --address ...)",
			 mac, rc < 0 ? why : mac);
		return rc < 0 ? rc : -ENOENT;
	}
	raw = json_tokener_parse(f.text);
	free(f.text);
	snprintf(why, sizeof(why), "not JSON");
	clean = raw != NULL ? schema_strict(raw, bmc_members, why, sizeof(why)) : NULL;
	json_object_put(raw);
	if (clean == NULL) {
		snprintf(err, errlen, "the stored BMC of %s is damaged: %s", mac, why);
		return -EIO;
	}
	rc = bmc_from_json(clean, b, err, errlen);
	json_object_put(clean);
	if (rc == 0) {
		json_object *h = store_load(st, mac, NULL);
		const char *serial = jstr(jget(jget(jget(h, "report"), "inventory"), "dmi"), "serial");

		snprintf(b->host_mac, sizeof(b->host_mac), "%s", mac);
		snprintf(b->host_serial, sizeof(b->host_serial), "%s",
			 serial[0] ? serial : jstr(jget(h, "last_boot"), "serial"));
		json_object_put(h);
	}
	return rc;
}

struct macs {
	char (*v)[18];
	size_t max, n;
};

static int take_mac(const struct db_row *r, void *ctx)
{
	struct macs *m = ctx;

	if (m->n < m->max) {
		snprintf(m->v[m->n++], 18, "%s", db_text(r, 0));
	}
	return 0;
}

int bmc_macs(struct store *st, char (*macs)[18], size_t max, size_t *n)
{
	struct macs m = { .v = macs, .max = max, .n = 0 };
	int rc = db_exec(&st->db, "SELECT mac FROM bmc ORDER BY mac", 0, NULL, take_mac, &m, NULL, 0);

	*n = m.n;
	return rc < 0 ? rc : 0;
}
