/* What people read about a host, from its clean object (core/hostdoc.h):
 * the lines lifeboatctl prints and the text the page shows. Pure but for
 * the FILE* they write to; the fuzzer drives them with hostile hosts. */
#ifndef LIFEBOAT_VIEW_H
#define LIFEBOAT_VIEW_H

#include <json-c/json.h>
#include <stdio.h>

#include "core/schema.h"

/* The first reported IPv4 address without its prefix, or "". */
/* The address to ssh to: the first reported IPv4 address, else the first
 * IPv6 one that is not link-local; "" when it reported none. */
const char *view_first_address(json_object *h, char *buf, size_t len);

/* "active, bound to 192.0.2.7, ends in 23h 59m", "conflict: 192.0.2.9 ...". */
const char *view_session(json_object *h, long long now, char *buf, size_t len);

/* One line of lifeboatctl list (h NULL: the file could not be read). */
/* The column heads of lifeboatctl list. */
void view_list_header(FILE *out);

/* An event log (events_read's array): "2026-11-23 16:20:01  policy   ..." */
void view_events(json_object *events, FILE *out);

void view_list_line(json_object *h, const char *mac, const struct schema_skipped *sk, long long now, FILE *out);

/* known_hosts lines for the keys the session pinned, reported from its
 * bound address, under name (NULL: the reported address). 0, or -1 with
 * err saying why it refuses (conflict, no keys, keys not from the bound
 * address, no address). */
int view_known_hosts(json_object *h, const char *name, long long now, FILE *out, char *err, size_t errlen);

#endif
