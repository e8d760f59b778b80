/* The hosts page: GET / (admin_gate has run), rendered by core/page.h
 * with each host's newest events; its buttons post to pageaction.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ansi.h"
#include "core/page.h"
#include "lifeboatd/hostpage.h"
#include "lifeboatd/http.h"
#include "lifeboatd/login.h"
#include "lifeboatd/server.h"
#include "store/console.h"
#include "store/events.h"

#define PAGE_EVENTS 5
#define PAGE_CONSOLE_LINES 5

static void page_row(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	json_object *ev = events_read(&srv.store, mac, PAGE_EVENTS);
	size_t len = 0;
	int rc = 0;
	char *lines = console_read(&srv.store, mac, 0, 0, PAGE_CONSOLE_LINES, &len, &rc), *shown = NULL;

	if (lines != NULL && len > 0 && (shown = malloc(len + 1)) != NULL) {
		console_text(lines, len, shown, len + 1);
	}
	page_host(ctx, h, mac, sk, (long long)time(NULL), ev, shown);
	free(shown);
	free(lines);
	json_object_put(ev);
}

enum MHD_Result handle_page(struct MHD_Connection *c, struct req *r, const char *rest)
{
	struct page pg;
	enum MHD_Result ret;
	char csrf[65];

	page_begin(&pg, r->admin, login_csrf(c, csrf) == 0 ? csrf : NULL, srv.conf.heartbeat);
	store_each(&srv.store, page_row, &pg);
	page_end(&pg);
	if (pg.failed) {
		page_free(&pg);
		return http_text(c, r, 500, "out of memory");
	}
	ret = http_respond(c, r, 200, "text/html; charset=utf-8", pg.p, pg.len);
	page_free(&pg);
	return ret;
}
