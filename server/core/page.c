#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostdoc.h"
#include "core/page.h"
#include "core/report.h"
#include "core/view.h"

static void put(struct page *pg, const char *s, size_t n)
{
	if (pg->failed) {
		return;
	}
	if (pg->len + n + 1 > pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 8192;
		char *p = NULL;

		while (cap < pg->len + n + 1) {
			cap *= 2;
		}
		p = realloc(pg->p, cap);
		if (p == NULL) {
			pg->failed = 1;
			return;
		}
		pg->p = p;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, s, n);
	pg->len += n;
	pg->p[pg->len] = '\0';
}

static void raw(struct page *pg, const char *s)
{
	put(pg, s, strlen(s));
}

static void text(struct page *pg, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			raw(pg, "&lt;");
			break;
		case '>':
			raw(pg, "&gt;");
			break;
		case '&':
			raw(pg, "&amp;");
			break;
		case '"':
			raw(pg, "&quot;");
			break;
		case '\'':
			raw(pg, "&#39;");
			break;
		default:
			put(pg, s, 1);
		}
	}
}

#define STYLE "<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ccc;padding:4px 8px;" \
	      "vertical-align:top;text-align:left}table{border-collapse:collapse}.conflict,.overdue{color:#b00;" \
	      "font-weight:bold}.skipped{color:#a60}.user{float:right}.ident{color:#555;font-size:90%}" \
	      "code{user-select:all}.events{font-size:85%;color:#333;margin:0;padding-left:1em}" \
	      "form.act{display:inline}pre.console{font-size:80%;background:#f4f4f4;max-width:40em;overflow-x:auto;" \
	      "margin:4px 0}</style>"

void page_begin(struct page *pg, const char *user, const char *csrf, unsigned int heartbeat)
{
	memset(pg, 0, sizeof(*pg));
	snprintf(pg->csrf, sizeof(pg->csrf), "%s", csrf ? csrf : "");
	pg->heartbeat = heartbeat ? heartbeat : 30;
	raw(pg, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lifeboat</title>" STYLE "</head><body>\n");
	if (user != NULL) {
		raw(pg, "<form class=\"user\" method=\"post\" action=\"/logout\">Signed in as ");
		text(pg, user);
		raw(pg, " <button type=\"submit\">Log out</button></form>\n");
	}
	raw(pg, "<h1>Lifeboat hosts</h1>\n<table>\n<tr><th>host</th><th>policy</th><th>session</th><th>phase</th>"
		"<th>IP</th><th>last report</th><th>SSH host keys</th><th>disks</th><th>recent events</th>"
		"<th>actions</th></tr>\n");
}

void page_login(struct page *pg, const char *msg)
{
	memset(pg, 0, sizeof(*pg));
	raw(pg, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lifeboat: sign in</title>" STYLE
		"</head><body>\n<h1>Lifeboat</h1>\n");
	if (msg != NULL) {
		raw(pg, "<p class=\"conflict\">");
		text(pg, msg);
		raw(pg, "</p>\n");
	}
	raw(pg, "<form method=\"post\" action=\"/login\">\n<p><label for=\"token\">Admin token</label> "
		"<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" "
		"required autofocus> <button type=\"submit\">Sign in</button></p>\n</form>\n"
		"<p>An admin token comes from <code>lifeboatctl admin-token add NAME</code> on the boot server.</p>\n"
		"</body></html>\n");
}

static void cell_addresses(struct page *pg, json_object *h)
{
	static const char *const families[] = { "ipv4", "ipv6" };
	json_object *ifs = jget(jget(h, "report"), "interfaces");
	size_t f, i, k;

	for (f = 0; f < 2; f++) {
		for (i = 0; ifs != NULL && i < json_object_array_length(ifs); i++) {
			json_object *ips = jget(json_object_array_get_idx(ifs, i), families[f]);

			for (k = 0; ips != NULL && k < json_object_array_length(ips); k++) {
				text(pg, json_object_get_string(json_object_array_get_idx(ips, k)));
				raw(pg, "<br>");
			}
		}
	}
}

static void cell_keys(struct page *pg, json_object *h)
{
	/* the keys the session pinned; the report's when there is no session */
	json_object *keys = jget(jget(h, "session"), "host_keys");
	size_t i;

	if (keys == NULL) {
		keys = jget(jget(jget(h, "report"), "ssh"), "host_keys");
	}
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++) {
		json_object *key = json_object_array_get_idx(keys, i);

		text(pg, jstr(key, "type"));
		raw(pg, " ");
		text(pg, jstr(key, "fingerprint"));
		raw(pg, "<br>");
	}
}

