/* `lifeboatctl console HOST` without --since: attached to the console as
 * it comes (attach.c). */
#ifndef LIFEBOAT_CTL_ATTACH_H
#define LIFEBOAT_CTL_ATTACH_H

#include <stddef.h>

#include "lifeboatctl/backend.h"

/* The escape a user types to leave, as in ssh and ipmitool: "~." at the
 * start of a line; "~~" sends one '~'; '~' and anything else sends both. */
struct escape {
	int line_start;         /* the last byte ended a line (or none yet) */
	int pending;            /* a '~' at a line's start, held */
};

/* in (n bytes) as typed into out (room for n + 1): its length; *leave
 * set at "~." (what came before it is in out). Pure. */
size_t escape_scan(struct escape *e, const char *in, size_t n, char *out, int *leave);

/* Follows mac's console (its last lines first) until Ctrl-C, or with
 * typing until "~."; typing (write) goes to the console line by line as
 * read, in raw mode on a terminal. main's exit code, errors said. */
int console_attach(const struct backend *be, const char *mac, int raw, int write);

#endif
