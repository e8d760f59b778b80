#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "json.h"

static const char *finish(struct json *j)
{
	const char *text = NULL;
	size_t len = 0;

	assert_int_equal(json_result(j, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_structure_and_commas(void **state)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_kv_string(&j, "a", "x");
	json_kv_int(&j, "b", -5);
	json_kv_uint(&j, "c", 18446744073709551615ull);
	json_kv_bool(&j, "d", 1);
	json_key(&j, "e");
	json_array_begin(&j);
	json_int(&j, 1);
	json_null(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_array_end(&j);
	json_kv_string(&j, "f", NULL);
	json_key(&j, "g");
	json_double(&j, 1.5, 2);
	json_object_end(&j);
	assert_string_equal(finish(&j),
			    "{\"a\":\"x\",\"b\":-5,\"c\":18446744073709551615,\"d\":true,\"e\":[1,null,{},[]],"
			    "\"f\":null,\"g\":1.50}");
	json_free(&j);
}

static void test_escaping(void **state)
{
	struct json j;

	json_init(&j);
	json_array_begin(&j);
	json_string(&j, "quote\" backslash\\ slash/");
	json_string(&j, "nl\n cr\r tab\t");
	json_string(&j, "ctl\x01\x1f del\x7f");
	json_string(&j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\x9f");   /* valid UTF-8 kept */
	json_string(&j, "bad\xff end\xc3");                               /* invalid bytes */
	json_string(&j, "overlong\xc0\xaf surrogate\xed\xa0\x80");
	json_string_n(&j, "nul\0in", 6);
	json_array_end(&j);
	assert_string_equal(finish(&j),
			    "[\"quote\\\" backslash\\\\ slash/\","
			    "\"nl\\n cr\\r tab\\t\","
			    "\"ctl\\u0001\\u001f del\\u007f\","
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\x9f\","
			    "\"bad\\ufffd end\\ufffd\","
			    "\"overlong\\ufffd\\ufffd surrogate\\ufffd\\ufffd\\ufffd\","
			    "\"nul\\u0000in\"]");
	json_free(&j);
}

static void test_key_escaped_and_injection_impossible(void **state)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_kv_string(&j, "k\"ey", "\",\"phase\":\"ssh-ready");
	json_object_end(&j);
	assert_string_equal(finish(&j), "{\"k\\\"ey\":\"\\\",\\\"phase\\\":\\\"ssh-ready\"}");
	json_free(&j);
}

static void test_misuse_detected(void **state)
{
	struct json j;
	const char *text = NULL;
	size_t len = 0;

	json_init(&j);
	json_object_begin(&j);
	assert_int_equal(json_result(&j, &text, &len), -EINVAL); /* unclosed */
	json_free(&j);
	json_init(&j);
	json_object_end(&j);
	assert_int_equal(json_result(&j, &text, &len), -EINVAL); /* closed too often */
	json_free(&j);
	json_init(&j);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++) {
		json_array_begin(&j);
	}
	assert_int_equal(json_result(&j, &text, &len), -EINVAL); /* too deep */
	json_free(&j);
}

static void test_nan_is_null(void **state)
{
	struct json j;
	volatile double zero = 0.0;

	json_init(&j);
	json_array_begin(&j);
	json_double(&j, zero / zero, 2);
	json_double(&j, 1e308 * 10, 2);
	json_array_end(&j);
	assert_string_equal(finish(&j), "[null,null]");
	json_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure_and_commas),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_key_escaped_and_injection_impossible),
		cmocka_unit_test(test_misuse_detected),
		cmocka_unit_test(test_nan_is_null),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
