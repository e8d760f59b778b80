/* lifeboatd: decides per machine between rescue and normal boot, serves
 * the payload and collects status. HTTP by libmicrohttpd. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "query.h"
#include "script.h"
#include "status.h"
#include "store.h"

#define MAX_ARGS 32
#define SCRIPT_MAX 8192

static struct conf conf;
static struct store store;

struct req {
	struct timespec start;
	char method[8];
	char path[256];
	unsigned int status;
	uint64_t bytes;
	char *body;
	size_t len;
	int too_big;
	char client[INET_ADDRSTRLEN];
	char why[200];      /* for 4xx/5xx: the reason, logged */
};

/* ---- helpers ------------------------------------------------------------ */

static void log_request(struct req *r)
{
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 + (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	fprintf(stderr, "lifeboatd: %s \"%s %s\" %u %" PRIu64 " %.1fms%s%s\n", r->client, r->method, r->path,
		r->status, r->bytes, ms, r->why[0] ? " " : "", r->why);
}

/* Copies for the log: anything unprintable (and blanks, unless allowed)
 * becomes '?', so one request is always one log line. */
static void safe_copy(char *dst, size_t len, const char *src, int blanks)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch > 0x20 && ch < 0x7f) || (blanks && ch == ' ') ? src[i] : '?';
	}
	dst[i] = '\0';
}

static enum MHD_Result queue(struct MHD_Connection *c, struct req *r, unsigned int status,
			     struct MHD_Response *resp, uint64_t bytes)
{
	enum MHD_Result ret;

	if (resp == NULL) {
		return MHD_NO;
	}
	r->status = status;
	r->bytes = bytes;
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, struct req *r, unsigned int status, const char *type,
			       const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return queue(c, r, status, resp, len);
}

static enum MHD_Result text(struct MHD_Connection *c, struct req *r, unsigned int status, const char *msg)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s\n", msg);

	if (status >= 400) {
		safe_copy(r->why, sizeof(r->why), strncmp(msg, "lifeboatd: ", 11) == 0 ? msg + 11 : msg, 1);
	}
	return respond(c, r, status, "text/plain; charset=utf-8", buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static enum MHD_Result json_reply(struct MHD_Connection *c, struct req *r, unsigned int status, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	return respond(c, r, status, "application/json", s, strlen(s));
}

/* The token from "Authorization: Bearer <token>", checked for shape. */
static const char *bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
		return NULL;
	}
	h += 7;
	if (strlen(h) < 8 || strlen(h) > 256 ||
	    strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != strlen(h)) {
		return NULL;
	}
	return h;
}

/* ---- GET /boot.ipxe --------------------------------------------------------- */

struct args {
	struct qarg v[MAX_ARGS];
	size_t n;
	int overflow;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->n == MAX_ARGS) {
		a->overflow = 1;
		return MHD_NO;
	}
	a->v[a->n].key = key;
	a->v[a->n].val = value;
	a->n++;
	return MHD_YES;
}

