/* GET /metrics (the admin gate has run): Prometheus' text format, the
 * counters of core/metrics.h and the sessions as stored now. */
#include <stdlib.h>
#include <time.h>

#include "core/metrics.h"
#include "core/session.h"
#include "lifeboatd/http.h"
#include "lifeboatd/metricsapi.h"
#include "lifeboatd/server.h"

#define METRICS_MAX (64 * 1024)

struct count {
	struct metric_gauges g;
	long long now;
};

static void count_host(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	struct count *n = ctx;
	struct session s;

	(void)mac;
	(void)sk;
	n->g.hosts++;
	if (h == NULL) {
		return;
	}
	session_read(h, &s);
	switch (session_effective(&s, n->now, NULL)) {
	case SS_ARMED:
		n->g.sessions[0]++;
		break;
	case SS_ACTIVE:
		n->g.sessions[1]++;
		break;
	case SS_CONFLICT:
		n->g.sessions[2]++;
		break;
	case SS_ENDED:
		n->g.sessions[3]++;
		break;
	default:
		break;
	}
}

enum MHD_Result handle_metrics(struct MHD_Connection *c, struct req *r, const char *rest)
{
	struct count n = { .now = (long long)time(NULL) };
	char *text = malloc(METRICS_MAX);
	enum MHD_Result ret;
	int len;

	(void)rest;
	if (text == NULL) {
		return http_text(c, r, 500, "cannot make the metrics: out of memory");
	}
	if (store_each(&srv.store, count_host, &n) < 0) {
		free(text);
		return http_text(c, r, 503, "cannot make the metrics: the database is not available");
	}
	len = metrics_render(&n.g, text, METRICS_MAX);
	if (len < 0) {
		free(text);
		return http_text(c, r, 500, "cannot make the metrics: longer than 64 KiB");
	}
	ret = http_respond(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, (size_t)len);
	free(text);
	return ret;
}
