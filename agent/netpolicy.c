#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "wire.h"
#include "iface.h"
#include "netlink.h"
#include "netpolicy.h"
#include "proc.h"

#define LEASE_DIR "/run/lifeboat"
#define CARRIER_GRACE_MS 2000 /* after the first link, time for the others */
#define POLL_MS 100
#define FAMILY_GRACE_MS 3000 /* after one family's address, time for the other's */

static struct iface ifaces[NET_MAX_IFACES];
static int nifaces;
/* udhcpc argv per interface: must outlive the supervised service */
static char *dhcp_argv[NET_MAX_IFACES][16];
static int dhcp_started[NET_MAX_IFACES];
static char *dhcp6_argv[NET_MAX_IFACES][16];
static int dhcp6_started[NET_MAX_IFACES];
static int dhcp6_auto; /* lifeboat.ip6=auto: DHCPv6 once an advertisement says so */

static int list_ifaces(unsigned int timeout_s)
{
	uint64_t deadline = lb_mono_ms() + timeout_s * 1000u;
	int announced = 0;

	for (;;) {
		nifaces = iface_list(ifaces, NET_MAX_IFACES);
		if (nifaces > 0 || lb_mono_ms() >= deadline) {
			return nifaces;
		}
		if (!announced) {
			lb_log("waiting up to %u s for a network interface to appear", timeout_s);
			announced = 1;
		}
		proc_sleep(250);
	}
}

/* Marks in chosen[] the interfaces the configuration asks for. */
static int select_ifaces(const struct config *cfg, int chosen[])
{
	char mac[18];
	int i, count = 0;

	if (cfg->have_bootif) {
		for (i = 0; i < nifaces; i++) {
			if (memcmp(ifaces[i].mac, cfg->bootif, 6) == 0) {
				chosen[i] = 1;
				lb_log("BOOTIF %s is %s", iface_mac_str(cfg->bootif, mac), ifaces[i].name);
				return 1;
			}
		}
		lb_error("cannot find interface with BOOTIF MAC %s: using every interface",
		       iface_mac_str(cfg->bootif, mac));
	} else if (cfg->have_ip && cfg->ip.device[0] != '\0') {
		for (i = 0; i < nifaces; i++) {
			if (strcmp(ifaces[i].name, cfg->ip.device) == 0) {
				chosen[i] = 1;
				return 1;
			}
		}
		lb_error("cannot find interface %s named in ip=: using every interface", cfg->ip.device);
	}
	for (i = 0; i < nifaces; i++) {
		chosen[i] = 1;
		count++;
	}
	return count;
}

static void links_up(const int chosen[])
{
	int i, rc;

	for (i = 0; i < nifaces; i++) {
		if (chosen[i] && (rc = iface_link_up(&ifaces[i])) < 0) {
			lb_error("cannot bring up %s: %s", ifaces[i].name, strerror(-rc));
		}
	}
}

/* Waits for carrier on the chosen links; sets carrier[]. Returns the count. */
static int wait_carrier(const int chosen[], int carrier[], unsigned int timeout_s)
{
	uint64_t start = lb_mono_ms(), deadline = start + timeout_s * 1000u;
	uint64_t first = 0;
	int i, nchosen = 0, nup = 0;
	char names[128] = "";

	for (i = 0; i < nifaces; i++) {
		if (chosen[i]) {
			nchosen++;
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? " " : "", ifaces[i].name);
		}
	}
	lb_log("waiting up to %u s for carrier on %s", timeout_s, names);
	for (;;) {
		uint64_t now = lb_mono_ms();

		nup = 0;
		for (i = 0; i < nifaces; i++) {
			carrier[i] = chosen[i] && iface_carrier(ifaces[i].name) == 1;
			nup += carrier[i];
		}
		if (nup > 0 && first == 0) {
			first = now;
		}
		if (nup == nchosen || now >= deadline ||
		    (first != 0 && now - first >= CARRIER_GRACE_MS)) {
			break;
		}
		proc_sleep(POLL_MS);
	}
	for (i = 0; i < nifaces; i++) {
		if (carrier[i]) {
			lb_log("link up on %s after %.1f s", ifaces[i].name,
			       (double)(lb_mono_ms() - start) / 1000.0);
		}
	}
	return nup;
}