static void record_boot(json_object *h, const struct boot_query *q, const char *source, const char *decision)
{
	json_object *b = json_object_new_object();

	json_object_object_add(b, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(b, "source", json_object_new_string(source));
	json_object_object_add(b, "decision", json_object_new_string(decision));
#define ADD(f)                                                                     \
	if (q->f[0] != '\0') {                                                     \
		json_object_object_add(b, #f, json_object_new_string(q->f));       \
	}
	ADD(ip) ADD(netmask) ADD(gateway) ADD(dns) ADD(uuid) ADD(serial) ADD(product) ADD(manufacturer)
	ADD(platform) ADD(buildarch)
#undef ADD
	json_object_object_add(h, "last_boot", b);
}

/* Signatures next to the payload (make sign) switch on imgverify. */
static int payload_signed(void)
{
	char a[600], b[600];

	snprintf(a, sizeof(a), "%s/bzImage.sig", conf.payload_dir);
	snprintf(b, sizeof(b), "%s/initramfs.cpio.xz.sig", conf.payload_dir);
	return access(a, R_OK) == 0 && access(b, R_OK) == 0;
}

static enum MHD_Result handle_boot(struct MHD_Connection *c, struct req *r)
{
	struct args a = { .n = 0 };
	struct boot_query q;
	struct render_ctx rc = { 0 };
	json_object *h = NULL, *nat = NULL;
	char err[512], script[SCRIPT_MAX], token[64] = "", policy[16];
	enum decision d;
	int len, host_nat = 0, known;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	if (a.overflow) {
		return text(c, r, 400, "lifeboatd: cannot use the query: more than 32 parameters");
	}
	if (boot_query_parse(a.v, a.n, &q, err, sizeof(err)) < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "lifeboatd: cannot use the query: %s", err);
		return text(c, r, 400, msg);
	}
	store_lock(&store);
	h = store_load(&store, q.mac);
	known = h != NULL;
	snprintf(policy, sizeof(policy), "%s", known ? jstr(h, "policy") : conf.default_policy);
	if (known && json_object_object_get_ex(h, "nat", &nat)) {
		host_nat = json_object_get_boolean(nat);
	}
	if (strcmp(policy, "rescue") != 0 && strcmp(policy, "rescue-once") != 0) {
		d = DECIDE_NORMAL;
		snprintf(policy, sizeof(policy), "normal");
	} else if (!conf.nat && !host_nat && strcmp(q.ip, r->client) != 0) {
		d = DECIDE_IP_MISMATCH;
	} else {
		d = DECIDE_RESCUE;
	}
	if (d == DECIDE_RESCUE && !known) {
		h = store_new_host(q.mac, policy); /* default_policy = rescue */
		known = 1;
	}
	if (known) {
		if (d == DECIDE_RESCUE) {
			if (store_new_token(token) < 0) {
				store_unlock(&store);
				json_object_put(h);
				return text(c, r, 500, "lifeboatd: cannot make a token: no randomness");
			}
			json_object_object_add(h, "token", json_object_new_string(token));
			json_object_object_add(h, "phase", json_object_new_string("loading"));
		} else {
			/* a machine that boots its disk revokes the last rescue token */
			json_object_object_del(h, "token");
		}
		record_boot(h, &q, r->client, d == DECIDE_RESCUE ? "rescue" : d == DECIDE_NORMAL ? "normal" : "ip-mismatch");
		if (store_save(&store, q.mac, h, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: %s\n", err);
		}
	}
	store_unlock(&store);
	json_object_put(h);
	rc.q = &q;
	rc.policy = policy;
	rc.public_url = conf.public_url;
	rc.payload_url = conf.payload_url;
	rc.token = token;
	rc.extra_args = conf.kernel_args;
	rc.heartbeat = conf.heartbeat;
	rc.source_ip = r->client;
	rc.signed_payload = payload_signed();
	len = script_render(d, &rc, script, sizeof(script), err, sizeof(err));
	if (len < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "lifeboatd: cannot write the boot script: %s", err);
		fprintf(stderr, "%s\n", msg);
		return text(c, r, 500, msg);
	}
	return respond(c, r, 200, "text/plain; charset=utf-8", script, (size_t)len);
}

static enum MHD_Result handle_chain(struct MHD_Connection *c, struct req *r)
{
	char script[2048], err[256];
	int len = script_render_chain(conf.public_url, script, sizeof(script), err, sizeof(err));

	if (len < 0) {
		return text(c, r, 500, err);
	}
	return respond(c, r, 200, "text/plain; charset=utf-8", script, (size_t)len);
}

/* ---- GET /payload/<name> ---------------------------------------------------- */

static int payload_name_ok(const char *n)
{
	size_t l = strlen(n);

	return l > 0 && l < 128 && n[0] != '.' &&
	       strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == l;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n": 1 and the range, 0 to ignore
 * (absent, several ranges, not bytes), -1 unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *end)
{
	unsigned long long a = 0, b = 0;
	char *p = NULL;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL) {
		return 0;
	}
	h += 6;
	if (*h == '-') {
		if (h[1] < '0' || h[1] > '9') {
			return 0;
		}
		b = strtoull(h + 1, &p, 10);
		if (*p != '\0') {
			return 0;
		}
		if (b == 0 || size == 0) {
			return -1;
		}
		*start = b >= size ? 0 : size - b;
		*end = size - 1;
		return 1;
	}
	if (*h < '0' || *h > '9') {
		return 0;
	}
	a = strtoull(h, &p, 10);
	if (*p != '-') {
		return 0;
	}
	p++;
	if (*p == '\0') {
		b = size - 1;
	} else {
		char *q = NULL;

		if (*p < '0' || *p > '9') {
			return 0;
		}
		b = strtoull(p, &q, 10);
		if (*q != '\0' || b < a) {
			return 0;
		}
		if (b >= size) {
			b = size - 1;
		}
	}
	if (a >= size) {
		return -1;
	}
	*start = a;
	*end = b;
	return 1;
}

