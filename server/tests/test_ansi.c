/* core/ansi.c: a console's bytes stored, and shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/ansi.h"

static void strips(const char *in, const char *want)
{
	char out[256];

	ansi_strip(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_control_sequences_are_left_out(void **state)
{
	(void)state;
	strips("\x1b[1;31mred\x1b[0m text", "red text");
	strips("\x1b[2J\x1b[Hcleared", "cleared");
	strips("\x1b]0;title\x07" "after", "after");
	strips("\x1b]2;title\x1b\\after", "after");
	strips("\x1b" "cx", "x");
	strips("a\rb\bc\td", "abc\td");
	strips("caf\xc3\xa9", "caf\xc3\xa9");
	strips("bad \xff\xfe byte", "bad ?? byte");
	strips("cut \xe2\x82", "cut ??");
}

static void test_stored_lines_keep_escapes_and_escape_the_rest(void **state)
{
	char out[256];

	(void)state;
	console_line_clean("\x1b[1mbold\x1b[0m\x01\xff", sizeof("\x1b[1mbold\x1b[0m\x01\xff") - 1, out, sizeof(out));
	assert_string_equal(out, "\x1b[1mbold\x1b[0m\\x01\\xff");
	console_line_clean("a\0b", 3, out, sizeof(out));
	assert_string_equal(out, "a\\x00b");
	/* bounded: what does not fit is left out whole */
	console_line_clean("\xff\xff\xff", 3, out, 9);
	assert_string_equal(out, "\\xff\\xff");
}

static void test_stored_text_shows_line_by_line(void **state)
{
	const char in[] = "2026-12-03 10:00:00.000 \x1b[1mone\x1b[0m\n2026-12-03 10:00:01.000 two\n";
	char out[256];

	(void)state;
	console_text(in, sizeof(in) - 1, out, sizeof(out));
	assert_string_equal(out, "2026-12-03 10:00:00.000 one\n2026-12-03 10:00:01.000 two\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_sequences_are_left_out),
		cmocka_unit_test(test_stored_lines_keep_escapes_and_escape_the_rest),
		cmocka_unit_test(test_stored_text_shows_line_by_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
