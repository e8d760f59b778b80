#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "hex.h"
#include "log.h"
#include "toolbox.h"

/* The toolbox's parsing and policy: pure, unit-tested on the host
 * (agent/toolbox_service.c does the work). */

int toolbox_parse_sha256(const char *text, uint8_t out[32], char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (hex_value(text[i]) < 0) {
			lb_err(err, errlen, "not a SHA-256: want 64 hex digits, character %zu is not one", i + 1);
			return -EINVAL;
		}
	}
	if (text[64] != '\0' && !(text[64] == '\n' && text[65] == '\0')) {
		lb_err(err, errlen, "not a SHA-256: more than 64 hex digits");
		return -EINVAL;
	}
	for (i = 0; i < 32; i++) {
		out[i] = (uint8_t)(hex_value(text[2 * i]) << 4 | hex_value(text[2 * i + 1]));
	}
	return 0;
}

enum toolbox_source toolbox_pick_source(int have_initrd_file, const char *url)
{
	if (have_initrd_file) {
		return TOOLBOX_INITRD;
	}
	return url != NULL && url[0] != '\0' ? TOOLBOX_URL : TOOLBOX_NONE;
}