static void cell_disks(struct page *pg, json_object *h)
{
	json_object *disks = jget(jget(jget(h, "report"), "inventory"), "disks");
	char buf[64];
	size_t i;

	for (i = 0; disks != NULL && i < json_object_array_length(disks); i++) {
		json_object *d = json_object_array_get_idx(disks, i), *sz = jget(d, "size_bytes");

		text(pg, jstr(d, "name"));
		if (sz != NULL) {
			snprintf(buf, sizeof(buf), " %.1f GB ", (double)json_object_get_int64(sz) / 1e9);
			text(pg, buf);
		}
		text(pg, jstr(d, "model"));
		raw(pg, " ");
		text(pg, jstr(d, "serial"));
		raw(pg, "<br>");
	}
}

/* Alias, MAC, and what the machine says it is. */
static void cell_identity(struct page *pg, json_object *h, const char *mac)
{
	json_object *dmi = jget(jget(jget(h, "report"), "inventory"), "dmi");
	const char *parts[] = { jstr(dmi, "vendor"), jstr(dmi, "product"), jstr(dmi, "serial") };
	size_t i;
	int any = 0;

	if (jstr(h, "alias")[0] != '\0') {
		raw(pg, "<b>");
		text(pg, jstr(h, "alias"));
		raw(pg, "</b><br>");
	}
	text(pg, mac);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i][0] != '\0') {
			raw(pg, any ? " / " : "<div class=\"ident\">");
			text(pg, parts[i]);
			any = 1;
		}
	}
	if (any) {
		raw(pg, "</div>");
	}
}

/* The phase, how long ago it was reported, and whether heartbeats stopped. */
static void cell_phase(struct page *pg, json_object *h, long long now)
{
	long long t = jint(h, "report_time");
	const char *phase = jstr(h, "phase");
	char buf[80];

	text(pg, phase);
	if (t == 0) {
		return;
	}
	snprintf(buf, sizeof(buf), " (%lld s ago)", now - t);
	text(pg, buf);
	if (now - t > 3 * (long long)pg->heartbeat && strcmp(phase, "shutting-down") != 0 &&
	    strcmp(phase, "loading") != 0) {
		raw(pg, "<div class=\"overdue\">heartbeats overdue</div>");
	}
	if (strcmp(phase, LB_PHASE_TOOLS_FAILED) == 0) {
		/* why: a wrong SHA-256 names both; the agent retries */
		raw(pg, "<div class=\"conflict\">");
		text(pg, jstr(jget(h, "report"), "tools"));
		raw(pg, "</div>");
	}
}

static void cell_events(struct page *pg, json_object *events)
{
	size_t i, n = events ? json_object_array_length(events) : 0;

	if (n == 0) {
		return;
	}
	raw(pg, "<ul class=\"events\">");
	for (i = n; i > 0; i--) {
		json_object *e = json_object_array_get_idx(events, i - 1);

		raw(pg, "<li>");
		text(pg, jstr(e, "kind"));
		raw(pg, ": ");
		text(pg, jstr(e, "text"));
		raw(pg, "</li>");
	}
	raw(pg, "</ul>");
}

