#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/hostdoc.h"
#include "core/report.h"
#include "core/schema.h"

static json_object *parse(const char *s, char *err)
{
	return report_parse(s, strlen(s), err, 256);
}

static void test_valid(void **state)
{
	char err[256];
	json_object *o = parse("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":3,\"phase\":\"ssh-ready\","
			       "\"inventory\":{\"disks\":[]}}", err);

	assert_non_null(o);
	json_object_put(o);
	/* the toolbox's phases, its state line */
	o = parse("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":4,\"phase\":\"tools-failed\","
		  "\"tools\":\"failed: refusing the toolbox from http://x/t: its SHA-256 is 00\"}", err);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "tools")),
			    "failed: refusing the toolbox from http://x/t: its SHA-256 is 00");
	json_object_put(o);
	assert_true(lb_phase_ssh_up("ssh-ready") && lb_phase_ssh_up("tools-ready") &&
		    lb_phase_ssh_up("tools-failed"));
	assert_false(lb_phase_ssh_up("network-up") || lb_phase_ssh_up("error") ||
		     lb_phase_ssh_up("shutting-down") || lb_phase_ssh_up(""));
}

static void bad(const char *s, const char *expect)
{
	char err[256] = "";
	json_object *o = parse(s, err);

	if (o != NULL) {
		json_object_put(o);
		fail_msg("accepted: %s", s);
	}
	if (strstr(err, expect) == NULL) {
		fail_msg("'%s' lacks '%s'", err, expect);
	}
}

static void test_invalid(void **state)
{
	char *big = NULL;

	bad("", "empty body");
	bad("{", "malformed JSON");
	bad("{\"format\":\"lifeboat-status\"} x", "malformed JSON");
	bad("[1,2]", "not a JSON object");
	bad("{\"format\":\"other\",\"version\":1,\"seq\":1,\"phase\":\"booted\"}", "format: not \"lifeboat-status\"");
	bad("{\"format\":\"lifeboat-status\",\"version\":2,\"seq\":1,\"phase\":\"booted\"}", "version: 2 is out of range 1 to 1");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":1,\"phase\":\"pwned\"}", "phase: not one of");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"phase\":\"booted\"}", "seq: missing");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":1,\"phase\":\"booted\",\"x\":\"\xff\"}", "malformed JSON");
	bad("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "malformed JSON");
	big = malloc(LB_REPORT_MAX_BYTES + 2);
	memset(big, ' ', LB_REPORT_MAX_BYTES + 1);
	big[LB_REPORT_MAX_BYTES + 1] = '\0';
	bad(big, "larger than");
	free(big);
}

#define HEAD "{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":3,\"phase\":\"ssh-ready\","

/* Every member is checked by type and bounds: what used to be stored and
 * then crashed the page (issue: "interfaces": {} and friends). */
static void test_structure(void **state)
{
	char err[256];
	json_object *o = NULL;

	bad(HEAD "\"interfaces\":{}}", "interfaces: not an array");
	bad(HEAD "\"interfaces\":[{\"name\":\"eth0\",\"ipv4\":[null]}]}", "interfaces[0].ipv4[0]: null, want a string");
	bad(HEAD "\"ssh\":{\"host_keys\":\"x\"}}", "ssh.host_keys: not an array");
	bad(HEAD "\"inventory\":{\"disks\":5}}", "inventory.disks: not an array");
	bad(HEAD "\"interfaces\":[{\"name\":\"eth0\",\"ipv4\":[\"10.0.0.1\"]}]}", "not an IPv4 address/prefix");
	bad(HEAD "\"interfaces\":[{\"ipv4\":[]}]}", "interfaces[0].name: missing");
	bad(HEAD "\"ssh\":{\"host_keys\":[{\"type\":\"ssh-ed25519\",\"key\":\"AA AA\",\"fingerprint\":\"SHA256:x\"}]}}",
	    "ssh.host_keys[0].key: not base64");
	bad(HEAD "\"hostname\":\"a\\nb\"}", "hostname: not text");
	bad(HEAD "\"inventory\":{\"memory_bytes\":-1}}", "inventory.memory_bytes: -1 is out of range");
	bad(HEAD "\"history\":[{\"phase\":\"x\"}]}", "history[0].phase: not a phase");
	/* nulls where the wire format allows them; unknown members dropped */
	o = parse(HEAD "\"error\":null,\"boot_mac\":null,\"later\":{\"x\":1},"
		  "\"interfaces\":[{\"name\":\"eth0\",\"speed_mbps\":null,\"ipv4\":[\"10.0.0.1/24\"]}]}", err);
	assert_non_null(o);
	assert_false(json_object_object_get_ex(o, "later", NULL));
	assert_true(json_object_object_get_ex(o, "error", NULL));
	json_object_put(o);
}

/* Readers take what they can from a hostile or hand-edited host file and
 * name what they skipped. */
