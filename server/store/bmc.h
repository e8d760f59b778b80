/* A host's BMC: where it is, how to log in (the store's bmc table, apart
 * from the host's document; written only by lifeboatd and lifeboatctl on
 * the boot server, never answered by the API), and power control
 * through it.
 *
 * Power control goes through a driver table: "ipmi" runs Debian's
 * ipmitool (IPMI 2.0 over LAN, lanplus; the password passed in the
 * environment, never on a command line). A Redfish driver is one more
 * row: the same operations as HTTPS requests to
 * /redfish/v1/Systems/<id>/Actions/ComputerSystem.Reset and a PATCH of
 * Boot.BootSourceOverrideTarget = Pxe (docs/server.md#power-control-and-lifeboatctl-ssh). */
#ifndef LIFEBOAT_BMC_H
#define LIFEBOAT_BMC_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/schema.h"
#include "store/store.h"

struct bmc {
	char driver[16];    /* "ipmi" */
	char address[254];  /* host name or IPv4 address */
	unsigned int port;  /* 623 */
	char user[17];      /* IPMI: at most 16 bytes */
	char password[21];  /* IPMI 2.0: at most 20 bytes */
};

/* What a BMC definition may contain (control API body, stored). */
extern const struct schema_field bmc_members[];

/* From a checked object (bmc_members). -EINVAL with a reason. */
int bmc_from_json(json_object *o, struct bmc *b, char *err, size_t errlen);
/* Everything but the password (new reference). */
json_object *bmc_public(const struct bmc *b);

int bmc_save(struct store *st, const char *mac, const struct bmc *b, char *err, size_t errlen);
/* -ENOENT when the host has no BMC. */
int bmc_load(struct store *st, const char *mac, struct bmc *b, char *err, size_t errlen);

enum power_op { POWER_STATUS, POWER_ON, POWER_OFF, POWER_CYCLE, POWER_BOOT_PXE };

/* "status", "on", "off", "cycle": the op, or -1. */
int power_op_from_name(const char *name);

/* Runs op (bounded: at most about 30 s). state gets "on"/"off" for
 * POWER_STATUS. 0, or -EHOSTUNREACH (no answer), -EACCES (credentials or
 * privilege refused), -EIO (anything else) with err in words. */
int bmc_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);

#endif
