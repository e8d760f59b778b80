/* core/media.c and script_media_args: the session's ISO without I/O but
 * a memory FILE. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/media.h"
#include "core/script.h"

#define MARK LB_MEDIA_MARK

static void test_the_token_is_derived_one_way_and_well_formed(void **state)
{
	char a[LB_TOKEN_LEN + 1], b[LB_TOKEN_LEN + 1], c[LB_TOKEN_LEN + 1], h[65];

	(void)state;
	media_token("KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY01", a);
	media_token("KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY01", b);
	media_token("KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY02", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), LB_TOKEN_LEN);
	assert_int_equal(strspn(a, LB_TOKEN_CHARS), LB_TOKEN_LEN);
	/* not the key, nor the hash lifeboatd stores of it */
	token_hash("KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY01", h);
	assert_null(strstr(h, a));
	assert_string_not_equal(a, "KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY01");
}

/* size bytes of 'x' with regions (MARK and pad '#') at the offsets */
static char *image(size_t size, const size_t *offs, size_t n, size_t pad)
{
	char *b = malloc(size);
	size_t i;

	memset(b, 'x', size);
	for (i = 0; i < n; i++) {
		memcpy(b + offs[i], MARK, strlen(MARK));
		memset(b + offs[i] + strlen(MARK), '#', pad);
	}
	return b;
}

static void test_regions_are_found_across_blocks(void **state)
{
	/* one straddles the scanner's 64 KiB block, one at the very end */
	size_t size = 300000, pad = 100, offs[] = { 65536 - 10, 131072 - 3, 300000 - strlen(MARK) - 100 };
	char *b = image(size, offs, 3, pad);
	struct media_iso m;
	FILE *f = fmemopen(b, size, "rb");
	size_t i;

	(void)state;
	assert_int_equal(media_iso_scan(f, &m), 0);
	fclose(f);
	assert_int_equal(m.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(m.off[i], offs[i]);
	}
	assert_int_equal(m.len, strlen(MARK) + pad);
	free(b);
}

static void test_the_shortest_region_counts_and_none_is_an_error(void **state)
{
	size_t offs[] = { 100, 5000 };
	char *b = image(10000, offs, 2, 200), *plain = NULL;
	struct media_iso m;
	FILE *f = NULL;

	(void)state;
	b[5000 + strlen(MARK) + 50] = 'y'; /* the second one: 50 '#' */
	f = fmemopen(b, 10000, "rb");
	assert_int_equal(media_iso_scan(f, &m), 0);
	fclose(f);
	assert_int_equal(m.len, strlen(MARK) + 50);
	plain = calloc(1, 4096);
	memset(plain, 'x', 4096);
	f = fmemopen(plain, 4096, "rb");
	assert_int_equal(media_iso_scan(f, &m), -ENOENT);
	fclose(f);
	free(plain);
	free(b);
}

static void test_more_regions_than_kept_are_refused(void **state)
{
	size_t offs[MEDIA_REGIONS_MAX + 1], i;
	char *b = NULL;
	struct media_iso m;
	FILE *f = NULL;

	(void)state;
	for (i = 0; i <= MEDIA_REGIONS_MAX; i++) {
		offs[i] = 1000 * i;
	}
	b = image(10000, offs, MEDIA_REGIONS_MAX + 1, 10);
	f = fmemopen(b, 10000, "rb");
	assert_int_equal(media_iso_scan(f, &m), -E2BIG);
	fclose(f);
	free(b);
}

/* Overlaying any piece equals overlaying the whole and cutting it. */
static void test_any_range_gets_the_same_bytes(void **state)
{
	size_t offs[] = { 1000, 3000 }, size = 5000, pad = 300, a, len;
	char *b = image(size, offs, 2, pad), *whole = malloc(size), *piece = malloc(size);
	const char *args = "BOOTIF=01-52-54-00-12-34-56 lifeboat.token=abc";
	struct media_iso m;
	FILE *f = fmemopen(b, size, "rb");

	(void)state;
	assert_int_equal(media_iso_scan(f, &m), 0);
	fclose(f);
	memcpy(whole, b, size);
	media_iso_overlay(&m, args, 0, whole, size);
	assert_memory_equal(whole + 1000, args, strlen(args));
	assert_int_equal(whole[1000 + strlen(args)], ' ');
	assert_int_equal(whole[1000 + m.len - 1], ' ');
	assert_int_equal(whole[1000 + m.len], 'x');
	assert_int_equal(whole[999], 'x');
	assert_memory_equal(whole + 3000, args, strlen(args));
	for (a = 0; a < size; a += 37) {
		for (len = 1; a + len <= size; len += 211) {
			memcpy(piece, b + a, len);
			media_iso_overlay(&m, args, a, piece, len);
			if (memcmp(piece, whole + a, len) != 0) {
				fail_msg("the piece %zu+%zu differs", a, len);
			}
		}
	}
	free(b);
	free(whole);
	free(piece);
}

