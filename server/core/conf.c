#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/conf.h"
#include "core/script.h"

const struct conf conf_defaults = {
	.listen = "127.0.0.1",
	.port = 8080,
	.state_dir = "/var/lib/lifeboat",
	.payload_dir = "/usr/local/share/lifeboat",
	.public_url = "",
	.payload_url = "",
	.default_policy = "normal",
	.nat = 0,
	.kernel_args = "console=tty0 console=ttyS0,115200n8",
	.heartbeat = 30,
	.keys_file = "/etc/lifeboat/authorized_keys",
	.session_timeout = 86400,
	.session_grace = 900,
	.auto_hosts = 32,
	.max_connections = 1024,
	.max_per_address = 128,
	.request_timeout = 10,
	.tls_port = 0,
	.tls_cert = "",
	.tls_key = "",
	.tls_public_url = "",
	.admin_hosts = "",
	.admin_http = 0,
	.agent_ca = 0,
	.db_timeout = 5,
	.store_cached = 0,
	.store_retry = 10,
	.media_timeout = 1800,
	.netconsole_port = 6666,
	.webhook_events = "ssh-ready tools-ready tools-failed conflict expired power media",
	.webhook_queue = 1000,
	.tls_priority = CONF_TLS_PRIORITY,
};

typedef int (*conf_fn)(struct conf *c, const char *val, char *err, size_t errlen);

static int copy_to(char *dst, size_t len, const char *val, char *err, size_t errlen)
{
	if (strlen(val) >= len) {
		snprintf(err, errlen, "value longer than %zu bytes", len - 1);
		return -EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

static int set_listen(struct conf *c, const char *v, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char bare[ADDR_TEXT_MAX];

	/* kept without brackets: URLs and messages add them */
	if (addr_listen(v, &ss, &len, bare) < 0) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address (:: listens on both)", v);
		return -EINVAL;
	}
	return copy_to(c->listen, sizeof(c->listen), bare, err, errlen);
}

static int set_uint(unsigned int *dst, const char *v, unsigned long min, unsigned long max, char *err,
		    size_t errlen)
{
	char *end = NULL;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(err, errlen, "'%s' is not a number from %lu to %lu", v, min, max);
		return -EINVAL;
	}
	*dst = (unsigned int)n;
	return 0;
}

static int set_port(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_uint(&c->port, v, 1, 65535, err, errlen);
}

static int set_heartbeat(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_uint(&c->heartbeat, v, 1, 86400, err, errlen);
}

#define UINT_SETTER(name, field, lo, hi)                                                   \
	static int name(struct conf *c, const char *v, char *err, size_t errlen)             \
	{                                                                                    \
		return set_uint(&c->field, v, lo, hi, err, errlen);                          \
	}
UINT_SETTER(set_session_timeout, session_timeout, 1, 31 * 86400)
UINT_SETTER(set_session_grace, session_grace, 1, 86400)
UINT_SETTER(set_auto_hosts, auto_hosts, 1, 100000)
UINT_SETTER(set_max_connections, max_connections, 16, 100000)
UINT_SETTER(set_max_per_address, max_per_address, 1, 100000)
UINT_SETTER(set_request_timeout, request_timeout, 1, 600)
UINT_SETTER(set_tls_port, tls_port, 0, 65535)
UINT_SETTER(set_db_timeout, db_timeout, 1, 60)
UINT_SETTER(set_store_retry, store_retry, 1, 600)
UINT_SETTER(set_media_timeout, media_timeout, 60, 86400)
UINT_SETTER(set_netconsole_port, netconsole_port, 0, 65535)
UINT_SETTER(set_webhook_queue, webhook_queue, 1, 100000)

static int set_store_unreachable(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "wait") != 0 && strcmp(v, "cached") != 0) {
		snprintf(err, errlen, "'%s' is not wait or cached", v);
		return -EINVAL;
	}
	c->store_cached = strcmp(v, "cached") == 0;
	return 0;
}

