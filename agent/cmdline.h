/* Kernel command line parsing, with the kernel's own quoting rules
 * (lib/cmdline.c next_arg): words split at blanks outside double quotes;
 * key="value with blanks" and "key=value with blanks" both work. */
#ifndef LIFEBOAT_CMDLINE_H
#define LIFEBOAT_CMDLINE_H

#include <stddef.h>

struct cmdline_arg {
	char *key;
	char *val; /* NULL for a bare word ("quiet"); "" for "key=" */
};

struct cmdline {
	char *buf;               /* owns every key and val */
	struct cmdline_arg *args;
	size_t count;
};

/* Parses s into cl. Returns 0; -EINVAL when a quote is unterminated (cl is
 * still filled, as the kernel would have split it, and err says where); or
 * -ENOMEM (cl empty). cl is always safe to cmdline_free(). */
int cmdline_parse(const char *s, struct cmdline *cl, char *err, size_t errlen);
void cmdline_free(struct cmdline *cl);

#endif
