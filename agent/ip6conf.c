#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "ip6conf.h"
#include "log.h"

/* if_inet6's flags and scopes (linux/if_addr.h, include/net/ipv6.h) */
#define IF6_F_TENTATIVE 0x40
#define IF6_F_DADFAILED 0x08
#define IF6_SCOPE_GLOBAL 0x00
#define IF6_SCOPE_SITE 0x40

static const struct {
	const char *word;
	enum ip6conf_method method;
} word_table[] = {
	{ "auto", IP6CONF_AUTO },
	{ "off", IP6CONF_OFF },
};

const char *ip6conf_method_name(enum ip6conf_method m)
{
	switch (m) {
	case IP6CONF_OFF:
		return "off";
	case IP6CONF_STATIC:
		return "static";
	default:
		return "auto";
	}
}

/* One address field: IPv6 text without brackets, zone or prefix. */
static int parse_addr(const char *s, size_t n, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf)) {
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1 ? 0 : -EINVAL;
}

static int usable_host_address(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_MULTICAST(a) &&
	       !IN6_IS_ADDR_V4MAPPED(a);
}

static int parse_static(const char *val, struct ip6conf *c, char *err, size_t errlen)
{
	const char *slash = strchr(val, '/'), *comma = strchr(val, ','), *p = NULL, *end = NULL;
	char *num_end = NULL;
	unsigned long prefix;

	if (slash == NULL || (comma != NULL && comma < slash)) {
		lb_err(err, errlen, "'%.80s' is not auto, off or ADDRESS/PREFIX[,GATEWAY[,DNS]]", val);
		return -EINVAL;
	}
	if (parse_addr(val, (size_t)(slash - val), &c->addr) < 0 || !usable_host_address(&c->addr)) {
		lb_err(err, errlen, "address '%.*s' is not a unicast IPv6 address", (int)(slash - val > 60 ? 60 : slash - val),
		       val);
		return -EINVAL;
	}
	if (slash[1] < '0' || slash[1] > '9') {
		lb_err(err, errlen, "prefix length after '/' is missing");
		return -EINVAL;
	}
	prefix = strtoul(slash + 1, &num_end, 10);
	if ((*num_end != '\0' && *num_end != ',') || prefix < 1 || prefix > 128) {
		lb_err(err, errlen, "prefix length '%.8s' is not 1-128", slash + 1);
		return -EINVAL;
	}
	c->prefix = (unsigned int)prefix;
	c->method = IP6CONF_STATIC;
	if (*num_end == '\0') {
		return 0;
	}
	p = num_end + 1;
	end = p + strcspn(p, ",");
	if (end > p) {
		if (parse_addr(p, (size_t)(end - p), &c->gateway) < 0 || !usable_host_address(&c->gateway)) {
			lb_err(err, errlen, "gateway '%.*s' is not a unicast IPv6 address", (int)(end - p > 60 ? 60 : end - p), p);
			return -EINVAL;
		}
		c->have_gateway = 1;
	}
	if (*end == '\0') {
		return 0;
	}
	p = end + 1;
	end = p + strcspn(p, ",");
	if (*end != '\0' || parse_addr(p, (size_t)(end - p), &c->dns) < 0 || !usable_host_address(&c->dns)) {
		lb_err(err, errlen, "DNS server '%.60s' is not one IPv6 address (nothing may follow it)", p);
		return -EINVAL;
	}
	c->have_dns = 1;
	return 0;
}

int ip6conf_parse(const char *val, struct ip6conf *c, char *err, size_t errlen)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(word_table) / sizeof(word_table[0]); i++) {
		if (strcmp(val, word_table[i].word) == 0) {
			c->method = word_table[i].method;
			return 0;
		}
	}
	if (parse_static(val, c, err, errlen) < 0) {
		memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	return 0;
}

int ip6_usable_count(FILE *f, const char *ifname, struct in6_addr *first)
{
	char line[256], hex[33], name[IF_NAMESIZE + 1];
	unsigned int ifindex, plen, scope, flags;
	int count = 0, i;

	while (fgets(line, sizeof(line), f) != NULL) {
		struct in6_addr a;

		if (sscanf(line, "%32s %x %x %x %x %16s", hex, &ifindex, &plen, &scope, &flags, name) != 6 ||
		    strlen(hex) != 32) {
			return -EINVAL;
		}
		for (i = 0; i < 16; i++) {
			int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				return -EINVAL;
			}
			a.s6_addr[i] = (uint8_t)(hi << 4 | lo);
		}
		if (strcmp(name, ifname) != 0 || (scope != IF6_SCOPE_GLOBAL && scope != IF6_SCOPE_SITE) ||
		    (flags & (IF6_F_TENTATIVE | IF6_F_DADFAILED)) != 0) {
			continue;
		}
		if (count++ == 0 && first != NULL) {
			*first = a;
		}
	}
	return count;
}