/* checked against GnuTLS when the listener starts (lifeboatd/http.c) */
static int set_tls_priority(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0') {
		snprintf(err, errlen, "an empty priority string");
		return -EINVAL;
	}
	return copy_to(c->tls_priority, sizeof(c->tls_priority), v, err, errlen);
}

static int set_tls_cert(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->tls_cert, sizeof(c->tls_cert), v, err, errlen);
}

static int set_tls_key(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->tls_key, sizeof(c->tls_key), v, err, errlen);
}

static int set_admin_hosts(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[] ,") != strlen(v)) {
		snprintf(err, errlen, "'%s' is not a list of host names", v);
		return -EINVAL;
	}
	return copy_to(c->admin_hosts, sizeof(c->admin_hosts), v, err, errlen);
}

static int set_yes_no(int *dst, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
		*dst = 1;
	} else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0) {
		*dst = 0;
	} else {
		snprintf(err, errlen, "'%s' is not yes or no", v);
		return -EINVAL;
	}
	return 0;
}

static int set_admin_http(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_yes_no(&c->admin_http, v, err, errlen);
}

static int set_agent_ca(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_yes_no(&c->agent_ca, v, err, errlen);
}

static int set_state_dir(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->state_dir, sizeof(c->state_dir), v, err, errlen);
}

/* "" (STATE/lifeboat.db), an absolute path or sqlite:PATH (SQLite), or
 * postgresql://... / postgres://... (libpq's URL) */
static int set_database(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "postgresql://", 13) != 0 && strncmp(v, "postgres://", 11) != 0 &&
	    !(strncmp(v, "sqlite:", 7) == 0 && v[7] == '/') && v[0] != '/' && v[0] != '\0') {
		snprintf(err, errlen, "want postgresql://..., sqlite:/PATH or an absolute path");
		return -EINVAL;
	}
	return copy_to(c->database, sizeof(c->database), v, err, errlen);
}

static int set_control_socket(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/') {
		snprintf(err, errlen, "want an absolute path");
		return -EINVAL;
	}
	return copy_to(c->control_socket, sizeof(c->control_socket), v, err, errlen);
}

static int set_payload_dir(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->payload_dir, sizeof(c->payload_dir), v, err, errlen);
}

static int set_keys_file(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->keys_file, sizeof(c->keys_file), v, err, errlen);
}

static int set_url(char *dst, size_t len, const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "'%s' is not an http:// or https:// URL", v);
		return -EINVAL;
	}
	if (!ipxe_safe_word(v)) {
		snprintf(err, errlen, "'%s' has characters that cannot go into an iPXE script", v);
		return -EINVAL;
	}
	if (copy_to(dst, len, v, err, errlen) < 0) {
		return -EINVAL;
	}
	while (strlen(dst) > 8 && dst[strlen(dst) - 1] == '/') {
		dst[strlen(dst) - 1] = '\0';
	}
	return 0;
}

static int set_public_url(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_url(c->public_url, sizeof(c->public_url), v, err, errlen);
}

static int set_payload_url(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_url(c->payload_url, sizeof(c->payload_url), v, err, errlen);
}

static int set_tls_public_url(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "'%s' is not an https:// URL", v);
		return -EINVAL;
	}
	return set_url(c->tls_public_url, sizeof(c->tls_public_url), v, err, errlen);
}

static int set_media_url(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_url(c->media_url, sizeof(c->media_url), v, err, errlen);
}

static int set_webhook_url(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_url(c->webhook_url, sizeof(c->webhook_url), v, err, errlen);
}

static int set_webhook_secret_file(struct conf *c, const char *v, char *err, size_t errlen)
{
	return copy_to(c->webhook_secret_file, sizeof(c->webhook_secret_file), v, err, errlen);
}

