#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "http.h"
#include "log.h"
#include "sockaddr.h"
#include "tls.h"
#include "clock.h"

#define RAW_MAX (HTTP_MAX_BODY + 16384)

/* The port after a host: digits, 1 to 65535. */
static int parse_port(const char *port, size_t plen, const char *s, struct url *u, char *err, size_t errlen)
{
	long v;

	if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen) {
		lb_err(err, errlen, "'%s': bad port", s);
		return -EINVAL;
	}
	memcpy(u->port, port, plen);
	v = strtol(u->port, NULL, 10);
	if (v < 1 || v > 65535) {
		lb_err(err, errlen, "'%s': port %ld is out of range", s, v);
		return -EINVAL;
	}
	return 0;
}

/* [IPv6 address] (RFC 3986's IP-literal, no zone): into u->host without
 * the brackets. Returns the length of the bracketed part. */
static int parse_ipv6_host(const char *host, size_t hlen, const char *s, struct url *u, char *err, size_t errlen)
{
	const char *end = memchr(host, ']', hlen);
	struct in6_addr a;
	size_t n;

	n = end ? (size_t)(end - host - 1) : 0;
	if (end == NULL || n == 0 || n >= sizeof(u->host)) {
		lb_err(err, errlen, "'%s': bad IPv6 host (want [address])", s);
		return -EINVAL;
	}
	memcpy(u->host, host + 1, n);
	u->host[n] = '\0';
	if (strspn(u->host, "0123456789abcdefABCDEF:.") != n || inet_pton(AF_INET6, u->host, &a) != 1) {
		lb_err(err, errlen, "'%s': '%s' is not an IPv6 address", s, u->host);
		return -EINVAL;
	}
	u->ipv6 = 1;
	return (int)n + 2;
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	const char *p = NULL, *host = NULL, *slash = NULL, *colon = NULL;
	size_t hlen, i;
	int rc;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		host = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		host = s + 7;
	} else {
		lb_err(err, errlen, "'%s' is not an http:// or https:// URL", s);
		return -EINVAL;
	}
	slash = strchr(host, '/');
	hlen = slash ? (size_t)(slash - host) : strlen(host);
	if (hlen > 0 && host[0] == '[') {
		rc = parse_ipv6_host(host, hlen, s, u, err, errlen);
		if (rc < 0) {
			return rc;
		}
		colon = (size_t)rc < hlen ? host + rc : NULL;
		if (colon != NULL && *colon != ':') {
			lb_err(err, errlen, "'%s': bad character '%c' after the IPv6 host", s, *colon);
			return -EINVAL;
		}
	} else {
		colon = memchr(host, ':', hlen);
	}
	if (colon != NULL) {
		if (parse_port(colon + 1, hlen - (size_t)(colon + 1 - host), s, u, err, errlen) < 0) {
			return -EINVAL;
		}
		hlen = (size_t)(colon - host);
	} else {
		strcpy(u->port, u->tls ? "443" : "80");
	}
	if (!u->ipv6) {
		if (hlen == 0 || hlen >= sizeof(u->host)) {
			lb_err(err, errlen, "'%s': bad host", s);
			return -EINVAL;
		}
		for (i = 0; i < hlen; i++) {
			char c = host[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '-')) {
				lb_err(err, errlen, "'%s': bad character '%c' in host", s, c);
				return -EINVAL;
			}
		}
		memcpy(u->host, host, hlen);
	}
	p = slash ? slash : "/";
	if (strlen(p) >= sizeof(u->path)) {
		lb_err(err, errlen, "'%s': path too long", s);
		return -EINVAL;
	}
	for (i = 0; p[i] != '\0'; i++) {
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '#') {
			lb_err(err, errlen, "'%s': bad character in path", s);
			return -EINVAL;
		}
	}
	strcpy(u->path, p);
	snprintf(u->authority, sizeof(u->authority), u->ipv6 ? "[%s]:%s" : "%s:%s", u->host, u->port);
	return 0;
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - ((long long)lb_mono_ms());
	int r;

	if (left <= 0) {
		return -ETIMEDOUT;
	}
	r = poll(&p, 1, (int)left);
	if (r < 0) {
		return errno == EINTR ? 0 : -errno;
	}
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Source pinning (http_pin_sources): lifeboatd binds a session to the
 * address the first report came from, and a machine with several
 * addresses of one family (SLAAC and DHCPv6, a lease renewed elsewhere)
 * must keep talking from that one. */
