#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

int kmsg_format(const char *rec, size_t n, char *out, size_t outlen)
{
	const char *semi = memchr(rec, ';', n), *p = rec, *text = NULL, *end = NULL;
	unsigned long long f[3];
	size_t tl;
	int i, w;

	if (semi == NULL) {
		return -EINVAL;
	}
	for (i = 0; i < 3; i++) {
		char *e = NULL;

		if (p >= semi || *p < '0' || *p > '9') {
			return -EINVAL;
		}
		f[i] = strtoull(p, &e, 10);
		if (e > semi || (*e != ',' && *e != ';')) {
			return -EINVAL;
		}
		p = e + 1;
	}
	text = semi + 1;
	end = memchr(text, '\n', n - (size_t)(text - rec));
	tl = end != NULL ? (size_t)(end - text) : n - (size_t)(text - rec);
	w = snprintf(out, outlen, "[%5llu.%06llu] %.*s\n", f[2] / 1000000ull, f[2] % 1000000ull, (int)tl, text);
	if (w < 0 || (size_t)w >= outlen) {
		return -ENOSPC;
	}
	return w;
}
