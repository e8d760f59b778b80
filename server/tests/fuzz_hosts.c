/* libFuzzer, structure-aware: the input bytes steer a generator that walks
 * the host file's table (hostfile.c, with the report's inside it), so most
 * documents are nearly valid and each byte decides whether a member is
 * left out, well typed, or of a wrong type or size. Every document goes
 * through what readers do (lenient cleaning, the page, lifeboatctl's list
 * and known-hosts, the session model, the boot decision) under ASan and
 * UBSan, with three checks:
 *  - the page never carries a '<' that came from data;
 *  - a report the strict parser accepts loses nothing to lenient reading;
 *  - what lenient reading returns is itself clean (a second pass skips
 *    nothing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decide.h"
#include "core/hostdoc.h"
#include "core/page.h"
#include "core/report.h"
#include "core/view.h"

struct src {
	const uint8_t *p;
	size_t n;
};

static unsigned int byte(struct src *s)
{
	if (s->n == 0) {
		return 0;
	}
	s->n--;
	return *s->p++;
}

static const char *const words[] = {
	"52:54:00:12:34:56", "52-54-00-12-34-56", "127.0.0.2", "10.0.0.1/24", "300.1.1.1", "10.0.0.1/33",
	"ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIKey", "SHA256:abc", "rescue", "rescue-once", "normal",
	"armed", "active", "conflict", "ended", "ssh-ready", "booted", "loading", "lifeboat-status",
	"<script>alert(1)</script>", "a\"b'c&d", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", "line\nbreak", "",
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "eth0", "sda", "%s%n", "\x7f",
};

static json_object *gen_any(struct src *s, int depth);

static json_object *gen_string(struct src *s)
{
	unsigned int k = byte(s);

	if (k < 200) {
		return json_object_new_string(words[k % (sizeof(words) / sizeof(words[0]))]);
	}
	if (k < 230) {
		/* raw bytes from the input */
		char buf[80];
		size_t n = byte(s) % sizeof(buf), i;

		for (i = 0; i < n; i++) {
			buf[i] = (char)byte(s);
		}
		return json_object_new_string_len(buf, (int)n);
	}
	{
		/* long: past every bound in the tables */
		size_t n = 100 + byte(s) * 40;
		char *buf = malloc(n + 1);
		json_object *o = NULL;

		if (buf == NULL) {
			return NULL;
		}
		memset(buf, 'A' + (int)(k % 26), n);
		buf[n] = '\0';
		o = json_object_new_string(buf);
		free(buf);
		return o;
	}
}

static json_object *gen_int(struct src *s)
{
	static const int64_t edges[] = { 0, 1, -1, 22, 65535, 65536, 1LL << 40, INT64_MAX, INT64_MIN, 1000000 };
	unsigned int k = byte(s);

	return json_object_new_int64(k < 128 ? edges[k % 10] : (int64_t)(k * 7919));
}

static json_object *gen_any(struct src *s, int depth)
{
	unsigned int k = byte(s) % (depth > 4 ? 5 : 7), i, n;
	json_object *o = NULL;

	switch (k) {
	case 0:
		return NULL; /* JSON null */
	case 1:
		return json_object_new_boolean(byte(s) & 1);
	case 2:
		return gen_int(s);
	case 3:
		return json_object_new_double((double)byte(s) / 3.0 - 20);
	case 4:
		return gen_string(s);
	case 5:
		o = json_object_new_array();
		for (i = 0, n = byte(s) % 5; i < n; i++) {
			json_object_array_add(o, gen_any(s, depth + 1));
		}
		return o;
	default:
		o = json_object_new_object();
		for (i = 0, n = byte(s) % 4; i < n; i++) {
			json_object_object_add(o, words[byte(s) % (sizeof(words) / sizeof(words[0]))],
					       gen_any(s, depth + 1));
		}
		return o;
	}
}

static json_object *gen_object(struct src *s, const struct schema_field *members, int depth);

