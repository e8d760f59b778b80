#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "core/range.h"

static void ok(const char *h, uint64_t size, uint64_t a, uint64_t b)
{
	uint64_t s = 99, e = 99;

	if (range_parse(h, size, &s, &e) != 1 || s != a || e != b) {
		fail_msg("%s of %llu: got %llu-%llu", h, (unsigned long long)size, (unsigned long long)s,
			 (unsigned long long)e);
	}
}

static void rc(const char *h, uint64_t size, int want)
{
	uint64_t s = 0, e = 0;

	if (range_parse(h, size, &s, &e) != want) {
		fail_msg("%s of %llu: want %d", h ? h : "(none)", (unsigned long long)size, want);
	}
}

static void test_ranges(void **state)
{
	ok("bytes=0-99", 1000, 0, 99);
	ok("bytes=100-199", 1000, 100, 199);
	ok("bytes=990-", 1000, 990, 999);
	ok("bytes=-10", 1000, 990, 999);
	ok("bytes=-5000", 1000, 0, 999);    /* suffix longer than the file: all of it */
	ok("bytes=900-5000", 1000, 900, 999); /* end clipped */
	rc("bytes=1000-", 1000, -1);         /* starts past the end: 416 */
	rc("bytes=-0", 1000, -1);
	rc("bytes=0-", 0, -1);
	rc(NULL, 1000, 0);                   /* no header: the whole file */
	rc("bytes=0-1,5-6", 1000, 0);        /* several ranges: ignored */
	rc("items=0-1", 1000, 0);
	rc("bytes=5-1", 1000, 0);
	rc("bytes=+5-10", 1000, 0);          /* strtoull would take the sign */
	rc("bytes= 5-10", 1000, 0);
	rc("bytes=5-10x", 1000, 0);
	rc("bytes=-", 1000, 0);
	rc("bytes=99999999999999999999-", 1000, 0); /* overflow */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
	};
	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
