#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"

static uint64_t boots[MB_COUNT], reports[MR_COUNT], conflicts, tls_connections;
static uint64_t http_answers[600];
/* store call latency: upper bounds in microseconds, the last +Inf */
static const uint64_t store_le_us[] = { 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000 };
#define STORE_BUCKETS (sizeof(store_le_us) / sizeof(store_le_us[0]))
static uint64_t store_buckets[STORE_BUCKETS + 1], store_sum_us, store_count;
static uint64_t webhooks[MW_COUNT], webhook_queue, console_workers;

static void bump(uint64_t *c, uint64_t by)
{
	__atomic_add_fetch(c, by, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void metric_boot(enum metric_boot outcome)
{
	if (outcome < MB_COUNT) {
		bump(&boots[outcome], 1);
	}
}

void metric_report(enum metric_report result)
{
	if (result < MR_COUNT) {
		bump(&reports[result], 1);
	}
}

void metric_conflict(void)
{
	bump(&conflicts, 1);
}

void metric_tls_connection(void)
{
	bump(&tls_connections, 1);
}

void metric_http_answer(unsigned int status)
{
	if (status >= 100 && status < 600) {
		bump(&http_answers[status], 1);
	}
}

void metric_store_call(uint64_t us)
{
	size_t i;

	for (i = 0; i < STORE_BUCKETS && us > store_le_us[i]; i++) {
	}
	bump(&store_buckets[i], 1);
	bump(&store_sum_us, us);
	bump(&store_count, 1);
}

void metric_webhook(enum metric_webhook result)
{
	if (result < MW_COUNT) {
		bump(&webhooks[result], 1);
	}
}

void metric_webhook_queue(uint64_t n)
{
	__atomic_store_n(&webhook_queue, n, __ATOMIC_RELAXED);
}

void metric_console_workers(uint64_t n)
{
	__atomic_store_n(&console_workers, n, __ATOMIC_RELAXED);
}

/* ---- the text ------------------------------------------------------------------ */

struct text {
	char *p;
	size_t len, cap;
	int overflow;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = 1;
		return;
	}
	t->len += (size_t)n;
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_boots(struct text *t, const struct metric_gauges *g)
{
	static const char *const names[MB_COUNT] = { "normal", "rescue", "ip_mismatch", "conflict", "busy", "wait" };
	size_t i;

	(void)g;
	for (i = 0; i < MB_COUNT; i++) {
		put(t, "lifeboat_boot_decisions_total{outcome=\"%s\"} %llu\n", names[i], (unsigned long long)get(&boots[i]));
	}
}

static void render_reports(struct text *t, const struct metric_gauges *g)
{
	static const char *const names[MR_COUNT] = { "accepted", "refused", "invalid", "failed" };
	size_t i;

	(void)g;
	for (i = 0; i < MR_COUNT; i++) {
		put(t, "lifeboat_reports_total{result=\"%s\"} %llu\n", names[i], (unsigned long long)get(&reports[i]));
	}
}

static void render_conflicts(struct text *t, const struct metric_gauges *g)
{
	(void)g;
	put(t, "lifeboat_conflicts_total %llu\n", (unsigned long long)get(&conflicts));
}

static void render_sessions(struct text *t, const struct metric_gauges *g)
{
	static const char *const names[4] = { "armed", "active", "conflict", "ended" };
	size_t i;

	for (i = 0; i < 4; i++) {
		put(t, "lifeboat_sessions{state=\"%s\"} %llu\n", names[i], (unsigned long long)g->sessions[i]);
	}
}

static void render_hosts(struct text *t, const struct metric_gauges *g)
{
	put(t, "lifeboat_hosts %llu\n", (unsigned long long)g->hosts);
}

static void render_tls(struct text *t, const struct metric_gauges *g)
{
	(void)g;
	put(t, "lifeboat_tls_connections_total %llu\n", (unsigned long long)get(&tls_connections));
}

static void render_http(struct text *t, const struct metric_gauges *g)
{
	unsigned int code;

	(void)g;
	for (code = 100; code < 600; code++) {
		uint64_t n = get(&http_answers[code]);

		if (n != 0) {
			put(t, "lifeboat_http_responses_total{code=\"%u\"} %llu\n", code, (unsigned long long)n);
		}
	}
}

static void render_store(struct text *t, const struct metric_gauges *g)
{
	uint64_t cumulative = 0;
	size_t i;

	(void)g;
	for (i = 0; i < STORE_BUCKETS; i++) {
		cumulative += get(&store_buckets[i]);
		put(t, "lifeboat_store_call_seconds_bucket{le=\"%g\"} %llu\n", (double)store_le_us[i] / 1e6,
		    (unsigned long long)cumulative);
	}
	cumulative += get(&store_buckets[STORE_BUCKETS]);
	put(t, "lifeboat_store_call_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
	put(t, "lifeboat_store_call_seconds_sum %.6f\n", (double)get(&store_sum_us) / 1e6);
	/* the +Inf bucket's, read once: the two always agree */
	put(t, "lifeboat_store_call_seconds_count %llu\n", (unsigned long long)cumulative);
}

static void render_webhooks(struct text *t, const struct metric_gauges *g)
{
	static const char *const names[MW_COUNT] = { "delivered", "failed", "dropped" };
	size_t i;

	(void)g;
	for (i = 0; i < MW_COUNT; i++) {
		put(t, "lifeboat_webhooks_total{result=\"%s\"} %llu\n", names[i], (unsigned long long)get(&webhooks[i]));
	}
}

static void render_webhook_queue(struct text *t, const struct metric_gauges *g)
{
	(void)g;
	put(t, "lifeboat_webhook_queue %llu\n", (unsigned long long)get(&webhook_queue));
}

static void render_consoles(struct text *t, const struct metric_gauges *g)
{
	(void)g;
	put(t, "lifeboat_console_workers %llu\n", (unsigned long long)get(&console_workers));
}

/* One row per family: its name, type, help and what writes its samples. */
static const struct {
	const char *name, *type, *help;
	void (*render)(struct text *t, const struct metric_gauges *g);
} families[] = {
	{ "lifeboat_boot_decisions_total", "counter", "Boot requests answered, by the script's outcome.", render_boots },
	{ "lifeboat_sessions", "gauge", "Rescue sessions of the stored hosts, by state.", render_sessions },
	{ "lifeboat_hosts", "gauge", "Hosts stored.", render_hosts },
	{ "lifeboat_conflicts_total", "counter", "Sessions put in conflict (boot requests or reports from another address).",
	  render_conflicts },
	{ "lifeboat_reports_total", "counter", "Agents' status reports, by what became of them.", render_reports },
	{ "lifeboat_tls_connections_total", "counter", "Connections accepted on the HTTPS listener (one TLS handshake each).",
	  render_tls },
	{ "lifeboat_http_responses_total", "counter", "HTTP answers sent, by status code.", render_http },
	{ "lifeboat_store_call_seconds", "histogram", "How long each database call took (this lifeboatd's).", render_store },
	{ "lifeboat_webhooks_total", "counter", "Webhook POSTs: delivered, failed (tried again), dropped (queue full).",
	  render_webhooks },
	{ "lifeboat_webhook_queue", "gauge", "Events waiting to be sent to the webhook.", render_webhook_queue },
	{ "lifeboat_console_workers", "gauge", "Serial consoles this lifeboatd captures (it holds their leases).",
	  render_consoles },
};

int metrics_render(const struct metric_gauges *g, char *out, size_t len)
{
	struct text t = { .p = out, .len = 0, .cap = len };
	size_t i;

	if (len == 0) {
		return -ENOSPC;
	}
	out[0] = '\0';
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		family(&t, families[i].name, families[i].type, families[i].help);
		families[i].render(&t, g);
	}
	return t.overflow ? -ENOSPC : (int)t.len;
}