static enum MHD_Result handle_payload(struct MHD_Connection *c, struct req *r, const char *name)
{
	char path[700], etag[64], lastmod[64], crange[96];
	const char *inm = NULL;
	struct MHD_Response *resp = NULL;
	struct stat st;
	struct tm tm;
	uint64_t start = 0, end = 0;
	int fd, range;

	if (!payload_name_ok(name)) {
		return text(c, r, 404, "lifeboatd: no such payload file");
	}
	snprintf(path, sizeof(path), "%s/%s", conf.payload_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return text(c, r, 404, "lifeboatd: no such payload file");
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return text(c, r, 404, "lifeboatd: no such payload file");
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtime);
	gmtime_r(&st.st_mtime, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		return queue(c, r, 304, resp, 0);
	}
	range = parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
			    (uint64_t)st.st_size, &start, &end);
	if (range < 0) {
		close(fd);
		snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)st.st_size);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		return queue(c, r, 416, resp, 0);
	}
	if (range == 0) {
		start = 0;
		end = st.st_size > 0 ? (uint64_t)st.st_size - 1 : 0;
	}
	/* sendfile(2) is used by libmicrohttpd for fd responses */
	resp = MHD_create_response_from_fd_at_offset64(st.st_size == 0 ? 0 : end - start + 1, fd, (uint64_t)start);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (range == 1) {
		snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)end, (unsigned long long)st.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		return queue(c, r, 206, resp, end - start + 1);
	}
	return queue(c, r, 200, resp, (uint64_t)st.st_size);
}

/* ---- POST /api/v1/status, GET /api/v1/keys/<mac> -------------------------------- */

static enum MHD_Result handle_status(struct MHD_Connection *c, struct req *r)
{
	const char *token = bearer(c);
	json_object *report = NULL, *h = NULL, *phase = NULL;
	char mac[18], err[512], msg[600];

	if (token == NULL || store_find_token(&store, token, mac) < 0) {
		return text(c, r, 403, "lifeboatd: cannot accept the report: missing or unknown token");
	}
	if (r->too_big) {
		return text(c, r, 400, "lifeboatd: cannot accept the report: larger than 262144 bytes");
	}
	report = status_parse(r->body ? r->body : "", r->len, err, sizeof(err));
	if (report == NULL) {
		snprintf(msg, sizeof(msg), "lifeboatd: cannot accept the report: %s", err);
		return text(c, r, 400, msg);
	}
	store_lock(&store);
	h = store_load(&store, mac);
	if (h == NULL || strcmp(jstr(h, "token"), token) != 0) {
		store_unlock(&store);
		json_object_put(h);
		json_object_put(report);
		return text(c, r, 403, "lifeboatd: cannot accept the report: the token was revoked");
	}
	json_object_object_get_ex(report, "phase", &phase);
	json_object_object_add(h, "phase", json_object_get(phase));
	json_object_object_add(h, "report_time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(h, "report_source", json_object_new_string(r->client));
	if (strcmp(json_object_get_string(phase), "ssh-ready") == 0 && strcmp(jstr(h, "policy"), "rescue-once") == 0) {
		/* rescue-once: the rescue system is up, so the next boot is normal */
		json_object_object_add(h, "policy", json_object_new_string("normal"));
		fprintf(stderr, "lifeboatd: %s reached ssh-ready: policy rescue-once is now normal\n", mac);
	}
	json_object_object_add(h, "report", report);
	if (store_save(&store, mac, h, err, sizeof(err)) < 0) {
		store_unlock(&store);
		json_object_put(h);
		fprintf(stderr, "lifeboatd: %s\n", err);
		return text(c, r, 500, "lifeboatd: cannot store the report");
	}
	store_unlock(&store);
	json_object_put(h);
	return text(c, r, 200, "ok");
}

static enum MHD_Result handle_keys(struct MHD_Connection *c, struct req *r, const char *macs)
{
	const char *token = bearer(c);
	char mac[18], buf[65536];
	json_object *h = NULL;
	size_t n = 0;
	FILE *f = NULL;
	int ok;

