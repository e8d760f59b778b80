#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "log.h"
#include "tls.h"
#include "wire.h"
#include "clock.h"

/* ---- the certificate check ------------------------------------------- */

/* An X.509 engine around BearSSL's own: the chain goes to br_x509_minimal
 * when there are CAs; the first (server's) certificate is also hashed
 * (for the pin and for messages) and decoded on its own (its key, when
 * only a pin is given), and its subject CN kept for messages. */
struct pin_x509 {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	br_x509_decoder_context leaf;
	br_sha256_context hash;
	const struct tls_trust *trust;
	unsigned int cert;
	uint8_t fingerprint[TLS_PIN_LEN];
	int have_fingerprint;
	int pin_mismatch;
	char cn[128];
	br_name_element cn_elt;
};

static const unsigned char OID_CN[] = { 3, 0x55, 0x04, 0x03 };

static void px_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;

	px->cert = 0;
	px->have_fingerprint = 0;
	px->pin_mismatch = 0;
	px->cn[0] = '\0';
	px->minimal.vtable->start_chain(&px->minimal.vtable, server_name);
}

static void px_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;

	if (px->cert == 0) {
		br_sha256_init(&px->hash);
		br_x509_decoder_init(&px->leaf, NULL, NULL);
	}
	px->minimal.vtable->start_cert(&px->minimal.vtable, length);
}

static void px_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;

	if (px->cert == 0) {
		br_sha256_update(&px->hash, buf, len);
		br_x509_decoder_push(&px->leaf, buf, len);
	}
	px->minimal.vtable->append(&px->minimal.vtable, buf, len);
}

static void px_end_cert(const br_x509_class **ctx)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;

	px->minimal.vtable->end_cert(&px->minimal.vtable);
	if (px->cert == 0) {
		br_sha256_out(&px->hash, px->fingerprint);
		px->have_fingerprint = 1;
	}
	px->cert++;
}

static unsigned px_end_chain(const br_x509_class **ctx)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;
	unsigned r = px->minimal.vtable->end_chain(&px->minimal.vtable);

	if (px->trust->nca > 0 && r != BR_ERR_OK) {
		return r;
	}
	if (!px->have_fingerprint || br_x509_decoder_get_pkey(&px->leaf) == NULL) {
		return BR_ERR_X509_INVALID_VALUE;
	}
	if (px->trust->have_pin) {
		/* public values (a hash of what the peer sent): memcmp is fine */
		if (memcmp(px->fingerprint, px->trust->pin, TLS_PIN_LEN) != 0) {
			px->pin_mismatch = 1;
			return BR_ERR_X509_NOT_TRUSTED;
		}
	}
	return BR_ERR_OK;
}

static const br_x509_pkey *px_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct pin_x509 *px = (struct pin_x509 *)ctx;

	if (px->trust->nca > 0) {
		return px->minimal.vtable->get_pkey(&px->minimal.vtable, usages);
	}
	if (usages != NULL) {
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	}
	return br_x509_decoder_get_pkey(&px->leaf);
}

static const br_x509_class pin_x509_vtable = {
	sizeof(struct pin_x509), px_start_chain, px_start_cert, px_append, px_end_cert, px_end_chain, px_get_pkey,
};

/* ---- the connection ------------------------------------------------- */

struct tls_conn {
	br_ssl_client_context cc;
	struct pin_x509 px;
	br_sslio_context io;
	br_x509_trust_anchor anchors[TLS_MAX_ANCHORS];
	unsigned char buf[BR_SSL_BUFSIZE_BIDI];
	int fd;
	long long deadline;
	int sock_err; /* errno of the socket, or ETIMEDOUT */
	int peer_eof;
};

static int wait_io(struct tls_conn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	long long left = c->deadline - ((long long)lb_mono_ms());
	int r;

	if (left <= 0) {
		c->sock_err = ETIMEDOUT;
		return -1;
	}
	r = poll(&p, 1, (int)left);
	if (r < 0 && errno != EINTR) {
		c->sock_err = errno;
		return -1;
	}
	if (r == 0) {
		c->sock_err = ETIMEDOUT;
		return -1;
	}
	return 0;
}

