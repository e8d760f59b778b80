#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lifeboatd/certpin.h"
#include "common/wire.h"

int cert_pin(const char *pem, char *out, size_t outlen, char *err, size_t errlen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { .data = (unsigned char *)pem, .size = (unsigned int)strlen(pem) };
	unsigned char fp[32];
	size_t fplen = sizeof(fp), i, o;
	int rc;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		return -ENOMEM;
	}
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(err, errlen, "no certificate in it: %s", gnutls_strerror(rc));
		goto err_import;
	}
	rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen);
	if (rc < 0 || fplen != sizeof(fp) || outlen < strlen(LB_TLSPIN_PREFIX) + 2 * sizeof(fp) + 1) {
		snprintf(err, errlen, "cannot hash it: %s", rc < 0 ? gnutls_strerror(rc) : "short");
		rc = -1;
		goto err_import;
	}
	o = (size_t)snprintf(out, outlen, "%s", LB_TLSPIN_PREFIX);
	for (i = 0; i < sizeof(fp); i++) {
		o += (size_t)snprintf(out + o, outlen - o, "%02x", fp[i]);
	}
	gnutls_x509_crt_deinit(crt);
	return 0;

err_import:
	gnutls_x509_crt_deinit(crt);
	return -EINVAL;
}