/* The page's actions, one row each: what it posts, its button. */
static const struct {
	const char *action;
	const char *label;
	int needs_bmc;
} page_actions[] = {
	{ "rescue-once", "Rescue once", 0 },
	{ "normal", "Normal", 0 },
	{ "power-cycle", "Power cycle", 1 },
	{ "rescue-reset", "Rescue once + power cycle", 1 },
	{ "rescue-media", "Rescue once from virtual media", 1 },
};

static void cell_actions(struct page *pg, json_object *h, const char *mac)
{
	size_t i;

	if (pg->csrf[0] == '\0') {
		return;
	}
	for (i = 0; i < sizeof(page_actions) / sizeof(page_actions[0]); i++) {
		if (page_actions[i].needs_bmc && jget(h, "bmc") == NULL) {
			continue;
		}
		raw(pg, "<form class=\"act\" method=\"post\" action=\"/hosts/");
		text(pg, mac);
		raw(pg, "/");
		raw(pg, page_actions[i].action);
		raw(pg, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
		text(pg, pg->csrf);
		raw(pg, "\"><button type=\"submit\">");
		raw(pg, page_actions[i].label);
		raw(pg, "</button></form> ");
	}
}

void page_host(struct page *pg, json_object *h, const char *mac, const struct schema_skipped *sk, long long now,
	       json_object *events, const char *console)
{
	char buf[320];
	long long t = jint(h, "report_time");

	raw(pg, "<tr id=\"");
	text(pg, mac);
	raw(pg, "\"><td>");
	if (h == NULL) {
		text(pg, mac);
		raw(pg, "</td><td colspan=\"9\" class=\"skipped\">unreadable stored host: ");
		text(pg, sk && sk->count ? sk->text : "no host object");
		raw(pg, "</td></tr>\n");
		return;
	}
	cell_identity(pg, h, mac);
	raw(pg, "</td><td>");
	text(pg, jstr(h, "policy"));
	view_session(h, now, buf, sizeof(buf));
	raw(pg, strncmp(buf, "CONFLICT", 8) == 0 ? "</td><td class=\"conflict\">" : "</td><td>");
	text(pg, buf);
	raw(pg, "</td><td>");
	cell_phase(pg, h, now);
	if (console != NULL && console[0] != '\0') {
		/* what its serial console printed last, beside the agent's phase */
		raw(pg, "<pre class=\"console\">");
		text(pg, console);
		raw(pg, "</pre>");
	}
	raw(pg, "</td><td>");
	cell_addresses(pg, h);
	if (lb_phase_ssh_up(jstr(h, "phase"))) {
		/* copyable: the one that checks the verified host key first */
		raw(pg, "<code>lifeboatctl ssh ");
		text(pg, jstr(h, "alias")[0] ? jstr(h, "alias") : mac);
		raw(pg, "</code>");
	}
	raw(pg, "</td><td>");
	if (t != 0) {
		snprintf(buf, sizeof(buf), "%lld s ago", now - t);
		text(pg, buf);
	} else {
		raw(pg, "never");
	}
	raw(pg, "</td><td>");
	cell_keys(pg, h);
	raw(pg, "</td><td>");
	cell_disks(pg, h);
	if (sk != NULL && sk->count > 0) {
		raw(pg, "<div class=\"skipped\">skipped from the stored host: ");
		text(pg, sk->text);
		raw(pg, "</div>");
	}
	raw(pg, "</td><td>");
	cell_events(pg, events);
	raw(pg, "</td><td>");
	cell_actions(pg, h, mac);
	raw(pg, "</td></tr>\n");
}

void page_end(struct page *pg)
{
	raw(pg, "</table>\n<p>lifeboatctl rescue MAC [--once] | normal MAC | known-hosts MAC</p>\n</body></html>\n");
}

void page_free(struct page *pg)
{
	free(pg->p);
	pg->p = NULL;
}
