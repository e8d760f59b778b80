/* netconsole through configfs (netconsole.h): the kernel's
 * Documentation/networking/netconsole.rst, "Dynamic reconfiguration". The
 * target is the address lifeboatd's reports go to; the source is the
 * address and interface the kernel picks for it (a connected UDP socket
 * says which); the next hop's MAC comes from the neighbour table, filled
 * by a datagram sent first. Never the broadcast MAC netconsole defaults
 * to: every machine of the segment would get the kernel's lines. IPv4
 * only (the neighbour of an IPv6 route is not looked up here). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "netconsole.h"
#include "nexthop.h"

#define CONFIGFS "/sys/kernel/config"
#define TARGET CONFIGFS "/netconsole/lifeboat"

static int put(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), TARGET "/%s", name);
	return fileio_put(path, value);
}

/* The interface that has IPv4 address a. */
static int iface_of(struct in_addr a, char ifname[IF_NAMESIZE])
{
	struct ifaddrs *all = NULL, *i = NULL;
	int rc = -ENOENT;

	if (getifaddrs(&all) < 0) {
		return -errno;
	}
	for (i = all; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET) {
			continue;
		}
		if (((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == a.s_addr) {
			snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
			rc = 0;
			break;
		}
	}
	freeifaddrs(all);
	return rc;
}

/* IPv4: the next hop's MAC, asked for with a first datagram when the
 * neighbour table does not have it yet. 0 or -errno (-ENOENT: no answer
 * within a second). */
static int next_hop_mac(struct in_addr dst, char mac[18])
{
	struct in_addr hop;
	char dev[16];
	uint8_t m[6];
	int tries, rc = -ENOENT;

	for (tries = 0; tries < 10 && rc < 0; tries++) {
		FILE *route = fopen("/proc/net/route", "re"), *arp = NULL;

		rc = route != NULL ? nexthop_route(route, dst, &hop, dev) : -errno;
		if (route != NULL) {
			fclose(route);
		}
		if (rc < 0) {
			return rc;
		}
		arp = fopen("/proc/net/arp", "re");
		rc = arp != NULL ? nexthop_arp(arp, hop, m) : -errno;
		if (arp != NULL) {
			fclose(arp);
		}
		if (rc < 0) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (rc == 0) {
		snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	return rc;
}

int netconsole_setup(const struct url *u, unsigned int port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_in local, *dst = NULL;
	socklen_t llen = sizeof(local);
	char service[8], remote[INET_ADDRSTRLEN], source[INET_ADDRSTRLEN], ifname[IF_NAMESIZE], mac[18], num[8];
	int fd = -1, rc;

	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(u->host, service, &hints, &ai);
	if (rc != 0) {
		lb_err(err, errlen, "%s has no IPv4 address (%s): netconsole is set up for IPv4 only", u->host,
		       gai_strerror(rc));
		return -EAFNOSUPPORT;
	}
	dst = (struct sockaddr_in *)ai->ai_addr;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &llen) < 0) {
		rc = -errno;
		lb_err(err, errlen, "no route to %s: %s", u->host, strerror(-rc));
		goto err_route;
	}
	/* one datagram: the neighbour table learns the next hop, and
	 * lifeboatd sees where the lines will come from */
	send(fd, "lifeboat: netconsole\n", 21, MSG_DONTWAIT);
	inet_ntop(AF_INET, &local.sin_addr, source, sizeof(source));
	inet_ntop(AF_INET, &dst->sin_addr, remote, sizeof(remote));
	rc = iface_of(local.sin_addr, ifname);
	if (rc < 0) {
		lb_err(err, errlen, "cannot tell the interface of %s: %s", source, strerror(-rc));
		goto err_route;
	}
	rc = next_hop_mac(dst->sin_addr, mac);
	if (rc < 0) {
		lb_err(err, errlen, "no neighbour entry for the next hop to %s: %s (the kernel's lines are not broadcast)",
		       remote, strerror(-rc));
		goto err_route;
	}
	if (mount("configfs", CONFIGFS, "configfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY) {
		rc = -errno;
		lb_err(err, errlen, "cannot mount configfs on " CONFIGFS ": %s", strerror(-rc));
		goto err_route;
	}
	if (mkdir(TARGET, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		lb_err(err, errlen, "cannot make " TARGET ": %s (has the kernel netconsole?)", strerror(-rc));
		goto err_route;
	}
	snprintf(num, sizeof(num), "%u", port);
	if ((rc = put("dev_name", ifname)) < 0 || (rc = put("local_ip", source)) < 0 ||
	    (rc = put("remote_ip", remote)) < 0 || (rc = put("remote_port", num)) < 0 ||
	    (rc = put("remote_mac", mac)) < 0 || (rc = put("enabled", "1")) < 0) {
		lb_err(err, errlen, "cannot set up netconsole through " TARGET ": %s", strerror(-rc));
		goto err_route;
	}
	lb_log("netconsole: the kernel's console lines go to %s:%u from %s on %s (next hop %s)", remote, port, source,
	       ifname, mac);
	rc = 0;
err_route:
	if (fd >= 0) {
		close(fd);
	}
	freeaddrinfo(ai);
	return rc;
}
