/* Serial console capture (console.c). */
#ifndef LIFEBOAT_LIFEBOATD_CONSOLE_H
#define LIFEBOAT_LIFEBOATD_CONSOLE_H

#include <stddef.h>

/* Starts the thread that finds the consoles to capture (before the
 * listeners). 0 or -errno with err. */
int console_start(char *err, size_t errlen);
/* Stops it and every capture (their leases given up). */
void console_stop(void);

#endif