static const char *source_dir = NULL;
static int source_family = AF_UNSPEC;
static const char *source_bound = NULL;

static void source_path(int family, char *buf, size_t len)
{
	snprintf(buf, len, "%s/source.%s", source_dir, family == AF_INET6 ? "ipv6" : "ipv4");
}

/* Writes text as family's source unless one is recorded (link(): the
 * first process wins). */
static void record_source(int family, const char *text)
{
	char path[128], tmp[160];
	FILE *f = NULL;

	source_path(family, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (f != NULL) {
		fprintf(f, "%s\n", text);
		if (fclose(f) == 0 && link(tmp, path) < 0 && errno != EEXIST) {
			lb_log("cannot record the source address %s: %s", text, strerror(errno));
		}
		unlink(tmp);
	}
}

void http_pin_sources(const char *dir, const char *bound)
{
	source_dir = dir;
	if (bound != NULL && bound[0] != '\0') {
		source_bound = bound;
		source_family = strchr(bound, ':') != NULL ? AF_INET6 : AF_INET;
		record_source(source_family, bound);
	}
}

/* Binds fd to the address recorded for its family; one that is gone is
 * forgotten (the next connection records the new one), unless it is the
 * bound one: not this machine's yet, or never (behind NAT). */
static void bind_pinned(int fd, int family)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	char path[128], text[INET6_ADDRSTRLEN] = "";
	void *a = sockaddr_addr((struct sockaddr *)&ss, family);
	int rc;

	if (source_dir == NULL) {
		return;
	}
	source_path(family, path, sizeof(path));
	rc = fileio_read(path, text, sizeof(text));
	if (rc < 0 && rc != -EFBIG) {
		return; /* none recorded yet */
	}
	text[strcspn(text, "\n")] = '\0';
	if ((inet_pton(family, text, a) != 1 ||
	     bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ? sizeof(struct sockaddr_in6)
								  : sizeof(struct sockaddr_in)) < 0) &&
	    (source_bound == NULL || strcmp(text, source_bound) != 0)) {
		unlink(path);
	}
}

/* After a connect: an IPv6 link-local source for a peer beyond the link
 * (the only address before SLAAC or DHCPv6 gave one) is no source at all;
 * the first usable one is recorded (link(): the first process wins). */
static int check_source(int fd, const struct addrinfo *ai)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char text[INET6_ADDRSTRLEN];
	const struct sockaddr_in6 *peer6 = (const struct sockaddr_in6 *)ai->ai_addr;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		return -errno;
	}
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)&ss)->sin6_addr) &&
	    !IN6_IS_ADDR_LINKLOCAL(&peer6->sin6_addr)) {
		return -EADDRNOTAVAIL;
	}
	if (source_dir == NULL) {
		return 0;
	}
	inet_ntop(ss.ss_family, sockaddr_addr((struct sockaddr *)&ss, ss.ss_family), text, sizeof(text));
	record_source(ss.ss_family, text);
	return 0;
}

