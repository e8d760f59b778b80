#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "power/drivers.h"
#include "power/power.h"

static const struct {
	const char *name;
	int (*power)(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);
	int (*media)(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen); /* NULL: none */
	const char *no_media;  /* why not, then */
} drivers[] = {
	{ "ipmi", ipmi_power, NULL, "cannot use virtual media through IPMI: it has none (the redfish driver has)" },
	{ "redfish", redfish_power, redfish_media, NULL },
};

int power_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

int power_op_from_name(const char *name)
{
	static const char *const names[] = { "status", "on", "off", "cycle" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

int power_driver_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(name, drivers[i].name) == 0) {
			return 1;
		}
	}
	return 0;
}

static int driver_of(const struct bmc *b, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(b->driver, drivers[i].name) == 0) {
			return (int)i;
		}
	}
	snprintf(err, errlen, "no power driver %s", b->driver);
	return -EINVAL;
}

int power_driver_has_media(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(name, drivers[i].name) == 0) {
			return drivers[i].media != NULL;
		}
	}
	return 0;
}

int bmc_media(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen)
{
	int d = driver_of(b, err, errlen);

	if (d < 0) {
		return d;
	}
	if (drivers[d].media == NULL) {
		snprintf(err, errlen, "%s", drivers[d].no_media);
		return -EOPNOTSUPP;
	}
	return drivers[d].media(b, image, mine, err, errlen);
}

int bmc_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen)
{
	int d = driver_of(b, err, errlen);

	state[0] = '\0';
	return d < 0 ? d : drivers[d].power(b, op, state, err, errlen);
}
