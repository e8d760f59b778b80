/* /dev/kmsg records (Documentation/ABI/testing/dev-kmsg): parsed from a
 * string, never from the device, so host tests can feed them. */
#ifndef LIFEBOAT_KMSG_H
#define LIFEBOAT_KMSG_H

#include <stddef.h>

/* One record "PRI,SEQ,USEC,FLAGS[,...];TEXT\n[ KEY=VALUE\n...]" as the
 * line dmesg prints, "[    12.345678] TEXT\n", into out: its length,
 * -EINVAL (not a record) or -ENOSPC. TEXT stays as the kernel escaped it
 * (\xNN for what is not printable). */
int kmsg_format(const char *rec, size_t n, char *out, size_t outlen);

#endif
