/* core/sse.c: the live console's events, written and read back in any
 * pieces, and the standard's corner cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/sse.h"

struct got {
	char text[4096];
	long long ids[16];
	size_t lens[16];
	char last[16];
	int n;
};

static int take(const char *data, long long id, void *ctx)
{
	struct got *g = ctx;

	snprintf(g->text + strlen(g->text), sizeof(g->text) - strlen(g->text), "[%s]", data);
	g->lens[g->n % 16] = strlen(data);
	snprintf(g->last, sizeof(g->last), "%s", data);
	g->ids[g->n++ % 16] = id;
	return 0;
}

static void feed_bytewise(const char *in, struct got *g)
{
	struct sse s;
	size_t i;

	sse_init(&s);
	for (i = 0; in[i] != '\0'; i++) {
		assert_int_equal(sse_feed(&s, in + i, 1, take, g), 0);
	}
}

static void test_events_written_are_read_back_in_any_pieces(void **state)
{
	char stream[512];
	size_t n = 0;
	struct got whole = { .n = 0 }, bytes = { .n = 0 };
	struct sse s;

	(void)state;
	n += sse_event(stream + n, sizeof(stream) - n, 7, "Linux version 6.1");
	memcpy(stream + n, SSE_HEARTBEAT, strlen(SSE_HEARTBEAT));
	n += strlen(SSE_HEARTBEAT);
	n += sse_event(stream + n, sizeof(stream) - n, 8, "two\r\nlines: kept one");
	n += sse_event(stream + n, sizeof(stream) - n, -1, "");
	stream[n] = '\0';
	assert_string_equal(stream, "id: 7\ndata: Linux version 6.1\n\n: lifeboatd\n\nid: 8\ndata: two  lines: kept "
				    "one\n\ndata: \n\n");
	sse_init(&s);
	assert_int_equal(sse_feed(&s, stream, n, take, &whole), 0);
	feed_bytewise(stream, &bytes);
	assert_string_equal(whole.text, "[Linux version 6.1][two  lines: kept one][]");
	assert_string_equal(bytes.text, whole.text);
	assert_int_equal(whole.n, 3);
	assert_true(whole.ids[0] == 7 && whole.ids[1] == 8 && whole.ids[2] == 8); /* the last id stays */
}

static void test_the_standards_corner_cases(void **state)
{
	struct got g = { .n = 0 };

	(void)state;
	/* CR and CRLF end lines too; two data lines join with LF; no space
	 * after the colon; a field without a colon; unknown fields and
	 * comments skipped; an event without data is not dispatched; a bad
	 * id is ignored */
	feed_bytewise("data:a\r\ndata: b\r\rdata\n\nevent: x\nretry: 5\n: hi\nid: 3\n\nid: x\ndata:  two\n\n", &g);
	assert_string_equal(g.text, "[a\nb][][ two]");
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ids[2], 3);
}

static void test_what_does_not_fit(void **state)
{
	char small[16], big[SSE_DATA_MAX + 200];
	struct got g = { .n = 0 };
	struct sse s;

	(void)state;
	assert_int_equal(sse_event(small, sizeof(small), 1, "far too long for this"), 0);
	/* a longer event's data is cut at SSE_DATA_MAX, and the next is whole */
	memset(big, 'x', sizeof(big));
	memcpy(big, "data: ", 6);
	memcpy(big + sizeof(big) - 14, "\n\ndata: ok\n\n", 12);
	sse_init(&s);
	assert_int_equal(sse_feed(&s, big, sizeof(big) - 2, take, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.lens[0], SSE_DATA_MAX);
	assert_int_equal(g.lens[1], 2);
	assert_string_equal(g.last, "ok");
}

static int stop_at_first(const char *data, long long id, void *ctx)
{
	(void)data;
	(void)id;
	(*(int *)ctx)++;
	return -42;
}

static void test_a_callback_stops_the_feed(void **state)
{
	struct sse s;
	int calls = 0;

	(void)state;
	sse_init(&s);
	assert_int_equal(sse_feed(&s, "data: a\n\ndata: b\n\n", 18, stop_at_first, &calls), -42);
	assert_int_equal(calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_written_are_read_back_in_any_pieces),
		cmocka_unit_test(test_the_standards_corner_cases),
		cmocka_unit_test(test_what_does_not_fit),
		cmocka_unit_test(test_a_callback_stops_the_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
