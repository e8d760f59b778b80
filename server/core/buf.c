#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

int buf_append(struct buf *b, const char *data, size_t n, size_t max)
{
	char *p = NULL;

	if (b->len + n > max) {
		b->too_big = 1;
		return -EFBIG;
	}
	p = realloc(b->p, b->len + n + 1);
	if (p == NULL) {
		return -ENOMEM;
	}
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}
