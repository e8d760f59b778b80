/* A small, strict HTTP/1.1 client for the agent: http:// only, every
 * step bounded by one deadline, responses bounded in size. */
#ifndef LIFEBOAT_HTTP_H
#define LIFEBOAT_HTTP_H

#include <stddef.h>

struct url {
	char host[254];
	char port[6];
	char path[1024]; /* starts with '/' */
};

/* Parses http://host[:port][/path]. -EINVAL with a reason otherwise. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

#define HTTP_MAX_BODY 65536

struct http_response {
	int status;
	char body[HTTP_MAX_BODY + 1]; /* NUL-terminated */
	size_t body_len;
};

/* Sends one request (Connection: close). path NULL means u->path. token,
 * when set, goes in "Authorization: Bearer". Returns 0 with resp filled
 * (any status), or -errno / -ETIMEDOUT / -EPROTO (garbage) / -EFBIG. */
int http_request(const char *method, const struct url *u, const char *path, const char *token,
		 const char *content_type, const char *body, size_t body_len, unsigned int timeout_ms,
		 struct http_response *resp, char *err, size_t errlen);

/* Parses a raw response (status line, headers, body; chunked decoded). */
int http_parse_response(char *raw, size_t len, struct http_response *resp);

#endif
