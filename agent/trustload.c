#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	FILE *f = fopen(ca_path, "re");
	size_t n;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (pin != NULL) {
		memcpy(t->pin, pin, sizeof(t->pin));
		t->have_pin = 1;
	}
	*have_ca = f != NULL;
	if (f == NULL) {
		if (errno == ENOENT) {
			return 0;
		}
		rc = -errno;
		*have_ca = 1;
		lb_err(err, errlen, "%s", strerror(errno));
		return rc;
	}
	n = fread(pem, 1, sizeof(pem) - 1, f);
	if (ferror(f) || !feof(f)) {
		rc = ferror(f) ? -EIO : -EFBIG;
		lb_err(err, errlen, "%s", ferror(f) ? "read error" : "larger than 64 KiB");
		fclose(f);
		return rc;
	}
	fclose(f);
	pem[n] = '\0';
	return tls_trust_add_pem(t, pem, ca_path, err, errlen);
}
