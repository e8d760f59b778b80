/* Serial console capture (console.c). */
#ifndef LIFEBOAT_LIFEBOATD_CONSOLE_H
#define LIFEBOAT_LIFEBOATD_CONSOLE_H

#include <stddef.h>

/* Starts the thread that finds the consoles to capture (before the
 * listeners). 0 or -errno with err. */
int console_start(char *err, size_t errlen);
/* Stops it and every capture (their leases given up). */
void console_stop(void);

/* len bytes typed into mac's console, when this lifeboatd captures it and
 * its session is up: 1 (handed to the capture), 0 (not here: queue it),
 * -EAGAIN (the capture is behind: 64 KiB wait already). */
int console_type_here(const char *mac, const char *data, size_t len);
/* 1 when this lifeboatd captures mac's console and its session is up. */
int console_captured_here(const char *mac);

#endif
