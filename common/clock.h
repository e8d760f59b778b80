/* The one millisecond clock of the agent and the server: CLOCK_MONOTONIC,
 * for deadlines and durations (never the time of day). Header-only so the
 * musl agent and the glibc server share it without a library. */
#ifndef LIFEBOAT_CLOCK_H
#define LIFEBOAT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t lb_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
