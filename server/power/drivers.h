/* The drivers of power.c's table (power.h says what each returns). */
#ifndef LIFEBOAT_POWER_DRIVERS_H
#define LIFEBOAT_POWER_DRIVERS_H

#include "power/bmc.h"

int ipmi_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);
int redfish_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);

/* Virtual media: image (an http(s) URL) inserted as the CD, or with NULL
 * what is inserted (starting with mine, or anything) ejected. */
int redfish_media(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen);

#endif
