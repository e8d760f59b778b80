#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/report.h"

static const char *const phases[] = { LB_PHASES };

int report_phase_ok(const char *phase)
{
	size_t i;

	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (strcmp(phase, phases[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

static int is_format(const char *s)
{
	return strcmp(s, LB_REPORT_FORMAT) == 0;
}

static int is_keytype(const char *s)
{
	return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-@.") == strlen(s);
}

static int is_fingerprint(const char *s)
{
	return strncmp(s, "SHA256:", 7) == 0 && schema_base64(s + 7);
}

#define STR(n, max) { n, SK_STRING, SF_NULL, 0, max, NULL, NULL, NULL, NULL }
#define STRC(n, fl, lo, max, fn, w) { n, SK_STRING, fl, lo, max, fn, w, NULL, NULL }
#define INT(n, fl, lo, hi) { n, SK_INT, fl, lo, hi, NULL, NULL, NULL, NULL }
#define NUM(n, fl, lo, hi) { n, SK_NUMBER, fl, lo, hi, NULL, NULL, NULL, NULL }
#define BOOL(n) { n, SK_BOOL, SF_NULL, 0, 0, NULL, NULL, NULL, NULL }
#define OBJ(n, fl, m) { n, SK_OBJECT, fl, 0, 0, NULL, NULL, m, NULL }
#define ARR(n, fl, max, e) { n, SK_ARRAY, fl, 0, max, NULL, NULL, NULL, e }
#define END { NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL }
#define BIG 4503599627370496LL /* 2^52: exact in a double */

static const struct schema_field history_members[] = {
	STRC("phase", SF_REQUIRED, 1, 32, report_phase_ok, "a phase"),
	NUM("uptime", SF_NULL, 0, 1LL << 40),
	END,
};
static const struct schema_field history_elem = OBJ(NULL, 0, history_members);

static const struct schema_field cidr_elem = STRC(NULL, 0, 1, 18, schema_ipv4_cidr, "an IPv4 address/prefix");
static const struct schema_field cidr6_elem = STRC(NULL, 0, 1, 49, schema_ipv6_cidr, "an IPv6 address/prefix");
static const struct schema_field interface_members[] = {
	STRC("name", SF_REQUIRED, 1, 15, schema_word, "an interface name"),
	STRC("mac", SF_NULL, 0, 17, schema_mac, "a MAC address"),
	STRC("state", SF_NULL, 0, 16, schema_word, "a word"),
	BOOL("carrier"),
	INT("speed_mbps", SF_NULL, -1, 10000000),
	INT("mtu", SF_NULL, 0, 65535),
	ARR("ipv4", SF_NULL, 32, &cidr_elem),
	ARR("ipv6", SF_NULL, 32, &cidr6_elem),
	END,
};
static const struct schema_field interface_elem = OBJ(NULL, 0, interface_members);

static const struct schema_field hostkey_members[] = {
	STRC("type", SF_REQUIRED, 1, 64, is_keytype, "an SSH key type"),
	STRC("key", SF_REQUIRED, 1, 8192, schema_base64, "base64"),
	STRC("fingerprint", SF_REQUIRED, 8, 100, is_fingerprint, "SHA256:<base64>"),
	END,
};
static const struct schema_field hostkey_elem = OBJ(NULL, 0, hostkey_members);
static const struct schema_field ssh_members[] = {
	INT("port", SF_NULL, 1, 65535),
	INT("authorized_keys", SF_NULL, 0, 1000000),
	ARR("host_keys", SF_NULL, 8, &hostkey_elem),
	END,
};

static const struct schema_field partition_members[] = {
	STRC("name", SF_REQUIRED, 1, 32, schema_word, "a device name"),
	INT("size_bytes", SF_NULL, 0, BIG),
	INT("start_sector", SF_NULL, 0, BIG),
	END,
};
static const struct schema_field partition_elem = OBJ(NULL, 0, partition_members);
static const struct schema_field disk_members[] = {
	STRC("name", SF_REQUIRED, 1, 32, schema_word, "a device name"),
	INT("size_bytes", SF_NULL, 0, BIG),
	STR("model", 128),
	STR("serial", 128),
	BOOL("rotational"),
	BOOL("removable"),
	BOOL("read_only"),
	ARR("partitions", SF_NULL, 256, &partition_elem),
	END,
};
static const struct schema_field disk_elem = OBJ(NULL, 0, disk_members);
static const struct schema_field cpus_members[] = {
	INT("count", SF_NULL, 0, 65536),
	STR("model", 128),
	END,
};
static const struct schema_field dmi_members[] = {
	STR("vendor", 128), STR("product", 128), STR("serial", 128), STR("uuid", 64),
	STR("board_vendor", 128), STR("board_name", 128), STR("bios_version", 128),
	END,
};
static const struct schema_field inventory_members[] = {
	ARR("disks", SF_NULL, 256, &disk_elem),
	INT("memory_bytes", SF_NULL, 0, BIG),
	OBJ("cpus", SF_NULL, cpus_members),
	OBJ("dmi", SF_NULL, dmi_members),
	END,
};

const struct schema_field report_members[] = {
	STRC("format", SF_REQUIRED, 1, 32, is_format, "\"" LB_REPORT_FORMAT "\""),
	INT("version", SF_REQUIRED, LB_REPORT_VERSION, LB_REPORT_VERSION),
	INT("seq", SF_REQUIRED, 0, BIG),
	STRC("phase", SF_REQUIRED, 1, 32, report_phase_ok, "one of the agent's phases (common/wire.h LB_PHASES)"),
	ARR("history", SF_NULL, 64, &history_elem),
	STR("agent_version", 64),
	STR("kernel", 128),
	STR("hostname", 253),
	NUM("uptime", SF_NULL, 0, 1LL << 40),
	STRC("boot_mac", SF_NULL, 0, 17, schema_mac, "a MAC address"),
	ARR("interfaces", SF_NULL, 64, &interface_elem),
	OBJ("ssh", SF_NULL, ssh_members),
	OBJ("inventory", SF_NULL, inventory_members),
	STR("tools", 1024),
	STR("error", 1024),
	END,
};

json_object *report_parse(const char *body, size_t len, char *err, size_t errlen)
{
	return schema_parse(body, len, LB_REPORT_MAX_BYTES, report_members, 0, err, errlen);
}

int report_log_ok(const char *body, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > LB_LOGS_MAX_BYTES) {
		snprintf(err, errlen, "larger than %d bytes", LB_LOGS_MAX_BYTES);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];
		size_t want = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
			      (c & 0xf8) == 0xf0 && c <= 0xf4 ? 3 : 4, k;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			snprintf(err, errlen, "a control character (0x%02x) at byte %zu", c, i);
			return -EINVAL;
		}
		for (k = 1; want < 4 && k <= want; k++) {
			if (i + k >= len || ((unsigned char)body[i + k] & 0xc0) != 0x80) {
				want = 4;
			}
		}
		if (want == 4) {
			snprintf(err, errlen, "not UTF-8 at byte %zu (escape such bytes as \\xNN)", i);
			return -EINVAL;
		}
		i += want;
	}
	return 0;
}

int report_log_kind_ok(const char *kind)
{
	return kind != NULL && (strcmp(kind, "kmsg") == 0 || strcmp(kind, "bundle") == 0);
}

int report_log_kind_stored(const char *kind)
{
	return report_log_kind_ok(kind) || (kind != NULL && strcmp(kind, "netconsole") == 0);
}
