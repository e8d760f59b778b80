/* ELF closure on real binaries: a host binary from Debian (e2fsck, which
 * the rescue profile needs anyway) and fixtures from tests/fixtures.sh,
 * whose directory is in $LB_FIXTURES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfdeps.h"

static const char *fixture(const char *name)
{
	static char path[512];
	const char *dir = getenv("LB_FIXTURES");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const struct elf_dep *find_dest_suffix(const struct elf_deps *d, const char *suffix)
{
	for (size_t i = 0; i < d->n; i++) {
		size_t n = strlen(d->v[i].dest), s = strlen(suffix);

		if (n >= s && strcmp(d->v[i].dest + n - s, suffix) == 0) {
			return &d->v[i];
		}
	}
	return NULL;
}

static void test_host_binary_closure(void **state)
{
	struct elf_deps d = { 0 };
	char err[512] = "";

	assert_int_equal(elf_closure("/usr/sbin/e2fsck", &elf_search_host, &d, err, sizeof(err)), 0);
	/* the interpreter at its PT_INTERP path, first */
	assert_string_equal(d.v[0].dest, "/lib64/ld-linux-x86-64.so.2");
	assert_non_null(find_dest_suffix(&d, "/libc.so.6"));
	assert_non_null(find_dest_suffix(&d, "/libext2fs.so.2"));
	/* libcom_err comes from libext2fs, not e2fsck alone: closure is transitive */
	assert_non_null(find_dest_suffix(&d, "/libcom_err.so.2"));
	for (size_t i = 0; i < d.n; i++) {
		for (size_t j = i + 1; j < d.n; j++) {
			assert_string_not_equal(d.v[i].dest, d.v[j].dest);
		}
		assert_int_equal(d.v[i].src[0], '/'); /* symlinks resolved */
	}
	elf_deps_free(&d);
}

static void test_static_binary_needs_nothing(void **state)
{
	struct elf_deps d = { 0 };
	char err[512] = "";

	assert_int_equal(elf_closure(fixture("static"), &elf_search_host, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 0);
	elf_deps_free(&d);
}

static void test_runpath_origin(void **state)
{
	struct elf_deps d = { 0 };
	char err[512] = "", want[600];
	const struct elf_dep *fix = NULL;

	assert_int_equal(elf_closure(fixture("origin/prog"), &elf_search_host, &d, err, sizeof(err)), 0);
	fix = find_dest_suffix(&d, "/libfix.so");
	assert_non_null(fix);
	snprintf(want, sizeof(want), "%s", fixture("origin/lib/libfix.so"));
	assert_string_equal(fix->src, want);
	elf_deps_free(&d);
}

static void test_unresolvable_library(void **state)
{
	struct elf_deps d = { 0 };
	char err[512] = "";

	assert_int_equal(elf_closure(fixture("needs-missing"), &elf_search_host, &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot resolve library libmissing.so needed by"));
	assert_non_null(strstr(err, "needs-missing"));
	elf_deps_free(&d);
}

static void test_search_dirs_are_what_resolve(void **state)
{
	static const char *const none[] = { NULL };
	const struct elf_search empty = { .ldconf = NULL, .default_dirs = none };
	struct elf_deps d = { 0 };
	char err[512] = "";

	assert_int_equal(elf_closure("/usr/sbin/e2fsck", &empty, &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot resolve library"));
	elf_deps_free(&d);
}

static void test_not_elf(void **state)
{
	struct elf_deps d = { 0 };
	char err[512] = "";

	assert_int_equal(elf_is_elf("/etc/passwd"), 0);
	assert_int_equal(elf_is_elf("/usr/sbin/e2fsck"), 1);
	assert_int_equal(elf_closure("/etc/passwd", &elf_search_host, &d, err, sizeof(err)) < 0, 1);
	assert_non_null(strstr(err, "cannot read ELF headers of /etc/passwd"));
	elf_deps_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_binary_closure),
		cmocka_unit_test(test_static_binary_needs_nothing),
		cmocka_unit_test(test_runpath_origin),
		cmocka_unit_test(test_unresolvable_library),
		cmocka_unit_test(test_search_dirs_are_what_resolve),
		cmocka_unit_test(test_not_elf),
	};
	return cmocka_run_group_tests_name("elfdeps", tests, NULL, NULL);
}
