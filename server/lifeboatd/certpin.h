/* The pin lifeboatd hands to agents it boots over HTTPS
 * (lifeboat.tlspin=, common/wire.h): the SHA-256 of its own certificate,
 * computed with GnuTLS from the tls_cert file. */
#ifndef LIFEBOAT_CERTPIN_H
#define LIFEBOAT_CERTPIN_H

#include <stddef.h>

/* The first certificate in pem as "sha256:<64 hex>" into out (at least
 * 72 bytes). 0, or -EINVAL with a reason. */
int cert_pin(const char *pem, char *out, size_t outlen, char *err, size_t errlen);

#endif
