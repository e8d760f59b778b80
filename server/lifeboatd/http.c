/* libmicrohttpd glue: request records and logging, routing by the table
 * main hands over (routes.c), and the connection policy. No handler is
 * known here. */
#define _GNU_SOURCE
#include <errno.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/wire.h"
#include "core/metrics.h"
#include "lifeboatd/certpin.h"
#include "lifeboatd/http.h"
#include "lifeboatd/server.h"
#include "store/localsock.h"

static const struct http_app *app;

/* ---- answers ------------------------------------------------------------ */

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

enum MHD_Result http_queue(struct MHD_Connection *c, struct req *r, unsigned int status,
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

/* The headers of every answer made from a buffer. */
static struct MHD_Response *buffer_response(unsigned int status, const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp == NULL) {
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (strncmp(type, "text/html", 9) == 0) {
		/* the page's buttons are never clicked inside another site's frame */
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Content-Security-Policy", "frame-ancestors 'none'");
	}
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	}
	return resp;
}

enum MHD_Result http_respond(struct MHD_Connection *c, struct req *r, unsigned int status, const char *type,
			     const char *body, size_t len)
{
	return http_queue(c, r, status, buffer_response(status, type, body, len), len);
}

/* prefix and msg with every occurrence of name (not empty) as "the
 * database", into buf; its length. */
static int put_hiding(char *buf, size_t len, const char *prefix, const char *msg, const char *name)
{
	size_t o = 0, nl = strlen(name);
	int n = snprintf(buf, len, "%s", prefix);

	o = n > 0 ? (size_t)n : 0;
	while (*msg != '\0' && o + 1 < len) {
		if (nl > 0 && strncmp(msg, name, nl) == 0) {
			if (o >= 9 && strncmp(buf + o - 9, "database ", 9) == 0) {
				o -= 9; /* "cannot lock database NAME": "cannot lock the database" */
			}
			n = snprintf(buf + o, len - o, "the database");
			o += (size_t)n < len - o ? (size_t)n : len - o - 1;
			msg += nl;
		} else {
			buf[o++] = *msg++;
		}
	}
	buf[o] = '\0';
	n = snprintf(buf + o, len - o, "\n");
	return (int)(o + ((size_t)n < len - o ? (size_t)n : 0));
}

enum MHD_Result http_text(struct MHD_Connection *c, struct req *r, unsigned int status, const char *msg)
{
	char buf[1024];
	/* the program's name is said here, at the edge: handlers' messages
	 * are the reason alone, which is also what the log line carries. The
	 * database's name (its user, host, port) stays in the log: the
	 * answer, perhaps to an unauthenticated client, says "the database". */
	int n = put_hiding(buf, sizeof(buf), status >= 400 ? "lifeboatd: " : "", msg, srv.store.db.shown);

	if (status >= 400) {
		safe_copy(r->why, sizeof(r->why), msg, 1);
	}
	return http_respond(c, r, status, "text/plain; charset=utf-8", buf,
			    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

enum MHD_Result http_json(struct MHD_Connection *c, struct req *r, unsigned int status, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	return http_respond(c, r, status, "application/json", s, strlen(s));
}

const char *http_bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
		return NULL;
	}
	h += 7;
	n = strlen(h);
	if (n < LB_TOKEN_MIN || n > LB_TOKEN_MAX || strspn(h, LB_TOKEN_CHARS) != n) {
		return NULL;
	}
	return h;
}

/* ---- connection policy ------------------------------------------------------
 * libmicrohttpd gives a per-address limit and a hard total (both close the
 * socket at accept) and an idle timeout. What it lacks we add here:
 *  - a deadline for receiving a whole request, counted from the accept or
 *    the end of the previous request, however the bytes trickle in: a
 *    housekeeping thread shuts down the sockets that miss it;
 *  - a soft cap below the hard total: connections over it are answered
 *    503 with Connection: close as soon as their request is in.
 * The list is kept by MHD's connection notifications; CLOSED comes before
 * MHD closes the descriptor, so shutdown() under the same mutex never
 * touches a descriptor that was reused. */

