#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ipconf.h"

static const char *ntoa(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static void test_full_static(void **state)
{
	struct ipconf ic;

	assert_int_equal(ipconf_parse("10.0.0.5:10.0.0.1:10.0.0.254:255.255.255.0:rescue1:eth1:off:1.1.1.1:9.9.9.9:10.0.0.2",
				      &ic, NULL, 0), 0);
	assert_int_equal(ic.method, IPCONF_STATIC);
	assert_string_equal(ntoa(ic.client), "10.0.0.5");
	assert_string_equal(ntoa(ic.server), "10.0.0.1");
	assert_string_equal(ntoa(ic.gateway), "10.0.0.254");
	assert_int_equal(ic.prefix, 24);
	assert_string_equal(ic.hostname, "rescue1");
	assert_string_equal(ic.device, "eth1");
	assert_int_equal(ic.ndns, 2);
	assert_string_equal(ntoa(ic.dns[1]), "9.9.9.9");
	assert_string_equal(ntoa(ic.ntp), "10.0.0.2");
}

static void test_client_only_is_static_with_classful_mask(void **state)
{
	struct ipconf ic;

	assert_int_equal(ipconf_parse("172.16.1.2::::::", &ic, NULL, 0), 0);
	assert_int_equal(ic.method, IPCONF_STATIC);
	assert_int_equal(ic.prefix, 16);
}

static void test_keywords(void **state)
{
	static const struct { const char *v; enum ipconf_method m; } cases[] = {
		{ "dhcp", IPCONF_DHCP }, { "on", IPCONF_DHCP }, { "any", IPCONF_DHCP },
		{ "bootp", IPCONF_DHCP }, { "off", IPCONF_OFF }, { "none", IPCONF_OFF },
		{ ":::::eth0:dhcp", IPCONF_DHCP }, { ":::::eth0:", IPCONF_DHCP },
		{ ":::::eth0:off", IPCONF_OFF },
		{ "10.0.0.5:::255.0.0.0::eth0:dhcp", IPCONF_DHCP },
	};
	struct ipconf ic;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ipconf_parse(cases[i].v, &ic, NULL, 0), 0);
		assert_int_equal(ic.method, cases[i].m);
	}
}

static void check_error(const char *val, const char *expect)
{
	struct ipconf ic;
	char err[256] = "";

	assert_int_equal(ipconf_parse(val, &ic, err, sizeof(err)), -EINVAL);
	if (strstr(err, expect) == NULL) {
		fail_msg("ip=%s: error '%s' lacks '%s'", val, err, expect);
	}
}

static void test_errors_name_the_field(void **state)
{
	check_error("10.0.0.300", "field 1 (client-ip): '10.0.0.300' is not an IPv4 address");
	check_error("10.0.0.5::10.0.0.x", "field 3 (gw-ip)");
	check_error("10.0.0.5:::255.0.255.0", "field 4 (netmask): '255.0.255.0' is not a contiguous netmask");
	check_error("10.0.0.5::::bad_host!", "field 5 (hostname)");
	check_error("10.0.0.5:::::eth/0", "field 6 (device)");
	check_error("10.0.0.5::::::sometimes", "field 7 (autoconf): 'sometimes'");
	check_error("10.0.0.5:::::::1.2.3", "field 8 (dns0-ip)");
	check_error("1:2:3:4:5:6:7:8:9:10:11", "too many fields");
	check_error("dhcpp", "field 1 (client-ip): 'dhcpp'");
	check_error("10.0.0.5:::0.0.0.0", "/0 netmask");
}

static void test_mask_to_prefix(void **state)
{
	struct in_addr m;

	inet_pton(AF_INET, "255.255.255.252", &m);
	assert_int_equal(ipconf_mask_to_prefix(m), 30);
	inet_pton(AF_INET, "255.255.255.255", &m);
	assert_int_equal(ipconf_mask_to_prefix(m), 32);
	inet_pton(AF_INET, "255.255.0.255", &m);
	assert_int_equal(ipconf_mask_to_prefix(m), -EINVAL);
}

static void test_bootif(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t mac[6];
	char err[128] = "";

	assert_int_equal(bootif_parse("01-52-54-00-ab-cd-ef", mac, NULL, 0), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(bootif_parse("01-52-54-00-AB-CD-EF", mac, NULL, 0), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(bootif_parse("52:54:00:ab:cd:ef", mac, NULL, 0), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(bootif_parse("06-52-54-00-ab-cd-ef", mac, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not Ethernet"));
	assert_int_equal(bootif_parse("01-52-54-00-ab", mac, NULL, 0), -EINVAL);
	assert_int_equal(bootif_parse("01-52-54-00-ab-cd-eg", mac, NULL, 0), -EINVAL);
	assert_int_equal(bootif_parse("01-52:54-00-ab-cd-ef", mac, NULL, 0), -EINVAL);
	assert_int_equal(bootif_parse("", mac, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_static),
		cmocka_unit_test(test_client_only_is_static_with_classful_mask),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_errors_name_the_field),
		cmocka_unit_test(test_mask_to_prefix),
		cmocka_unit_test(test_bootif),
	};
	return cmocka_run_group_tests_name("ipconf", tests, NULL, NULL);
}
