#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <bearssl.h>

#include "hex.h"
#include "log.h"
#include "tls.h"
#include "wire.h"

/* What the agent may trust, parsed from strings (the image's CA file,
 * the pin on the command line); unit-tested on the host. */

struct pem_sink {
	unsigned char der[8192];
	size_t len;
	int overflow;
};

static void pem_append(void *ctx, const void *buf, size_t len)
{
	struct pem_sink *s = ctx;

	if (s->len + len > sizeof(s->der)) {
		s->overflow = 1;
		return;
	}
	memcpy(s->der + s->len, buf, len);
	s->len += len;
}

struct dn_sink {
	struct tls_anchor_store *a;
	int overflow;
};

static void dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn_sink *s = ctx;

	if (s->a->dn_len + len > sizeof(s->a->dn)) {
		s->overflow = 1;
		return;
	}
	memcpy(s->a->dn + s->a->dn_len, buf, len);
	s->a->dn_len += len;
}

/* One DER certificate into one anchor: its subject and public key. */
static int anchor_from_der(struct tls_anchor_store *a, const unsigned char *der, size_t len, const char *source,
			   int n, char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	struct dn_sink dn = { .a = a };
	br_x509_pkey *pk = NULL;

	memset(a, 0, sizeof(*a));
	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || dn.overflow) {
		lb_err(err, errlen, "%s: certificate %d cannot be decoded (BearSSL error %d)", source, n,
		       br_x509_decoder_last_error(&dc));
		return -EINVAL;
	}
	a->key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof(a->key)) {
			lb_err(err, errlen, "%s: certificate %d: RSA key too large", source, n);
			return -EINVAL;
		}
		memcpy(a->key, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(a->key + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
		a->n_len = pk->key.rsa.nlen;
		a->e_len = pk->key.rsa.elen;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		if (pk->key.ec.qlen > sizeof(a->key)) {
			lb_err(err, errlen, "%s: certificate %d: EC key too large", source, n);
			return -EINVAL;
		}
		memcpy(a->key, pk->key.ec.q, pk->key.ec.qlen);
		a->n_len = pk->key.ec.qlen;
		a->curve = pk->key.ec.curve;
	} else {
		lb_err(err, errlen, "%s: certificate %d has a key type BearSSL cannot use", source, n);
		return -EINVAL;
	}
	/* a certificate without CA:TRUE is still accepted for direct trust
	 * (the server's own self-signed certificate), as BearSSL defines */
	a->is_ca = br_x509_decoder_isCA(&dc);
	return 0;
}

int tls_trust_add_pem(struct tls_trust *t, const char *pem, const char *source, char *err, size_t errlen)
{
	static struct pem_sink sink;
	br_pem_decoder_context pc;
	size_t len = strlen(pem), off = 0, found = 0;
	int in_cert = 0, rc;

	br_pem_decoder_init(&pc);
	while (off < len) {
		size_t used = br_pem_decoder_push(&pc, pem + off, len - off);

		off += used;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0;
			memset(&sink, 0, sizeof(sink));
			br_pem_decoder_setdest(&pc, in_cert ? pem_append : NULL, &sink);
			break;
		case BR_PEM_END_OBJ:
			if (!in_cert) {
				break;
			}
			found++;
			if (sink.overflow) {
				lb_err(err, errlen, "%s: certificate %zu is larger than %zu bytes", source, found,
				       sizeof(sink.der));
				return -EINVAL;
			}
			if (t->nca == TLS_MAX_ANCHORS) {
				lb_err(err, errlen, "%s: more than %d certificates", source, TLS_MAX_ANCHORS);
				return -E2BIG;
			}
			rc = anchor_from_der(&t->ca[t->nca], sink.der, sink.len, source, (int)found, err, errlen);
			if (rc < 0) {
				return rc;
			}
			t->nca++;
			in_cert = 0;
			break;
		case BR_PEM_ERROR:
			lb_err(err, errlen, "%s: not valid PEM", source);
			return -EINVAL;
		default:
			break;
		}
	}
	if (in_cert) {
		lb_err(err, errlen, "%s: certificate %zu is cut short (no END line)", source, found + 1);
		return -EINVAL;
	}
	if (found == 0) {
		lb_err(err, errlen, "%s: no CERTIFICATE in it", source);
		return -EINVAL;
	}
	t->ca_source = source;
	return 0;
}

int tls_pin_parse(const char *s, uint8_t pin[TLS_PIN_LEN], char *err, size_t errlen)
{
	const char *p = s;
	size_t n = 0;

	if (strncasecmp(p, LB_TLSPIN_PREFIX, strlen(LB_TLSPIN_PREFIX)) != 0) {
		lb_err(err, errlen, "'%s': want " LB_TLSPIN_PREFIX "<64 hex digits>", s);
		return -EINVAL;
	}
	p += strlen(LB_TLSPIN_PREFIX);
	while (*p != '\0') {
		int hi, lo;

		if (*p == ':' && n > 0) {
			p++;
		}
		hi = hex_value(p[0]);
		lo = hi < 0 ? -1 : hex_value(p[1]);
		if (hi < 0 || lo < 0 || n == TLS_PIN_LEN) {
			lb_err(err, errlen, "'%s': want " LB_TLSPIN_PREFIX "<64 hex digits>", s);
			return -EINVAL;
		}
		pin[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (n != TLS_PIN_LEN) {
		lb_err(err, errlen, "'%s': %zu bytes, a SHA-256 has %d", s, n, TLS_PIN_LEN);
		return -EINVAL;
	}
	return 0;
}

void tls_pin_format(const uint8_t pin[TLS_PIN_LEN], char *out, size_t outlen)
{
	size_t i, o = (size_t)snprintf(out, outlen, "%s", LB_TLSPIN_PREFIX);

	for (i = 0; i < TLS_PIN_LEN && o + 2 < outlen; i++) {
		o += (size_t)snprintf(out + o, outlen - o, "%02x", pin[i]);
	}
}
