/* Console messages: one style, "lifeboat: ..." */
#ifndef LIFEBOAT_LOG_H
#define LIFEBOAT_LOG_H

#include <stddef.h>

void lb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error: logged like lb_log, and handed to the error sink (PID 1
 * records it for the status report). */
void lb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lb_set_error_sink(void (*sink)(const char *msg));

/* In the rescue system: every line also into the kernel's log
 * (/dev/kmsg, at debug level: not on the console twice), where the
 * reporter sends it from with the kernel's own lines (logship.h). PID 1
 * first lifts the kernel's rate limit on such writes (unlimit). */
void lb_log_to_kmsg(int unlimit);

/* snprintf into a caller's error buffer; tolerates err == NULL; errno is
 * left as it was, so "say strerror(errno), return -errno" holds. */
void lb_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