	if (parse_mac(macs, mac) < 0) {
		return text(c, r, 404, "lifeboatd: no such host");
	}
	h = store_load(&store, mac);
	ok = h != NULL && token != NULL && strcmp(jstr(h, "token"), token) == 0;
	json_object_put(h);
	if (!ok) {
		return text(c, r, 403, "lifeboatd: cannot give keys: missing or wrong token");
	}
	f = fopen(conf.keys_file, "re");
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	return respond(c, r, 200, "text/plain; charset=utf-8", buf, n);
}

/* ---- hosts: API and page ---------------------------------------------------- */

static void add_summary(json_object *h, void *ctx)
{
	json_object *copy = NULL;

	json_object_deep_copy(h, &copy, NULL);
	json_object_object_del(copy, "token"); /* secrets stay on the server */
	json_object_array_add(ctx, copy);
}

static enum MHD_Result handle_hosts(struct MHD_Connection *c, struct req *r, const char *macs)
{
	json_object *out = NULL, *h = NULL;
	enum MHD_Result ret;
	char mac[18];

	if (macs == NULL) {
		out = json_object_new_array();
		store_each(&store, add_summary, out);
		ret = json_reply(c, r, 200, out);
		json_object_put(out);
		return ret;
	}
	if (parse_mac(macs, mac) < 0 || (h = store_load(&store, mac)) == NULL) {
		return text(c, r, 404, "lifeboatd: no such host");
	}
	json_object_object_del(h, "token");
	ret = json_reply(c, r, 200, h);
	json_object_put(h);
	return ret;
}

struct page {
	char *p;
	size_t len, cap;
};

static void page_put(struct page *pg, const char *s, size_t n)
{
	if (pg->len + n + 1 > pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 8192;
		char *p = NULL;

		while (cap < pg->len + n + 1) {
			cap *= 2;
		}
		p = realloc(pg->p, cap);
		if (p == NULL) {
			return;
		}
		pg->p = p;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, s, n);
	pg->len += n;
	pg->p[pg->len] = '\0';
}

static void page_raw(struct page *pg, const char *s)
{
	page_put(pg, s, strlen(s));
}

static void page_text(struct page *pg, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			page_raw(pg, "&lt;");
			break;
		case '>':
			page_raw(pg, "&gt;");
			break;
		case '&':
			page_raw(pg, "&amp;");
			break;
		case '"':
			page_raw(pg, "&quot;");
			break;
		case '\'':
			page_raw(pg, "&#39;");
			break;
		default:
			page_put(pg, s, 1);
		}
	}
}

static json_object *path_get(json_object *o, const char *a, const char *b)
{
	json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x)) {
		return NULL;
	}
	if (b == NULL) {
		return x;
	}
	return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

