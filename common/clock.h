/* The one clock of the agent and the server for deadlines and durations:
 * CLOCK_MONOTONIC (never the time of day), in ms, or in ns for a log's
 * timing. Header-only so the musl agent and the glibc server share it
 * without a library. */
#ifndef LIFEBOAT_CLOCK_H
#define LIFEBOAT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t lb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t lb_mono_ms(void)
{
	return lb_mono_ns() / 1000000u;
}

#endif
