/* Machine inventory from sysfs and /proc, as JSON: disks (size, model,
 * serial, rotational, partitions), NICs (MAC, link, speed, addresses),
 * memory, CPUs, DMI identity. Read-only: nothing is opened for writing. */
#ifndef LIFEBOAT_INVENTORY_H
#define LIFEBOAT_INVENTORY_H

#include "json.h"

/* Writes "inventory": {...} members into the current object. */
void inventory_write(struct json *j);

/* Writes "interfaces": [...]. */
void inventory_interfaces(struct json *j);

#endif
