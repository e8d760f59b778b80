#include <stdio.h>
#include <string.h>

#include "core/ansi.h"

/* The length of a valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t want, i;

	if (p[0] < 0x80) {
		return 1;
	}
	want = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (want == 0 || want > n || (want == 2 && p[0] < 0xc2)) {
		return 0;
	}
	for (i = 1; i < want; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
	}
	return want;
}

/* Copies the l-byte sequence at p[*i] when it fits (and a NUL after):
 * 1, else 0. */
static int copy_seq(char *out, size_t *o, size_t outlen, const unsigned char *p, size_t *i, size_t l)
{
	if (*o + l + 1 > outlen) {
		return 0;
	}
	while (l-- > 0) {
		out[(*o)++] = (char)p[(*i)++];
	}
	return 1;
}

size_t ansi_strip(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, l;

	if (outlen == 0) {
		return 0;
	}
	while (i < n && o + 1 < outlen) {
		if (p[i] == 0x1b) {
			i++;
			if (i < n && p[i] == '[') {
				/* CSI: parameters and intermediates, then a final byte 0x40-0x7e */
				for (i++; i < n && !(p[i] >= 0x40 && p[i] <= 0x7e); i++) {
				}
				i++;
			} else if (i < n && p[i] == ']') {
				/* OSC: until BEL or ESC \ */
				for (i++; i < n && p[i] != 0x07 && !(p[i] == 0x1b && i + 1 < n && p[i + 1] == '\\'); i++) {
				}
				i += i < n && p[i] == 0x1b ? 2 : 1;
			} else if (i < n) {
				i++; /* a two-byte sequence (ESC c, ESC =, ESC 7 ...) */
			}
			continue;
		}
		if (p[i] < 0x20 && p[i] != '\t') {
			i++;
			continue;
		}
		if (p[i] == 0x7f) {
			i++;
			continue;
		}
		l = utf8_len(p + i, n - i);
		if (l == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (!copy_seq(out, &o, outlen, p, &i, l)) {
			break;
		}
	}
	out[o] = '\0';
	return o;
}

size_t console_line_clean(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, l;

	if (outlen == 0) {
		return 0;
	}
	while (i < n) {
		l = (p[i] < 0x20 && p[i] != 0x1b && p[i] != '\t') || p[i] == 0x7f ? 0 : utf8_len(p + i, n - i);
		if (l == 0) {
			if (o + 5 > outlen) {
				break;
			}
			snprintf(out + o, 5, "\\x%02x", p[i]);
			o += 4;
			i++;
			continue;
		}
		if (!copy_seq(out, &o, outlen, p, &i, l)) {
			break;
		}
	}
	out[o] = '\0';
	return o;
}

size_t console_text(const char *in, size_t n, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (outlen == 0) {
		return 0;
	}
	out[0] = '\0';
	while (i < n && o + 1 < outlen) {
		const char *nl = memchr(in + i, '\n', n - i);
		size_t l = nl != NULL ? (size_t)(nl - (in + i)) : n - i;

		o += ansi_strip(in + i, l, out + o, outlen - o);
		if (nl != NULL && o + 1 < outlen) {
			out[o++] = '\n';
			out[o] = '\0';
		}
		i += l + (nl != NULL);
	}
	return o;
}
