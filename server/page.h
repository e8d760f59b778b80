/* The hosts page (GET /): HTML from clean host objects, every value
 * escaped. Pure; the fuzzer renders hostile hosts with it. */
#ifndef LIFEBOAT_PAGE_H
#define LIFEBOAT_PAGE_H

#include <json-c/json.h>
#include <stddef.h>

#include "schema.h"

struct page {
	char *p;
	size_t len, cap;
	int failed;         /* out of memory: p is incomplete */
};

/* The page's head; user: the signed-in admin (a log-out button), or NULL. */
void page_begin(struct page *pg, const char *user);
/* One row; h NULL when nothing of the file could be read. */
void page_host(struct page *pg, json_object *h, const char *mac, const struct schema_skipped *sk, long long now);
void page_end(struct page *pg);
void page_free(struct page *pg);

/* The whole login page (a form posting the admin token to /login), with
 * msg (may be NULL) above it. Reveals nothing about the hosts. */
void page_login(struct page *pg, const char *msg);

#endif
