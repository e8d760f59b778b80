/* nexthop.c on the kernel's own /proc/net/route and /proc/net/arp text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nexthop.h"

/* as a machine with a default route, its own /24, and a /28 on a VLAN
 * prints them (the addresses in the kernel's byte order) */
static const char ROUTE[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	"eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	"eth0.7\t1009A8C0\t00000000\t0001\t0\t0\t0\tF0FFFFFF\t0\t0\t0\n"
	"eth1\t00000000\t0103000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";

static const char ARP[] =
	"IP address       HW type     Flags       HW address            Mask     Device\n"
	"10.0.2.1         0x1         0x2         52:55:0a:00:02:01     *        eth0\n"
	"10.0.2.9         0x1         0x0         00:00:00:00:00:00     *        eth0\n"
	"192.168.9.17     0x1         0x2         0a:0b:0c:0d:0e:0f     *        eth0.7\n";

static int route_of(const char *text, const char *dst, char hop[16], char ifname[16])
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct in_addr d, h;
	int rc;

	inet_pton(AF_INET, dst, &d);
	rc = nexthop_route(f, d, &h, ifname);
	fclose(f);
	inet_ntop(AF_INET, &h, hop, 16);
	return rc;
}

static void test_the_longest_prefix_then_the_lowest_metric(void **state)
{
	char hop[16], ifname[16];

	(void)state;
	assert_int_equal(route_of(ROUTE, "10.0.2.2", hop, ifname), 0);
	assert_string_equal(hop, "10.0.2.2"); /* on-link: itself */
	assert_string_equal(ifname, "eth0");
	assert_int_equal(route_of(ROUTE, "198.51.100.7", hop, ifname), 0);
	assert_string_equal(hop, "10.0.2.1"); /* the default of metric 0, not 100 */
	assert_string_equal(ifname, "eth0");
	assert_int_equal(route_of(ROUTE, "192.168.9.20", hop, ifname), 0);
	assert_string_equal(hop, "192.168.9.20");
	assert_string_equal(ifname, "eth0.7");
	assert_int_equal(route_of("Iface\tDestination\n", "10.0.2.2", hop, ifname), -ENOENT);
	assert_int_equal(route_of("garbage\n", "10.0.2.2", hop, ifname), -EINVAL);
	assert_int_equal(route_of("Iface\nbad line\n", "10.0.2.2", hop, ifname), -EINVAL);
}

static int mac_of(const char *text, const char *ip, uint8_t mac[6])
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct in_addr a;
	int rc;

	inet_pton(AF_INET, ip, &a);
	rc = nexthop_arp(f, a, mac);
	fclose(f);
	return rc;
}

static void test_complete_arp_entries_only(void **state)
{
	uint8_t mac[6];
	const uint8_t want[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x01 };

	(void)state;
	assert_int_equal(mac_of(ARP, "10.0.2.1", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_of(ARP, "10.0.2.9", mac), -ENOENT); /* incomplete */
	assert_int_equal(mac_of(ARP, "10.0.2.99", mac), -ENOENT);
	assert_int_equal(mac_of("no header\n", "10.0.2.1", mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_longest_prefix_then_the_lowest_metric),
		cmocka_unit_test(test_complete_arp_entries_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
