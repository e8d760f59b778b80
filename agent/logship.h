/* The rescue system's logs to lifeboatd (the reporter's part): what
 * /dev/kmsg holds, the kernel's lines and the agent's (log.c writes them
 * there too), read without blocking into a batch of at most
 * LB_LOGS_MAX_BYTES that is sent when it is 2 s old or 3/4 full; and, on
 * tools-failed or error, a diagnostic bundle of what /proc and /sys say
 * (one table of files, and the network interfaces, PCI devices and
 * disks). Records the kernel overwrote before they were read, or that
 * found no room, are counted and said in the next batch. */
#ifndef LIFEBOAT_LOGSHIP_H
#define LIFEBOAT_LOGSHIP_H

#include <stddef.h>

#include "wire.h"

struct logship {
	int fd;                           /* /dev/kmsg; -1: none */
	char buf[LB_LOGS_MAX_BYTES];
	size_t len;
	unsigned long lost;
	long long first_ms;               /* when the oldest line of buf came */
};

void logship_open(struct logship *l);

/* Reads what is there (never blocks). */
void logship_read(struct logship *l);

/* 1 when buf should go now. */
int logship_due(const struct logship *l, long long now_ms);

/* After a batch went: empty again. */
void logship_sent(struct logship *l);

/* The diagnostic bundle into out (NUL-terminated): its length. */
size_t logship_bundle(char *out, size_t len);

#endif
