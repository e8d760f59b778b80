/* DHCP configuration for chainloading iPXE without flashing the NIC
 * (dhcpconf.h): PXE ROMs get iPXE over TFTP, iPXE itself (option 175 /
 * user class "iPXE": no loop) gets lifeboatd's chain script. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "lifeboatctl/dhcpconf.h"

/* Which iPXE binaries the TFTP root holds, and where they come from. */
struct ipxe_files {
	const char *name, *bios, *uefi, *origin;
};

static const struct ipxe_files ipxe_builds[] = {
	{ "debian", "undionly.kpxe", "snponly.efi", "Debian's ipxe package, /usr/lib/ipxe/" },
	/* our builds (make rom: embedded script, HTTPS, pinned CA) */
	{ "lifeboat", "lifeboat-undionly.kpxe", "lifeboat-snponly.efi",
	  "make rom IPXE_SRC=... SERVER=https://... HTTPS=1 TRUST=ca.crt: copy out/ipxe/undionly.kpxe and "
	  "snponly.efi to the TFTP root under these names" },
};

/* The IPv6 part, checked: the prefix's network, its length, the mode. */
struct v6_plan {
	char net[ADDR_TEXT_MAX];
	unsigned long len;
	int stateful;
};

static int check_ipv6(const struct dhcp_opts *o, struct v6_plan *p, char *err, size_t errlen)
{
	char addr[ADDR_TEXT_MAX + 8], *slash = NULL;
	const char *mode = o->ipv6_mode ? o->ipv6_mode : "slaac";

	snprintf(addr, sizeof(addr), "%s", o->ipv6);
	slash = strchr(addr, '/');
	if (slash != NULL) {
		*slash = '\0';
		p->len = strtoul(slash + 1, NULL, 10);
	}
	if (slash == NULL || addr_parse_ipv6(addr, p->net) < 0 || p->len < 8 || p->len > 64 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1)) {
		snprintf(err, errlen, "cannot use --ipv6 '%s': want the link's prefix, 2001:db8:1::/64", o->ipv6);
		return -EINVAL;
	}
	p->stateful = strcmp(mode, "stateful") == 0;
	if (!p->stateful && strcmp(mode, "slaac") != 0) {
		snprintf(err, errlen, "cannot use --ipv6-mode '%s': want slaac or stateful", mode);
		return -EINVAL;
	}
	if (p->stateful && p->len != 64) {
		snprintf(err, errlen, "cannot use --ipv6 '%s' with stateful: dnsmasq's DHCPv6 range wants a /64", o->ipv6);
		return -EINVAL;
	}
	return 0;
}

/* dnsmasq for IPv6 on a link it advertises (RA): SLAAC with stateless
 * DHCPv6 for the options (the default), or addresses from DHCPv6
 * (stateful). Either way iPXE asks DHCPv6 and gets the boot file URL
 * (option 59); iPXE (user class "iPXE") gets the chain script. */
static void write_dnsmasq_ipv6(const struct dhcp_opts *o, const struct v6_plan *p, FILE *out)
{
	fprintf(out,
		"# IPv6 (%s): dnsmasq sends router advertisements for %s; put it on the\n"
		"# interface that has an address in it (interface=...), and no other RA there.\n"
		"enable-ra\n",
		p->stateful ? "addresses from DHCPv6" : "SLAAC, options from stateless DHCPv6", o->ipv6);
	if (p->stateful) {
		struct in6_addr a;
		char lo[ADDR_TEXT_MAX], hi[ADDR_TEXT_MAX];

		/* the /64's hosts ::1000 to ::1fff */
		inet_pton(AF_INET6, p->net, &a);
		memset(a.s6_addr + 8, 0, 8);
		a.s6_addr[14] = 0x10;
		inet_ntop(AF_INET6, &a, lo, sizeof(lo));
		a.s6_addr[14] = 0x1f;
		a.s6_addr[15] = 0xff;
		inet_ntop(AF_INET6, &a, hi, sizeof(hi));
		fprintf(out, "dhcp-range=%s,%s,64,1h\n", lo, hi);
	} else {
		fprintf(out, "dhcp-range=%s,ra-stateless,%lu\n", p->net, p->len);
	}
	fprintf(out,
		"dhcp-userclass=set:ipxe6,iPXE\n"
		"dhcp-option=tag:ipxe6,option6:bootfile-url,%s/chain.ipxe\n",
		o->server);
	if (o->tftp != NULL && strchr(o->tftp, ':') != NULL) {
		fprintf(out,
			"# UEFI's own PXE over IPv6 loads iPXE by TFTP\n"
			"dhcp-option=tag:!ipxe6,option6:bootfile-url,tftp://[%s]/snponly.efi\n",
			o->tftp);
	}
}

