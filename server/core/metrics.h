/* lifeboatd's metrics (GET /metrics, Prometheus' text format 0.0.4;
 * docs/server.md#metrics): one table of families (metrics.c), counters
 * and a histogram as atomics that any thread bumps without a lock, and
 * the text made from them. What is counted where is said at each call. */
#ifndef LIFEBOAT_METRICS_H
#define LIFEBOAT_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Boot decisions, by outcome (the iPXE script that was answered). */
enum metric_boot {
	MB_NORMAL, MB_RESCUE, MB_IP_MISMATCH, MB_CONFLICT, MB_BUSY, MB_WAIT, MB_COUNT
};

/* Status reports, by what became of them. */
enum metric_report { MR_ACCEPTED, MR_REFUSED, MR_INVALID, MR_FAILED, MR_COUNT };

void metric_boot(enum metric_boot outcome);
void metric_report(enum metric_report result);
void metric_conflict(void);
void metric_tls_connection(void);
void metric_http_answer(unsigned int status);
/* One call to the database, us microseconds long. */
void metric_store_call(uint64_t us);

/* Webhooks, by what became of each POST (a failed one is tried again). */
enum metric_webhook { MW_DELIVERED, MW_FAILED, MW_DROPPED, MW_COUNT };
void metric_webhook(enum metric_webhook result);
/* The events waiting to go out now. */
void metric_webhook_queue(uint64_t n);

/* The serial consoles this lifeboatd captures now. */
void metric_console_workers(uint64_t n);

/* Gauges read when the text is made: the sessions by state. */
struct metric_gauges {
	uint64_t sessions[4]; /* armed, active, conflict, ended */
	uint64_t hosts;
};

/* The whole text into out (a NUL-terminated string): its length, or
 * -ENOSPC. */
int metrics_render(const struct metric_gauges *g, char *out, size_t len);

#endif