/* What a daemon's cls points to: which listener a connection came in on. */
enum listener { L_PLAIN, L_TLS, L_LOCAL };
static const enum listener on_plain = L_PLAIN, on_tls = L_TLS, on_local = L_LOCAL;

struct conn {
	struct conn *prev, *next;
	int fd;
	long long since_ms;     /* accept, or the end of the previous request */
	int receiving;          /* 0 once the whole request is in */
	int over_cap;
};

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn conns = { &conns, &conns, -1, 0, 0, 0 };
static unsigned int nconns;
static pthread_t housekeeper;
static int stopping;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (*(const enum listener *)cls == L_TLS) {
			metric_tls_connection();
		}

		k = calloc(1, sizeof(*k));
		if (k == NULL) {
			return;
		}
		k->fd = ci != NULL ? ci->connect_fd : -1;
		k->since_ms = lb_mono_ms();
		k->receiving = 1;
		pthread_mutex_lock(&conns_mu);
		/* the local socket is never over the cap: lifeboatctl on the
		 * boot server works while the network floods the listeners */
		k->over_cap = *(const enum listener *)cls != L_LOCAL && nconns >= srv.conf.max_connections;
		k->next = conns.next;
		k->prev = &conns;
		conns.next->prev = k;
		conns.next = k;
		nconns++;
		pthread_mutex_unlock(&conns_mu);
		*socket_context = k;
		return;
	}
	if (k != NULL) {
		pthread_mutex_lock(&conns_mu);
		k->prev->next = k->next;
		k->next->prev = k->prev;
		nconns--;
		pthread_mutex_unlock(&conns_mu);
		free(k);
		*socket_context = NULL;
	}
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void conn_received(struct MHD_Connection *c, int receiving)
{
	struct conn *k = conn_of(c);

	if (k != NULL) {
		pthread_mutex_lock(&conns_mu);
		k->receiving = receiving;
		k->since_ms = lb_mono_ms();
		pthread_mutex_unlock(&conns_mu);
	}
}

static void shut_late_connections(void)
{
	long long now = lb_mono_ms(), limit = (long long)srv.conf.request_timeout * 1000;
	struct conn *k = NULL;

	pthread_mutex_lock(&conns_mu);
	for (k = conns.next; k != &conns; k = k->next) {
		if (k->receiving && k->fd >= 0 && now - k->since_ms > limit) {
			shutdown(k->fd, SHUT_RDWR); /* MHD sees the end and cleans up */
			k->fd = -1;
		}
	}
	pthread_mutex_unlock(&conns_mu);
}

static void *housekeeping(void *arg)
{
	struct timespec ts;
	long long last_flush = lb_mono_ms();

	(void)arg;
	pthread_mutex_lock(&conns_mu);
	while (!stopping) {
		lb_wall_after(&ts, 250);
		pthread_cond_timedwait(&stop_cv, &conns_mu, &ts);
		pthread_mutex_unlock(&conns_mu);
		shut_late_connections();
		if (lb_mono_ms() - last_flush >= 5000) {
			app->housekeeping();
			last_flush = lb_mono_ms();
		}
		pthread_mutex_lock(&conns_mu);
	}
	pthread_mutex_unlock(&conns_mu);
	return NULL;
}

/* ---- routes ------------------------------------------------------------------ */

/* The local socket's authentication: the peer's credentials. */
static int local_gate(struct MHD_Connection *c, struct req *r, enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int rc = ci != NULL ? localsock_peer(ci->connect_fd, r->admin, sizeof(r->admin)) : -EBADF;
	char msg[120];

	if (rc == 0) {
		return 0;
	}
	if (rc == -EACCES) {
		snprintf(msg, sizeof(msg), "the control socket is for root and lifeboatd's user, not %s",
			 r->admin);
	} else {
		snprintf(msg, sizeof(msg), "cannot tell who is on the control socket: %s", strerror(-rc));
	}
	*ret = http_text(c, r, 403, msg);
	return -1;
}

