/* lifeboatctl dhcp-config (dhcpconf.c): the DHCP configuration that
 * chainloads iPXE from a NIC's own PXE ROM, for dnsmasq (proxyDHCP beside
 * the site's DHCP server, optionally IPv6 with RA and DHCPv6) or ISC
 * dhcpd. Pure but for the FILE* it writes to. */
#ifndef LIFEBOAT_CTL_DHCPCONF_H
#define LIFEBOAT_CTL_DHCPCONF_H

#include <stddef.h>
#include <stdio.h>

struct dhcp_opts {
	const char *kind;      /* "dnsmasq" or "isc" */
	const char *server;    /* lifeboatd's URL: http://host:port */
	const char *subnet;    /* the IPv4 subnet dnsmasq serves as proxy (NULL: 192.0.2.0) */
	const char *tftp;      /* the TFTP server's address (NULL: none named) */
	const char *ipxe;      /* "debian" (default) or "lifeboat": which iPXE binaries */
	const char *ipv6;      /* dnsmasq: the link's prefix, 2001:db8:1::/64 (NULL: no IPv6) */
	const char *ipv6_mode; /* "slaac" (default) or "stateful" */
};

/* Checks o, then writes the configuration. 0, or -EINVAL with err naming
 * the option and what it wants (nothing written). */
int dhcpconf_write(const struct dhcp_opts *o, FILE *out, char *err, size_t errlen);

#endif