/* The names webhooks know: the phases and the event kinds, and expired. */
static int set_webhook_events(struct conf *c, const char *v, char *err, size_t errlen)
{
	static const char *const known[] = { "booted", "network-up", "ssh-ready", "tools-ready", "tools-failed", "error",
					     "shutting-down", "conflict", "expired", "power", "media", "rescue", "policy",
					     "token", "bmc", "alias" };
	const char *p = v;

	while (*p != '\0') {
		size_t w, i;

		p += strspn(p, " ");
		w = strcspn(p, " ");
		for (i = 0; w > 0 && i < sizeof(known) / sizeof(known[0]); i++) {
			if (strlen(known[i]) == w && strncmp(p, known[i], w) == 0) {
				break;
			}
		}
		if (w > 0 && i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "'%.*s' is not an event (the phases, conflict, expired, power, media, rescue, "
				 "policy, token, bmc, alias)", (int)w, p);
			return -EINVAL;
		}
		p += w;
	}
	return copy_to(c->webhook_events, sizeof(c->webhook_events), v, err, errlen);
}

static int set_media_from(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "bmc") != 0 && strcmp(v, "first") != 0) {
		snprintf(err, errlen, "'%s' is not bmc or first", v);
		return -EINVAL;
	}
	c->media_any_address = strcmp(v, "first") == 0;
	return 0;
}

static int set_policy(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "normal") != 0 && strcmp(v, "rescue") != 0) {
		snprintf(err, errlen, "'%s' is not normal or rescue", v);
		return -EINVAL;
	}
	return copy_to(c->default_policy, sizeof(c->default_policy), v, err, errlen);
}

static int set_yes_no(int *dst, const char *v, char *err, size_t errlen);

static int set_nat(struct conf *c, const char *v, char *err, size_t errlen)
{
	return set_yes_no(&c->nat, v, err, errlen);
}

static int set_kernel_args(struct conf *c, const char *v, char *err, size_t errlen)
{
	if (!ipxe_safe_words(v)) {
		snprintf(err, errlen, "'%s' has characters that cannot go into an iPXE script", v);
		return -EINVAL;
	}
	return copy_to(c->kernel_args, sizeof(c->kernel_args), v, err, errlen);
}

static const struct {
	const char *key;
	conf_fn set;
} keys[] = {
	{ "listen", set_listen },           { "port", set_port },
	{ "state_dir", set_state_dir },     { "payload_dir", set_payload_dir },
	{ "public_url", set_public_url },   { "payload_url", set_payload_url },
	{ "default_policy", set_policy },   { "nat", set_nat },
	{ "kernel_args", set_kernel_args }, { "heartbeat", set_heartbeat },
	{ "keys_file", set_keys_file },     { "session_timeout", set_session_timeout },
	{ "session_grace", set_session_grace }, { "auto_hosts", set_auto_hosts },
	{ "max_connections", set_max_connections }, { "max_per_address", set_max_per_address },
	{ "request_timeout", set_request_timeout }, { "tls_port", set_tls_port },
	{ "tls_cert", set_tls_cert },       { "tls_key", set_tls_key },
	{ "tls_public_url", set_tls_public_url }, { "admin_hosts", set_admin_hosts },
	{ "admin_http", set_admin_http },   { "agent_ca", set_agent_ca },
	{ "control_socket", set_control_socket }, { "database", set_database },
	{ "db_timeout", set_db_timeout },   { "store_unreachable", set_store_unreachable },
	{ "store_retry", set_store_retry }, { "tls_priority", set_tls_priority },
	{ "media_url", set_media_url },     { "media_timeout", set_media_timeout },
	{ "netconsole_port", set_netconsole_port },
	{ "media_from", set_media_from },
	{ "webhook_url", set_webhook_url }, { "webhook_secret_file", set_webhook_secret_file },
	{ "webhook_events", set_webhook_events }, { "webhook_queue", set_webhook_queue },
};

const char *conf_key(size_t i)
{
	return i < sizeof(keys) / sizeof(keys[0]) ? keys[i].key : NULL;
}

int conf_set(struct conf *c, const char *key, const char *val, char *err, size_t errlen)
{
	char why[400] = "";
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].key, key) == 0) {
			if (keys[i].set(c, val, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "%s: %s", key, why);
				return -EINVAL;
			}
			return 0;
		}
	}
	snprintf(err, errlen, "unknown setting '%s'", key);
	return -EINVAL;
}

