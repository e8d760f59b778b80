#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static void test_url_parse(void **state)
{
	struct url u;
	char err[256];

	assert_int_equal(url_parse("http://10.0.2.2:8080", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "10.0.2.2");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/");
	assert_int_equal(url_parse("http://boot.example.net/lifeboat/keys?mac=52:54", &u, err, sizeof(err)), 0);
	assert_string_equal(u.port, "80");
	assert_string_equal(u.path, "/lifeboat/keys?mac=52:54");
	assert_int_equal(u.tls, 0);
	assert_int_equal(url_parse("https://boot.example.net/", &u, err, sizeof(err)), 0);
	assert_int_equal(u.tls, 1);
	assert_string_equal(u.port, "443");
	assert_int_equal(url_parse("HTTPS://10.0.2.2:8443/x", &u, err, sizeof(err)), 0);
	assert_int_equal(u.tls, 1);
	assert_string_equal(u.port, "8443");
}

static void check_bad(const char *url, const char *expect)
{
	struct url u;
	char err[256] = "";

	assert_int_equal(url_parse(url, &u, err, sizeof(err)), -EINVAL);
	if (strstr(err, expect) == NULL) {
		fail_msg("%s: '%s' lacks '%s'", url, err, expect);
	}
}

static void test_url_rejects(void **state)
{
	check_bad("ftp://h/", "is not an http:// or https:// URL");
	check_bad("https:/h/", "is not an http:// or https:// URL");
	check_bad("https://:443/", "bad host");
	check_bad("http://:80/", "bad host");
	check_bad("http://h:0/", "port 0 is out of range");
	check_bad("http://h:99999/", "port 99999 is out of range");
	check_bad("http://h:8a/", "bad port");
	check_bad("http://user@h/", "bad character '@' in host");
	check_bad("http://h/a b", "bad character in path");
	check_bad("http://h/a\r\nX-Injected: 1", "bad character in path");
}

static int parse(const char *raw, struct http_response *r)
{
	size_t n = strlen(raw);
	char *copy = malloc(n + 1);
	int rc;

	memcpy(copy, raw, n + 1);
	rc = http_parse_response(copy, n, r);
	free(copy);
	return rc;
}

static void test_response_parse(void **state)
{
	static struct http_response r;

	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello");
	assert_int_equal(parse("HTTP/1.0 403 Forbidden\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 403);
	assert_int_equal(r.body_len, 0);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &r), 0);
	assert_string_equal(r.body, "hello world");
	/* what follows the announced length is not part of the body */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello", &r), 0);
	assert_string_equal(r.body, "he");
}

static void test_response_garbage(void **state)
{
	static struct http_response r;

	assert_int_equal(parse("", &r), -EPROTO);
	assert_int_equal(parse("SSH-2.0-OpenSSH_9\r\n", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 2000 OK\r\n\r\n", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nno end of headers", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffff\r\nshort", &r), -EPROTO);
	/* cut short (closed early, or truncated by someone in the path) */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nssh-ed25519 AAAA", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &r), -EPROTO);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test(test_response_garbage),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
