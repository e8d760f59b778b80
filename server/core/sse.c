/* Server-Sent Events, both sides (sse.h). The reader follows the
 * standard's "interpreting an event stream": lines end in LF, CR or CRLF;
 * "field: value" (one space after the colon dropped); an empty line
 * dispatches the event; data lines of one event are joined with LF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sse.h"

size_t sse_event(char *out, size_t outlen, long long id, const char *text)
{
	size_t n = 0, i;
	int w = id >= 0 ? snprintf(out, outlen, "id: %lld\n", id) : 0;

	if (w < 0 || (size_t)w >= outlen) {
		return 0;
	}
	n = (size_t)w;
	if (n + 6 >= outlen) {
		return 0;
	}
	memcpy(out + n, "data: ", 6);
	n += 6;
	for (i = 0; text[i] != '\0'; i++) {
		if (n + 3 >= outlen) {
			return 0;
		}
		out[n++] = text[i] == '\r' || text[i] == '\n' ? ' ' : text[i];
	}
	memcpy(out + n, "\n\n", 3);
	return n + 2;
}

void sse_init(struct sse *s)
{
	memset(s, 0, sizeof(*s));
	s->last_id = -1;
}

/* One complete line: field (s->field) and value (s->value), or empty. */
static int end_line(struct sse *s, sse_fn fn, void *ctx)
{
	int rc = 0;

	s->field[s->flen < sizeof(s->field) ? s->flen : sizeof(s->field) - 1] = '\0';
	s->value[s->vlen] = '\0';
	if (s->flen == 0 && !s->in_value) {
		/* an empty line: the event */
		if (s->has_data) {
			s->data[s->dlen] = '\0';
			rc = fn(s->data, s->last_id, ctx);
		}
		s->dlen = 0;
		s->has_data = 0;
	} else if (s->flen > 0 && strcmp(s->field, "data") == 0) {
		if (s->has_data && s->dlen < SSE_DATA_MAX) {
			s->data[s->dlen++] = '\n';
		}
		size_t room = SSE_DATA_MAX - s->dlen, take = s->vlen < room ? s->vlen : room;

		memcpy(s->data + s->dlen, s->value, take);
		s->dlen += take;
		s->has_data = 1;
	} else if (s->flen > 0 && strcmp(s->field, "id") == 0) {
		char *end = NULL;
		long long id;

		errno = 0;
		id = strtoll(s->value, &end, 10);
		if (errno == 0 && end != s->value && *end == '\0' && id >= 0) {
			s->last_id = id;
		}
	}
	/* a comment (flen 0, in_value) and other fields: nothing */
	s->flen = 0;
	s->vlen = 0;
	s->in_value = 0;
	s->skip_space = 0;
	return rc;
}

int sse_feed(struct sse *s, const char *p, size_t n, sse_fn fn, void *ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (s->cr) {
			s->cr = 0;
			if (ch == '\n') {
				continue; /* CRLF: one end of line */
			}
		}
		if (ch == '\r' || ch == '\n') {
			s->cr = ch == '\r';
			rc = end_line(s, fn, ctx);
			if (rc != 0) {
				return rc;
			}
			continue;
		}
		if (!s->in_value) {
			if (ch == ':') {
				s->in_value = 1;
				s->skip_space = 1;
			} else if (s->flen < sizeof(s->field)) {
				s->field[s->flen++] = ch;
			} else {
				s->flen = sizeof(s->field); /* too long for any field we know: ignored */
			}
			continue;
		}
		if (s->skip_space) {
			s->skip_space = 0;
			if (ch == ' ') {
				continue;
			}
		}
		if (s->vlen < SSE_DATA_MAX) {
			s->value[s->vlen++] = ch;
		}
	}
	return 0;
}
