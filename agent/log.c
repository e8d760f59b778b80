#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static void log_line(const char *line)
{
	/* One write per line so lines from several processes do not mix. */
	fprintf(stderr, "lifeboat: %s\n", line);
	fflush(stderr);
}

void lb_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(line);
}

static void (*error_sink)(const char *msg);

void lb_set_error_sink(void (*sink)(const char *msg))
{
	error_sink = sink;
}

void lb_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(line);
	if (error_sink != NULL) {
		error_sink(line);
	}
}

void lb_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
