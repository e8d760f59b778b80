#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cmdline.h"

static const char *val_of(const struct cmdline *cl, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < cl->count; i++) {
		if (strcmp(cl->args[i].key, key) == 0) {
			v = cl->args[i].val;
		}
	}
	return v;
}

static void test_plain_words(void **state)
{
	struct cmdline cl;

	assert_int_equal(cmdline_parse("  console=ttyS0 quiet  ip=dhcp\n", &cl, NULL, 0), 0);
	assert_int_equal(cl.count, 3);
	assert_string_equal(cl.args[0].key, "console");
	assert_string_equal(cl.args[0].val, "ttyS0");
	assert_string_equal(cl.args[1].key, "quiet");
	assert_null(cl.args[1].val);
	assert_string_equal(val_of(&cl, "ip"), "dhcp");
	cmdline_free(&cl);
}

static void test_quoted_value(void **state)
{
	struct cmdline cl;

	assert_int_equal(cmdline_parse("a=1 lifeboat.sshkey=\"ssh-ed25519 AAAAC3 me@host\" b=2",
				       &cl, NULL, 0), 0);
	assert_int_equal(cl.count, 3);
	assert_string_equal(val_of(&cl, "lifeboat.sshkey"), "ssh-ed25519 AAAAC3 me@host");
	assert_string_equal(val_of(&cl, "b"), "2");
	cmdline_free(&cl);
}

static void test_quoted_whole_word(void **state)
{
	struct cmdline cl;

	assert_int_equal(cmdline_parse("\"k=v w\" x", &cl, NULL, 0), 0);
	assert_int_equal(cl.count, 2);
	assert_string_equal(cl.args[0].key, "k");
	assert_string_equal(cl.args[0].val, "v w");
	assert_string_equal(cl.args[1].key, "x");
	cmdline_free(&cl);
}

static void test_empty_value_and_equals_in_value(void **state)
{
	struct cmdline cl;

	assert_int_equal(cmdline_parse("k= u=http://h/?a=b", &cl, NULL, 0), 0);
	assert_string_equal(val_of(&cl, "k"), "");
	assert_string_equal(val_of(&cl, "u"), "http://h/?a=b");
	cmdline_free(&cl);
}

static void test_unterminated_quote(void **state)
{
	struct cmdline cl;
	char err[128] = "";

	assert_int_equal(cmdline_parse("a=1 b=\"x y", &cl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unterminated double quote at offset 6"));
	/* still split as the kernel would: a=1 survives */
	assert_string_equal(val_of(&cl, "a"), "1");
	cmdline_free(&cl);
}

static void test_empty(void **state)
{
	struct cmdline cl;

	assert_int_equal(cmdline_parse("", &cl, NULL, 0), 0);
	assert_int_equal(cl.count, 0);
	cmdline_free(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words),
		cmocka_unit_test(test_quoted_value),
		cmocka_unit_test(test_quoted_whole_word),
		cmocka_unit_test(test_empty_value_and_equals_in_value),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
