/* The agent's small-file I/O (fileio.c): whole reads with the truncation
 * said, and atomic replacement: a reader sees the old file or the new
 * one, a failed or abandoned write leaves the old one and no temporary. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"

static char dir[64], path[128], tmp[140];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lifeboat-test-fileio.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(tmp, sizeof(tmp), "%s/f.tmp", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void test_read_whole_and_truncated(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	assert_int_equal(fileio_write_atomic(path, "1234567", 0644), 0);
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(fileio_write_atomic(path, "12345678", 0644), 0);
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), -EFBIG);
	assert_string_equal(buf, "1234567"); /* the start, terminated */
	assert_int_equal(fileio_read(path, buf, 0), -EINVAL);
}

static void test_replacement_is_atomic_with_its_mode(void **state)
{
	struct atomic_file af;
	struct stat st;
	char buf[32];

	(void)state;
	assert_int_equal(fileio_write_atomic(path, "old\n", 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fileio_atomic_open(&af, path, 0600), 0);
	fputs("new\n", af.f);
	/* until the commit, readers see the old file */
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "old\n");
	assert_int_equal(fileio_atomic_commit(&af), 0);
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "new\n");
	assert_int_equal(access(tmp, F_OK), -1);
}

static void test_abort_keeps_the_old_file(void **state)
{
	struct atomic_file af;
	char buf[32];

	(void)state;
	assert_int_equal(fileio_write_atomic(path, "kept", 0644), 0);
	assert_int_equal(fileio_atomic_open(&af, path, 0644), 0);
	fputs("half", af.f);
	fileio_atomic_abort(&af);
	assert_int_equal(fileio_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "kept");
	assert_int_equal(access(tmp, F_OK), -1);
}

static void test_a_directory_that_is_not_there(void **state)
{
	(void)state;
	assert_int_equal(fileio_write_atomic("/nonexistent/dir/f", "x", 0644), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_whole_and_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replacement_is_atomic_with_its_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_keeps_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_directory_that_is_not_there, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