/* A static address of family (AF_INET, AF_INET6) on ifc and, when gw is
 * not NULL, the default route through it. 0, or the -errno, said. */
static int configure_family(const struct iface *ifc, int family, const void *addr, unsigned int prefix,
			    const void *gw)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	int rc;

	inet_ntop(family, addr, a, sizeof(a));
	lb_log("configuring %s: %s/%u", ifc->name, a, prefix);
	rc = family == AF_INET ? nl_addr_add(ifc->index, *(const struct in_addr *)addr, prefix)
			       : nl_addr6_add(ifc->index, addr, prefix);
	if (rc < 0) {
		lb_error("cannot add address %s/%u to %s: %s", a, prefix, ifc->name, strerror(-rc));
		return rc;
	}
	if (gw == NULL) {
		return 0;
	}
	inet_ntop(family, gw, g, sizeof(g));
	rc = family == AF_INET ? nl_route_add_default(ifc->index, *(const struct in_addr *)gw)
			       : nl_route6_add_default(ifc->index, gw);
	if (rc < 0) {
		lb_error("cannot add default route via %s on %s: %s", g, ifc->name, strerror(-rc));
	}
	return rc;
}

static int configure_static(const struct config *cfg, const struct iface *ifc)
{
	const struct ipconf *ip = &cfg->ip;
	int rc = configure_family(ifc, AF_INET, &ip->client, ip->prefix, ip->gateway.s_addr != 0 ? &ip->gateway : NULL);

	if (rc < 0) {
		return rc;
	}
	if (ip->ndns > 0 && (rc = iface_write_resolv(ip->dns, ip->ndns, cfg->ip6.have_dns ? &cfg->ip6.dns : NULL)) < 0) {
		lb_error("cannot write /etc/resolv.conf: %s", strerror(-rc));
	}
	if (ip->hostname[0] != '\0' && sethostname(ip->hostname, strlen(ip->hostname)) < 0) {
		lb_error("cannot set hostname %s: %s", ip->hostname, strerror(errno));
	}
	return 0;
}

/* BusyBox's udhcpc or udhcpc6 on link i, supervised: argv (which must
 * outlive the service) is path, then flag when not NULL. 0 or -ENOSPC. */
static int start_udhcpc(const char *name, const char *path, const char *script, const char *flag, int i,
			char **argv)
{
	int k = 0;

	argv[k++] = (char *)path;
	argv[k++] = "-f";               /* stay in the foreground: supervised */
	argv[k++] = "-i";
	argv[k++] = ifaces[i].name;
	argv[k++] = "-s";
	argv[k++] = (char *)script;
	argv[k++] = "-t";
	argv[k++] = "5";                /* discover 5 times ... */
	argv[k++] = "-T";
	argv[k++] = "2";                /* ... 2 s apart ... */
	argv[k++] = "-A";
	argv[k++] = "5";                /* ... then pause 5 s and start over */
	if (flag != NULL) {
		argv[k++] = (char *)flag;
	}
	argv[k] = NULL;
	if (proc_service_add(name, argv, NULL) < 0) {
		lb_error("cannot start %s on %s: too many services", name, ifaces[i].name);
		return -ENOSPC;
	}
	return 0;
}

static void start_dhcp(int i)
{
	if (!dhcp_started[i] && start_udhcpc("udhcpc", "/sbin/udhcpc", "/etc/udhcpc.script", NULL, i, dhcp_argv[i]) == 0) {
		dhcp_started[i] = 1;
	}
}

/* DHCPv6 as the router advertisement says (RFC 4861's M and O flags):
 * managed, an address (and options); other, options only (an
 * information request: asking such a server for an address gets a
 * refusal udhcpc6 answers at once, forever); neither, none. SLAAC is the
 * kernel's. Called while waiting, until an advertisement came. */
