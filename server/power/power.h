/* Power control of a host through its BMC: one table of drivers
 * (power.c), each a mechanism that returns an error and says it in words;
 * the layer that decides (lifeboatd, lifeboatctl) prints it.
 *
 *   ipmi      Debian's ipmitool, IPMI 2.0 over LAN (lanplus); the password
 *             in its environment, never on a command line (ipmi.c)
 *   redfish   HTTPS to the BMC's Redfish service (redfish.c on
 *             redfish_http.c: libcurl + json-c): the system found from the
 *             service root, ComputerSystem.Reset with a reset type it
 *             allows, a one-time boot override, vendor quirks in one table
 *
 * Where a BMC's definition is kept (apart from the host, never answered
 * by the API): store/bmc.h. */
#ifndef LIFEBOAT_POWER_H
#define LIFEBOAT_POWER_H

#include <stddef.h>

#include "power/bmc.h"

/* Once, before threads start (libcurl's global state). 0 or -EIO. */
int power_init(void);

/* "status", "on", "off", "cycle": the op, or -1. */
int power_op_from_name(const char *name);

/* 1 when name is a driver of the table. */
int power_driver_known(const char *name);

/* 1 when that driver has virtual media. */
int power_driver_has_media(const char *name);

/* Runs op (bounded: at most about 30 s). state gets "on"/"off" for
 * POWER_STATUS. 0, or -EHOSTUNREACH (no answer), -EACCES (credentials or
 * privilege refused), -EPROTO (the certificate did not check out),
 * -EIO (anything else) with err in words. */
int bmc_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);

/* Virtual media (drivers that have it): image, an http:// or https:// URL
 * the BMC fetches, inserted as its virtual CD (what was in it ejected
 * first); with image NULL, what is inserted ejected, only images that
 * start with mine (NULL: any). 0, the errors of bmc_power, or
 * -EOPNOTSUPP (this driver or this BMC has no virtual media to boot). */
int bmc_media(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen);

/* The host's serial console (ipmi: Serial-over-LAN): *fd, a
 * non-blocking terminal that reads what the console prints (and takes
 * what is typed), *pid its ipmitool. 0, or -EOPNOTSUPP (not IPMI),
 * -EHOSTUNREACH, -errno with err. bmc_sol_close ends and reaps it. */
#include <sys/types.h>
int bmc_sol_open(const struct bmc *b, pid_t *pid, int *fd, char *err, size_t errlen);
void bmc_sol_close(pid_t pid, int fd);

#endif