int conf_parse_file(FILE *f, const char *fname, struct conf *c, char *err, size_t errlen)
{
	char line[1024], why[600];
	unsigned int n = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *eq = NULL, *key = NULL, *val = NULL, *end = NULL;

		n++;
		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			continue;
		}
		eq = strchr(p, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%u: want 'key = value'", fname, n);
			return -EINVAL;
		}
		key = p;
		end = eq;
		while (end > key && (end[-1] == ' ' || end[-1] == '\t')) {
			end--;
		}
		*end = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t') {
			val++;
		}
		end = val + strlen(val);
		while (end > val && (end[-1] == ' ' || end[-1] == '\t')) {
			*--end = '\0';
		}
		if (conf_set(c, key, val, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", fname, n, why);
			return -EINVAL;
		}
	}
	return 0;
}

int conf_finish(struct conf *c, char *err, size_t errlen)
{
	char url[600], host[ADDR_TEXT_MAX + 2];

	/* a wildcard listen gives a URL nobody can use: lifeboatd warns */
	addr_url_host(c->listen, host, sizeof(host));
	if (c->public_url[0] == '\0') {
		snprintf(url, sizeof(url), "http://%s:%u", host, c->port);
		if (set_public_url(c, url, err, errlen) < 0) {
			return -EINVAL;
		}
	}
	if (c->payload_url[0] == '\0') {
		snprintf(url, sizeof(url), "%s/payload", c->public_url);
		if (set_payload_url(c, url, err, errlen) < 0) {
			return -EINVAL;
		}
	}
	if (c->tls_port != 0) {
		if (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0') {
			snprintf(err, errlen, "tls_port needs tls_cert and tls_key (make ca makes both)");
			return -EINVAL;
		}
		if (c->tls_port == c->port) {
			snprintf(err, errlen, "tls_port %u is also port", c->tls_port);
			return -EINVAL;
		}
		if (c->tls_public_url[0] == '\0') {
			snprintf(url, sizeof(url), "https://%s:%u", host, c->tls_port);
			if (set_tls_public_url(c, url, err, errlen) < 0) {
				return -EINVAL;
			}
		}
	}
	if (c->media_url[0] == '\0') {
		/* TLS where the BMC can: it fetches what it boots */
		snprintf(url, sizeof(url), "%s", c->tls_port != 0 ? c->tls_public_url : c->public_url);
		if (set_media_url(c, url, err, errlen) < 0) {
			return -EINVAL;
		}
	}
	if (c->control_socket[0] == '\0') {
		snprintf(url, sizeof(url), "%s/lifeboatd.sock", c->state_dir);
		if (copy_to(c->control_socket, sizeof(c->control_socket), url, err, errlen) < 0) {
			snprintf(err, errlen, "control_socket %s is longer than a socket's path can be: set "
				 "control_socket", url);
			return -EINVAL;
		}
	}
	if (c->webhook_url[0] != '\0' && c->webhook_secret_file[0] == '\0') {
		snprintf(err, errlen, "webhook_url needs webhook_secret_file (the key its POSTs are signed with)");
		return -EINVAL;
	}
	if (c->agent_ca && c->tls_port == 0) {
		snprintf(err, errlen, "agent_ca = yes needs tls_port (agents would report over HTTPS to nobody)");
		return -EINVAL;
	}
	if (c->admin_hosts[0] == '\0') {
		/* the names lifeboatd is reached by, as configured */
		char pub[160] = "", tls[160] = "";

		url_host(c->public_url, pub, sizeof(pub));
		url_host(c->tls_public_url, tls, sizeof(tls));
		snprintf(c->admin_hosts, sizeof(c->admin_hosts), "%s %s %s localhost 127.0.0.1 [::1]", pub, tls, host);
	}
	return 0;
}

int url_host(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://"), *end = NULL;

	out[0] = '\0';
	if (p == NULL) {
		return -EINVAL;
	}
	p += 3;
	if (*p == '[') {
		end = strchr(p, ']');
		end = end ? end + 1 : p + strlen(p);
	} else {
		end = p + strcspn(p, ":/");
	}
	snprintf(out, len, "%.*s", (int)(end - p), p);
	return 0;
}
