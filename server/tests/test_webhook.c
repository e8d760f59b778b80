/* core/webhook.c: names, the filter, the body, the signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "core/webhook.h"

static void test_names(void **state)
{
	char n[32];

	(void)state;
	webhook_event_name("phase", "network-up -> ssh-ready, reported from 10.0.0.5", n, sizeof(n));
	assert_string_equal(n, "ssh-ready");
	webhook_event_name("phase", "booted, reported from 10.0.0.5", n, sizeof(n));
	assert_string_equal(n, "booted");
	webhook_event_name("conflict", "boot request from 10.0.0.9 while bound to 10.0.0.5", n, sizeof(n));
	assert_string_equal(n, "conflict");
}

static void test_the_filter_takes_whole_words(void **state)
{
	(void)state;
	assert_true(webhook_wanted("ssh-ready conflict", "conflict"));
	assert_true(webhook_wanted("  ssh-ready   conflict ", "ssh-ready"));
	assert_false(webhook_wanted("ssh-ready conflict", "ssh"));
	assert_false(webhook_wanted("tools-ready", "tools"));
	assert_false(webhook_wanted("", "conflict"));
	assert_false(webhook_wanted("conflict", ""));
}

static void test_the_body_is_json_with_every_field(void **state)
{
	struct webhook_event e = { .id = "1-2-3", .event = "ssh-ready", .kind = "phase", .mac = "52:54:00:12:34:56",
				   .time = 1700000000, .text = "a \"quoted\" -> ssh-ready" };
	char out[1024];
	json_object *o = NULL, *v = NULL;

	(void)state;
	assert_true(webhook_body(&e, "https://boot.example", out, sizeof(out)) > 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "text", &v));
	assert_string_equal(json_object_get_string(v), e.text);
	assert_true(json_object_object_get_ex(o, "time", &v));
	assert_int_equal(json_object_get_int64(v), 1700000000);
	assert_true(json_object_object_get_ex(o, "server", &v));
	json_object_put(o);
	assert_int_equal(webhook_body(&e, "https://boot.example", out, 20), -ENOSPC);
}

static void test_the_signature_is_hmac_sha256_of_timestamp_dot_body(void **state)
{
	char sig[WEBHOOK_SIG_LEN + 1];

	(void)state;
	/* python3: hmac.new(b'key', b'1700000000.{}', hashlib.sha256).hexdigest() */
	webhook_sign((const unsigned char *)"key", 3, 1700000000, "{}", 2, sig);
	assert_string_equal(sig, "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
	webhook_sign((const unsigned char *)"key", 3, 1700000001, "{}", 2, sig);
	assert_string_not_equal(sig, "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_the_filter_takes_whole_words),
		cmocka_unit_test(test_the_body_is_json_with_every_field),
		cmocka_unit_test(test_the_signature_is_hmac_sha256_of_timestamp_dot_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
