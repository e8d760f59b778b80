/* lifeboat.ip6= and /proc/net/if_inet6, on the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ip6conf.h"

static const char *ntoa6(const struct in6_addr *a)
{
	static char buf[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, buf, sizeof(buf));
}

static void test_words(void **state)
{
	struct ip6conf c;

	assert_int_equal(ip6conf_parse("auto", &c, NULL, 0), 0);
	assert_int_equal(c.method, IP6CONF_AUTO);
	assert_int_equal(ip6conf_parse("off", &c, NULL, 0), 0);
	assert_int_equal(c.method, IP6CONF_OFF);
	assert_string_equal(ip6conf_method_name(IP6CONF_STATIC), "static");
}

static void test_static(void **state)
{
	struct ip6conf c;

	assert_int_equal(ip6conf_parse("2001:DB8::10/64", &c, NULL, 0), 0);
	assert_int_equal(c.method, IP6CONF_STATIC);
	assert_string_equal(ntoa6(&c.addr), "2001:db8::10");
	assert_int_equal(c.prefix, 64);
	assert_false(c.have_gateway);
	assert_false(c.have_dns);
	/* what lifeboatd writes from iPXE: the router's link-local address */
	assert_int_equal(ip6conf_parse("2001:db8::10/64,fe80::1", &c, NULL, 0), 0);
	assert_true(c.have_gateway);
	assert_string_equal(ntoa6(&c.gateway), "fe80::1");
	assert_int_equal(ip6conf_parse("2001:db8::10/64,,2001:db8::53", &c, NULL, 0), 0);
	assert_false(c.have_gateway);
	assert_true(c.have_dns);
	assert_string_equal(ntoa6(&c.dns), "2001:db8::53");
	assert_int_equal(ip6conf_parse("2001:db8::10/128,2001:db8::1,2001:db8::53", &c, NULL, 0), 0);
	assert_int_equal(c.prefix, 128);
}

static void bad(const char *val, const char *expect)
{
	struct ip6conf c;
	char err[256] = "";

	assert_int_equal(ip6conf_parse(val, &c, err, sizeof(err)), -EINVAL);
	if (strstr(err, expect) == NULL) {
		fail_msg("%s: '%s' lacks '%s'", val, err, expect);
	}
	assert_int_equal(c.method, IP6CONF_AUTO); /* nothing half-set */
}

static void test_errors_name_the_part(void **state)
{
	bad("", "is not auto, off or ADDRESS/PREFIX");
	bad("dhcp", "is not auto, off or ADDRESS/PREFIX");
	bad("2001:db8::10", "is not auto, off or ADDRESS/PREFIX");
	bad("2001:db8::10,/64", "is not auto, off");
	bad("10.0.0.1/24", "address '10.0.0.1' is not a unicast IPv6 address");
	bad("::/64", "is not a unicast IPv6 address");
	bad("::1/128", "is not a unicast IPv6 address");
	bad("ff02::1/64", "is not a unicast IPv6 address");
	bad("::ffff:10.0.0.1/96", "is not a unicast IPv6 address");
	bad("fe80::1%eth0/64", "is not a unicast IPv6 address");
	bad("[2001:db8::10]/64", "is not a unicast IPv6 address");
	bad("2001:db8::10/", "prefix length after '/' is missing");
	bad("2001:db8::10/0", "prefix length '0' is not 1-128");
	bad("2001:db8::10/129", "prefix length '129' is not 1-128");
	bad("2001:db8::10/64x", "prefix length '64x' is not 1-128");
	bad("2001:db8::10/64,gw", "gateway 'gw' is not a unicast IPv6 address");
	bad("2001:db8::10/64,fe80::1,dns", "DNS server 'dns' is not one IPv6 address");
	bad("2001:db8::10/64,fe80::1,2001:db8::53,x", "DNS server '2001:db8::53,x' is not one IPv6 address");
}

/* the argument table takes it; a bad one leaves the default (auto) */
static void report(const char *msg)
{
	(void)msg;
}

static void test_config(void **state)
{
	struct cmdline cl;
	struct config cfg;
	char line[] = "lifeboat.ip6=2001:db8::10/64,fe80::1 ip=off lifeboat.bound=2001:db8::10",
	     bad_line[] = "lifeboat.ip6=2001:db8::10 lifeboat.bound=2001:db8::10%eth0";
	char err[128];

	assert_int_equal(cmdline_parse(line, &cl, err, sizeof(err)), 0);
	assert_int_equal(config_from_cmdline(&cl, &cfg, report), 0);
	assert_int_equal(cfg.ip6.method, IP6CONF_STATIC);
	assert_int_equal(cfg.ip.method, IPCONF_OFF);
	assert_string_equal(cfg.bound, "2001:db8::10");
	cmdline_free(&cl);
	assert_int_equal(cmdline_parse(bad_line, &cl, err, sizeof(err)), 0);
	assert_int_equal(config_from_cmdline(&cl, &cfg, report), 2);
	assert_int_equal(cfg.ip6.method, IP6CONF_AUTO);
	assert_string_equal(cfg.bound, "");
	cmdline_free(&cl);
}

static int count(const char *text, const char *ifname, struct in6_addr *first)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n;

	assert_non_null(f);
	n = ip6_usable_count(f, ifname, first);
	fclose(f);
	return n;
}

static void test_if_inet6(void **state)
{
	/* global done with DAD; link-local; a tentative global one (DAD still
	 * running: the kernel will not send from it); loopback */
	const char *text = "fe800000000000005054fffffe123456 02 40 20 80     eth0\n"
			   "20010db8000000000000000000000011 02 40 00 40     eth0\n"
			   "20010db8000000000000000000000010 02 80 00 80     eth0\n"
			   "20010db8000000010000000000000010 03 40 00 00     eth1\n"
			   "00000000000000000000000000000001 01 80 10 80       lo\n";
	struct in6_addr first;

	assert_int_equal(count(text, "eth0", &first), 1);
	assert_string_equal(ntoa6(&first), "2001:db8::10");
	assert_int_equal(count(text, "eth1", NULL), 1);
	assert_int_equal(count(text, "lo", NULL), 0);
	assert_int_equal(count(text, "eth9", NULL), 0);
	assert_int_equal(count("", "eth0", NULL), 0);
	/* a DAD failure is no address either */
	assert_int_equal(count("20010db8000000000000000000000010 02 40 00 08 eth0\n", "eth0", NULL), 0);
	assert_int_equal(count("garbage\n", "eth0", NULL), -EINVAL);
	assert_int_equal(count("20010db800000000000000000000001g 02 40 00 00 eth0\n", "eth0", NULL), -EINVAL);
	assert_int_equal(count("20010db8 02 40 00 00 eth0\n", "eth0", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_errors_name_the_part),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_if_inet6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
