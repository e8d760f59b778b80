#include <stdlib.h>
#include <string.h>

#include "core/range.h"

/* digits only, no sign or blanks (strtoull takes both) */
static int number(const char *s, const char **end, uint64_t *out)
{
	uint64_t n = 0;

	if (*s < '0' || *s > '9') {
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10) {
			return -1;
		}
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = n;
	return 0;
}

int range_parse(const char *h, uint64_t size, uint64_t *start, uint64_t *end)
{
	const char *p = NULL;
	uint64_t a = 0, b = 0;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL) {
		return 0;
	}
	h += 6;
	if (*h == '-') {
		if (number(h + 1, &p, &b) < 0 || *p != '\0') {
			return 0;
		}
		if (b == 0 || size == 0) {
			return -1;
		}
		*start = b >= size ? 0 : size - b;
		*end = size - 1;
		return 1;
	}
	if (number(h, &p, &a) < 0 || *p != '-') {
		return 0;
	}
	p++;
	if (*p == '\0') {
		b = size == 0 ? 0 : size - 1;
	} else {
		const char *q = NULL;

		if (number(p, &q, &b) < 0 || *q != '\0' || b < a) {
			return 0;
		}
		if (size > 0 && b >= size) {
			b = size - 1;
		}
	}
	if (a >= size) {
		return -1;
	}
	*start = a;
	*end = b;
	return 1;
}
