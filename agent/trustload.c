#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "tls.h"

/* The CAs built into the image (make CA=, at ca_path) and the pin from the
 * command line (pin NULL: none): what the reporter and the toolbox check
 * lifeboatd's certificate with. 0 with *have_ca set (0 when the image has
 * no CA file), or -errno with err set when the CA file is there but
 * unusable: talking without it would be the fallback the agent never does. */
int tls_trust_load(struct tls_trust *t, const uint8_t *pin, const char *ca_path, int *have_ca, char *err,
		   size_t errlen)
{
	static char pem[65536];
	int rc;

	memset(t, 0, sizeof(*t));
	if (pin != NULL) {
		memcpy(t->pin, pin, sizeof(t->pin));
		t->have_pin = 1;
	}
	rc = fileio_read(ca_path, pem, sizeof(pem));
	*have_ca = rc != -ENOENT;
	if (rc == -ENOENT) {
		return 0;
	}
	if (rc < 0) {
		lb_err(err, errlen, "%s", rc == -EFBIG ? "larger than 64 KiB" : strerror(-rc));
		return rc;
	}
	return tls_trust_add_pem(t, pem, ca_path, err, errlen);
}
