/* The rescue kernels' netconsole (docs/server.md#netconsole): the agent
 * points its kernel's netconsole at netconsole_port of the address it
 * reports to, and every line the kernel prints on its console comes as a
 * UDP datagram, even when no process of the rescue system runs any more
 * (an oops, a panic while the admin repairs a file system).
 *
 * UDP carries no authentication. A datagram is taken only from an
 * address that an agent's accepted report came from (netconsole_allow,
 * at every report), while its session lives; an address two hosts report
 * from (behind NAT) is nobody's. Each host gets at most NC_RATE bytes a
 * second (more are counted and said), and its lines are stored once a
 * second as logs of kind "netconsole" (kept apart: at most
 * LOGS_NETCONSOLE_MAX batches, so forged ones push out no kmsg), control
 * sequences left out and the token blanked as in every log.
 * Readers are told they are not authenticated: a machine on the LAN that
 * forges the source address can add lines to that kind, not change the
 * others. A token cut across two datagrams may escape the blanking; the
 * kernel prints its command line at boot, before netconsole exists. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/redact.h"
#include "core/addr.h"
#include "core/ansi.h"
#include "lifeboatd/netconsole.h"
#include "lifeboatd/server.h"
#include "store/logs.h"

#define NC_HOSTS 1024
#define NC_BATCH (16 * 1024)       /* bytes per stored batch */
#define NC_RATE (32 * 1024)        /* bytes a second per host */
#define NC_FLUSH_MS 1000

struct nc_host {
	char addr[ADDR_TEXT_MAX];
	char mac[18];
	long long session;
	long long until;           /* unix time */
	int shared;                /* two hosts reported from addr: nobody's */
	char buf[NC_BATCH];
	size_t len;
	unsigned long dropped;
	uint64_t second_ms;
	size_t in_second;
};

static struct {
	pthread_mutex_t lock;
	struct nc_host *hosts;     /* NC_HOSTS */
	size_t n;
	int fd;
	pthread_t thread;
	int stop, running;         /* stop: atomic */
	unsigned long strangers;   /* datagrams from nobody's address */
} nc = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* Under nc.lock. */
static struct nc_host *find(const char *addr)
{
	size_t i;

	for (i = 0; i < nc.n; i++) {
		if (strcmp(nc.hosts[i].addr, addr) == 0) {
			return &nc.hosts[i];
		}
	}
	return NULL;
}

void netconsole_allow(const char *addr, const char *mac, long long session, long long until)
{
	struct nc_host *h = NULL;
	long long now = (long long)time(NULL);
	size_t i;

	if (!nc.running) {
		return;
	}
	pthread_mutex_lock(&nc.lock);
	h = find(addr);
	if (h != NULL && h->until >= now && strcmp(h->mac, mac) != 0) {
		h->shared = 1;
		h->until = until > h->until ? until : h->until;
	} else if (h != NULL) {
		if (strcmp(h->mac, mac) != 0 || h->session != session) {
			h->shared = 0;
			h->len = 0;
		}
		snprintf(h->mac, sizeof(h->mac), "%s", mac);
		h->session = session;
		h->until = until;
	} else {
		/* a free or expired place (its lines were flushed with it) */
		for (i = 0; i < nc.n && nc.hosts[i].until >= now; i++) {
		}
		if (i == nc.n && nc.n < NC_HOSTS) {
			nc.n++;
		}
		if (i < nc.n && (nc.hosts[i].len == 0 || nc.hosts[i].until < now)) {
			h = &nc.hosts[i];
			memset(h, 0, sizeof(*h));
			snprintf(h->addr, sizeof(h->addr), "%s", addr);
			snprintf(h->mac, sizeof(h->mac), "%s", mac);
			h->session = session;
			h->until = until;
		}
	}
	pthread_mutex_unlock(&nc.lock);
}

/* Under nc.lock: a datagram's text into its host's batch, within the
 * host's rate; each line without control sequences or control
 * characters (core/ansi.h): a forged datagram cannot drive the terminal
 * of an admin reading the log. */
static void take(struct nc_host *h, const char *p, size_t n)
{
	char clean[NC_BATCH];
	size_t o = 0, start = 0, i;
	uint64_t now = lb_mono_ms();

	if (now - h->second_ms >= 1000) {
		h->second_ms = now;
		h->in_second = 0;
	}
	if (h->in_second + n > NC_RATE || h->len + n * 4 + 2 > sizeof(h->buf)) { /* ansi_strip: '?' for a byte at most */
		h->dropped += n;
		return;
	}
	h->in_second += n;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '\n') {
			if (i > start || i < n) {
				o += ansi_strip(p + start, i - start, clean + o, sizeof(clean) - o - 1);
				clean[o++] = '\n';
			}
			start = i + 1;
		}
	}
	if (o > 0 && p[n - 1] != '\n') {
		o--; /* a line cut by the datagram: the next one goes on with it */
	}
	clean[o] = '\0';
	lb_redact_token(clean, o);
	memcpy(h->buf + h->len, clean, o);
	h->len += o;
}