static void page_row(json_object *h, void *ctx)
{
	struct page *pg = ctx;
	json_object *rt = NULL, *ifs = path_get(h, "report", "interfaces"), *keys = NULL, *disks = NULL;
	char buf[128];
	size_t i, k;

	page_raw(pg, "<tr><td>");
	page_text(pg, jstr(h, "mac"));
	page_raw(pg, "</td><td>");
	page_text(pg, jstr(h, "policy"));
	page_raw(pg, "</td><td>");
	page_text(pg, jstr(h, "phase"));
	page_raw(pg, "</td><td>");
	for (i = 0; ifs != NULL && i < json_object_array_length(ifs); i++) {
		json_object *ips = path_get(json_object_array_get_idx(ifs, i), "ipv4", NULL);

		for (k = 0; ips != NULL && k < json_object_array_length(ips); k++) {
			page_text(pg, json_object_get_string(json_object_array_get_idx(ips, k)));
			page_raw(pg, "<br>");
		}
	}
	page_raw(pg, "</td><td>");
	if (json_object_object_get_ex(h, "report_time", &rt)) {
		snprintf(buf, sizeof(buf), "%lld s ago", (long long)(time(NULL) - json_object_get_int64(rt)));
		page_text(pg, buf);
	} else {
		page_raw(pg, "never");
	}
	page_raw(pg, "</td><td>");
	keys = path_get(path_get(h, "report", "ssh"), "host_keys", NULL);
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++) {
		json_object *key = json_object_array_get_idx(keys, i);

		page_text(pg, jstr(key, "type"));
		page_raw(pg, " ");
		page_text(pg, jstr(key, "fingerprint"));
		page_raw(pg, "<br>");
	}
	page_raw(pg, "</td><td>");
	disks = path_get(path_get(h, "report", "inventory"), "disks", NULL);
	for (i = 0; disks != NULL && i < json_object_array_length(disks); i++) {
		json_object *d = json_object_array_get_idx(disks, i), *sz = NULL;

		page_text(pg, jstr(d, "name"));
		if (json_object_object_get_ex(d, "size_bytes", &sz)) {
			snprintf(buf, sizeof(buf), " %.1f GB ", (double)json_object_get_int64(sz) / 1e9);
			page_text(pg, buf);
		}
		page_text(pg, jstr(d, "model"));
		page_raw(pg, " ");
		page_text(pg, jstr(d, "serial"));
		page_raw(pg, "<br>");
	}
	page_raw(pg, "</td></tr>\n");
}

static enum MHD_Result handle_page(struct MHD_Connection *c, struct req *r)
{
	struct page pg = { 0 };
	enum MHD_Result ret;

	page_raw(&pg, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lifeboat</title>"
		      "<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ccc;padding:4px 8px;"
		      "vertical-align:top;text-align:left}table{border-collapse:collapse}</style></head><body>\n"
		      "<h1>Lifeboat hosts</h1>\n<table>\n<tr><th>MAC</th><th>policy</th><th>phase</th><th>IP</th>"
		      "<th>last report</th><th>SSH host keys</th><th>disks</th></tr>\n");
	store_each(&store, page_row, &pg);
	page_raw(&pg, "</table>\n<p>lifeboatctl rescue MAC [--once] | normal MAC | known-hosts MAC</p>\n</body></html>\n");
	if (pg.p == NULL) {
		return text(c, r, 500, "lifeboatd: out of memory");
	}
	ret = respond(c, r, 200, "text/html; charset=utf-8", pg.p, pg.len);
	free(pg.p);
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------ */

static enum MHD_Result route(struct MHD_Connection *c, struct req *r, const char *url, const char *method)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;