static void start_dhcp6(int i)
{
	unsigned int flags = 0;

	if (dhcp6_started[i] || nl_ipv6_flags(ifaces[i].index, &flags) < 0 || !(flags & NL_IF_RA_RCVD)) {
		return;
	}
	if (!(flags & (NL_IF_RA_MANAGED | NL_IF_RA_OTHERCONF))) {
		dhcp6_started[i] = 1; /* the router says: no DHCPv6 here */
		return;
	}
	if (start_udhcpc("udhcpc6", "/bin/udhcpc6", "/etc/udhcpc6.script", flags & NL_IF_RA_MANAGED ? NULL : "-l", i,
			 dhcp6_argv[i]) == 0) {
		lb_log("DHCPv6 on %s (%s)", ifaces[i].name, flags & NL_IF_RA_MANAGED ? "managed" : "options only");
		dhcp6_started[i] = 1;
	}
}

/* 1 when link i has an IPv4 lease (the udhcpc hook records it). */
static int has_lease(int i)
{
	char path[64];

	snprintf(path, sizeof(path), LEASE_DIR "/lease.%s", ifaces[i].name);
	return access(path, F_OK) == 0;
}

/* 1 when link i has an IPv6 address beyond the link, done with DAD
 * (SLAAC, DHCPv6 or static). */
static int has_ipv6(int i)
{
	return iface_ipv6_usable(ifaces[i].name, NULL) > 0;
}

/* 1 when a router advertisement came on link i: IPv6 is on its way. */
static int has_ra(int i)
{
	unsigned int flags = 0;

	return nl_ipv6_flags(ifaces[i].index, &flags) == 0 && (flags & NL_IF_RA_RCVD);
}

/* Waits for an address on any of the links: an IPv4 lease, or (with
 * want_v6) a usable IPv6 address, whichever comes first; then up to
 * FAMILY_GRACE_MS for the other family, so the first report has both:
 * for IPv6 only when a router advertised (an IPv4-only network waits for
 * nothing), for IPv4 always (DHCPv4 gives no sign before its lease).
 * Returns the link's index, or -ETIMEDOUT. */
static int wait_address(const int on[], unsigned int timeout_s, int want_v6)
{
	uint64_t deadline = lb_mono_ms() + timeout_s * 1000u, grace = 0;
	int i, v4 = -1, v6 = -1, ra = 0;

	for (;;) {
		for (i = 0; i < nifaces; i++) {
			if (on[i] && dhcp6_auto) {
				start_dhcp6(i);
			}
			if (on[i] && v4 < 0 && has_lease(i)) {
				v4 = i;
			}
			if (on[i] && want_v6 && v6 < 0 && has_ipv6(i)) {
				v6 = i;
			}
			if (on[i] && want_v6 && v4 >= 0 && !ra) {
				ra = has_ra(i);
			}
		}
		if ((v4 >= 0 || v6 >= 0) && grace == 0) {
			grace = lb_mono_ms() + FAMILY_GRACE_MS;
		}
		if ((v4 >= 0 && (v6 >= 0 || !want_v6 || !ra)) || (grace != 0 && lb_mono_ms() >= grace) ||
		    lb_mono_ms() >= deadline) {
			break;
		}
		proc_sleep(POLL_MS);
	}
	if (v6 >= 0) {
		lb_log("IPv6 address on %s", ifaces[v6].name);
	}
	return v4 >= 0 ? v4 : v6 >= 0 ? v6 : -ETIMEDOUT;
}

static int run_dhcp(const int on[], unsigned int timeout_s, int want_v6)
{
	char names[128] = "";
	int i, rc;

	for (i = 0; i < nifaces; i++) {
		if (on[i]) {
			start_dhcp(i);
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? " " : "", ifaces[i].name);
		}
	}
	lb_log("waiting up to %u s for a DHCP lease%s on %s", timeout_s, want_v6 ? " or an IPv6 address" : "", names);
	rc = wait_address(on, timeout_s, want_v6);
	if (rc < 0) {
		lb_error("cannot get a DHCP lease on %s within %u s%s: udhcpc keeps trying", names, timeout_s,
			 want_v6 ? " (nor an IPv6 address)" : "");
		return rc;
	}
	if (has_lease(rc)) {
		lb_log("DHCP lease on %s", ifaces[rc].name);
	}
	return 0;
}