static int connect_to(const struct url *u, long long deadline, char *err, size_t errlen)
{
	/* the bound address's family (lifeboat.bound=), else either, in the
	 * order musl's getaddrinfo sorts them (RFC 6724); a URL with no
	 * address of the bound family is tried in the other (lifeboatd will
	 * say whether it accepts that) */
	struct addrinfo hints = { .ai_family = source_family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai = NULL;
	int fd = -1, rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0 && hints.ai_family != AF_UNSPEC) {
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(u->host, u->port, &hints, &res);
	}
	if (rc != 0) {
		lb_err(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			continue;
		}
		bind_pinned(fd, ai->ai_family);
		soerr = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)) {
			rc = check_source(fd, ai);
			if (rc == 0) {
				break;
			}
		} else {
			rc = soerr ? -soerr : (((long long)lb_mono_ms()) >= deadline ? -ETIMEDOUT : -errno);
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		rc = rc < 0 ? rc : -ECONNREFUSED;
		lb_err(err, errlen, "cannot connect to %s: %s", u->authority, strerror(-rc));
		return rc;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				int rc = wait_fd(fd, POLLOUT, deadline);

				if (rc < 0) {
					return rc;
				}
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Decodes a chunked body in place. */
static int dechunk(char *b, size_t len, size_t *out)
{
	size_t r = 0, w = 0;

	for (;;) {
		char *end = NULL;
		unsigned long n;

		if (r >= len) {
			return -EPROTO;
		}
		n = strtoul(b + r, &end, 16);
		if (end == b + r) {
			return -EPROTO;
		}
		end = strstr(end, "\r\n");
		if (end == NULL) {
			return -EPROTO;
		}
		r = (size_t)(end - b) + 2;
		if (n == 0) {
			*out = w;
			return 0;
		}
		if (n > len - r) {
			return -EPROTO;
		}
		memmove(b + w, b + r, n);
		w += n;
		r += n + 2;
	}
}

/* The value of the header line at p (after the name and colon) in v:
 * leading blanks skipped, up to the line's end. */
static void header_value(const char *p, const char *line_end, char *v, size_t vlen)
{
	size_t n;

	while (p < line_end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	n = (size_t)(line_end - p) < vlen - 1 ? (size_t)(line_end - p) : vlen - 1;
	memcpy(v, p, n);
	v[n] = '\0';
}

int http_parse_head(const char *raw, size_t len, struct http_head *h)
{
	const char *end = NULL, *line = NULL;
	char v[64];

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	if (len < 13 || strncmp(raw, "HTTP/1.", 7) != 0 || (raw[7] != '0' && raw[7] != '1') || raw[8] != ' ' ||
	    raw[9] < '1' || raw[9] > '5' || raw[10] < '0' || raw[10] > '9' || raw[11] < '0' || raw[11] > '9' ||
	    (raw[12] != ' ' && raw[12] != '\r')) {
		return -EPROTO;
	}
	end = memmem(raw, len, "\r\n\r\n", 4);
	if (end == NULL) {
		return -EPROTO;
	}
	h->status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
	h->len = (size_t)(end - raw) + 4;
	/* each header line starts after a CRLF before the blank line */
	for (line = memmem(raw, (size_t)(end - raw), "\r\n", 2); line != NULL;
	     line = memmem(line + 2, (size_t)(end - line - 2), "\r\n", 2)) {
		const char *p = line + 2, *line_end = memmem(p, (size_t)(end - p), "\r\n", 2);

		line_end = line_end ? line_end : end;
		if ((size_t)(line_end - p) >= 18 && strncasecmp(p, "Transfer-Encoding:", 18) == 0) {
			header_value(p + 18, line_end, v, sizeof(v));
			h->chunked = strcasestr(v, "chunked") != NULL;
		} else if ((size_t)(line_end - p) >= 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
			char *e = NULL;

			header_value(p + 15, line_end, v, sizeof(v));
			errno = 0;
			h->content_length = strtoll(v, &e, 10);
			if (errno != 0 || e == v || h->content_length < 0 || (*e != '\0' && *e != ' ')) {
				return -EPROTO;
			}
		}
	}
	return 0;
}

int http_parse_response(char *raw, size_t len, struct http_response *resp)
{
	struct http_head h;
	char *body = NULL;
	size_t body_len;

	raw[len] = '\0';
	if (http_parse_head(raw, len, &h) < 0) {
		return -EPROTO;
	}
	body = raw + h.len;
	body_len = len - h.len;
	if (h.chunked && dechunk(body, body_len, &body_len) < 0) {
		return -EPROTO;
	}
	/* a body cut short (the connection closed early, a truncating
	 * attacker) is garbage, not a shorter answer */
	if (!h.chunked && h.content_length >= 0) {
		if ((unsigned long long)h.content_length > body_len) {
			return -EPROTO;
		}
		body_len = (size_t)h.content_length;
	}
	if (body_len > HTTP_MAX_BODY) {
		return -EFBIG;
	}
	resp->status = h.status;
	memmove(resp->body, body, body_len);
	resp->body[body_len] = '\0';
	resp->body_len = body_len;
	return 0;
}

/* One connection, in clear or over TLS. */
struct conn {
	int fd;
	struct tls_conn *tls;
	long long deadline;
};

static int conn_send(struct conn *c, const char *p, size_t n)
{
	return c->tls != NULL ? tls_write_all(c->tls, p, n) : send_all(c->fd, p, n, c->deadline);
}

static long conn_recv(struct conn *c, char *p, size_t n)
{
	if (c->tls != NULL) {
		return tls_read(c->tls, p, n);
	}
	for (;;) {
		ssize_t r = recv(c->fd, p, n, 0);
		int rc;

		if (r >= 0) {
			return r;
		}
		if (errno != EAGAIN && errno != EINTR) {
			return -errno;
		}
		if ((rc = wait_fd(c->fd, POLLIN, c->deadline)) < 0) {
			return rc;
		}
	}
}

/* Connects (and, for https, checks the certificate) and sends the
 * request head and body. 0, or -errno with err set; c->fd < 0 on error. */
static int conn_open_send(struct conn *c, const struct url *u, const struct tls_trust *trust, const char *head,
			  size_t head_len, const char *body, size_t body_len, char *err, size_t errlen)
{
	int rc;

	c->fd = connect_to(u, c->deadline, err, errlen);
	if (c->fd < 0) {
		return c->fd;
	}
	if (u->tls) {
		rc = tls_open(&c->tls, c->fd, u->host, trust, c->deadline, err, errlen);
		if (rc < 0) {
			goto err_tls;
		}
	}
	if ((rc = conn_send(c, head, head_len)) < 0 || (body_len > 0 && (rc = conn_send(c, body, body_len)) < 0)) {
		lb_err(err, errlen, "cannot send to %s: %s", u->authority, strerror(-rc));
		goto err_send;
	}
	return 0;
err_send:
	tls_close(c->tls);
	c->tls = NULL;
err_tls:
	close(c->fd);
	c->fd = -1;
	return rc;
}

static void conn_close(struct conn *c)
{
	tls_close(c->tls);
	close(c->fd);
}

static void say_recv_error(const struct url *u, int rc, unsigned int timeout_ms, char *err, size_t errlen)
{
	if (rc == -ETIMEDOUT) {
		lb_err(err, errlen, "no answer from %s within %u ms", u->authority, timeout_ms);
	} else {
		lb_err(err, errlen, "cannot read from %s: %s", u->authority, strerror(-rc));
	}
}

int http_request(const char *method, const struct url *u, const struct tls_trust *trust, const char *path,
		 const char *token, const char *content_type, const char *body, size_t body_len,
		 unsigned int timeout_ms, struct http_response *resp, char *err, size_t errlen)
{
	struct conn c = { .fd = -1, .deadline = ((long long)lb_mono_ms()) + timeout_ms };
	char head[2048], *raw = NULL;
	size_t used = 0;
	int rc, n;

	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lifeboat-agent\r\nConnection: close\r\n"
		     "%s%s%s%s%s%s"
		     "Content-Length: %zu\r\n\r\n",
		     method, path ? path : u->path, u->authority,
		     token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
		     content_type ? "Content-Type: " : "", content_type ? content_type : "",
		     content_type ? "\r\n" : "", body_len);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		lb_err(err, errlen, "request too large");
		return -E2BIG;
	}
	raw = malloc(RAW_MAX + 1);
	if (raw == NULL) {
		return -ENOMEM;
	}
	rc = conn_open_send(&c, u, trust, head, (size_t)n, body, body_len, err, errlen);
	if (rc < 0) {
		goto err_open;
	}
	for (;;) {
		long r = conn_recv(&c, raw + used, RAW_MAX - used);

		if (r == 0) {
			break;
		}
		if (r < 0) {
			rc = (int)r;
			say_recv_error(u, rc, timeout_ms, err, errlen);
			goto err_io;
		}
		used += (size_t)r;
		if (used == RAW_MAX) {
			rc = -EFBIG;
			lb_err(err, errlen, "answer from %s is larger than %d bytes", u->authority, RAW_MAX);
			goto err_io;
		}
	}
	rc = http_parse_response(raw, used, resp);
	if (rc < 0) {
		lb_err(err, errlen, "garbage answer from %s", u->authority);
	}
err_io:
	conn_close(&c);
err_open:
	free(raw);
	return rc;
}