static void test_host_file_lenient(void **state)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *raw = json_tokener_parse(
		"{\"mac\":\"52:54:00:12:34:56\",\"policy\":\"rescue\",\"phase\":7,"
		"\"report\":{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":1,\"phase\":\"booted\","
		"\"interfaces\":{},\"ssh\":{\"host_keys\":\"x\"},\"inventory\":{\"disks\":[5,{\"name\":\"sda\"}]}},"
		"\"session\":{\"state\":\"active\",\"bound\":\"1.2.3.4\",\"token_sha256\":\"nothex\"}}");
	json_object *h = hostdoc_clean(raw, &sk), *disks = NULL;

	assert_non_null(h);
	assert_string_equal(jstr(h, "policy"), "rescue");
	assert_null(jget(h, "phase"));
	assert_null(jget(jget(h, "report"), "interfaces"));
	disks = jget(jget(jget(h, "report"), "inventory"), "disks");
	assert_int_equal(json_object_array_length(disks), 1);
	assert_string_equal(jstr(jget(h, "session"), "bound"), "1.2.3.4");
	assert_string_equal(jstr(jget(h, "session"), "token_sha256"), "");
	assert_int_equal(sk.count, 5);
	assert_non_null(strstr(sk.text, "phase (not a string)"));
	assert_non_null(strstr(sk.text, "report.interfaces (not an array)"));
	assert_non_null(strstr(sk.text, "report.ssh.host_keys (not an array)"));
	assert_non_null(strstr(sk.text, "report.inventory.disks[0] (not an object)"));
	assert_non_null(strstr(sk.text, "session.token_sha256 (not a SHA-256 in hex)"));
	json_object_put(h);
	json_object_put(raw);
	/* no valid mac: nothing */
	raw = json_tokener_parse("{\"mac\":5}");
	memset(&sk, 0, sizeof(sk));
	assert_null(hostdoc_clean(raw, &sk));
	assert_non_null(strstr(sk.text, "mac (not a string)"));
	json_object_put(raw);
	raw = json_tokener_parse("[]");
	assert_null(hostdoc_clean(raw, &sk));
	json_object_put(raw);
}

static void conf_bad(const char *text, const char *expect)
{
	struct conf c = conf_defaults;
	char err[512] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_int_equal(conf_parse_file(f, "l.conf", &c, err, sizeof(err)) < 0, 1);
	fclose(f);
	if (strstr(err, expect) == NULL) {
		fail_msg("'%s' lacks '%s'", err, expect);
	}
}

static void test_config(void **state)
{
	const char *text = "# lifeboatd\nlisten = 0.0.0.0\nport=9000\n  nat = yes\npublic_url = http://boot.example/\n";
	struct conf c = conf_defaults;
	char err[512];
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_int_equal(conf_parse_file(f, "l.conf", &c, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(conf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "0.0.0.0");
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.nat, 1);
	assert_string_equal(c.public_url, "http://boot.example");
	assert_string_equal(c.payload_url, "http://boot.example/payload");
	conf_bad("\n\nport = 0\n", "l.conf:3: port: '0' is not a number from 1 to 65535");
	conf_bad("colour = red\n", "l.conf:1: unknown setting 'colour'");
	conf_bad("listen\n", "l.conf:1: want 'key = value'");
	conf_bad("kernel_args = quiet ${x}\n", "cannot go into an iPXE script");
	conf_bad("public_url = ftp://x\n", "is not an http:// or https:// URL");
	conf_bad("default_policy = maybe\n", "'maybe' is not normal or rescue");
	conf_bad("session_timeout = 0\n", "session_timeout: '0' is not a number from 1 to 2678400");
	conf_bad("max_per_address = 0\n", "max_per_address: '0' is not a number from 1 to 100000");
	conf_bad("listen = [2001:db8::5\n", "'[2001:db8::5' is not an IPv4 or IPv6 address");
	conf_bad("listen = fe80::1%eth0\n", "is not an IPv4 or IPv6 address");
	/* an IPv6 listen address, in brackets or not: kept bare, bracketed in URLs */
	{
		const char *v6 = "listen = [2001:db8::5]\nport = 8080\n";
		struct conf c6 = conf_defaults;

		f = fmemopen((void *)v6, strlen(v6), "r");
		assert_int_equal(conf_parse_file(f, "l.conf", &c6, err, sizeof(err)), 0);
		fclose(f);
		assert_int_equal(conf_finish(&c6, err, sizeof(err)), 0);
		assert_string_equal(c6.listen, "2001:db8::5");
		assert_string_equal(c6.public_url, "http://[2001:db8::5]:8080");
		assert_non_null(strstr(c6.admin_hosts, "[2001:db8::5]"));
	}
}

/* What a console takes from a keyboard, and what a text field takes. */
static void test_keys_and_text(void **state)
{
	(void)state;
	assert_true(schema_keys("ls -l\r\x03\x1b[A~.\t"));
	assert_true(schema_keys("caf\xc3\xa9\n"));
	assert_false(schema_keys("bad \xff"));
	assert_false(schema_keys("\xc2\x85")); /* a C1 control (NEL) */
	assert_false(schema_keys("\xed\xa0\x80")); /* a surrogate */
	assert_true(schema_text("caf\xc3\xa9"));
	assert_false(schema_text("two\nlines"));
	assert_false(schema_text("\x1b[2J"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_text),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_host_file_lenient),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
