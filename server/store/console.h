/* What the hosts' serial consoles printed (lifeboatd/console.c captures
 * them): one row per line with its time, the newest CONSOLE_MAX lines per
 * host kept; and the lease that makes one lifeboatd of several the one
 * that captures a host. */
#ifndef LIFEBOAT_STORE_CONSOLE_H
#define LIFEBOAT_STORE_CONSOLE_H

#include <stddef.h>

#include "store/store.h"

#define CONSOLE_MAX 20000            /* lines kept per host */
#define CONSOLE_READ_MAX (2 * 1024 * 1024)

/* n lines (each without its newline) at time ms, in one transaction. */
int console_add(struct store *st, const char *mac, long long time_ms, const char *const *lines, size_t n);

/* Several hosts' lines in one transaction (one writer for every
 * console: a transaction a second, not one per console). */
struct console_batch {
	char mac[18];
	long long time_ms;
	char **lines;
	size_t n;
};
int console_add_batches(struct store *st, const struct console_batch *b, size_t n);

/* The lines since `since_ms` (0: all kept; only the newest `newest`, 0:
 * any), oldest first, each
 * "<text>\\n"; with times, "YYYY-MM-DD HH:MM:SS.mmm <text>\\n". A malloc'ed
 * string with *len, or NULL with *rc. */
char *console_read(struct store *st, const char *mac, long long since_ms, int times, int newest, size_t *len,
		   int *rc);

/* One stored line: its row id (rising), time (ms) and text. Nonzero
 * from fn stops the walk. */
typedef int (*console_row_fn)(long long id, long long time_ms, const char *text, void *ctx);

#define CONSOLE_ROWS_MAX 256

/* The lines after row after_id (< 0: the newest `newest`), oldest first,
 * at most CONSOLE_ROWS_MAX: fn for each. 0 or -errno. */
int console_rows(struct store *st, const char *mac, long long after_id, int newest, console_row_fn fn, void *ctx);

#define CONSOLE_INPUT_MAX 1024       /* bytes an admin types in one request */
#define CONSOLE_INPUT_ROWS 256       /* rows taken at once */
#define CONSOLE_TYPING_EVENT_S 60    /* typing within this long is one event */

/* What `by` typed into mac's console (UTF-8 without NUL, at most
 * CONSOLE_INPUT_MAX bytes), queued (its time in ms) for the lifeboatd that
 * captures it when that is another, with the event as console_input_note
 * says (by NULL: none, it was noted already), in one transaction. 0 or
 * -errno. */
int console_input_add(struct store *st, const char *mac, long long now_ms, const char *data, size_t len,
		      const char *by);

/* Only the event (what was typed went to the console from this process):
 * "console-input" naming who and how many bytes, not what (a passphrase
 * typed at a boot prompt stays out of the log); typing by the same admin
 * within CONSOLE_TYPING_EVENT_S is counted in the host's newest event
 * when that is it. now in seconds. 0 or -errno. */
int console_input_note(struct store *st, const char *mac, long long now, size_t len, const char *by);

/* The queued input, oldest first, at most CONSOLE_INPUT_ROWS: what
 * wants(mac) says is this lifeboatd's is deleted, and then handed to
 * give (deleted first: a failed commit loses typing rather than repeats
 * it); the rest stays for another lifeboatd. Input queued before
 * expired_before is deleted unused and counted in *expired. 0 or -errno. */
struct console_input_ops {
	int (*wants)(const char *mac, void *ctx);
	void (*give)(const char *mac, const char *data, void *ctx);
};
int console_input_take(struct store *st, long long expired_before, const struct console_input_ops *ops, void *ctx,
		       unsigned int *expired);

/* 1 when someone holds lease `name` at now, 0 when nobody does, -errno. */
int lease_held(struct store *st, const char *name, long long now);

/* The lease `name` for owner until now + seconds: 1 when owner holds it
 * now (taken or renewed), 0 when another does, -errno. */
int lease_take(struct store *st, const char *name, const char *owner, long long now, long long seconds);
/* Gives it up (when owner holds it). */
void lease_drop(struct store *st, const char *name, const char *owner);

#endif
