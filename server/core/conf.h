/* lifeboatd's configuration: a "key = value" file, then command-line
 * flags of the same names (--port 8080). One table of keys (conf.c). */
#ifndef LIFEBOAT_CONF_H
#define LIFEBOAT_CONF_H

#include <stddef.h>
#include <stdio.h>

struct conf {
	char listen[64];
	unsigned int port;
	char state_dir[512];
	char payload_dir[512];
	char public_url[512];   /* how agents and iPXE reach us; default http://listen:port */
	char payload_url[512];  /* default public_url/payload */
	char default_policy[16];
	int nat;                /* 1: skip the source-address check for every host */
	char kernel_args[512];
	unsigned int heartbeat;
	char keys_file[512];    /* authorized_keys handed to rescued hosts */
	unsigned int session_timeout; /* s: a session ends this long after it was armed */
	unsigned int session_grace;   /* s: rescue-once's session after ssh-ready; pending new hosts */
	unsigned int auto_hosts;      /* default_policy = rescue: new hosts pending at most */
	unsigned int max_connections; /* over it: 503 */
	unsigned int max_per_address; /* connections from one address */
	unsigned int request_timeout; /* s: to receive a whole request */
	unsigned int tls_port;        /* 0: no HTTPS listener */
	char tls_cert[512];           /* PEM: the server certificate (and chain) */
	char tls_key[512];            /* PEM: its private key */
	char tls_public_url[512];     /* default https://listen:tls_port */
	char admin_hosts[512];        /* Host names the admin interface answers to */
	int admin_http;               /* 1: admin interface on plain HTTP too (with TLS on) */
	int agent_ca;                 /* 1: the payload's image has the CA (make CA=): agents booted
	                               * over plain HTTP report to tls_public_url too */
	char database[600];           /* "": state_dir/lifeboat.db (SQLite); sqlite:/PATH;
	                               * postgresql://... (shared by several lifeboatd) */
	char control_socket[108];     /* the control API for lifeboatctl on this machine (sun_path);
	                               * default state_dir/lifeboatd.sock */
	unsigned int db_timeout;      /* s: the most any database call waits */
	int store_cached;             /* store_unreachable = cached: boot from facts however old;
	                               * 0 (wait): iPXE is told to ask again */
	unsigned int store_retry;     /* s: how long iPXE waits before asking again */
	char tls_priority[512];       /* GnuTLS priority string of the HTTPS listener */
	char media_url[512];          /* how BMCs reach us for a session's ISO; default
	                               * tls_public_url with TLS, else public_url */
	unsigned int netconsole_port; /* UDP: the rescue kernel's netconsole lines; 0: none */
	unsigned int media_timeout;   /* s: a session's ISO URL lives at most this long */
	int media_any_address;        /* media_from = first: the ISO to the first address that
	                               * fetches it, not only the BMC's */
	char webhook_url[512];        /* "": no webhooks */
	char webhook_secret_file[512];/* the HMAC key (mode 0600) */
	char webhook_events[512];     /* the event names sent (core/webhook.h) */
	unsigned int webhook_queue;   /* events waiting at most */
};

/* TLS 1.2 and 1.3, forward-secret key exchange and AEAD ciphers only. */
#define CONF_TLS_PRIORITY                                                                                 \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:" \
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA:%SERVER_PRECEDENCE"

extern const struct conf conf_defaults;

/* Parses a config file (named fname in messages). -EINVAL: err has
 * "FILE:LINE: reason". */
int conf_parse_file(FILE *f, const char *fname, struct conf *c, char *err, size_t errlen);

/* The i-th key's name (for lifeboatd's --flags), NULL past the last. */
const char *conf_key(size_t i);

/* Sets one key (from a file line or a --flag). */
int conf_set(struct conf *c, const char *key, const char *val, char *err, size_t errlen);

/* The host of an http(s) URL ("boot.example", "[::1]"), without the port. */
int url_host(const char *url, char *out, size_t len);

/* Fills the derived defaults (public_url, payload_url, tls_public_url,
 * admin_hosts, control_socket) and checks. */
int conf_finish(struct conf *c, char *err, size_t errlen);

#endif
