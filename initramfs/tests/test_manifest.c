#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static int parse_text(const char *text, struct manifest *m, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = manifest_parse(f, "test.manifest", m, err, errlen);
	fclose(f);
	return rc;
}

static void test_every_gen_init_cpio_type(void **state)
{
	struct manifest m = { 0 };
	char err[512] = "";

	setenv("LB_TEST_DIR", "/opt/x", 1);
	assert_int_equal(parse_text("# comment\n"
				    "\n"
				    "dir /dev 755 0 0\n"
				    "nod /dev/console 0600 0 0 c 5 1\n"
				    "file /init ${LB_TEST_DIR}/init 0755 0 0 /linuxrc /sbin/init\n"
				    "slink /bin/sh busybox 777 0 0\n"
				    "pipe /run/fifo 644 1 2\n"
				    "sock /run/sock 600 0 0\n"
				    "bin /usr/sbin/e2fsck /usr/sbin/e2fsck\n"
				    "bin /usr/bin/x /opt/x 0700 5 6\n"
				    "tree / /src/rootfs\n"
				    "tree /etc/ssl /src/ssl 3 4\n",
				    &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 10);
	assert_int_equal(m.v[0].type, M_DIR);
	assert_string_equal(m.v[0].path, "dev");
	assert_int_equal(m.v[0].mode, 0755);
	assert_int_equal(m.v[0].line, 3);
	assert_int_equal(m.v[1].type, M_NOD);
	assert_int_equal(m.v[1].devtype, 'c');
	assert_int_equal(m.v[1].major, 5);
	assert_int_equal(m.v[1].minor, 1);
	assert_string_equal(m.v[2].source, "/opt/x/init");
	assert_int_equal(m.v[2].nlinks, 2);
	assert_string_equal(m.v[2].links[1], "sbin/init");
	assert_string_equal(m.v[3].source, "busybox");
	assert_int_equal(m.v[4].uid, 1);
	assert_int_equal(m.v[4].gid, 2);
	assert_int_equal(m.v[5].type, M_SOCK);
	assert_int_equal(m.v[6].type, M_BIN);
	assert_int_equal(m.v[6].have_mode, 0);
	assert_int_equal(m.v[7].mode, 0700);
	assert_int_equal(m.v[7].gid, 6);
	assert_int_equal(m.v[8].type, M_TREE);
	assert_string_equal(m.v[8].path, "");
	assert_int_equal(m.v[9].uid, 3);
	manifest_free(&m);
}

static void test_paths_normalised(void **state)
{
	char out[64], err[128];

	assert_int_equal(manifest_normalise_path("//usr/./bin//x/", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "usr/bin/x");
	assert_int_equal(manifest_normalise_path("etc", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "etc");
	assert_int_equal(manifest_normalise_path("/a/../../etc/passwd", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "escapes with '..'"));
	assert_int_equal(manifest_normalise_path("/", out, sizeof(out), err, sizeof(err)), -EINVAL);
}

static void check_error(const char *text, const char *expect)
{
	struct manifest m = { 0 };
	char err[512] = "";

	assert_int_equal(parse_text(text, &m, err, sizeof(err)) < 0, 1);
	if (strstr(err, expect) == NULL) {
		fail_msg("for %s: error '%s' lacks '%s'", text, err, expect);
	}
	manifest_free(&m);
}

static void test_errors_name_file_and_line(void **state)
{
	unsetenv("LB_UNSET_VARIABLE");
	check_error("dir /a 755 0 0\nfiel /x /y 644 0 0\n", "test.manifest:2: unknown type 'fiel'");
	check_error("file /x /y 644 0\n", "test.manifest:1: file needs 5 fields: file <name> <location> <mode> <uid> <gid>");
	check_error("dir /x 0999 0 0\n", ":1: bad mode '0999'");
	check_error("dir /x 17777 0 0\n", "bad mode '17777': want octal permission bits, at most 7777");
	check_error("dir /x -755 0 0\n", "bad mode '-755'");
	check_error("dir /x 755 -1 0\n", "bad uid '-1'");
	check_error("dir /x 755 0 4294967296\n", "bad gid '4294967296'");
	check_error("\n\nfile /../etc/passwd /y 644 0 0\n", "test.manifest:3: path '/../etc/passwd' escapes with '..'");
	check_error("slink /a/../../b x 777 0 0\n", "escapes with '..'");
	check_error("file /x /y 644 0 0 /../z\n", "escapes with '..'");
	check_error("nod /dev/x 600 0 0 x 1 1\n", "bad device type 'x': want c or b");
	check_error("nod /dev/x 600 0 0 b 99999 1\n", "bad major '99999'");
	check_error("file /x ${LB_UNSET_VARIABLE}/y 644 0 0\n", "variable ${LB_UNSET_VARIABLE} in '${LB_UNSET_VARIABLE}/y' is not set");
	check_error("file /x ${}/y 644 0 0\n", "bad variable reference");
	check_error("bin /x /y 755 0\n", "bin takes <name> <location> [<mode> <uid> <gid>]");
	check_error("dir /x\x01 755 0 0\n", "control character 0x01");
	check_error("dir / 755 0 0\n", "names the root itself");
}

static void test_long_line_rejected(void **state)
{
	char *text = malloc(10000);

	memset(text, 'a', 9998);
	memcpy(text, "dir /", 5);
	text[9998] = '\n';
	text[9999] = '\0';
	check_error(text, "test.manifest:1: line is longer than 4095 bytes");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_gen_init_cpio_type),
		cmocka_unit_test(test_paths_normalised),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_long_line_rejected),
	};
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
