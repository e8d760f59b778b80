/* The drivers of power.c's table (power.h says what each returns). */
#ifndef LIFEBOAT_POWER_DRIVERS_H
#define LIFEBOAT_POWER_DRIVERS_H

#include "power/bmc.h"

int ipmi_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);
int redfish_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);

/* Virtual media: image (an http(s) URL) inserted as the CD, or with NULL
 * what is inserted (starting with mine, or anything) ejected. */
int redfish_media(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen);

/* ipmi.c for sol.c: ipmitool's argv up to the command ("ipmitool -I
 * lanplus -H ... -E [-C n]"; argv needs 12 slots more than it adds), its
 * length; and a bounded run of argv with the password in its
 * environment (output into out): the exit status, -ETIMEDOUT, -errno. */
size_t ipmi_argv(const struct bmc *b, char port[8], char cipher[4], char **argv);
int ipmi_run(char *const argv[], const char *password, char *out, size_t outlen);

#endif
