/* kmsg.c: /dev/kmsg records as dmesg prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "kmsg.h"
#include "redact.h"

static void line(const char *rec, const char *want)
{
	char out[512];
	int n = kmsg_format(rec, strlen(rec), out, sizeof(out));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_records_become_dmesg_lines(void **state)
{
	(void)state;
	line("6,339,5140900,-;NET: Registered PF_PACKET protocol family\n",
	     "[    5.140900] NET: Registered PF_PACKET protocol family\n");
	/* continuation lines (dictionary) and a fourth field are left out */
	line("4,1,12345,-,caller=T1;e1000: eth0 NIC Link is Up\n SUBSYSTEM=net\n DEVICE=n2\n",
	     "[    0.012345] e1000: eth0 NIC Link is Up\n");
	line("15,900,123456789012,-;lifeboat: ready\n", "[123456.789012] lifeboat: ready\n");
	/* the kernel's escapes stay as they are */
	line("6,2,1,-;a\\x1bb\n", "[    0.000001] a\\x1bb\n");
	line("6,2,1,-;no newline", "[    0.000001] no newline\n");
}

static void test_what_is_not_a_record_is_refused(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(kmsg_format("no semicolon\n", 13, out, sizeof(out)), -EINVAL);
	assert_int_equal(kmsg_format("6,2;short\n", 10, out, sizeof(out)), -EINVAL);
	assert_int_equal(kmsg_format("x,2,3,-;text\n", 13, out, sizeof(out)), -EINVAL);
	assert_int_equal(kmsg_format("6,2,3x,-;text\n", 14, out, sizeof(out)), -EINVAL);
	assert_int_equal(kmsg_format("6,2,3,-;a long enough text to not fit\n", 38, out, 16), -ENOSPC);
}

static void test_tokens_are_blanked_out(void **state)
{
	char a[] = "[    0.000000] Kernel command line: console=ttyS0 lifeboat.token=AbC-123_x.~ BOOTIF=01-52\n";
	char b[] = "lifeboat.token=\"quoted\" lifeboat.token=last";
	char c[] = "lifeboat.token=";

	(void)state;
	lb_redact_token(a, strlen(a));
	assert_string_equal(a, "[    0.000000] Kernel command line: console=ttyS0 lifeboat.token=*********** BOOTIF=01-52\n");
	lb_redact_token(b, strlen(b));
	assert_string_equal(b, "lifeboat.token=\"quoted\" lifeboat.token=****");
	lb_redact_token(c, strlen(c));
	assert_string_equal(c, "lifeboat.token=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_become_dmesg_lines),
		cmocka_unit_test(test_what_is_not_a_record_is_refused),
		cmocka_unit_test(test_tokens_are_blanked_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
