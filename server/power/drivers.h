/* The drivers of power.c's table (power.h says what each returns). */
#ifndef LIFEBOAT_POWER_DRIVERS_H
#define LIFEBOAT_POWER_DRIVERS_H

#include "power/bmc.h"

int ipmi_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);
int redfish_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);

#endif
