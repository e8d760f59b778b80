/* lifeboatctl's option parser (lifeboatctl/options.c): one table per
 * command, numbers within bounds, lists, required options, positional
 * arguments mixed with options, "--" and what follows it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "lifeboatctl/attach.h"
#include "lifeboatctl/options.h"

struct args {
	int once;
	long long seconds;
	struct opt_list keys;
	const char *user;
};

static const struct opt table[] = {
	{ "--once", OPT_FLAG, offsetof(struct args, once), NULL, 0, 0, NULL, 0 },
	{ "--for", OPT_NUMBER, offsetof(struct args, seconds), "S", 1, 2678400, "seconds from 1 to 2678400", 0 },
	{ "--key", OPT_LIST, offsetof(struct args, keys), "FILE", 0, 0, NULL, 0 },
	{ "--user", OPT_STRING, offsetof(struct args, user), "U", 0, 0, NULL, OPT_REQUIRED },
	{ NULL, OPT_FLAG, 0, NULL, 0, 0, NULL, 0 },
};

static int parse(struct args *a, struct opt_rest *r, char *err, size_t errlen, int n, ...)
{
	char *argv[32];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		argv[i] = va_arg(ap, char *);
	}
	va_end(ap);
	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	return opt_parse(table, n, argv, a, 0, r, err, errlen);
}

static void test_options_and_positionals_mix(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, &r, err, sizeof(err), 8, "52:54:00:00:00:01", "--once", "--key", "a.pub", "--user",
			       "root", "--key", "b.pub"),
			 0);
	assert_int_equal(a.once, 1);
	assert_int_equal(a.seconds, 0);
	assert_int_equal(a.keys.n, 2);
	assert_string_equal(a.keys.v[1], "b.pub");
	assert_string_equal(a.user, "root");
	assert_int_equal(r.npos, 1);
	assert_string_equal(r.pos[0], "52:54:00:00:00:01");
	assert_int_equal(r.nrest, 0);
}

static void test_numbers_are_checked_whole_and_in_range(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "600", "--user", "u"), 0);
	assert_int_equal(a.seconds, 600);
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "0", "--user", "u"), -EINVAL);
	assert_string_equal(err, "cannot use --for '0': seconds from 1 to 2678400");
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "60s", "--user", "u"), -EINVAL);
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "", "--user", "u"), -EINVAL);
	/* strtoll would saturate: refused, not clamped */
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "99999999999999999999", "--user", "u"), -EINVAL);
	assert_int_equal(parse(&a, &r, err, sizeof(err), 4, "--for", "2678401", "--user", "u"), -EINVAL);
}

static void test_what_the_table_does_not_know_is_refused(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, &r, err, sizeof(err), 3, "--user", "u", "--bogus"), -EINVAL);
	assert_string_equal(err, "cannot use '--bogus': no such option here");
	assert_int_equal(parse(&a, &r, err, sizeof(err), 1, "--user"), -EINVAL);
	assert_string_equal(err, "cannot use --user: it needs a value (U)");
	assert_int_equal(parse(&a, &r, err, sizeof(err), 1, "--once"), -EINVAL);
	assert_string_equal(err, "needs --user");
}

static void test_dashdash_ends_the_options(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, &r, err, sizeof(err), 6, "host", "--user", "u", "--", "uname", "--once"), 0);
	assert_int_equal(a.once, 0);
	assert_int_equal(r.nrest, 2);
	assert_string_equal(r.rest[1], "--once");
}

static void test_a_list_is_bounded(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200], *argv[2 * (OPT_LIST_MAX + 1) + 2];
	int i, n = 0;

	(void)state;
	for (i = 0; i <= OPT_LIST_MAX; i++) {
		argv[n++] = "--key";
		argv[n++] = "k.pub";
	}
	argv[n++] = "--user";
	argv[n++] = "u";
	memset(&a, 0, sizeof(a));
	assert_int_equal(opt_parse(table, n, argv, &a, 0, &r, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "cannot use --key more than 16 times");
}

static void test_global_options_stop_at_the_command(void **state)
{
	struct args a;
	struct opt_rest r;
	char err[200], *argv[] = { "--user", "u", "rescue", "--once" };

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(opt_parse(table, 4, argv, &a, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(a.once, 0);
	assert_int_equal(r.nrest, 2);
	assert_string_equal(r.rest[0], "rescue");
}

static void test_durations_have_a_unit_and_a_bound(void **state)
{
	long long s = 0;

	(void)state;
	assert_int_equal(opt_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(opt_duration("10m", &s), 0);
	assert_int_equal(s, 600);
	assert_int_equal(opt_duration("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(opt_duration("1d", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(opt_duration("366d", &s), 0);
	assert_int_equal(opt_duration("367d", &s), -EINVAL);
	assert_int_equal(opt_duration("0", &s), -EINVAL);
	assert_int_equal(opt_duration("-5m", &s), -EINVAL);
	assert_int_equal(opt_duration("10x", &s), -EINVAL);
	assert_int_equal(opt_duration("10mm", &s), -EINVAL);
	assert_int_equal(opt_duration("m", &s), -EINVAL);
	assert_int_equal(opt_duration("99999999999999999999", &s), -EINVAL);
}

static void test_usage_comes_from_the_table(void **state)
{
	char line[200];

	(void)state;
	opt_usage(table, line, sizeof(line));
	assert_string_equal(line, "[--once] [--for S] [--key FILE]... --user U");
}

static void typed(struct escape *e, const char *in, const char *want, int want_leave)
{
	char out[64];
	int leave = -1;
	size_t n = escape_scan(e, in, strlen(in), out, &leave);

	out[n] = '\0';
	assert_string_equal(out, want);
	assert_int_equal(leave, want_leave);
}

/* console --write: "~." at a line's start leaves (as in ssh and
 * ipmitool), "~~" is one '~', a '~' elsewhere is a '~', and a '~' held
 * at the end of one read is decided by the next. */
static void test_the_escape_to_leave_a_console(void **state)
{
	struct escape e = { .line_start = 1 };

	(void)state;
	typed(&e, "ls ~/x\r", "ls ~/x\r", 0);
	typed(&e, "~~home\n", "~home\n", 0);
	typed(&e, "~x", "~x", 0);
	typed(&e, "a~.b\r", "a~.b\r", 0);
	typed(&e, "~", "", 0);
	typed(&e, "?", "~?", 0);
	typed(&e, "\r~", "\r", 0);
	typed(&e, ".", "", 1);
	e = (struct escape){ .line_start = 1 };
	typed(&e, "echo hi\r~.ignored", "echo hi\r", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_positionals_mix),
		cmocka_unit_test(test_numbers_are_checked_whole_and_in_range),
		cmocka_unit_test(test_what_the_table_does_not_know_is_refused),
		cmocka_unit_test(test_dashdash_ends_the_options),
		cmocka_unit_test(test_a_list_is_bounded),
		cmocka_unit_test(test_durations_have_a_unit_and_a_bound),
		cmocka_unit_test(test_global_options_stop_at_the_command),
		cmocka_unit_test(test_usage_comes_from_the_table),
		cmocka_unit_test(test_the_escape_to_leave_a_console),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