static enum MHD_Result route(struct MHD_Connection *c, struct req *r, const char *url, const char *method)
{
	int m = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? HTTP_GET :
		strcmp(method, "POST") == 0                              ? HTTP_POST : 0;
	const struct http_route *found = NULL;
	enum MHD_Result ret;
	size_t i;

	for (i = 0; i < app->nroutes; i++) {
		const struct http_route *rt = &app->routes[i];
		size_t n = strlen(rt->path);

		if (rt->prefix ? strncmp(url, rt->path, n) != 0 : strcmp(url, rt->path) != 0) {
			continue;
		}
		found = rt;
		if (!(rt->methods & m)) {
			continue; /* the same path may have another row for this method */
		}
		if (r->local && !(rt->admin && strncmp(rt->path, "/api/", 5) == 0)) {
			break; /* the local socket serves the control API only */
		}
		if (r->local ? local_gate(c, r, &ret) < 0 : rt->admin && app->admin_gate(c, r, r->admin, &ret) < 0) {
			return ret;
		}
		return rt->fn(c, r, url + n);
	}
	if (found != NULL && !r->local) {
		return http_text(c, r, 405, found->methods == HTTP_POST ? "use POST" :
								       "method not allowed");
	}
	return http_text(c, r, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;
	struct conn *k = NULL;

	(void)version;
	if (r == NULL) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			return MHD_NO;
		}
		r->start_ns = lb_mono_ns();
		r->tls = *(const enum listener *)cls == L_TLS;
		r->local = *(const enum listener *)cls == L_LOCAL;
		safe_copy(r->method, sizeof(r->method), method, 0);
		safe_copy(r->path, sizeof(r->path), url, 0);
		if (r->local) {
			strcpy(r->client, "local");
		} else if (ci == NULL || addr_from_sockaddr(ci->client_addr, r->client) < 0) {
			strcpy(r->client, "?");
		}
		*con_cls = r;
		/* answer on the next call, as MHD expects: a response queued on
		 * the first call (headers only) makes MHD close the connection */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->too_big && r->len + *upload_size <= LB_REPORT_MAX_BYTES) {
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
	conn_received(c, 0);
	k = conn_of(c);
	if (k != NULL && k->over_cap) {
		static const char busy[] = "lifeboatd: too many connections: try again\n";
		struct MHD_Response *resp = buffer_response(503, "text/plain; charset=utf-8", busy, sizeof(busy) - 1);

		if (resp == NULL) {
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
		snprintf(r->why, sizeof(r->why), "too many connections (max_connections %u)", srv.conf.max_connections);
		return http_queue(c, r, 503, resp, 0);
	}
	return route(c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	double ms;

	(void)cls;
	(void)toe;
	conn_received(c, 1); /* the next request's clock starts */
	if (r == NULL) {
		return;
	}
	ms = (double)(lb_mono_ns() - r->start_ns) / 1e6;
	metric_http_answer(r->status);
	/* a rescue ISO's URL is its key: never in the log */
	fprintf(stderr, "lifeboatd: %s%s \"%s %s\" %u %" PRIu64 " %.1fms%s%s\n", r->client, r->tls ? " tls" : "",
		r->method, strncmp(r->path, LB_PATH_MEDIA, strlen(LB_PATH_MEDIA)) == 0 ? LB_PATH_MEDIA "..." : r->path,
		r->status, r->bytes, ms, r->why[0] ? " " : "", r->why);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* ---- start and stop -------------------------------------------------------------- */

/* Enough descriptors for the hard connection limit (the soft default
 * of 1024 would be reached before it). */
static void raise_nofile(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct MHD_Daemon *plain_d, *tls_d, *local_d;
static char *tls_cert_pem, *tls_key_pem;

/* A PEM file of at most 64 KiB; a secret one (the key) must not be
 * readable or writable by others: refused with its mode, not used. */
static char *read_pem(const char *path, const char *what, int secret, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	struct stat st;
	size_t n = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (secret && fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		snprintf(err, errlen, "cannot use %s %s: it is %s by others (mode %04o): chmod o-rwx %s", what, path,
			 (st.st_mode & S_IROTH) ? "readable" : "writable", (unsigned int)(st.st_mode & 07777), path);
		fclose(f);
		return NULL;
	}
	buf = calloc(1, 65537);
	if (buf != NULL) {
		n = fread(buf, 1, 65536, f);
	}
	fclose(f);
	if (buf == NULL || n == 0 || n == 65536 || strstr(buf, "-----BEGIN ") == NULL) {
		snprintf(err, errlen, "cannot use %s %s: not a PEM file of at most 64 KiB", what, path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* The listening address: listen = with port. "::" is both families (an
 * IPv6 socket that also takes IPv4, whose peers addr_from_sockaddr names
 * as IPv4); where the kernel has no IPv6 (ipv6.disable=1) it falls back
 * to every IPv4 address and says so. */
static void listen_address(unsigned int port, struct sockaddr_storage *ss, unsigned int *flags)
{
	socklen_t len;
	int fd;

	addr_listen(srv.conf.listen, ss, &len, NULL); /* checked by conf.c */
	*flags = 0;
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		return;
	}
	((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	*flags = addr_is_wildcard(srv.conf.listen) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && *flags == MHD_USE_DUAL_STACK) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*flags = 0;
		snprintf(srv.listen_note, sizeof(srv.listen_note), " (IPv4 only: this kernel has no IPv6)");
		return;
	}
	if (fd >= 0) {
		close(fd);
	}
}

/* libmicrohttpd's own idle timeout, checked when a handler returns: it
 * must outlast the slowest handler (a rescue with --reset: three BMC calls
 * of up to 30 s each), or the answer of a slow BMC is dropped unsent. A
 * slow or idle client is cut at request_timeout by the housekeeping
 * thread, not by this. */
#define MHD_IDLE_S 150

static struct MHD_Daemon *start_one(unsigned int port, int tls, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	unsigned int family_flags = 0;
	char host[ADDR_TEXT_MAX + 2];
	unsigned int hard = srv.conf.max_connections + 64;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* a state write (fsync) blocks its thread: more threads than cores,
	 * so payload and chain requests of other connections go on */
	unsigned int threads = cpus < 1 ? 4 : cpus > 4 ? 16 : (unsigned int)cpus * 4;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, srv.conf.tls_priority },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d = NULL;

	listen_address(port, &sa, &family_flags);
	/* no MHD_OPTION_LISTENING_ADDRESS_REUSE: with it MHD sets SO_REUSEPORT
	 * and a second lifeboatd (another state directory) shared the port */
	errno = 0;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | family_flags |
				     (tls ? MHD_USE_TLS : 0),
			     0, NULL, NULL, on_request, (void *)(tls ? &on_tls : &on_plain), MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
			     on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
			     (void *)(tls ? &on_tls : &on_plain),
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)MHD_IDLE_S, MHD_OPTION_CONNECTION_LIMIT, hard,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv.conf.max_per_address, MHD_OPTION_ARRAY,
			     tls ? tls_opts : tls_opts + 3, MHD_OPTION_END);
	if (d == NULL) {
		addr_url_host(srv.conf.listen, host, sizeof(host));
		snprintf(err, errlen, "cannot listen on %s:%u%s: %s", host, port, tls ? " (HTTPS)" : "",
			 errno == 0 ? "libmicrohttpd failed (for HTTPS: is the key the certificate's?)" : strerror(errno));
	}
	return d;
}

/* The control socket's daemon: a few threads (a power command may take
 * its BMC's 30 s), no per-address limit (there are no addresses). */
static struct MHD_Daemon *start_local(char *err, size_t errlen)
{
	struct MHD_Daemon *d = NULL;
	int fd = localsock_listen(srv.conf.control_socket, err, errlen);

	if (fd < 0) {
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
			     on_request, (void *)&on_local, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
			     (unsigned int)4, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)&on_local,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)MHD_IDLE_S, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)64, MHD_OPTION_END);
	if (d == NULL) {
		snprintf(err, errlen, "cannot serve control_socket %s: libmicrohttpd failed", srv.conf.control_socket);
		close(fd);
		unlink(srv.conf.control_socket);
	}
	return d;
}