static int low_read(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;

	for (;;) {
		ssize_t r = recv(c->fd, buf, len, 0);

		if (r > 0) {
			return (int)r;
		}
		if (r == 0) {
			c->peer_eof = 1;
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR) {
			c->sock_err = errno;
			return -1;
		}
		if (wait_io(c, POLLIN) < 0) {
			return -1;
		}
	}
}

static int low_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;

	for (;;) {
		ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (w >= 0) {
			return (int)w;
		}
		if (errno != EAGAIN && errno != EINTR) {
			c->sock_err = errno;
			return -1;
		}
		if (wait_io(c, POLLOUT) < 0) {
			return -1;
		}
	}
}

/* A TLS 1.2 client with forward secrecy and AEAD only: ECDHE with the
 * server's RSA or ECDSA key, AES-GCM or ChaCha20-Poly1305. Set up by
 * hand rather than br_ssl_client_init_full so that --gc-sections drops
 * CBC, 3DES, RSA key exchange and the rest (see docs/agent.md#why-bearssl for the size). */
static void client_profile(struct tls_conn *c)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,  BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,  BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	br_ssl_engine_context *eng = &c->cc.eng;
	br_x509_minimal_context *xc = &c->px.minimal;

	br_ssl_client_zero(&c->cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof(suites) / sizeof(suites[0]));
	br_x509_minimal_init(xc, &br_sha256_vtable, c->anchors, c->px.trust->nca);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	br_x509_minimal_set_name_elements(xc, &c->px.cn_elt, 1);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	c->px.vtable = &pin_x509_vtable;
	br_ssl_engine_set_x509(eng, &c->px.vtable);
	br_ssl_engine_set_buffer(eng, c->buf, sizeof(c->buf), 1);
}

static void anchors_from_trust(struct tls_conn *c, const struct tls_trust *t)
{
	size_t i;

	for (i = 0; i < t->nca; i++) {
		const struct tls_anchor_store *s = &t->ca[i];
		br_x509_trust_anchor *a = &c->anchors[i];

		a->dn.data = (unsigned char *)s->dn;
		a->dn.len = s->dn_len;
		a->flags = s->is_ca ? BR_X509_TA_CA : 0;
		a->pkey.key_type = (unsigned char)s->key_type;
		if (s->key_type == BR_KEYTYPE_RSA) {
			a->pkey.key.rsa.n = (unsigned char *)s->key;
			a->pkey.key.rsa.nlen = s->n_len;
			a->pkey.key.rsa.e = (unsigned char *)s->key + s->n_len;
			a->pkey.key.rsa.elen = s->e_len;
		} else {
			a->pkey.key.ec.curve = s->curve;
			a->pkey.key.ec.q = (unsigned char *)s->key;
			a->pkey.key.ec.qlen = s->n_len;
		}
	}
}

/* BearSSL's certificate errors in words; the rest by number. */
static const struct {
	int code;
	const char *text;
} x509_errors[] = {
	{ BR_ERR_X509_EXPIRED, "is expired or not yet valid (check the clock)" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "does not name the host in the URL (BearSSL matches DNS names only)" },
	{ BR_ERR_X509_NOT_TRUSTED, "is not signed by a CA in" }, /* + where the CAs came from */
	{ BR_ERR_X509_BAD_SIGNATURE, "has a bad signature" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "has an unknown critical extension" },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "may not be used for TLS (key usage)" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "has a weak public key" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "chain is too long" },
	{ BR_ERR_X509_UNSUPPORTED, "uses an algorithm BearSSL does not support" },
};

