#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static void (*error_sink)(const char *msg);

/* Formats one line, writes it, and hands it to sink when set. */
static void log_v(void (*sink)(const char *msg), const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so lines from several processes do not mix. */
	fprintf(stderr, "lifeboat: %s\n", line);
	fflush(stderr);
	if (sink != NULL) {
		sink(line);
	}
}

void lb_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(NULL, fmt, ap);
	va_end(ap);
}

void lb_set_error_sink(void (*sink)(const char *msg))
{
	error_sink = sink;
}

void lb_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(error_sink, fmt, ap);
	va_end(ap);
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