static void set_mtu(const int chosen[], unsigned int mtu)
{
	int i, rc;

	for (i = 0; i < nifaces; i++) {
		if (chosen[i] && (rc = nl_link_set_mtu(ifaces[i].index, mtu)) < 0) {
			lb_error("cannot set MTU %u on %s: %s", mtu, ifaces[i].name, strerror(-rc));
		}
	}
}

/* Puts an 802.1Q link on each chosen link and chooses those instead. */
static int make_vlans(unsigned int vid, int chosen[], int carrier[])
{
	char names[NET_MAX_IFACES][IF_NAMESIZE];
	int i, k, n = 0, rc;

	for (i = 0; i < nifaces; i++) {
		if (!chosen[i]) {
			continue;
		}
		if ((size_t)snprintf(names[n], IF_NAMESIZE, "%s.%u", ifaces[i].name, vid) >= IF_NAMESIZE) {
			lb_error("cannot add VLAN %u on %s: name too long", vid, ifaces[i].name);
			continue;
		}
		rc = nl_vlan_add(ifaces[i].index, names[n], vid);
		if (rc < 0 && rc != -EEXIST) {
			lb_error("cannot add VLAN %u on %s: %s", vid, ifaces[i].name, strerror(-rc));
			continue;
		}
		lb_log("VLAN %u on %s is %s", vid, ifaces[i].name, names[n]);
		n++;
	}
	nifaces = iface_list(ifaces, NET_MAX_IFACES);
	for (i = 0; i < nifaces; i++) {
		chosen[i] = carrier[i] = 0;
		for (k = 0; k < n; k++) {
			if (strcmp(ifaces[i].name, names[k]) == 0) {
				chosen[i] = 1;
				iface_link_up(&ifaces[i]);
				carrier[i] = 1;
			}
		}
	}
	return n;
}

static int first_set(const int v[])
{
	int i;

	for (i = 0; i < nifaces; i++) {
		if (v[i]) {
			return i;
		}
	}
	return -1;
}

/* Before the links go up: off turns IPv6 off on them; static keeps
 * SLAAC from adding a second address the session is not bound to
 * (router advertisements still give routes). A kernel without IPv6 has
 * no /proc/sys/net/ipv6: nothing to do then. */
static void ipv6_prepare(const struct config *cfg, const int chosen[])
{
	const char *key = cfg->ip6.method == IP6CONF_OFF ? "disable_ipv6" : "autoconf";
	int i, rc;

	if (cfg->ip6.method == IP6CONF_AUTO) {
		return;
	}
	for (i = 0; i < nifaces; i++) {
		if (chosen[i] && (rc = iface_ipv6_conf(ifaces[i].name, key, cfg->ip6.method == IP6CONF_OFF ? "1" : "0")) < 0 &&
		    rc != -ENOENT) {
			lb_error("cannot set IPv6 %s on %s: %s", key, ifaces[i].name, strerror(-rc));
		}
	}
}

static int configure_static6(const struct config *cfg, const struct iface *ifc)
{
	const struct ip6conf *c = &cfg->ip6;
	int rc = configure_family(ifc, AF_INET6, &c->addr, c->prefix, c->have_gateway ? &c->gateway : NULL);

	if (rc < 0) {
		return rc;
	}
	/* with a static IPv4 DNS server, configure_static wrote both */
	if (c->have_dns && !(cfg->have_ip && cfg->ip.method == IPCONF_STATIC && cfg->ip.ndns > 0) &&
	    (rc = iface_write_resolv(NULL, 0, &c->dns)) < 0) {
		lb_error("cannot write /etc/resolv.conf: %s", strerror(-rc));
	}
	return 0;
}


/* After carrier: the static address, or DHCPv6 on the links; SLAAC runs
 * by itself. Returns 1 when IPv6 may bring an address. */
