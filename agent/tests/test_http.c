#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
	assert_string_equal(u.authority, "10.0.2.2:8443");
	/* IPv6 literals (RFC 3986): the host without brackets for
	 * getaddrinfo, with them in the Host header */
	assert_int_equal(url_parse("http://[2001:db8::1]:8080/api/v1/status", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "2001:db8::1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/api/v1/status");
	assert_string_equal(u.authority, "[2001:db8::1]:8080");
	assert_int_equal(u.ipv6, 1);
	assert_int_equal(url_parse("https://[::1]", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "443");
	assert_string_equal(u.path, "/");
	assert_string_equal(u.authority, "[::1]:443");
	assert_int_equal(url_parse("http://[::ffff:10.0.2.2]/", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::ffff:10.0.2.2");
}

static void test_url_ipv6_rejects(void **state)
{
	struct url u;
	char err[256] = "";

	assert_int_equal(url_parse("http://[2001:db8::1:8080/", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad IPv6 host"));
	assert_int_equal(url_parse("http://[]:80/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(url_parse("http://[fe80::1%eth0]:80/", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not an IPv6 address"));
	assert_int_equal(url_parse("http://[boot.example]/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(url_parse("http://[2001:db8::1]x/", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "after the IPv6 host"));
	assert_int_equal(url_parse("http://[2001:db8::1]:/", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad port"));
	assert_int_equal(url_parse("http://2001:db8::1/", &u, err, sizeof(err)), -EINVAL);
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


#define HEAD(lit, h) http_parse_head(lit, sizeof(lit) - 1, h)

static void test_head_parse(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: x\r\ncontent-length:  1234\r\n\r\nBODY";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct http_head h;

	assert_int_equal(http_parse_head(ok, sizeof(ok) - 1, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.content_length, 1234);
	assert_int_equal(h.chunked, 0);
	assert_int_equal(h.len, sizeof(ok) - 1 - 4);
	assert_int_equal(http_parse_head(chunked, sizeof(chunked) - 1, &h), 0);
	assert_int_equal(h.chunked, 1);
	assert_int_equal(h.content_length, -1);
	/* no blank line yet, a bad length, a bad status line */
	assert_int_equal(HEAD("HTTP/1.1 200 OK\r\nA: b\r\n", &h), -EPROTO);
	assert_int_equal(HEAD("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", &h), -EPROTO);
	assert_int_equal(HEAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &h), -EPROTO);
	assert_int_equal(HEAD("HTTP/2 200\r\n\r\n", &h), -EPROTO);
	/* a header named in the body is not a header */
	assert_int_equal(HEAD("HTTP/1.0 404 No\r\n\r\nContent-Length: 5\r\n", &h), 0);
	assert_int_equal(h.status, 404);
	assert_int_equal(h.content_length, -1);
}

/* A one-shot server on 127.0.0.1 that answers raw (then closes); its port. */
static int serve_once(const char *raw, size_t len, pid_t *pid)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;
	char req[2048];

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		c = accept(s, NULL, NULL);
		if (c >= 0 && read(c, req, sizeof(req)) > 0 && write(c, raw, len) == (ssize_t)len) {
			shutdown(c, SHUT_WR);
		}
		_exit(0);
	}
	close(s);
	return ntohs(a.sin_port);
}

struct collect {
	char buf[256];
	size_t n;
};

static int collect_sink(void *ctx, const char *p, size_t n)
{
	struct collect *c = ctx;

	if (c->n + n > sizeof(c->buf)) {
		return -ENOSPC;
	}
	memcpy(c->buf + c->n, p, n);
	c->n += n;
	return 0;
}

static int stream(const char *raw, unsigned long long max, struct collect *c, char *err, size_t errlen)
{
	struct url u;
	char url[64];
	unsigned long long got = 0;
	pid_t pid;
	int port = serve_once(raw, strlen(raw), &pid), rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/toolbox.squashfs", port);
	assert_int_equal(url_parse(url, &u, NULL, 0), 0);
	memset(c, 0, sizeof(*c));
	rc = http_get_stream(&u, NULL, NULL, 5000, max, collect_sink, c, &got, err, errlen);
	waitpid(pid, NULL, 0);
	if (rc == 0) {
		assert_int_equal(got, c->n);
	}
	return rc;
}

static void test_get_stream(void **state)
{
	struct collect c;
	char err[256] = "";

	assert_int_equal(stream("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 100, &c, err,
				sizeof(err)), 0);
	assert_int_equal(c.n, 11);
	assert_memory_equal(c.buf, "hello world", 11);
	/* only Content-Length bytes are taken */
	assert_int_equal(stream("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world", 100, &c, err,
				sizeof(err)), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(stream("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 100, &c, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "answered 404 for /toolbox.squashfs"));
	assert_int_equal(stream("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", 100, &c, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "cut short after 5 of 50 bytes"));
	assert_int_equal(stream("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nx", 100, &c, err, sizeof(err)),
			 -EFBIG);
	assert_int_equal(stream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 100,
				&c, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "no Content-Length"));
	assert_int_equal(stream("garbage\r\n\r\n", 100, &c, err, sizeof(err)), -EPROTO);
	/* the sink's refusal stops the transfer, with its errno */
	assert_int_equal(stream("HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", 1000, &c, err, sizeof(err)),
			 -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_url_ipv6_rejects),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test(test_response_garbage),
		cmocka_unit_test(test_head_parse),
		cmocka_unit_test(test_get_stream),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
