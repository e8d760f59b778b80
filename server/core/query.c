#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "core/query.h"

int parse_mac(const char *s, char out[18])
{
	int i;

	if (strlen(s) != 17) {
		return -EINVAL;
	}
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':' && s[i] != '-') {
				return -EINVAL;
			}
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)s[i])) {
				return -EINVAL;
			}
			out[i] = (char)tolower((unsigned char)s[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

/* iPXE's ${netX/len6}: 1 to 128. Its type is int8, so a /128 (DHCPv6)
 * comes as -128 (and :uint8 would write hex, 0x80). */
static int parse_len6(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t i, n = strlen(s);

	if (strcmp(s, "-128") == 0) {
		*out = 128;
		return 0;
	}
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) {
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return -EINVAL;
		}
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v < 1 || v > 128) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_uuid(const char *s, char out[37])
{
	int i;

	if (strlen(s) != 36) {
		return -EINVAL;
	}
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-') {
				return -EINVAL;
			}
			out[i] = '-';
		} else if (!isxdigit((unsigned char)s[i])) {
			return -EINVAL;
		} else {
			out[i] = (char)tolower((unsigned char)s[i]);
		}
	}
	out[36] = '\0';
	return 0;
}

/* iPXE's ${x:hexhyp}: "53-4e-31". */
static int decode_hexhyp(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	while (*s != '\0') {
		int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);

		if (hi < 0 || lo < 0 || n + 1 >= outlen) {
			return -EINVAL;
		}
		out[n++] = (char)(hi << 4 | lo);
		s += 2;
		if (*s == '-' && s[1] != '\0') {
			s++;
		} else if (*s != '\0') {
			return -EINVAL;
		}
	}
	out[n] = '\0';
	return memchr(out, '\0', n) == NULL ? 0 : -EINVAL;
}

/* SMBIOS strings: printable ASCII only, at most SMBIOS_MAX bytes; hexhyp
 * encoded when the query says smbios=hex (per call: lifeboatd's threads
 * parse at once, so no static state). */
static int parse_smbios(const char *in, char *out, int smbios_hex)
{
	char decoded[SMBIOS_MAX * 3 + 8];
	const char *s = in;
	size_t i, n;

	if (smbios_hex) {
		if (decode_hexhyp(in, decoded, sizeof(decoded)) < 0) {
			return -EINVAL;
		}
		s = decoded;
	}
	n = strlen(s);

	if (n > SMBIOS_MAX) {
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			return -EINVAL;
		}
	}
	strcpy(out, s);
	return 0;
}

static int parse_word(const char *s, char *out, size_t outlen)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= outlen) {
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') {
			return -EINVAL;
		}
	}
	strcpy(out, s);
	return 0;
}

enum qfield { F_MAC, F_IP, F_NETMASK, F_GATEWAY, F_DNS, F_IP6, F_LEN6, F_GATEWAY6, F_UUID, F_SERIAL, F_PRODUCT, F_MANUFACTURER,
	      F_PLATFORM, F_BUILDARCH, F_SMBIOS, F_COUNT };

static const struct {
	const char *key;
	const char *want;
} fields[F_COUNT] = {
	[F_MAC] = { "mac", "a MAC address aa:bb:cc:dd:ee:ff" },
	[F_IP] = { "ip", "an IPv4 address" },
	[F_NETMASK] = { "netmask", "an IPv4 netmask" },
	[F_GATEWAY] = { "gateway", "an IPv4 address" },
	[F_DNS] = { "dns", "an IPv4 address" },
	[F_IP6] = { "ip6", "an IPv6 address" },
	[F_LEN6] = { "len6", "a prefix length 1-128" },
	[F_GATEWAY6] = { "gateway6", "an IPv6 address" },
	[F_UUID] = { "uuid", "a UUID 8-4-4-4-12" },
	[F_SERIAL] = { "serial", "printable ASCII, at most 64 bytes" },
	[F_PRODUCT] = { "product", "printable ASCII, at most 64 bytes" },
	[F_MANUFACTURER] = { "manufacturer", "printable ASCII, at most 64 bytes" },
	[F_PLATFORM] = { "platform", "a word such as pcbios or efi" },
	[F_BUILDARCH] = { "buildarch", "a word such as x86_64" },
	[F_SMBIOS] = { "smbios", "hex or plain (how serial, product and manufacturer are encoded)" },
};

static int parse_field(enum qfield f, const char *v, struct boot_query *q, int smbios_hex)
{
	switch (f) {
	case F_MAC:
		return parse_mac(v, q->mac);
	case F_IP:
		return addr_parse_ipv4(v, q->ip);
	case F_NETMASK:
		return addr_parse_ipv4(v, q->netmask);
	case F_GATEWAY:
		return addr_parse_ipv4(v, q->gateway);
	case F_DNS:
		return addr_parse_ipv4(v, q->dns);
	case F_IP6:
		return addr_parse_ipv6(v, q->ip6);
	case F_LEN6:
		return parse_len6(v, &q->len6);
	case F_GATEWAY6:
		return addr_parse_ipv6(v, q->gateway6);
	case F_UUID:
		return parse_uuid(v, q->uuid);
	case F_SERIAL:
		return parse_smbios(v, q->serial, smbios_hex);
	case F_PRODUCT:
		return parse_smbios(v, q->product, smbios_hex);
	case F_MANUFACTURER:
		return parse_smbios(v, q->manufacturer, smbios_hex);
	case F_PLATFORM:
		return parse_word(v, q->platform, sizeof(q->platform));
	case F_BUILDARCH:
		return parse_word(v, q->buildarch, sizeof(q->buildarch));
	case F_SMBIOS:
		return strcmp(v, "hex") == 0 || strcmp(v, "plain") == 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* For messages: the value with anything unprintable shown as '?'. */
static void printable(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++) {
		out[i] = (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f ? in[i] : '?';
	}
	out[i] = '\0';
}

int boot_query_parse(const struct qarg *args, size_t n, struct boot_query *q, char *err, size_t errlen)
{
	int seen[F_COUNT] = { 0 }, smbios_hex = 0;
	char shown[80];
	size_t i;
	int f;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < n; i++) {
		if (strcmp(args[i].key, "smbios") == 0 && args[i].val != NULL && strcmp(args[i].val, "hex") == 0) {
			smbios_hex = 1;
		}
	}
	for (i = 0; i < n; i++) {
		const char *v = args[i].val ? args[i].val : "";

		for (f = 0; f < F_COUNT; f++) {
			if (strcmp(args[i].key, fields[f].key) == 0) {
				break;
			}
		}
		if (f == F_COUNT) {
			printable(args[i].key, shown, 40);
			snprintf(err, errlen, "unknown parameter '%s'", shown);
			return -EINVAL;
		}
		if (seen[f]++) {
			snprintf(err, errlen, "parameter %s given twice", fields[f].key);
			return -EINVAL;
		}
		/* iPXE sends an empty value for an unset setting: treat as absent */
		if (*v == '\0' && f != F_MAC) {
			continue;
		}
		if (parse_field((enum qfield)f, v, q, smbios_hex) < 0) {
			printable(v, shown, sizeof(shown));
			snprintf(err, errlen, "parameter %s: '%s' is not %s", fields[f].key, shown, fields[f].want);
			return -EINVAL;
		}
	}
	if (!seen[F_MAC] || q->mac[0] == '\0') {
		snprintf(err, errlen, "parameter mac is missing");
		return -EINVAL;
	}
	return 0;
}

const char *boot_claimed_address(const struct boot_query *q, const char *source)
{
	return strchr(source, ':') != NULL ? q->ip6 : q->ip;
}