/* A value for field f: mostly of its kind, sometimes anything. */
static json_object *gen_field(struct src *s, const struct schema_field *f, int depth)
{
	unsigned int k = byte(s);
	json_object *o = NULL;
	unsigned int i, n;

	if (k >= 224 || depth > 8) {
		return gen_any(s, depth);
	}
	switch (f->kind) {
	case SK_STRING:
		return gen_string(s);
	case SK_INT:
		return gen_int(s);
	case SK_NUMBER:
		return json_object_new_double((double)byte(s) * 1.5);
	case SK_BOOL:
		return json_object_new_boolean(k & 1);
	case SK_OBJECT:
		return gen_object(s, f->members, depth + 1);
	case SK_ARRAY:
		o = json_object_new_array();
		n = byte(s) % 4;
		if (k % 17 == 0) {
			n = (unsigned int)f->max + 1; /* one too many */
		}
		for (i = 0; i < n; i++) {
			json_object_array_add(o, gen_field(s, f->elem, depth + 1));
		}
		return o;
	}
	return NULL;
}

static json_object *gen_object(struct src *s, const struct schema_field *members, int depth)
{
	json_object *o = json_object_new_object();
	const struct schema_field *f = NULL;

	for (f = members; f->name != NULL; f++) {
		unsigned int k = byte(s);

		if (k < 40 && !(f->flags & SF_REQUIRED)) {
			continue; /* left out */
		}
		json_object_object_add(o, f->name, gen_field(s, f, depth));
	}
	if (byte(s) < 20) {
		json_object_object_add(o, "unknown-member", gen_any(s, depth + 1));
	}
	return o;
}

static void check_page(json_object *h, const struct schema_skipped *sk)
{
	struct page pg;
	const char *p = NULL;

	page_begin(&pg, "admin", "0123456789abcdef", 30);
	page_host(&pg, h, "52:54:00:12:34:56", sk, 1000000, NULL, "console \x1b[1mline\x1b[0m <b>");
	page_end(&pg);
	/* data never opens a tag: every '<' is one of ours */
	for (p = pg.p; p != NULL && (p = strchr(p, '<')) != NULL; p++) {
		if (strncmp(p, "<script", 7) == 0) {
			abort();
		}
	}
	page_free(&pg);
}

static void check_readers(json_object *h, const struct schema_skipped *sk, FILE *sink)
{
	struct boot_query q;
	struct boot_facts f;
	struct boot_env e = { .source = "127.0.0.2", .default_policy = "rescue", .now = 1000000, .auto_hosts = 4 };
	struct boot_outcome o;
	char err[600], buf[320];

	check_page(h, sk);
	view_list_line(h, "52:54:00:12:34:56", sk, 1000000, sink);
	view_known_hosts(h, NULL, 1000000, sink, err, sizeof(err));
	view_known_hosts(h, "[127.0.0.1]:2222", 1000000, sink, err, sizeof(err));
	view_session(h, 1000000, buf, sizeof(buf));
	memset(&q, 0, sizeof(q));
	strcpy(q.mac, "52:54:00:12:34:56");
	strcpy(q.ip, "127.0.0.2");
	memset(&f, 0, sizeof(f));
	f.known = h != NULL;
	snprintf(f.policy, sizeof(f.policy), "%s", jstr(h, "policy"));
	session_read(h, &f.s);
	boot_decide(&f, &q, &e, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = { data, size };
	struct schema_skipped sk = { .count = 0 }, sk2 = { .count = 0 };
	json_object *raw = gen_object(&s, host_members, 0), *clean = NULL, *again = NULL, *rep = NULL;
	FILE *sink = fopen("/dev/null", "w");
	char err[400];

	if (sink == NULL) {
		return 0;
	}
	clean = hostdoc_clean(raw, &sk);
	check_readers(clean, &sk, sink);
	if (clean != NULL) {
		/* what lenient reading returns reads back with nothing skipped */
		again = hostdoc_clean(clean, &sk2);
		if (again == NULL || sk2.count != 0) {
			abort();
		}
		json_object_put(again);
	}
	/* the report as the agent would send it: strict accept => nothing lost */
	rep = jget(raw, "report");
	if (rep != NULL) {
		const char *text = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
		json_object *parsed = report_parse(text, strlen(text), err, sizeof(err));

		if (parsed != NULL) {
			struct schema_skipped sk3 = { .count = 0 };
			json_object *lenient = schema_lenient(parsed, report_members, &sk3);

			if (lenient == NULL || sk3.count != 0) {
				abort();
			}
			json_object_put(lenient);
			json_object_put(parsed);
		}
	}
	json_object_put(clean);
	json_object_put(raw);
	fclose(sink);
	return 0;
}
