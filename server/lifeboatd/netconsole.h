/* The rescue kernels' netconsole lines, over UDP (netconsole.c). */
#ifndef LIFEBOAT_NETCONSOLE_H
#define LIFEBOAT_NETCONSOLE_H

#include <stddef.h>

/* Listens on netconsole_port (none when 0). 0, or -errno with err. */
int netconsole_start(char *err, size_t errlen);
void netconsole_stop(void);

/* Datagrams from addr are mac's (of session) until `until` (unix time):
 * called for every accepted report. */
void netconsole_allow(const char *addr, const char *mac, long long session, long long until);

#endif