static void write_dnsmasq(const struct dhcp_opts *o, const char *subnet, const struct ipxe_files *x, FILE *out)
{
	fprintf(out,
		"# Lifeboat: dnsmasq as proxyDHCP next to your DHCP server (which keeps handing\n"
		"# out addresses). PXE ROMs get iPXE by TFTP; iPXE (it sends option 175) gets\n"
		"# lifeboatd's script, so it does not load itself again.\n"
		"port=0\n"
		"log-dhcp\n"
		"dhcp-range=%s,proxy\n"
		"dhcp-match=set:ipxe,175\n"
		"enable-tftp\n"
		"tftp-root=/srv/tftp\n"
		"# BIOS: %s; UEFI x86-64: %s (%s)\n"
		"pxe-service=tag:!ipxe,x86PC,\"Lifeboat (iPXE)\",%s\n"
		"pxe-service=tag:!ipxe,X86-64_EFI,\"Lifeboat (iPXE)\",%s\n"
		"pxe-service=tag:ipxe,x86PC,\"Lifeboat\",%s/chain.ipxe\n"
		"pxe-service=tag:ipxe,X86-64_EFI,\"Lifeboat\",%s/chain.ipxe\n",
		subnet, x->bios, x->uefi, x->origin, x->bios, x->uefi, o->server, o->server);
}

static void write_isc(const struct dhcp_opts *o, const struct ipxe_files *x, FILE *out)
{
	fprintf(out,
		"# Lifeboat: ISC dhcpd. PXE ROMs get iPXE by TFTP; iPXE (user class \"iPXE\")\n"
		"# gets lifeboatd's script, so it does not load itself again.\n"
		"option client-arch code 93 = unsigned integer 16;\n"
		"%s%s%s"
		"if exists user-class and option user-class = \"iPXE\" {\n"
		"    filename \"%s/chain.ipxe\";\n"
		"} elsif option client-arch = 00:07 or option client-arch = 00:09 {\n"
		"    filename \"%s\";   # UEFI x86-64 (%s)\n"
		"} else {\n"
		"    filename \"%s\"; # BIOS\n"
		"}\n",
		o->tftp ? "next-server " : "", o->tftp ? o->tftp : "", o->tftp ? ";\n" : "", o->server, x->uefi,
		x->origin, x->bios);
}

static const struct ipxe_files *find_ipxe(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ipxe_builds) / sizeof(ipxe_builds[0]); i++) {
		if (strcmp(ipxe_builds[i].name, name) == 0) {
			return &ipxe_builds[i];
		}
	}
	return NULL;
}

int dhcpconf_write(const struct dhcp_opts *o, FILE *out, char *err, size_t errlen)
{
	const char *subnet = o->subnet ? o->subnet : "192.0.2.0";
	const struct ipxe_files *x = find_ipxe(o->ipxe ? o->ipxe : "debian");
	struct v6_plan v6 = { .len = 0 };
	char ip[ADDR_TEXT_MAX];
	int dnsmasq = strcmp(o->kind, "dnsmasq") == 0;

	if (!dnsmasq && strcmp(o->kind, "isc") != 0) {
		snprintf(err, errlen, "cannot write DHCP configuration for '%s': want dnsmasq or isc", o->kind);
		return -EINVAL;
	}
	if ((strncmp(o->server, "http://", 7) != 0 && strncmp(o->server, "https://", 8) != 0) ||
	    strspn(o->server, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/-_[]") !=
		    strlen(o->server)) {
		snprintf(err, errlen, "cannot use --server '%s': want http://host:port or http://[v6 address]:port",
			 o->server);
		return -EINVAL;
	}
	if (addr_parse_ipv4(subnet, ip) < 0 || (o->tftp != NULL && addr_parse(o->tftp, ip) < 0)) {
		snprintf(err, errlen, "cannot use --subnet/--tftp-server: want an IPv4 subnet and an IP address");
		return -EINVAL;
	}
	if (x == NULL) {
		snprintf(err, errlen, "cannot use --ipxe '%s': want debian or lifeboat", o->ipxe);
		return -EINVAL;
	}
	if (o->ipv6 != NULL && !dnsmasq) {
		snprintf(err, errlen, "cannot write --ipv6 for '%s': only for dnsmasq", o->kind);
		return -EINVAL;
	}
	if (o->ipv6 != NULL && check_ipv6(o, &v6, err, errlen) < 0) {
		return -EINVAL;
	}
	if (!dnsmasq) {
		write_isc(o, x, out);
		return 0;
	}
	write_dnsmasq(o, subnet, x, out);
	if (o->ipv6 != NULL) {
		write_dnsmasq_ipv6(o, &v6, out);
	}
	return 0;
}
