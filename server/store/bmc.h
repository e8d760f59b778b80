/* A host's BMC: where it is and how to log in (the store's bmc table,
 * apart from the host's document; written only by lifeboatd and
 * lifeboatctl on the boot server, never answered by the API). Power
 * control through it: power/power.h. */
#ifndef LIFEBOAT_BMC_H
#define LIFEBOAT_BMC_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/schema.h"
#include "power/power.h"
#include "store/store.h"

/* What a BMC definition may contain (control API body, stored). */
extern const struct schema_field bmc_members[];

/* From a checked object (bmc_members), each member as its driver wants
 * it. -EINVAL with a reason naming the member. */
int bmc_from_json(json_object *o, struct bmc *b, char *err, size_t errlen);
/* What the host shows (new reference): no password, the CA by its size. */
json_object *bmc_public(const struct bmc *b);
/* Every member but the password (new reference): what is stored, with
 * the password added, and what lifeboatctl sends, likewise. */
json_object *bmc_body(const struct bmc *b);

int bmc_save(struct store *st, const char *mac, const struct bmc *b, char *err, size_t errlen);
/* -ENOENT when the host has no BMC. */
int bmc_load(struct store *st, const char *mac, struct bmc *b, char *err, size_t errlen);

/* The MACs of the hosts that have a BMC, at most max. 0 or -errno. */
int bmc_macs(struct store *st, char (*macs)[18], size_t max, size_t *n);

#endif
