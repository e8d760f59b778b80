/* Console messages: one style, "lifeboat: ..." */
#ifndef LIFEBOAT_LOG_H
#define LIFEBOAT_LOG_H

#include <stddef.h>

void lb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error: logged like lb_log, and handed to the error sink (PID 1
 * records it for the status report). */
void lb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lb_set_error_sink(void (*sink)(const char *msg));

/* snprintf into a caller's error buffer; tolerates err == NULL; errno is
 * left as it was, so "say strerror(errno), return -errno" holds. */
void lb_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
