/* Reading existing images: `lifeboat-image list` and `lifeboat-image diff`. */
#ifndef LIFEBOAT_INSPECT_H
#define LIFEBOAT_INSPECT_H

#include <stdio.h>

/* Prints every entry like `ls -l`. Returns 0 or -errno (message on stderr). */
int inspect_list(const char *path, FILE *out);

/* Compares two images entry by entry. Returns 0 when equal, 1 when they
 * differ (differences printed), -errno on error. */
int inspect_diff(const char *a, const char *b, FILE *out);

#endif
