/* libFuzzer target: the boot query parser (with the script renderer
 * behind it) and the status report parser, on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "core/script.h"
#include "core/report.h"

static void fuzz_query(const char *s, int v6)
{
	struct qarg a[16];
	char copy[1024], *p = copy, *tok = NULL, *save = NULL, out[8192], err[256];
	struct boot_query q;
	struct render_ctx c = { 0 };
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", s);
	for (tok = strtok_r(p, "&", &save); tok != NULL && n < 16; tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');

		a[n].key = tok;
		a[n].val = NULL;
		if (eq != NULL) {
			*eq = '\0';
			a[n].val = eq + 1;
		}
		n++;
	}
	if (boot_query_parse(a, n, &q, err, sizeof(err)) == 0) {
		c.q = &q;
		c.policy = "rescue";
		c.public_url = "http://10.0.2.2:8080";
		c.payload_url = "http://10.0.2.2:8080/payload";
		c.token = "tokentokentoken";
		c.extra_args = "console=ttyS0";
		/* the request's family decides which claimed address is compared */
		c.source_ip = v6 ? "2001:db8::10" : "10.0.2.15";
		for (int d = 0; d < 3; d++) {
			if (script_render((enum decision)d, &c, out, sizeof(out), err, sizeof(err)) > 0 &&
			    (strstr(out, "${") != NULL || strchr(q.serial, '\n') != NULL)) {
				abort(); /* something reached the script that must not */
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = NULL;
	char err[256];
	json_object *o = NULL;

	if (size == 0) {
		return 0;
	}
	s = malloc(size + 1);
	if (s == NULL) {
		return 0;
	}
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1) {
		fuzz_query(s, data[0] & 2);
	} else {
		o = report_parse(s, size - 1, err, sizeof(err));
		if (o != NULL) {
			json_object_put(o);
		}
	}
	free(s);
	return 0;
}
