#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "status.h"

static json_object *parse(const char *s, char *err)
{
	return status_parse(s, strlen(s), err, 256);
}

static void test_valid(void **state)
{
	char err[256];
	json_object *o = parse("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":3,\"phase\":\"ssh-ready\","
			       "\"inventory\":{\"disks\":[]}}", err);

	assert_non_null(o);
	json_object_put(o);
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
	bad("{\"format\":\"other\",\"version\":1,\"seq\":1,\"phase\":\"booted\"}", "format is not");
	bad("{\"format\":\"lifeboat-status\",\"version\":2,\"seq\":1,\"phase\":\"booted\"}", "version is not 1");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":1,\"phase\":\"pwned\"}", "phase is not one of");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"phase\":\"booted\"}", "seq is missing");
	bad("{\"format\":\"lifeboat-status\",\"version\":1,\"seq\":1,\"phase\":\"booted\",\"x\":\"\xff\"}", "malformed JSON");
	bad("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "malformed JSON");
	big = malloc(STATUS_MAX_BYTES + 2);
	memset(big, ' ', STATUS_MAX_BYTES + 1);
	big[STATUS_MAX_BYTES + 1] = '\0';
	bad(big, "larger than");
	free(big);
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
