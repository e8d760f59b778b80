/* Strict parsing of what iPXE sends to /boot.ipxe. Pure: key/value pairs
 * (already percent-decoded by the HTTP layer) in, struct out. */
#ifndef LIFEBOAT_QUERY_H
#define LIFEBOAT_QUERY_H

#include <stddef.h>

#include "core/addr.h"

struct qarg {
	const char *key;
	const char *val;
};

#define SMBIOS_MAX 64

struct boot_query {
	char mac[18];        /* aa:bb:cc:dd:ee:ff, lower case */
	char ip[16];         /* dotted quad, or "" */
	char netmask[16];
	char gateway[16];
	char dns[16];
	char ip6[ADDR_TEXT_MAX];       /* IPv6, canonical text, or "" */
	unsigned int len6;             /* its prefix length, 0: not given */
	char gateway6[ADDR_TEXT_MAX];  /* IPv6 (often link-local), or "" */
	char uuid[37];       /* lower case, or "" */
	char serial[SMBIOS_MAX + 1];
	char product[SMBIOS_MAX + 1];
	char manufacturer[SMBIOS_MAX + 1];
	char platform[16];   /* pcbios, efi */
	char buildarch[16];  /* i386, x86_64, arm64, ... */
};

/* Returns 0, or -EINVAL with err naming the parameter and the reason.
 * mac is required; every other parameter is optional; unknown and
 * repeated parameters are refused. With smbios=hex, serial, product and
 * manufacturer are iPXE ${x:hexhyp} encoded ("53-4e-31"). */
int boot_query_parse(const struct qarg *args, size_t n, struct boot_query *q, char *err, size_t errlen);

int parse_mac(const char *s, char out[18]);

/* The address iPXE says it has in the family of source (canonical text,
 * as the HTTP layer writes a peer): ip6 for an IPv6 source, else ip. */
const char *boot_claimed_address(const struct boot_query *q, const char *source);

#endif
