#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "core/hostdoc.h"
#include "core/session.h"
#include "core/view.h"

/* The first reported address of family key ("ipv4" or "ipv6"), without
 * its prefix; IPv6 link-local ones are no use to ssh from elsewhere. */
static int first_of(json_object *ifs, const char *key, char *buf, size_t len)
{
	size_t i, k;

	for (i = 0; ifs != NULL && i < json_object_array_length(ifs); i++) {
		json_object *ips = jget(json_object_array_get_idx(ifs, i), key);

		for (k = 0; ips != NULL && k < json_object_array_length(ips); k++) {
			snprintf(buf, len, "%s", json_object_get_string(json_object_array_get_idx(ips, k)));
			buf[strcspn(buf, "/")] = '\0';
			if (!addr_is_link_local6(buf)) {
				return 1;
			}
		}
	}
	buf[0] = '\0';
	return 0;
}

const char *view_first_address(json_object *h, char *buf, size_t len)
{
	json_object *ifs = jget(jget(h, "report"), "interfaces");

	if (!first_of(ifs, "ipv4", buf, len)) {
		first_of(ifs, "ipv6", buf, len);
	}
	return buf;
}

static void span(long long s, char *buf, size_t len)
{
	if (s < 0) {
		s = 0;
	}
	if (s >= 3600) {
		snprintf(buf, len, "%lldh %02lldm", s / 3600, s / 60 % 60);
	} else if (s >= 60) {
		snprintf(buf, len, "%lldm %02llds", s / 60, s % 60);
	} else {
		snprintf(buf, len, "%llds", s);
	}
}

const char *view_session(json_object *h, long long now, char *buf, size_t len)
{
	struct session s;
	const char *why = NULL;
	char t[32];

	session_read(h, &s);
	switch (session_effective(&s, now, &why)) {
	case SS_NONE:
		snprintf(buf, len, "none");
		break;
	case SS_ARMED:
		span(s.expires - now, t, sizeof(t));
		snprintf(buf, len, s.expires ? "armed, ends in %s" : "armed", t);
		break;
	case SS_ACTIVE:
		span((s.ends ? s.ends : s.expires) - now, t, sizeof(t));
		snprintf(buf, len, "active, bound to %s, ends in %s", s.bound[0] ? s.bound : "(first use)", t);
		break;
	case SS_CONFLICT:
		snprintf(buf, len, "CONFLICT: %s asked while bound to %s (%s); re-arm to clear",
			 s.conflict_source[0] ? s.conflict_source : "?", s.bound[0] ? s.bound : "?",
			 s.conflict_reason[0] ? s.conflict_reason : "no reason recorded");
		break;
	case SS_ENDED:
		snprintf(buf, len, "ended (%s)", why && why[0] ? why : "?");
		break;
	}
	return buf;
}

void view_list_line(json_object *h, const char *mac, const struct schema_skipped *sk, long long now, FILE *out)
{
	char ip[64], age[32] = "never", sess[300];
	long long t = jint(h, "report_time");

	if (h == NULL) {
		fprintf(out, "%-17s  %-11s  %-13s  %-15s  %-11s  unreadable: %s\n", mac, "?", "?", "-", "-",
			sk && sk->count ? sk->text : "no host object");
		return;
	}
	if (t != 0) {
		span(now - t, age, sizeof(age));
		strncat(age, " ago", sizeof(age) - strlen(age) - 1);
	}
	fprintf(out, "%-17s  %-11s  %-13s  %-15s  %-11s  %s%s%s\n", mac, jstr(h, "policy")[0] ? jstr(h, "policy") : "-",
		jstr(h, "phase")[0] ? jstr(h, "phase") : "-", view_first_address(h, ip, sizeof(ip))[0] ? ip : "-", age,
		view_session(h, now, sess, sizeof(sess)), sk && sk->count ? "; skipped: " : "",
		sk && sk->count ? sk->text : "");
}

int view_known_hosts(json_object *h, const char *name, long long now, FILE *out, char *err, size_t errlen)
{
	json_object *sess = jget(h, "session"), *keys = jget(sess, "host_keys");
	struct session s;
	char ip[64];
	size_t i;

	session_read(h, &s);
	if (session_effective(&s, now, NULL) == SS_CONFLICT) {
		snprintf(err, errlen, "refusing: the session is in conflict (%s asked while bound to %s: %s); "
				      "check the machine and re-arm it with lifeboatctl rescue",
			 s.conflict_source[0] ? s.conflict_source : "?", s.bound[0] ? s.bound : "?", s.conflict_reason);
		return -1;
	}
	if (keys == NULL || json_object_array_length(keys) == 0) {
		snprintf(err, errlen, "no report with host keys yet in this session");
		return -1;
	}
	if (s.bound[0] == '\0' || strcmp(jstr(h, "report_source"), s.bound) != 0) {
		snprintf(err, errlen, "refusing: the host keys were not reported from the session's bound address %s",
			 s.bound[0] ? s.bound : "(none)");
		return -1;
	}
	if (name == NULL) {
		name = view_first_address(h, ip, sizeof(ip));
		if (name[0] == '\0') {
			snprintf(err, errlen, "cannot tell its address: give --host NAME");
			return -1;
		}
	}
	for (i = 0; i < json_object_array_length(keys); i++) {
		json_object *k = json_object_array_get_idx(keys, i);

		fprintf(out, "%s %s %s\n", name, jstr(k, "type"), jstr(k, "key"));
	}
	return 0;
}

void view_list_header(FILE *out)
{
	fprintf(out, "%-17s  %-11s  %-13s  %-15s  %-11s  %s\n", "MAC", "POLICY", "PHASE", "ADDRESS", "LAST REPORT",
		"SESSION");
}

void view_events(json_object *events, FILE *out)
{
	size_t i, n = events && json_object_is_type(events, json_type_array) ? json_object_array_length(events) : 0;
	char when[32];

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(events, i);
		time_t t = (time_t)jint(e, "time");
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		fprintf(out, "%s  %-8s %s\n", when, jstr(e, "kind"), jstr(e, "text"));
	}
}
