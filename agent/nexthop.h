/* Where an IPv4 packet to an address goes first, from the kernel's own
 * tables as /proc prints them (netconsole needs the next hop's MAC: it
 * sends from the driver, below the neighbour layer). Pure parsers: they
 * take the files' text as FILE*, so the host tests feed them real
 * /proc/net/route and /proc/net/arp output. */
#ifndef LIFEBOAT_NEXTHOP_H
#define LIFEBOAT_NEXTHOP_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

/* The route /proc/net/route has for dst (the longest prefix, then the
 * lowest metric): its gateway in *hop (dst itself when on-link) and its
 * interface. 0, -ENOENT (no route), or -EINVAL (not that file's format). */
int nexthop_route(FILE *route, struct in_addr dst, struct in_addr *hop, char ifname[16]);

/* hop's MAC from /proc/net/arp (complete entries only). 0, -ENOENT, -EINVAL. */
int nexthop_arp(FILE *arp, struct in_addr hop, uint8_t mac[6]);

#endif
