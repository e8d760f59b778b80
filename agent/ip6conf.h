/* Parsers for IPv6: lifeboat.ip6= (the kernel's ip= has no IPv6 form)
 * and /proc/net/if_inet6 (which addresses a link has, and whether DAD
 * still holds them). Pure: strings and FILE* in, structs out. */
#ifndef LIFEBOAT_IP6CONF_H
#define LIFEBOAT_IP6CONF_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>

enum ip6conf_method {
	IP6CONF_AUTO = 0, /* SLAAC from router advertisements, and DHCPv6 */
	IP6CONF_OFF,      /* no IPv6 on the chosen links */
	IP6CONF_STATIC,   /* the address (and gateway) given */
};

struct ip6conf {
	enum ip6conf_method method;
	struct in6_addr addr;
	unsigned int prefix;
	struct in6_addr gateway;
	int have_gateway;
	struct in6_addr dns;
	int have_dns;
};

/* lifeboat.ip6=auto | off | ADDRESS/PREFIX[,GATEWAY[,DNS]] (GATEWAY may
 * be empty, or link-local). 0, or -EINVAL with err naming the part. */
int ip6conf_parse(const char *val, struct ip6conf *c, char *err, size_t errlen);

const char *ip6conf_method_name(enum ip6conf_method m);

/* From /proc/net/if_inet6 (one line per address: 32 hex digits, ifindex,
 * prefix length, scope, flags, name): the count of ifname's addresses
 * that can be used to talk beyond the link: not link-local, not host
 * scope, and done with DAD (neither tentative nor failed). The first
 * goes into first (may be NULL). -EINVAL on a line that is not that. */
int ip6_usable_count(FILE *f, const char *ifname, struct in6_addr *first);

#endif
