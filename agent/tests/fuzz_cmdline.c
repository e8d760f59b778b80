/* libFuzzer target: the kernel command line parser and the argument table,
 * on arbitrary bytes (the command line comes from whoever wrote the boot
 * script); and the /proc/net/if_inet6 parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "config.h"
#include "ip6conf.h"

static void ignore(const char *msg)
{
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline cl;
	struct config cfg;
	char *s = malloc(size + 1);
	char err[256];

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (cmdline_parse(s, &cl, err, sizeof(err)) != -ENOMEM) {
		config_from_cmdline(&cl, &cfg, ignore);
	}
	cmdline_free(&cl);
	/* the same bytes as /proc/net/if_inet6 */
	{
		FILE *f = fmemopen(s, size + 1, "r");

		if (f != NULL) {
			ip6_usable_count(f, "eth0", NULL);
			fclose(f);
		}
	}
	free(s);
	return 0;
}
