/* Minimal rtnetlink requests: link up, addresses, default routes. */
#ifndef LIFEBOAT_NETLINK_H
#define LIFEBOAT_NETLINK_H

#include <netinet/in.h>

int nl_link_up(int ifindex);
int nl_addr_add(int ifindex, struct in_addr addr, unsigned int prefix);
int nl_route_add_default(int ifindex, struct in_addr gw);
/* IPv6: an address (no DAD: it is known to be this machine's) and a
 * default route (the gateway may be link-local: it is on ifindex). */
int nl_addr6_add(int ifindex, const struct in6_addr *addr, unsigned int prefix);
int nl_route6_add_default(int ifindex, const struct in6_addr *gw);
int nl_link_set_mtu(int ifindex, unsigned int mtu);

/* A link's IPv6 flags (the kernel's IF_RA_* bits below); -ENOENT when
 * the link has no IPv6. */
#define NL_IF_RA_OTHERCONF 0x80
#define NL_IF_RA_MANAGED 0x40
#define NL_IF_RA_RCVD 0x20
int nl_ipv6_flags(int ifindex, unsigned int *flags);
/* Creates an 802.1Q link "name" with id vid on top of parent. */
int nl_vlan_add(int parent_index, const char *name, unsigned int vid);

#endif