/* The batches, stored (outside nc.lock: the database may be slow). */
static void flush(void)
{
	struct batch {
		char mac[18];
		long long session;
		char *text;
	} *out = NULL;
	size_t n = 0, i;
	char err[300];
	long long now = (long long)time(NULL);

	pthread_mutex_lock(&nc.lock);
	out = calloc(nc.n ? nc.n : 1, sizeof(*out));
	for (i = 0; out != NULL && i < nc.n; i++) {
		struct nc_host *h = &nc.hosts[i];
		char note[120] = "";

		if (h->dropped > 0) {
			snprintf(note, sizeof(note), "lifeboatd: (%lu bytes left out: more than %d a second)\n", h->dropped,
				 NC_RATE);
		}
		if (h->len == 0 && note[0] == '\0') {
			continue;
		}
		out[n].text = malloc(h->len + strlen(note) + 1);
		if (out[n].text == NULL) {
			continue;
		}
		memcpy(out[n].text, h->buf, h->len);
		strcpy(out[n].text + h->len, note);
		snprintf(out[n].mac, sizeof(out[n].mac), "%s", h->mac);
		out[n].session = h->session;
		h->len = 0;
		h->dropped = 0;
		n++;
	}
	pthread_mutex_unlock(&nc.lock);
	if (n > 0 && store_lock(&srv.store, err, sizeof(err)) == 0) {
		int rc = 0;

		for (i = 0; i < n && rc == 0; i++) {
			rc = logs_add(&srv.store, out[i].mac, out[i].session, now, "netconsole", out[i].text, err,
				      sizeof(err));
		}
		if (rc == 0) {
			rc = store_unlock(&srv.store, err, sizeof(err));
		} else {
			store_abort(&srv.store);
		}
		if (rc < 0) {
			fprintf(stderr, "lifeboatd: cannot store netconsole lines: %s\n", err);
		}
	} else if (n > 0) {
		fprintf(stderr, "lifeboatd: cannot store netconsole lines: %s\n", err);
	}
	for (i = 0; i < n; i++) {
		free(out[i].text);
	}
	free(out);
}

static void receive(void)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[2048], addr[ADDR_TEXT_MAX];
	ssize_t n = recvfrom(nc.fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	struct nc_host *h = NULL;

	if (n <= 0 || addr_from_sockaddr((struct sockaddr *)&from, addr) < 0) {
		return;
	}
	pthread_mutex_lock(&nc.lock);
	h = find(addr);
	if (h == NULL || h->shared || h->until < (long long)time(NULL)) {
		nc.strangers++;
	} else {
		take(h, buf, (size_t)n);
	}
	pthread_mutex_unlock(&nc.lock);
}

static void *loop(void *arg)
{
	uint64_t last = lb_mono_ms();

	(void)arg;
	while (!__atomic_load_n(&nc.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = nc.fd, .events = POLLIN };

		if (poll(&p, 1, 250) > 0) {
			int i;

			for (i = 0; i < 64; i++) {
				receive(); /* a burst, then the clock */
			}
		}
		if (lb_mono_ms() - last >= NC_FLUSH_MS) {
			flush();
			last = lb_mono_ms();
		}
	}
	flush();
	return NULL;
}

int netconsole_start(char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char host[ADDR_TEXT_MAX + 2];
	int rc, off = 0;

	if (srv.conf.netconsole_port == 0) {
		return 0;
	}
	addr_listen(srv.conf.listen, &ss, &len, NULL); /* checked by conf.c */
	if (ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)srv.conf.netconsole_port);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)srv.conf.netconsole_port);
	}
	nc.hosts = calloc(NC_HOSTS, sizeof(*nc.hosts));
	nc.fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nc.hosts == NULL || nc.fd < 0) {
		rc = nc.hosts == NULL ? -ENOMEM : -errno;
		goto err_socket;
	}
	if (ss.ss_family == AF_INET6 && addr_is_wildcard(srv.conf.listen)) {
		setsockopt(nc.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)); /* "::" takes both, as HTTP does */
	}
	if (bind(nc.fd, (struct sockaddr *)&ss, len) < 0) {
		rc = -errno;
		goto err_socket;
	}
	rc = -pthread_create(&nc.thread, NULL, loop, NULL);
	if (rc < 0) {
		goto err_socket;
	}
	nc.running = 1;
	return 0;
err_socket:
	addr_url_host(srv.conf.listen, host, sizeof(host));
	snprintf(err, errlen, "cannot listen on UDP %s:%u (netconsole_port; 0 turns it off): %s", host,
		 srv.conf.netconsole_port, strerror(-rc));
	if (nc.fd >= 0) {
		close(nc.fd);
		nc.fd = -1;
	}
	free(nc.hosts);
	nc.hosts = NULL;
	return rc;
}

void netconsole_stop(void)
{
	if (!nc.running) {
		return;
	}
	__atomic_store_n(&nc.stop, 1, __ATOMIC_RELEASE);
	pthread_join(nc.thread, NULL);
	nc.running = 0;
	close(nc.fd);
	nc.fd = -1;
	free(nc.hosts);
	nc.hosts = NULL;
}