static void describe_failure(struct tls_conn *c, const char *host, int last, char *err, size_t errlen)
{
	char fp[80] = "", who[256] = "";
	size_t i;

	if (c->px.have_fingerprint) {
		tls_pin_format(c->px.fingerprint, fp, sizeof(fp));
		snprintf(who, sizeof(who), "certificate %s%s%s%s", fp, c->px.cn[0] ? " (CN=" : "", c->px.cn,
			 c->px.cn[0] ? ")" : "");
	}
	if (c->px.pin_mismatch) {
		char want[80];

		tls_pin_format(c->px.trust->pin, want, sizeof(want));
		lb_err(err, errlen, "TLS with %s refused: server %s is not the one pinned (" LB_KARG_TLSPIN "=%s)",
		       host, who, want);
		return;
	}
	if (last >= BR_ERR_X509_OK && last < BR_ERR_X509_OK + 64) {
		for (i = 0; i < sizeof(x509_errors) / sizeof(x509_errors[0]); i++) {
			if (x509_errors[i].code == last) {
				lb_err(err, errlen, "TLS with %s refused: server %s %s%s%s", host,
				       who[0] ? who : "certificate", x509_errors[i].text,
				       last == BR_ERR_X509_NOT_TRUSTED ? " " : "",
				       last == BR_ERR_X509_NOT_TRUSTED ? c->px.trust->ca_source : "");
				return;
			}
		}
		lb_err(err, errlen, "TLS with %s refused: server %s is not acceptable (BearSSL X.509 error %d)", host,
		       who[0] ? who : "certificate", last);
		return;
	}
	if (c->sock_err != 0) {
		lb_err(err, errlen, "TLS handshake with %s: %s", host,
		       c->sock_err == ETIMEDOUT ? "no answer in time" : strerror(c->sock_err));
		return;
	}
	if (c->peer_eof) {
		lb_err(err, errlen, "TLS handshake with %s: the server closed the connection (is it a TLS port?)", host);
		return;
	}
	lb_err(err, errlen, "TLS handshake with %s failed (BearSSL error %d)", host, last);
}

int tls_open(struct tls_conn **connp, int fd, const char *host, const struct tls_trust *t, long long deadline,
	     char *err, size_t errlen)
{
	struct tls_conn *c = NULL;
	unsigned char seed[32];
	int rc;

	*connp = NULL;
	if (t == NULL || (t->nca == 0 && !t->have_pin)) {
		lb_err(err, errlen, "no way to check %s's certificate: no CA in " LB_PATH_AGENT_CA " (make CA=) and no "
			LB_KARG_TLSPIN "=; refusing to talk to it", host);
		return -EPERM;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	c->fd = fd;
	c->deadline = deadline;
	c->px.trust = t;
	c->px.cn_elt.oid = OID_CN;
	c->px.cn_elt.buf = c->px.cn;
	c->px.cn_elt.len = sizeof(c->px.cn);
	anchors_from_trust(c, t);
	client_profile(c);
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		rc = -errno;
		lb_err(err, errlen, "cannot get random bytes for TLS: %s", strerror(errno));
		goto err_setup;
	}
	br_ssl_engine_inject_entropy(&c->cc.eng, seed, sizeof(seed));
	/* with a pin only, the pin is the whole identity: px_end_chain then
	 * ignores what br_x509_minimal says, name included */
	if (!br_ssl_client_reset(&c->cc, host, 0)) {
		rc = -EPROTO;
		lb_err(err, errlen, "cannot start TLS with %s (BearSSL error %d)", host,
		       br_ssl_engine_last_error(&c->cc.eng));
		goto err_setup;
	}
	br_sslio_init(&c->io, &c->cc.eng, low_read, c, low_write, c);
	if (br_sslio_flush(&c->io) < 0) {
		int last = br_ssl_engine_last_error(&c->cc.eng);

		describe_failure(c, host, last, err, errlen);
		rc = c->px.pin_mismatch || (last >= BR_ERR_X509_OK && last < BR_ERR_X509_OK + 64) ? -EACCES
		     : c->sock_err ? -c->sock_err : -EPROTO;
		goto err_setup;
	}
	*connp = c;
	return 0;

err_setup:
	free(c);
	return rc;
}

int tls_write_all(struct tls_conn *c, const void *buf, size_t len)
{
	if (br_sslio_write_all(&c->io, buf, len) < 0 || br_sslio_flush(&c->io) < 0) {
		return c->sock_err ? -c->sock_err : -EPROTO;
	}
	return 0;
}

long tls_read(struct tls_conn *c, void *buf, size_t len)
{
	int r = br_sslio_read(&c->io, buf, len);

	if (r > 0) {
		return r;
	}
	if (br_ssl_engine_last_error(&c->cc.eng) == BR_ERR_OK) {
		return 0; /* close_notify */
	}
	if (c->peer_eof) {
		return 0; /* closed without close_notify: the HTTP layer checks the length */
	}
	return c->sock_err ? -c->sock_err : -EPROTO;
}

void tls_close(struct tls_conn *c)
{
	if (c == NULL) {
		return;
	}
	free(c);
}
