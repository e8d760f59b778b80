/* Network interface mechanism: listing, carrier, static configuration,
 * resolv.conf. No policy here (see netpolicy.c). */
#ifndef LIFEBOAT_IFACE_H
#define LIFEBOAT_IFACE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

#define NET_MAX_IFACES 32

struct iface {
	char name[IF_NAMESIZE];
	int index;
	uint8_t mac[6];
};

/* Ethernet interfaces from /sys/class/net (no loopback, no virtual
 * non-Ethernet links), sorted by name. Returns the count or -errno. */
int iface_list(struct iface *out, int max);

/* 1 carrier, 0 no carrier, -errno (interface down or gone). */
int iface_carrier(const char *ifname);

int iface_link_up(const struct iface *ifc);

/* Writes /etc/resolv.conf (temporary + rename): the IPv4 servers, then
 * the IPv6 one (NULL: none). */
int iface_write_resolv(const struct in_addr *dns, unsigned int ndns, const struct in6_addr *dns6);

/* Writes /proc/sys/net/ipv6/conf/IFNAME/KEY (autoconf, disable_ipv6...). */
int iface_ipv6_conf(const char *ifname, const char *key, const char *value);

/* How many addresses ifname has that reach beyond the link, done with
 * DAD (ip6_usable_count on /proc/net/if_inet6); -ENOENT without IPv6. */
int iface_ipv6_usable(const char *ifname, struct in6_addr *first);

const char *iface_mac_str(const uint8_t mac[6], char buf[18]);

#endif
