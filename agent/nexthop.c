/* /proc/net/route and /proc/net/arp (nexthop.h). Hand-written: a static
 * PID 1 has no libnl, and the two formats are a dozen lines each. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nexthop.h"

#define RTF_UP_ 0x0001
#define RTF_GATEWAY_ 0x0002
#define ATF_COM_ 0x02 /* a complete entry */

int nexthop_route(FILE *route, struct in_addr dst, struct in_addr *hop, char ifname[16])
{
	char line[256], name[16];
	unsigned int d, g, flags, refcnt, use, metric, mask, best_metric = 0;
	int best_len = -1, rows = 0;

	if (fgets(line, sizeof(line), route) == NULL || strncmp(line, "Iface", 5) != 0) {
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), route) != NULL) {
		int len;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...: the
		 * addresses in hex as the kernel holds them (network order) */
		if (sscanf(line, "%15s %x %x %x %u %u %u %x", name, &d, &g, &flags, &refcnt, &use, &metric, &mask) != 8) {
			return -EINVAL;
		}
		rows++;
		if (!(flags & RTF_UP_) || (dst.s_addr & mask) != d) {
			continue;
		}
		len = __builtin_popcount(mask);
		if (len > best_len || (len == best_len && metric < best_metric)) {
			best_len = len;
			best_metric = metric;
			hop->s_addr = (flags & RTF_GATEWAY_) ? g : dst.s_addr;
			snprintf(ifname, 16, "%s", name);
		}
	}
	return best_len >= 0 ? 0 : -ENOENT;
}

int nexthop_arp(FILE *arp, struct in_addr hop, uint8_t mac[6])
{
	char line[256], ip[64], hw[32], dev[32];
	unsigned int type, flags, m[6];
	struct in_addr a;

	if (fgets(line, sizeof(line), arp) == NULL || strncmp(line, "IP address", 10) != 0) {
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), arp) != NULL) {
		int i;

		/* IP address  HW type  Flags  HW address  Mask  Device */
		if (sscanf(line, "%63s %x %x %31s %*s %31s", ip, &type, &flags, hw, dev) != 5) {
			return -EINVAL;
		}
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr != hop.s_addr || !(flags & ATF_COM_)) {
			continue;
		}
		if (sscanf(hw, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
			return -EINVAL;
		}
		for (i = 0; i < 6; i++) {
			mac[i] = (uint8_t)m[i];
		}
		return 0;
	}
	return -ENOENT;
}
