#define _GNU_SOURCE
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

#include "http.h"
#include "log.h"
#include "tls.h"

#define RAW_MAX (HTTP_MAX_BODY + 16384)

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	const char *p = NULL, *host = NULL, *slash = NULL, *colon = NULL;
	size_t hlen, i;

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
	colon = memchr(host, ':', hlen);
	if (colon != NULL) {
		const char *port = colon + 1;
		size_t plen = hlen - (size_t)(port - host);
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
		hlen = (size_t)(colon - host);
	} else {
		strcpy(u->port, u->tls ? "443" : "80");
	}
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
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - now_ms();
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

static int connect_to(const struct url *u, long long deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai = NULL;
	int fd = -1, rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0) {
		lb_err(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			break;
		}
		if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
			break;
		}
		rc = soerr ? -soerr : (now_ms() >= deadline ? -ETIMEDOUT : -errno);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		rc = rc < 0 ? rc : -ECONNREFUSED;
		lb_err(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port, strerror(-rc));
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

int http_parse_response(char *raw, size_t len, struct http_response *resp)
{
	char *hdr_end = NULL, *line = NULL, *body = NULL;
	size_t body_len;
	long long content_length = -1;
	int status, chunked = 0;

	raw[len] = '\0';
	if (len < 13 || strncmp(raw, "HTTP/1.", 7) != 0 || (raw[7] != '0' && raw[7] != '1') || raw[8] != ' ' ||
	    raw[9] < '1' || raw[9] > '5' || raw[10] < '0' || raw[10] > '9' || raw[11] < '0' || raw[11] > '9' ||
	    (raw[12] != ' ' && raw[12] != '\r')) {
		return -EPROTO;
	}
	status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
	hdr_end = strstr(raw, "\r\n\r\n");
	if (hdr_end == NULL) {
		return -EPROTO;
	}
	*hdr_end = '\0';
	body = hdr_end + 4;
	body_len = len - (size_t)(body - raw);
	for (line = strstr(raw, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Transfer-Encoding:", 18) == 0 && strcasestr(line + 20, "chunked") != NULL) {
			chunked = 1;
		} else if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
			char *end = NULL;

			errno = 0;
			content_length = strtoll(line + 17, &end, 10);
			if (errno != 0 || end == line + 17 || content_length < 0 ||
			    (*end != '\0' && *end != '\r' && *end != ' ')) {
				return -EPROTO;
			}
		}
	}
	if (chunked && dechunk(body, body_len, &body_len) < 0) {
		return -EPROTO;
	}
	/* a body cut short (the connection closed early, a truncating
	 * attacker) is garbage, not a shorter answer */
	if (!chunked && content_length >= 0) {
		if ((unsigned long long)content_length > body_len) {
			return -EPROTO;
		}
		body_len = (size_t)content_length;
	}
	if (body_len > HTTP_MAX_BODY) {
		return -EFBIG;
	}
	resp->status = status;
	memcpy(resp->body, body, body_len);
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

int http_request(const char *method, const struct url *u, const struct tls_trust *trust, const char *path,
		 const char *token, const char *content_type, const char *body, size_t body_len,
		 unsigned int timeout_ms, struct http_response *resp, char *err, size_t errlen)
{
	struct conn c = { .fd = -1, .deadline = now_ms() + timeout_ms };
	char head[2048], *raw = NULL;
	size_t used = 0;
	int rc, n;

	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: lifeboat-agent\r\nConnection: close\r\n"
		     "%s%s%s%s%s%s"
		     "Content-Length: %zu\r\n\r\n",
		     method, path ? path : u->path, u->host, u->port,
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
	c.fd = connect_to(u, c.deadline, err, errlen);
	if (c.fd < 0) {
		rc = c.fd;
		goto err_connect;
	}
	if (u->tls) {
		rc = tls_open(&c.tls, c.fd, u->host, trust, c.deadline, err, errlen);
		if (rc < 0) {
			goto err_tls;
		}
	}
	if ((rc = conn_send(&c, head, (size_t)n)) < 0 || (body_len > 0 && (rc = conn_send(&c, body, body_len)) < 0)) {
		lb_err(err, errlen, "cannot send to %s:%s: %s", u->host, u->port, strerror(-rc));
		goto err_io;
	}
	for (;;) {
		long r = conn_recv(&c, raw + used, RAW_MAX - used);

		if (r == 0) {
			break;
		}
		if (r < 0) {
			rc = (int)r;
			if (rc == -ETIMEDOUT) {
				lb_err(err, errlen, "no answer from %s:%s within %u ms", u->host, u->port, timeout_ms);
			} else {
				lb_err(err, errlen, "cannot read from %s:%s: %s", u->host, u->port, strerror(-rc));
			}
			goto err_io;
		}
		used += (size_t)r;
		if (used == RAW_MAX) {
			rc = -EFBIG;
			lb_err(err, errlen, "answer from %s:%s is larger than %d bytes", u->host, u->port, RAW_MAX);
			goto err_io;
		}
	}
	rc = http_parse_response(raw, used, resp);
	if (rc < 0) {
		lb_err(err, errlen, "garbage answer from %s:%s", u->host, u->port);
	}
err_io:
	tls_close(c.tls);
err_tls:
	close(c.fd);
err_connect:
	free(raw);
	return rc;
}
