#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void (*error_sink)(const char *msg);
static int kmsg_fd = -1;

void lb_log_to_kmsg(int unlimit)
{
	if (unlimit) {
		/* kernel.printk_devkmsg: "ratelimit" (10 lines per 5 s) would drop
		 * the agent's lines at start */
		int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "on\n", 3) != 3) {
				/* set on the command line (printk.devkmsg=): it stays */
			}
			close(fd);
		}
	}
	if (kmsg_fd < 0) {
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	}
}

/* Formats one line and writes it with a single write(2): stdio may split
 * a long line (musl's unbuffered stderr writes through an 80-byte buffer),
 * and the console is shared by PID 1, the reporter and their children, so
 * a line must leave in one piece. Then hands it to sink when set. */
static void log_v(void (*sink)(const char *msg), const char *fmt, va_list ap)
{
	static const char prefix[] = "lifeboat: ";
	char msg[1000], out[sizeof(prefix) + sizeof(msg) + 1];
	size_t n, done = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	memcpy(out, prefix, sizeof(prefix) - 1);
	memcpy(out + sizeof(prefix) - 1, msg, n);
	n += sizeof(prefix) - 1;
	out[n++] = '\n';
	while (done < n) {
		ssize_t w = write(2, out + done, n - done);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			break;
		}
		done += (size_t)w;
	}
	if (kmsg_fd >= 0) {
		/* <15>: facility user, level debug; one write, one record */
		char rec[sizeof(out) + 4] = "<15>";

		memcpy(rec + 4, out, n);
		if (write(kmsg_fd, rec, n + 4) < 0) {
			/* the console has it */
		}
	}
	if (sink != NULL) {
		sink(msg);
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
	int saved = errno; /* callers say strerror(errno), then return -errno */

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = saved;
}
