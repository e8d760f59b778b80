/* A small, strict HTTP/1.1 client for the agent: http:// and https://
 * (tls.c), every step bounded by one deadline, responses bounded in
 * size. Hand-written rather than a library: the agent is a static PID 1
 * that needs one request shape (Connection: close, small bodies). */
#ifndef LIFEBOAT_HTTP_H
#define LIFEBOAT_HTTP_H

#include <stddef.h>

struct tls_trust;

struct url {
	int tls;           /* https:// */
	int ipv6;          /* the host is an IPv6 literal ([...] in the URL) */
	char host[254];    /* without brackets */
	char port[6];
	char path[1024]; /* starts with '/' */
	char authority[264]; /* host:port, [v6]:port: the Host header's */
};

/* Parses http[s]://host[:port][/path]; host may be [IPv6]. -EINVAL with a reason otherwise. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

/* Connections keep the source address the first one used, per family,
 * recorded in DIR/source.ipv4 and source.ipv6 (the agent's services share
 * it); never an IPv6 link-local one for a peer beyond the link. With
 * bound (lifeboat.bound=, may be "" or NULL), only its family is used, and
 * it is the address recorded first (one that is not this machine's, as
 * behind NAT, is forgotten at the first connection). Without a call (host
 * tests) nothing is recorded. */
void http_pin_sources(const char *dir, const char *bound);

#define HTTP_MAX_BODY 65536

struct http_response {
	int status;
	char body[HTTP_MAX_BODY + 1]; /* NUL-terminated */
	size_t body_len;
};

/* Sends one request (Connection: close). path NULL means u->path. token,
 * when set, goes in "Authorization: Bearer". An https URL is only spoken
 * to after its certificate checked out against trust (never in clear).
 * Returns 0 with resp filled (any status), or -errno / -ETIMEDOUT /
 * -EPROTO (garbage) / -EFBIG / -EACCES (certificate refused) / -EPERM
 * (https without anything to check it with). */
int http_request(const char *method, const struct url *u, const struct tls_trust *trust, const char *path,
		 const char *token,
		 const char *content_type, const char *body, size_t body_len, unsigned int timeout_ms,
		 struct http_response *resp, char *err, size_t errlen);

/* The head of a response: status line and the headers the client uses. */
struct http_head {
	int status;
	long long content_length; /* -1: none given */
	int chunked;
	size_t len; /* bytes up to and including the blank line */
};

/* Parses raw[0..len) up to the blank line. 0, or -EPROTO (garbage, or no
 * blank line in it). */
int http_parse_head(const char *raw, size_t len, struct http_head *h);

/* Where http_get_stream puts a body: 0, or -errno to stop. */
typedef int (*http_sink_fn)(void *ctx, const char *p, size_t n);

/* GET (Connection: close, same TLS rules as http_request): a 200 answer's
 * body, at most max bytes, goes to sink as it arrives; *got says how much
 * did. Needs a Content-Length (no chunked bodies: this is for files).
 * 0, or -ENOENT (404), -EACCES (401/403, or a refused certificate),
 * -EPROTO (another status, garbage, cut short), -EFBIG, -ETIMEDOUT (the
 * whole transfer within timeout_ms), -errno, with err set. */
int http_get_stream(const struct url *u, const struct tls_trust *trust, const char *path, unsigned int timeout_ms,
		    unsigned long long max, http_sink_fn sink, void *ctx, unsigned long long *got, char *err,
		    size_t errlen);

/* Parses a raw response (status line, headers, body; chunked decoded). */
int http_parse_response(char *raw, size_t len, struct http_response *resp);

#endif
