#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "ip6conf.h"
#include "iface.h"
#include "netlink.h"

static int read_sysfs(const char *ifname, const char *attr, char *buf, size_t len)
{
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	rc = fileio_read(path, buf, len);
	if (rc < 0 && rc != -EFBIG) {
		return rc;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0' ? 0 : -ENODATA;
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct iface *)a)->name, ((const struct iface *)b)->name);
}

int iface_list(struct iface *out, int max)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e = NULL;
	int n = 0;

	if (d == NULL) {
		return -errno;
	}
	while ((e = readdir(d)) != NULL && n < max) {
		char buf[64];
		unsigned int m[6];
		struct iface *ifc = &out[n];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IF_NAMESIZE) {
			continue;
		}
		/* ARPHRD_ETHER only: skips lo, sit, tunnels */
		if (read_sysfs(e->d_name, "type", buf, sizeof(buf)) < 0 || strcmp(buf, "1") != 0) {
			continue;
		}
		if (read_sysfs(e->d_name, "address", buf, sizeof(buf)) < 0 ||
		    sscanf(buf, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
			continue;
		}
		strcpy(ifc->name, e->d_name);
		ifc->index = (int)if_nametoindex(e->d_name);
		for (int i = 0; i < 6; i++) {
			ifc->mac[i] = (uint8_t)m[i];
		}
		if (ifc->index > 0) {
			n++;
		}
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), cmp_iface);
	return n;
}

int iface_carrier(const char *ifname)
{
	char buf[8];
	int rc = read_sysfs(ifname, "carrier", buf, sizeof(buf));

	if (rc < 0) {
		return rc;
	}
	return strcmp(buf, "1") == 0;
}

int iface_link_up(const struct iface *ifc)
{
	return nl_link_up(ifc->index);
}

int iface_write_resolv(const struct in_addr *dns, unsigned int ndns, const struct in6_addr *dns6)
{
	char a[INET6_ADDRSTRLEN];
	struct atomic_file af;
	unsigned int i;
	int rc = fileio_atomic_open(&af, "/etc/resolv.conf", 0644);

	if (rc < 0) {
		return rc;
	}
	for (i = 0; i < ndns; i++) {
		fprintf(af.f, "nameserver %s\n", inet_ntop(AF_INET, &dns[i], a, sizeof(a)));
	}
	if (dns6 != NULL) {
		fprintf(af.f, "nameserver %s\n", inet_ntop(AF_INET6, dns6, a, sizeof(a)));
	}
	return fileio_atomic_commit(&af);
}

int iface_ipv6_conf(const char *ifname, const char *key, const char *value)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	return fileio_put(path, value);
}

int iface_ipv6_usable(const char *ifname, struct in6_addr *first)
{
	FILE *f = fopen("/proc/net/if_inet6", "re");
	int n;

	if (f == NULL) {
		return -errno; /* ENOENT: a kernel without IPv6 */
	}
	n = ip6_usable_count(f, ifname, first);
	fclose(f);
	return n;
}

const char *iface_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}
