#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "config.h"

/* The services PID 1 starts (reporter, toolbox) read the command line
 * again; PID 1 already said what is wrong with it on the console. */
static void said_by_pid1(const char *msg)
{
	(void)msg;
}

int config_read_quietly(struct cmdline *cl, struct config *cfg)
{
	static char text[4096];
	int rc = fileio_read("/proc/cmdline", text, sizeof(text));

	if (rc == -EFBIG) {
		rc = 0; /* the kernel's limit is below ours: never */
	}
	text[strcspn(text, "\n")] = '\0';
	cmdline_parse(text, cl, NULL, 0);
	config_from_cmdline(cl, cfg, said_by_pid1);
	return rc;
}