/* Reads until the head of the answer is complete: its parsed form in h,
 * what came after it in buf[h->len..*used). */
static int read_head(struct conn *c, const struct url *u, char *buf, size_t cap, size_t *used, struct http_head *h,
		     unsigned int timeout_ms, char *err, size_t errlen)
{
	*used = 0;
	for (;;) {
		long r = conn_recv(c, buf + *used, cap - *used);

		if (r < 0) {
			say_recv_error(u, (int)r, timeout_ms, err, errlen);
			return (int)r;
		}
		*used += (size_t)r;
		if (memmem(buf, *used, "\r\n\r\n", 4) != NULL) {
			break;
		}
		if (r == 0 || *used == cap) {
			lb_err(err, errlen, "garbage answer from %s (%s)", u->authority,
			       r == 0 ? "closed before the end of the headers" : "headers too large");
			return -EPROTO;
		}
	}
	if (http_parse_head(buf, *used, h) < 0) {
		lb_err(err, errlen, "garbage answer from %s", u->authority);
		return -EPROTO;
	}
	return 0;
}

/* Whether a streamed answer can be taken: 200 with a Content-Length up to max. */
static int check_stream_head(const struct http_head *h, const struct url *u, const char *path,
			     unsigned long long max, char *err, size_t errlen)
{
	if (h->status != 200) {
		lb_err(err, errlen, "the server answered %d for %s", h->status, path);
		return h->status == 404 ? -ENOENT : h->status == 401 || h->status == 403 ? -EACCES : -EPROTO;
	}
	if (h->chunked || h->content_length < 0) {
		lb_err(err, errlen, "the answer from %s has no Content-Length", u->authority);
		return -EPROTO;
	}
	if ((unsigned long long)h->content_length > max) {
		lb_err(err, errlen, "the answer for %s is %lld bytes, more than the %llu allowed", path,
		       h->content_length, max);
		return -EFBIG;
	}
	return 0;
}

