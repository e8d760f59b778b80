/* TLS for the agent's HTTP client, on BearSSL (static, no malloc, small:
 * see docs/agent.md#why-bearssl). Two layers: the trust the agent may use
 * (parsed from strings, unit-tested on the host) and a connection over a
 * socket that the caller already connected, bounded by one deadline.
 *
 * Trust: the CA certificates built into the image (make CA=ca.crt puts
 * them at LB_PATH_AGENT_CA) and/or a pin of the server's certificate
 * (lifeboat.tlspin=sha256:<hex>, which lifeboatd only puts in boot
 * scripts it served over HTTPS). Every one that is given must hold. */
#ifndef LIFEBOAT_TLS_H
#define LIFEBOAT_TLS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_MAX_ANCHORS 8
#define TLS_PIN_LEN 32 /* SHA-256 */

/* One CA's name and public key, copied out of its certificate. */
struct tls_anchor_store {
	unsigned char dn[1024];
	size_t dn_len;
	unsigned char key[1024]; /* RSA n then e, or the EC point */
	size_t n_len, e_len;     /* RSA; for EC, n_len is the point's length */
	int key_type;            /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	int curve;
	int is_ca;               /* CA:TRUE; else only direct trust */
};

struct tls_trust {
	struct tls_anchor_store ca[TLS_MAX_ANCHORS];
	size_t nca;
	const char *ca_source; /* where the CAs came from, for messages */
	uint8_t pin[TLS_PIN_LEN];
	int have_pin;
};

/* Adds every CERTIFICATE in pem (NUL-terminated) as a CA. -EINVAL with a
 * reason when there is none, one cannot be decoded, or is not a CA. */
int tls_trust_add_pem(struct tls_trust *t, const char *pem, const char *source, char *err, size_t errlen);

/* Loads the image's CA file (ca_path; absent is fine: *have_ca = 0) and
 * the pin (NULL: none) into t (agent/trustload.c). 0, or -errno with err
 * set when the file is there but cannot be used. */
int tls_trust_load(struct tls_trust *t, const uint8_t *pin, const char *ca_path, int *have_ca, char *err,
		   size_t errlen);

/* Parses "sha256:<64 hex digits>" (colons between byte pairs allowed, as
 * openssl x509 -fingerprint prints them). */
int tls_pin_parse(const char *s, uint8_t pin[TLS_PIN_LEN], char *err, size_t errlen);

/* Formats a pin as "sha256:<hex>" into out (at least 72 bytes). */
void tls_pin_format(const uint8_t pin[TLS_PIN_LEN], char *out, size_t outlen);

struct tls_conn;

/* Runs the handshake over fd (non-blocking, connected) with host as the
 * name to check and send (SNI). On failure *connp stays NULL and err
 * says what is wrong with the peer's certificate, by its fingerprint. */
int tls_open(struct tls_conn **connp, int fd, const char *host, const struct tls_trust *t, long long deadline,
	     char *err, size_t errlen);
int tls_write_all(struct tls_conn *c, const void *buf, size_t len);
/* Returns bytes read, 0 at the end of the stream (close_notify or the
 * peer closing), or -errno. */
long tls_read(struct tls_conn *c, void *buf, size_t len);
void tls_close(struct tls_conn *c);

#endif
