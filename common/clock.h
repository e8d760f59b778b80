/* The one clock of the agent and the server for deadlines and durations:
 * CLOCK_MONOTONIC (never the time of day), in ms, or in ns for a log's
 * timing; and the absolute time ms from now that pthread's timed waits
 * take (they count on CLOCK_REALTIME). Header-only so the musl agent and the glibc server share it
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

static inline void lb_wall_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

#endif