int http_get_stream(const struct url *u, const struct tls_trust *trust, const char *path, unsigned int timeout_ms,
		    unsigned long long max, http_sink_fn sink, void *ctx, unsigned long long *got, char *err,
		    size_t errlen)
{
	struct conn c = { .fd = -1, .deadline = ((long long)lb_mono_ms()) + timeout_ms };
	struct http_head h;
	char head[1400], *buf = NULL;
	const char *data = NULL;
	size_t used = 0, avail, chunk;
	unsigned long long left;
	int rc, n;

	*got = 0;
	path = path ? path : u->path;
	n = snprintf(head, sizeof(head),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lifeboat-agent\r\nConnection: close\r\n\r\n", path,
		     u->authority);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		lb_err(err, errlen, "request too large");
		return -E2BIG;
	}
	buf = malloc(RAW_MAX);
	if (buf == NULL) {
		return -ENOMEM;
	}
	rc = conn_open_send(&c, u, trust, head, (size_t)n, NULL, 0, err, errlen);
	if (rc < 0) {
		goto err_open;
	}
	if ((rc = read_head(&c, u, buf, RAW_MAX, &used, &h, timeout_ms, err, errlen)) < 0 ||
	    (rc = check_stream_head(&h, u, path, max, err, errlen)) < 0) {
		goto err_io;
	}
	left = (unsigned long long)h.content_length;
	data = buf + h.len; /* what came with the head */
	avail = used - h.len;
	for (;;) {
		long r;

		chunk = avail < left ? avail : (size_t)left;
		if (chunk > 0 && (rc = sink(ctx, data, chunk)) < 0) {
			lb_err(err, errlen, "cannot store the answer for %s: %s", path, strerror(-rc));
			goto err_io;
		}
		*got += chunk;
		left -= chunk;
		if (left == 0) {
			break;
		}
		r = conn_recv(&c, buf, left < RAW_MAX ? (size_t)left : RAW_MAX);
		if (r < 0) {
			rc = (int)r;
			say_recv_error(u, rc, timeout_ms, err, errlen);
			goto err_io;
		}
		if (r == 0) {
			rc = -EPROTO;
			lb_err(err, errlen, "the answer for %s was cut short after %llu of %lld bytes", path, *got,
			       h.content_length);
			goto err_io;
		}
		data = buf;
		avail = (size_t)r;
	}
	rc = 0;
err_io:
	conn_close(&c);
err_open:
	free(buf);
	return rc;
}
