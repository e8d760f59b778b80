/* libFuzzer target: the manifest parser must reject or accept any bytes
 * without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m = { 0 };
	char err[512];
	FILE *f = NULL;

	if (size == 0) {
		return 0;
	}
	f = fmemopen((void *)data, size, "r");
	if (f == NULL) {
		return 0;
	}
	setenv("FUZZ", "/x", 1);
	manifest_parse(f, "fuzz", &m, err, sizeof(err));
	fclose(f);
	manifest_free(&m);
	return 0;
}