static void test_media_refusals_name_the_reason(void **state)
{
	struct session s = { .state = SS_ACTIVE, .id = 7, .expires = 2000 };
	char h[65];
	json_object *m = json_object_new_object();

	(void)state;
	token_hash("the-key", h);
	json_object_object_add(m, "key_sha256", json_object_new_string(h));
	json_object_object_add(m, "session", json_object_new_int64(7));
	json_object_object_add(m, "state", json_object_new_string("inserted"));
	json_object_object_add(m, "expires", json_object_new_int64(1500));
	assert_null(media_refusal(m, &s, "the-key", 1000));
	assert_string_equal(media_refusal(m, &s, "the-kez", 1000), "no such rescue ISO");
	assert_string_equal(media_refusal(NULL, &s, "the-key", 1000), "no such rescue ISO");
	assert_string_equal(media_refusal(m, &s, "the-key", 1500), "its time is up");
	s.id = 8;
	assert_string_equal(media_refusal(m, &s, "the-key", 1000), "its rescue session ended");
	s.id = 7;
	s.expires = 900;
	assert_string_equal(media_refusal(m, &s, "the-key", 1000), "its rescue session ended");
	s.expires = 2000;
	json_object_object_add(m, "state", json_object_new_string("ejected"));
	assert_string_equal(media_refusal(m, &s, "the-key", 1000), "it was ejected");
	json_object_object_add(m, "state", json_object_new_string("failed"));
	assert_string_equal(media_refusal(m, &s, "the-key", 1000), "it was never inserted");
	json_object_put(m);
}

static void test_media_args_are_the_scripts_and_checked(void **state)
{
	struct agent_args a = { .mac = "52:54:00:12:34:56", .ip = "ip=dhcp", .ip6 = "lifeboat.ip6=auto",
				.public_url = "https://10.0.2.2:8443", .tls_pin = "sha256:abcd",
				.payload_url = "https://10.0.2.2:8443/payload", .token = "TOKEN", .extra_args = "panic=-1",
				.heartbeat = 5, .bound = NULL };
	char out[1024], err[200];
	int n;

	(void)state;
	n = script_media_args(&a, out, sizeof(out), err, sizeof(err));
	assert_true(n > 0);
	assert_string_equal(out, "panic=-1 BOOTIF=01-52-54-00-12-34-56 ip=dhcp lifeboat.ip6=auto "
				 "lifeboat.server=https://10.0.2.2:8443 lifeboat.token=TOKEN "
				 "lifeboat.keys=https://10.0.2.2:8443/api/v1/keys/52:54:00:12:34:56 lifeboat.heartbeat=5 "
				 "lifeboat.toolbox=https://10.0.2.2:8443/payload/toolbox.squashfs lifeboat.tlspin=sha256:abcd");
	a.extra_args = "a\"b";
	assert_int_equal(script_media_args(&a, out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "kernel arguments"));
	a.extra_args = "";
	a.token = "x$y";
	assert_int_equal(script_media_args(&a, out, sizeof(out), err, sizeof(err)), -EINVAL);
	a.token = "TOKEN";
	assert_int_equal(script_media_args(&a, out, 40, err, sizeof(err)), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_token_is_derived_one_way_and_well_formed),
		cmocka_unit_test(test_regions_are_found_across_blocks),
		cmocka_unit_test(test_the_shortest_region_counts_and_none_is_an_error),
		cmocka_unit_test(test_more_regions_than_kept_are_refused),
		cmocka_unit_test(test_any_range_gets_the_same_bytes),
		cmocka_unit_test(test_media_refusals_name_the_reason),
		cmocka_unit_test(test_media_args_are_the_scripts_and_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
