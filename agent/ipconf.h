/* Parsers for the kernel's ip= argument (Documentation/admin-guide/nfs/
 * nfsroot.rst) and pxelinux's BOOTIF=. Pure: strings in, structs out. */
#ifndef LIFEBOAT_IPCONF_H
#define LIFEBOAT_IPCONF_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum ipconf_method {
	IPCONF_UNSET = 0, /* no ip= given: policy decides (DHCP) */
	IPCONF_OFF,       /* ip=off / none and no address: leave networking alone */
	IPCONF_STATIC,    /* client address given */
	IPCONF_DHCP,      /* ip=dhcp / on / any / bootp, or no client address */
};

struct ipconf {
	enum ipconf_method method;
	struct in_addr client;
	struct in_addr server;
	struct in_addr gateway;
	struct in_addr netmask;
	unsigned int prefix;        /* from netmask, or classful default */
	char hostname[65];
	char device[IF_NAMESIZE];
	struct in_addr dns[2];
	unsigned int ndns;
	struct in_addr ntp;
};

/* Parses the value of ip= (without "ip="). Returns 0 or -EINVAL with err
 * naming the field and the offending text. */
int ipconf_parse(const char *val, struct ipconf *ic, char *err, size_t errlen);

/* Netmask to prefix length; -EINVAL when the mask is not contiguous. */
int ipconf_mask_to_prefix(struct in_addr mask);

/* Parses BOOTIF=01-aa-bb-cc-dd-ee-ff (ARP hardware type 01 = Ethernet,
 * then the MAC; pxelinux and iPXE's ${mac:hexhyp}). Also accepts a bare
 * MAC with '-' or ':' separators. Returns 0 or -EINVAL. */
int bootif_parse(const char *val, uint8_t mac[6], char *err, size_t errlen);

#endif
