#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "hex.h"
#include "ipconf.h"
#include "log.h"

#define IPCONF_FIELDS 10

static const char *const field_names[IPCONF_FIELDS] = {
	"client-ip", "server-ip", "gw-ip", "netmask", "hostname",
	"device", "autoconf", "dns0-ip", "dns1-ip", "ntp0-ip",
};

/* autoconf keywords of the kernel, and what they mean to us */
static const struct {
	const char *word;
	enum ipconf_method method;
} autoconf_table[] = {
	{ "off", IPCONF_OFF },   { "none", IPCONF_OFF },
	{ "on", IPCONF_DHCP },   { "any", IPCONF_DHCP },
	{ "dhcp", IPCONF_DHCP }, { "bootp", IPCONF_DHCP },
	{ "rarp", IPCONF_DHCP }, { "both", IPCONF_DHCP },
};

static int lookup_autoconf(const char *word, enum ipconf_method *m)
{
	size_t i;

	for (i = 0; i < sizeof(autoconf_table) / sizeof(autoconf_table[0]); i++) {
		if (strcmp(word, autoconf_table[i].word) == 0) {
			*m = autoconf_table[i].method;
			return 0;
		}
	}
	return -EINVAL;
}

int ipconf_mask_to_prefix(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	int prefix = 0;

	while (prefix < 32 && (m & (0x80000000u >> prefix))) {
		prefix++;
	}
	if (prefix < 32 && (m << prefix) != 0) {
		return -EINVAL;
	}
	return prefix;
}

static unsigned int classful_prefix(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if ((h & 0x80000000u) == 0) {
		return 8;
	}
	if ((h & 0xc0000000u) == 0x80000000u) {
		return 16;
	}
	return 24;
}

static int parse_addr(const char *s, struct in_addr *a, unsigned int field,
		      char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, a) != 1) {
		lb_err(err, errlen, "field %u (%s): '%s' is not an IPv4 address",
		       field + 1, field_names[field], s);
		return -EINVAL;
	}
	return 0;
}

static int valid_hostname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.') {
		return 0;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			return 0;
		}
	}
	return 1;
}

static int valid_ifname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '/' || s[i] == ' ' || s[i] == ':' || (unsigned char)s[i] < 0x21) {
			return 0;
		}
	}
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Splits val at ':' into at most IPCONF_FIELDS fields (in a copy). */
static int split_fields(const char *val, char *copy, size_t copylen,
			char *fields[IPCONF_FIELDS], unsigned int *nfields,
			char *err, size_t errlen)
{
	char *p = copy;
	unsigned int n = 0;

	if (strlen(val) >= copylen) {
		lb_err(err, errlen, "value is too long (%zu bytes)", strlen(val));
		return -EINVAL;
	}
	strcpy(copy, val);
	fields[n++] = p;
	for (; *p != '\0'; p++) {
		if (*p != ':') {
			continue;
		}
		if (n == IPCONF_FIELDS) {
			lb_err(err, errlen, "too many fields (at most %d)", IPCONF_FIELDS);
			return -EINVAL;
		}
		*p = '\0';
		fields[n++] = p + 1;
	}
	*nfields = n;
	return 0;
}

