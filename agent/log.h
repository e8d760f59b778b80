/* Console messages: one style, "lifeboat: ..." */
#ifndef LIFEBOAT_LOG_H
#define LIFEBOAT_LOG_H

#include <stddef.h>

void lb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into a caller's error buffer; tolerates err == NULL. */
void lb_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
