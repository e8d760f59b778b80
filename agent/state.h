/* PID 1's state for the reporter, as small files in /run/lifeboat written
 * atomically: phase, history, error, hostkeys, bootmac, reported. */
#ifndef LIFEBOAT_STATE_H
#define LIFEBOAT_STATE_H

#include <stddef.h>

#define STATE_DIR "/run/lifeboat"

int state_write(const char *name, const char *text);
int state_append(const char *name, const char *line);
/* Reads a state file into buf (NUL-terminated, trailing newline kept). */
int state_read(const char *name, char *buf, size_t len);

/* Sets the phase (common/wire.h LB_PHASES). */
void state_set_phase(const char *phase);

#endif