/* libmicrohttpd would only say it failed: GnuTLS names where. */
static int check_priority(const char *prio, char *err, size_t errlen)
{
	gnutls_priority_t p = NULL;
	const char *where = NULL;
	int rc = gnutls_priority_init(&p, prio, &where);

	if (rc < 0) {
		snprintf(err, errlen, "cannot use tls_priority: %s at '%.40s'", gnutls_strerror(rc),
			 where != NULL ? where : prio);
		return -EINVAL;
	}
	gnutls_priority_deinit(p);
	return 0;
}

int http_start(const struct http_app *a, char *err, size_t errlen)
{
	char why[200];

	app = a;
	raise_nofile((srv.conf.max_connections + 64) * (srv.conf.tls_port ? 2 : 1) + 256);
	if (srv.conf.tls_port != 0) {
		tls_cert_pem = read_pem(srv.conf.tls_cert, "tls_cert", 0, err, errlen);
		tls_key_pem = tls_cert_pem ? read_pem(srv.conf.tls_key, "tls_key", 1, err, errlen) : NULL;
		if (tls_key_pem == NULL) {
			goto err_pem;
		}
		if (cert_pin(tls_cert_pem, srv.tls_pin, sizeof(srv.tls_pin), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "cannot use tls_cert %s: %s", srv.conf.tls_cert, why);
			goto err_pem;
		}
		if (check_priority(srv.conf.tls_priority, err, errlen) < 0) {
			goto err_pem;
		}
	}
	/* the control socket first: once lifeboatd answers on the network,
	 * lifeboatctl on this machine already goes through it */
	local_d = start_local(err, errlen);
	if (local_d == NULL) {
		goto err_pem;
	}
	plain_d = start_one(srv.conf.port, 0, err, errlen);
	if (plain_d == NULL) {
		goto err_plain;
	}
	if (srv.conf.tls_port != 0) {
		tls_d = start_one(srv.conf.tls_port, 1, err, errlen);
		if (tls_d == NULL) {
			goto err_tls;
		}
	}
	if (pthread_create(&housekeeper, NULL, housekeeping, NULL) != 0) {
		snprintf(err, errlen, "cannot start the housekeeping thread");
		goto err_thread;
	}
	return 0;

err_thread:
	if (tls_d != NULL) {
		MHD_stop_daemon(tls_d);
		tls_d = NULL;
	}
err_tls:
	MHD_stop_daemon(plain_d);
	plain_d = NULL;
err_plain:
	MHD_stop_daemon(local_d);
	local_d = NULL;
	unlink(srv.conf.control_socket);
err_pem:
	free(tls_cert_pem);
	free(tls_key_pem);
	tls_cert_pem = tls_key_pem = NULL;
	return -1;
}

void http_stop(void)
{
	pthread_mutex_lock(&conns_mu);
	stopping = 1;
	pthread_cond_signal(&stop_cv);
	pthread_mutex_unlock(&conns_mu);
	pthread_join(housekeeper, NULL);
	if (tls_d != NULL) {
		MHD_stop_daemon(tls_d);
	}
	MHD_stop_daemon(plain_d);
	MHD_stop_daemon(local_d);
	unlink(srv.conf.control_socket);
	app->housekeeping();
}
