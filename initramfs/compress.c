/* Image building, third step: the archive compressed with liblzma
 * (.lzma or .xz with CRC32, the only check the kernel's decoder accepts;
 * libarchive's xz filter hard-codes CRC64), and the names of the methods. */
#define _GNU_SOURCE
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static uint32_t pick_dict(size_t len)
{
	uint32_t d = 64 * 1024;

	while (d < len && d < 8u * 1024 * 1024) {
		d *= 2;
	}
	return d;
}

int image_compress(const unsigned char *buf, size_t len, const struct image_opts *o,
		   unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	lzma_filter filters[3];
	int nf = 0;
	lzma_ret r;
	size_t cap;
	unsigned char *p = NULL;

	if (o->comp == COMP_NONE) {
		p = malloc(len ? len : 1);
		if (p == NULL) {
			return ERR("out of memory");
		}
		memcpy(p, buf, len);
		*out = p;
		*outlen = len;
		return 0;
	}
	if (lzma_lzma_preset(&opt, (uint32_t)o->preset)) {
		return ERR("bad compression preset %d", o->preset);
	}
	opt.dict_size = o->dict_size ? o->dict_size : pick_dict(len);
	if (o->bcj_x86 && o->comp != COMP_XZ) {
		return ERR("the x86 BCJ filter needs .xz output");
	}
	if (o->comp == COMP_LZMA) {
		r = lzma_alone_encoder(&s, &opt);
	} else {
		/* x86 code converted for better matches: ~5% smaller on our images */
		if (o->bcj_x86) {
			filters[nf].id = LZMA_FILTER_X86;
			filters[nf++].options = NULL;
		}
		filters[nf].id = LZMA_FILTER_LZMA2;
		filters[nf++].options = &opt;
		filters[nf].id = LZMA_VLI_UNKNOWN;
		/* the kernel's xz decoder takes CRC32 or no check, never CRC64 */
		r = lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32);
	}
	if (r != LZMA_OK) {
		return ERR("cannot start the LZMA encoder (liblzma error %d)", (int)r);
	}
	cap = len / 2 + 65536;
	p = malloc(cap);
	if (p == NULL) {
		lzma_end(&s);
		return ERR("out of memory");
	}
	s.next_in = buf;
	s.avail_in = len;
	s.next_out = p;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END) {
			break;
		}
		if (r != LZMA_OK) {
			lzma_end(&s);
			free(p);
			return ERR("cannot compress: liblzma error %d", (int)r);
		}
		if (s.avail_out == 0) {
			unsigned char *q = realloc(p, cap * 2);

			if (q == NULL) {
				lzma_end(&s);
				free(p);
				return ERR("out of memory");
			}
			p = q;
			s.next_out = p + cap;
			s.avail_out = cap;
			cap *= 2;
		}
	}
	*outlen = (size_t)s.total_out;
	lzma_end(&s);
	*out = p;
	return 0;
}

enum compression compression_from_name(const char *name, int *ok)
{
	*ok = 1;
	if (strcmp(name, "lzma") == 0) {
		return COMP_LZMA;
	}
	if (strcmp(name, "xz") == 0) {
		return COMP_XZ;
	}
	if (strcmp(name, "none") == 0) {
		return COMP_NONE;
	}
	*ok = 0;
	return COMP_LZMA;
}

enum compression compression_from_suffix(const char *path)
{
	size_t n = strlen(path);

	if (n >= 3 && strcmp(path + n - 3, ".xz") == 0) {
		return COMP_XZ;
	}
	if (n >= 5 && strcmp(path + n - 5, ".cpio") == 0) {
		return COMP_NONE;
	}
	return COMP_LZMA;
}
