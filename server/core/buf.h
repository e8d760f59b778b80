/* A growing text buffer with a cap, for answers read in pieces (libcurl's
 * write callbacks in lifeboatctl's API client and the Redfish driver). */
#ifndef LIFEBOAT_BUF_H
#define LIFEBOAT_BUF_H

#include <stddef.h>

struct buf {
	char *p;     /* NUL-terminated; free it; NULL while empty */
	size_t len;
	int too_big; /* an append would have gone over its cap */
};

/* Appends n bytes: 0, -EFBIG (over max: too_big set, nothing added), -ENOMEM. */
int buf_append(struct buf *b, const char *data, size_t n, size_t max);

#endif
