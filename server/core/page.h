/* The hosts page (GET /): HTML from clean host objects, every value
 * escaped. Pure; the fuzzer renders hostile hosts with it. */
#ifndef LIFEBOAT_PAGE_H
#define LIFEBOAT_PAGE_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/schema.h"

struct page {
	char *p;
	size_t len, cap;
	int failed;         /* out of memory: p is incomplete */
	char csrf[65];      /* the signed-in browser's form token; "": no action forms */
	unsigned int heartbeat; /* seconds: three missed ones mark a host overdue */
};

/* The page's head; user: the signed-in admin (a log-out button), or NULL;
 * csrf: the token the action forms carry (NULL: no forms, e.g. a Bearer
 * client); heartbeat: the agents' lifeboat.heartbeat. */
void page_begin(struct page *pg, const char *user, const char *csrf, unsigned int heartbeat);
/* One host; h NULL when nothing of the file could be read; events: its
 * newest events (an array, may be NULL). */
/* console: the last lines its serial console printed, as text (NULL:
 * none). */
void page_host(struct page *pg, json_object *h, const char *mac, const struct schema_skipped *sk, long long now,
	       json_object *events, const char *console);
void page_end(struct page *pg);
void page_free(struct page *pg);

/* The whole login page (a form posting the admin token to /login), with
 * msg (may be NULL) above it. Reveals nothing about the hosts. */
void page_login(struct page *pg, const char *msg);

#endif
