/* Server-Sent Events (the WHATWG HTML standard's text/event-stream), the
 * live console's wire format: lifeboatd writes an event per console line,
 * lifeboatctl (and a browser's EventSource) reads them. An event is
 * "id: N\ndata: TEXT\n\n"; a line starting with ':' is a comment, sent as
 * a heartbeat so that a dead peer is noticed. Pure. */
#ifndef LIFEBOAT_SSE_H
#define LIFEBOAT_SSE_H

#include <stddef.h>

#define SSE_TYPE "text/event-stream"
#define SSE_HEARTBEAT ": lifeboatd\n\n"
#define SSE_DATA_MAX 8192      /* a longer event's data is cut there */

/* One event into out (at most outlen - 1 bytes and a NUL): "id: <id>\n"
 * (id < 0: none) and "data: <text>\n\n", where a CR or LF in text becomes
 * a space (a console line has none). Its length, 0 when it does not fit. */
size_t sse_event(char *out, size_t outlen, long long id, const char *text);

/* A reader's state: feed it what arrives, in any pieces. */
struct sse {
	char field[16];
	size_t flen;
	int in_value, skip_space, cr;
	char value[SSE_DATA_MAX + 1];
	size_t vlen;
	char data[SSE_DATA_MAX + 1];
	size_t dlen;
	int has_data;
	long long last_id;      /* the last id: field (-1: none yet) */
};

/* fn(data, id) for each complete event with data (a nonzero return stops
 * the feed and is returned); comments and other fields are skipped. */
typedef int (*sse_fn)(const char *data, long long id, void *ctx);
void sse_init(struct sse *s);
int sse_feed(struct sse *s, const char *p, size_t n, sse_fn fn, void *ctx);

#endif