static int ipv6_setup(const struct config *cfg, const int on[])
{
	int i;

	if (access("/proc/net/if_inet6", F_OK) != 0) {
		if (cfg->ip6.method == IP6CONF_STATIC) {
			lb_error("cannot configure " LB_KARG_IP6 ": this kernel has no IPv6");
		}
		return 0;
	}
	switch (cfg->ip6.method) {
	case IP6CONF_OFF:
		lb_log(LB_KARG_IP6 "=off: no IPv6");
		return 0;
	case IP6CONF_STATIC:
		i = first_set(on);
		return i >= 0 && configure_static6(cfg, &ifaces[i]) == 0;
	case IP6CONF_AUTO:
		dhcp6_auto = 1;
		for (i = 0; i < nifaces; i++) {
			if (on[i]) {
				start_dhcp6(i);
			}
		}
		return 1;
	}
	return 0;
}

int netpolicy_setup(const struct config *cfg)
{
	int chosen[NET_MAX_IFACES] = { 0 }, carrier[NET_MAX_IFACES] = { 0 };
	int all[NET_MAX_IFACES] = { 0 };
	int i, rc, nchosen, v4_off = cfg->have_ip && cfg->ip.method == IPCONF_OFF, v6 = 0;
	const int *on = NULL;

	mkdir(LEASE_DIR, 0755);
	if (v4_off && cfg->ip6.method == IP6CONF_OFF) {
		lb_log("ip=off and " LB_KARG_IP6 "=off: leaving the network unconfigured");
		return 0;
	}
	if (list_ifaces(cfg->carrier_timeout) <= 0) {
		lb_error("cannot find any Ethernet interface: no network");
		return -ENODEV;
	}
	nchosen = select_ifaces(cfg, chosen);
	if (cfg->mtu != 0) {
		set_mtu(chosen, cfg->mtu);
	}
	ipv6_prepare(cfg, chosen);
	links_up(chosen);
	if (wait_carrier(chosen, carrier, cfg->carrier_timeout) == 0) {
		lb_error("cannot see carrier on the chosen interfaces within %u s", cfg->carrier_timeout);
	}
	if (cfg->vlan != 0 && make_vlans(cfg->vlan, chosen, carrier) == 0) {
		lb_log("no VLAN link could be made: falling back to DHCP on every link");
		nchosen = 0;
	}
	on = first_set(carrier) >= 0 ? carrier : chosen;
	if (!(cfg->vlan != 0 && nchosen == 0)) {
		if (cfg->vlan != 0) {
			ipv6_prepare(cfg, chosen); /* the VLAN links are new */
		}
		v6 = ipv6_setup(cfg, on);
	}
	if (v4_off) {
		lb_log("ip=off: no IPv4");
		rc = v6 ? wait_address(on, cfg->dhcp_timeout, 1) : -ENETUNREACH;
		if (rc < 0) {
			lb_error("cannot get an IPv6 address within %u s", cfg->dhcp_timeout);
		}
		return rc < 0 ? rc : 0;
	}
	if (cfg->vlan != 0 && nchosen == 0) {
		/* straight to the fallback below */
		rc = -ENODEV;
	} else if (cfg->have_ip && cfg->ip.method == IPCONF_STATIC) {
		i = first_set(carrier);
		if (i < 0) {
			i = first_set(chosen);
		}
		rc = configure_static(cfg, &ifaces[i]);
		if (rc == 0) {
			return 0;
		}
		lb_log("static configuration failed: falling back to DHCP on every link");
	} else {
		rc = run_dhcp(on, cfg->dhcp_timeout, v6);
		if (rc == 0) {
			return 0;
		}
		if (cfg->vlan == 0 && nchosen == nifaces && first_set(carrier) < 0) {
			return rc; /* DHCP already runs on every link */
		}
		lb_log("falling back to DHCP on every link");
	}
	for (i = 0; i < nifaces; i++) {
		all[i] = 1;
	}
	links_up(all);
	return run_dhcp(all, cfg->dhcp_timeout, v6);
}
