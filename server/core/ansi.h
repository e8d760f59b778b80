/* A serial console's bytes as text for the page and `console --since`:
 * terminal control sequences (CSI, OSC, other ESC sequences) and control
 * characters but tab left out, bytes that are not UTF-8 shown as '?'.
 * The raw bytes stay stored for replay. Pure. */
#ifndef LIFEBOAT_ANSI_H
#define LIFEBOAT_ANSI_H

#include <stddef.h>

/* in (n bytes) into out (at most outlen - 1 and a NUL): its length. */
size_t ansi_strip(const char *in, size_t n, char *out, size_t outlen);

/* Stored lines (each ending in a newline) for reading: ansi_strip of each,
 * newlines kept. Its length. */
size_t console_text(const char *in, size_t n, char *out, size_t outlen);

/* A console line as stored: ESC, tab and UTF-8 kept (a replay shows
 * what the console showed), other bytes as \xNN (the database takes no
 * NUL and no invalid UTF-8). outlen >= 4 * n + 1 holds all. */
size_t console_line_clean(const char *in, size_t n, char *out, size_t outlen);

#endif