int ipconf_parse(const char *val, struct ipconf *ic, char *err, size_t errlen)
{
	char copy[512];
	char *f[IPCONF_FIELDS] = { NULL };
	unsigned int n = 0, i;
	enum ipconf_method autoconf = IPCONF_UNSET;
	int rc, have_client = 0, have_mask = 0;

	memset(ic, 0, sizeof(*ic));
	rc = split_fields(val, copy, sizeof(copy), f, &n, err, errlen);
	if (rc < 0) {
		return rc;
	}
	/* ip=<autoconf> alone: ip=dhcp, ip=off, ... */
	if (n == 1 && lookup_autoconf(f[0], &autoconf) == 0) {
		ic->method = autoconf;
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *s = f[i];

		if (*s == '\0') {
			continue;
		}
		switch (i) {
		case 0:
			rc = parse_addr(s, &ic->client, i, err, errlen);
			have_client = 1;
			break;
		case 1:
			rc = parse_addr(s, &ic->server, i, err, errlen);
			break;
		case 2:
			rc = parse_addr(s, &ic->gateway, i, err, errlen);
			break;
		case 3:
			rc = parse_addr(s, &ic->netmask, i, err, errlen);
			if (rc == 0 && ipconf_mask_to_prefix(ic->netmask) < 0) {
				lb_err(err, errlen, "field 4 (netmask): '%s' is not a contiguous netmask", s);
				rc = -EINVAL;
			}
			have_mask = 1;
			break;
		case 4:
			if (!valid_hostname(s)) {
				lb_err(err, errlen, "field 5 (hostname): '%s' is not a valid host name", s);
				rc = -EINVAL;
				break;
			}
			strcpy(ic->hostname, s);
			break;
		case 5:
			if (!valid_ifname(s)) {
				lb_err(err, errlen, "field 6 (device): '%s' is not a valid interface name", s);
				rc = -EINVAL;
				break;
			}
			strcpy(ic->device, s);
			break;
		case 6:
			if (lookup_autoconf(s, &autoconf) < 0) {
				lb_err(err, errlen,
				       "field 7 (autoconf): '%s' is not one of off, none, on, any, dhcp, bootp, rarp, both", s);
				rc = -EINVAL;
			}
			break;
		case 7:
		case 8:
			rc = parse_addr(s, &ic->dns[ic->ndns], i, err, errlen);
			if (rc == 0) {
				ic->ndns++;
			}
			break;
		case 9:
			rc = parse_addr(s, &ic->ntp, i, err, errlen);
			break;
		}
		if (rc < 0) {
			return rc;
		}
	}
	/* As the kernel does: a client address means static configuration,
	 * unless autoconf explicitly asks for DHCP/BOOTP. */
	if (autoconf == IPCONF_DHCP) {
		ic->method = IPCONF_DHCP;
	} else if (have_client) {
		ic->method = IPCONF_STATIC;
	} else if (autoconf == IPCONF_OFF) {
		ic->method = IPCONF_OFF;
	} else {
		ic->method = IPCONF_DHCP;
	}
	if (ic->method == IPCONF_STATIC) {
		ic->prefix = have_mask ? (unsigned int)ipconf_mask_to_prefix(ic->netmask)
				       : classful_prefix(ic->client);
		if (ic->prefix == 0) {
			lb_err(err, errlen, "field 4 (netmask): a /0 netmask leaves no network");
			return -EINVAL;
		}
	}
	return 0;
}

/* Parses n hex bytes separated by '-' or ':' (one kind throughout). */
static int parse_hex_bytes(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	char sep = 0;

	for (i = 0; i < n; i++) {
		int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);

		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i + 1 == n) {
			break;
		}
		if (sep == 0 && (*s == '-' || *s == ':')) {
			sep = *s;
		}
		if (*s != sep) {
			return -EINVAL;
		}
		s++;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

int bootif_parse(const char *val, uint8_t mac[6], char *err, size_t errlen)
{
	uint8_t b[7];

	if (strlen(val) == 20 && parse_hex_bytes(val, b, 7) == 0) {
		if (b[0] != 0x01) {
			lb_err(err, errlen, "'%s': hardware type %02x is not Ethernet (01)", val, b[0]);
			return -EINVAL;
		}
		memcpy(mac, b + 1, 6);
		return 0;
	}
	if (strlen(val) == 17 && parse_hex_bytes(val, b, 6) == 0) {
		memcpy(mac, b, 6);
		return 0;
	}
	lb_err(err, errlen, "'%s' is not of the form 01-aa-bb-cc-dd-ee-ff", val);
	return -EINVAL;
}