	if (strcmp(url, "/api/v1/status") == 0) {
		return post ? handle_status(c, r) : text(c, r, 405, "lifeboatd: use POST");
	}
	if (!get) {
		return text(c, r, 405, "lifeboatd: method not allowed");
	}
	if (strcmp(url, "/") == 0) {
		return handle_page(c, r);
	}
	if (strcmp(url, "/boot.ipxe") == 0) {
		return handle_boot(c, r);
	}
	if (strcmp(url, "/chain.ipxe") == 0) {
		return handle_chain(c, r);
	}
	if (strncmp(url, "/payload/", 9) == 0) {
		return handle_payload(c, r, url + 9);
	}
	if (strncmp(url, "/api/v1/keys/", 13) == 0) {
		return handle_keys(c, r, url + 13);
	}
	if (strcmp(url, "/api/v1/hosts") == 0) {
		return handle_hosts(c, r, NULL);
	}
	if (strncmp(url, "/api/v1/hosts/", 14) == 0) {
		return handle_hosts(c, r, url + 14);
	}
	return text(c, r, 404, "lifeboatd: not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)version;
	if (r == NULL) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			return MHD_NO;
		}
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		safe_copy(r->method, sizeof(r->method), method, 0);
		safe_copy(r->path, sizeof(r->path), url, 0);
		if (ci != NULL && ci->client_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, r->client,
				  sizeof(r->client));
		} else {
			strcpy(r->client, "?");
		}
		*con_cls = r;
		/* answer on the next call, as MHD expects: a response queued on
		 * the first call (headers only) makes MHD close the connection */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->too_big && r->len + *upload_size <= STATUS_MAX_BYTES) {
			char *p = realloc(r->body, r->len + *upload_size + 1);

			if (p == NULL) {
				return MHD_NO;
			}
			r->body = p;
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		} else {
			r->too_big = 1; /* keep reading, answer 400 at the end */
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return route(c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL) {
		log_request(r);
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: lifeboatd [--config FILE] [--listen ADDR] [--port N] [--state-dir DIR]\n"
		   "                 [--payload-dir DIR] [--public-url URL] [--payload-url URL]\n"
		   "                 [--default-policy normal|rescue] [--nat yes|no] [--kernel-args ARGS]\n"
		   "                 [--heartbeat S] [--keys-file FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },       { "listen", required_argument, NULL, 1 },
		{ "port", required_argument, NULL, 2 },           { "state-dir", required_argument, NULL, 3 },
		{ "payload-dir", required_argument, NULL, 4 },    { "public-url", required_argument, NULL, 5 },
		{ "payload-url", required_argument, NULL, 6 },    { "default-policy", required_argument, NULL, 7 },
		{ "nat", required_argument, NULL, 8 },            { "kernel-args", required_argument, NULL, 9 },
		{ "heartbeat", required_argument, NULL, 10 },     { "keys-file", required_argument, NULL, 11 },
		{ "help", no_argument, NULL, 'h' },               { NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { NULL, "listen", "port", "state_dir", "payload_dir", "public_url",
					     "payload_url", "default_policy", "nat", "kernel_args", "heartbeat",
					     "keys_file" };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct MHD_Daemon *d = NULL;
	const char *config = NULL;
	char err[700];
	sigset_t stop;
	int opt, sig, i;

	conf = conf_defaults;
	/* the config file first, then flags override it */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[i + 1];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
		}
	}
	if (config != NULL) {
		FILE *f = fopen(config, "re");

		if (f == NULL) {
			fprintf(stderr, "lifeboatd: cannot open config %s: %s\n", config, strerror(errno));
			return 2;
		}
		if (conf_parse_file(f, config, &conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: cannot use config %s\n", err);
			fclose(f);
			return 2;
		}
		fclose(f);
	}
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (opt == 'c') {
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt < 1 || opt > 11) {
			usage(stderr);
			return 2;
		}
		if (conf_set(&conf, names[opt], optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: cannot use --%s: %s\n", opts[opt].name, err);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (conf_finish(&conf, err, sizeof(err)) < 0 || store_open(&store, conf.state_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		return 2;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* MHD's threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	inet_pton(AF_INET, conf.listen, &sa.sin_addr);
	sa.sin_port = htons((uint16_t)conf.port);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)sysconf(_SC_NPROCESSORS_ONLN),
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned int)30, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "lifeboatd: cannot listen on %s:%u: %s\n", conf.listen, conf.port, strerror(errno));
		return 1;
	}
	fprintf(stderr, "lifeboatd: listening on %s:%u (public %s, payload %s, state %s, default policy %s%s)\n",
		conf.listen, conf.port, conf.public_url, conf.payload_url, conf.state_dir, conf.default_policy,
		conf.nat ? ", nat" : "");
	do {
		sig = 0;
		sigwait(&stop, &sig);
	} while (sig != SIGTERM && sig != SIGINT);
	fprintf(stderr, "lifeboatd: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	MHD_stop_daemon(d);
	return 0;
}
