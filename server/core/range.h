/* The HTTP Range header for one byte range (RFC 9110 14.1.2). Pure. */
#ifndef LIFEBOAT_RANGE_H
#define LIFEBOAT_RANGE_H

#include <stdint.h>

/* "bytes=a-b", "bytes=a-", "bytes=-n" against a file of size bytes:
 * 1 with [*start, *end] (inclusive), 0 to ignore the header (absent,
 * several ranges, another unit, malformed), -1 unsatisfiable (416). */
int range_parse(const char *h, uint64_t size, uint64_t *start, uint64_t *end);

#endif
