/* The boot decision without HTTP: every row of the session model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/decide.h"
#include "core/hostdoc.h"

#define NOW 1000000LL

static struct boot_query query(const char *ip)
{
	struct boot_query q;

	memset(&q, 0, sizeof(q));
	strcpy(q.mac, "52:54:00:12:34:56");
	/* an IPv6 ip here is what iPXE says as ip6= */
	strcpy(strchr(ip, ':') ? q.ip6 : q.ip, ip);
	return q;
}

static struct boot_facts host(const char *policy, enum session_state st, const char *bound)
{
	struct boot_facts f;

	memset(&f, 0, sizeof(f));
	f.known = 1;
	strcpy(f.policy, policy);
	f.s.state = st;
	f.s.expires = NOW + 100;
	strcpy(f.s.bound, bound);
	return f;
}

static struct boot_env env(const char *source)
{
	struct boot_env e = { .source = source, .server_nat = 0, .default_policy = "normal", .now = NOW,
			      .auto_hosts = 4 };

	return e;
}

static void expect(const struct boot_facts *f, const char *ip, const struct boot_env *e, enum decision d,
		   enum boot_step step)
{
	struct boot_query q = query(ip);
	struct boot_outcome o;

	boot_decide(f, &q, e, &o);
	if (o.d != d || o.step != step) {
		fail_msg("ip=%s from %s: got %s step %d (%s), want %s step %d", ip, e->source, decision_name(o.d), o.step,
			 o.why, decision_name(d), step);
	}
}

static void test_unknown_hosts(void **state)
{
	struct boot_facts f;
	struct boot_env e = env("10.0.0.5");

	memset(&f, 0, sizeof(f));
	expect(&f, "10.0.0.5", &e, DECIDE_NORMAL, STEP_NONE);
	e.default_policy = "rescue";
	expect(&f, "10.0.0.5", &e, DECIDE_RESCUE, STEP_CREATE);
	expect(&f, "10.0.0.6", &e, DECIDE_IP_MISMATCH, STEP_NONE);
	/* bounded: one pending new host per address, auto_hosts in all */
	f.pending_from_source = 1;
	f.pending_total = 1;
	expect(&f, "10.0.0.5", &e, DECIDE_BUSY, STEP_NONE);
	f.pending_from_source = 0;
	f.pending_total = 4;
	expect(&f, "10.0.0.5", &e, DECIDE_BUSY, STEP_NONE);
	/* behind NAT every host shares the address: only the total counts */
	e.server_nat = 1;
	f.pending_from_source = 3;
	f.pending_total = 3;
	expect(&f, "192.168.1.9", &e, DECIDE_RESCUE, STEP_CREATE);
}

static void test_armed_session(void **state)
{
	struct boot_facts f = host("rescue", SS_ARMED, "");
	struct boot_env e = env("10.0.0.5");

	expect(&f, "10.0.0.5", &e, DECIDE_RESCUE, STEP_ISSUE);
	/* implausible: no token, nothing changes (no conflict: nothing to contest) */
	expect(&f, "10.0.0.9", &e, DECIDE_IP_MISMATCH, STEP_NONE);
	f.nat = 1;
	expect(&f, "10.0.2.15", &e, DECIDE_RESCUE, STEP_ISSUE);
	/* expired before anyone claimed it */
	f = host("rescue-once", SS_ARMED, "");
	f.s.expires = NOW;
	expect(&f, "10.0.0.5", &e, DECIDE_NORMAL, STEP_NONE);
}

static void test_active_session(void **state)
{
	struct boot_facts f = host("rescue", SS_ACTIVE, "10.0.0.5");
	struct boot_env e = env("10.0.0.5"), other = env("10.0.0.66");

	/* the bound machine reboots: rescue again with a new token */
	expect(&f, "10.0.0.5", &e, DECIDE_RESCUE, STEP_REISSUE);
	/* the hijack: another address, plausible or not, gets no token and
	 * revokes nothing: the session goes to conflict */
	expect(&f, "10.0.0.66", &other, DECIDE_CONFLICT, STEP_CONFLICT);
	expect(&f, "10.0.0.5", &other, DECIDE_CONFLICT, STEP_CONFLICT);
	/* even behind NAT the binding holds */
	other.server_nat = 1;
	expect(&f, "10.0.0.5", &other, DECIDE_CONFLICT, STEP_CONFLICT);
	/* the bound address claiming another ip= changes nothing */
	expect(&f, "10.0.0.7", &e, DECIDE_IP_MISMATCH, STEP_NONE);
	/* a lifeboatctl token not used yet: iPXE may claim it */
	f = host("rescue", SS_ACTIVE, "");
	expect(&f, "10.0.0.5", &e, DECIDE_RESCUE, STEP_ISSUE);
}

/* IPv6: the same model, the address of the request's family compared
 * (HTTP writes peers canonically; query.c canonicalizes ip6=). */
static void test_ipv6_sessions(void **state)
{
	struct boot_facts f = host("rescue", SS_ARMED, "");
	struct boot_env e = env("2001:db8::10"), other = env("2001:db8::66"), v4 = env("10.0.0.5");
	struct boot_query q = query("10.0.0.5");
	struct boot_outcome o;

	expect(&f, "2001:db8::10", &e, DECIDE_RESCUE, STEP_ISSUE);
	expect(&f, "2001:db8::11", &e, DECIDE_IP_MISMATCH, STEP_NONE);
	/* an IPv6 request that says only an IPv4 ip= is not plausible */
	boot_decide(&f, &q, &e, &o);
	assert_int_equal(o.d, DECIDE_IP_MISMATCH);
	/* nor an IPv4 request that says only ip6= */
	q = query("2001:db8::10");
	boot_decide(&f, &q, &v4, &o);
	assert_int_equal(o.d, DECIDE_IP_MISMATCH);
	/* bound to an IPv6 address: another one, or the machine's own IPv4,
	 * contests it (a session has one address) */
	f = host("rescue", SS_ACTIVE, "2001:db8::10");
	expect(&f, "2001:db8::10", &e, DECIDE_RESCUE, STEP_REISSUE);
	expect(&f, "2001:db8::66", &other, DECIDE_CONFLICT, STEP_CONFLICT);
	expect(&f, "10.0.0.5", &v4, DECIDE_CONFLICT, STEP_CONFLICT);
}

static void test_conflict_and_end(void **state)
{
	struct boot_facts f = host("rescue", SS_CONFLICT, "10.0.0.5");
	struct boot_env e = env("10.0.0.5");

	/* nobody, not even the bound address, gets a token until re-armed */
	expect(&f, "10.0.0.5", &e, DECIDE_CONFLICT, STEP_NONE);
	f = host("rescue", SS_ENDED, "10.0.0.5");
	expect(&f, "10.0.0.5", &e, DECIDE_NORMAL, STEP_NONE);
	/* expired active session */
	f = host("rescue", SS_ACTIVE, "10.0.0.5");
	f.s.expires = NOW - 1;
	expect(&f, "10.0.0.5", &e, DECIDE_NORMAL, STEP_NONE);
	/* rescue-once after ssh-ready: policy normal; the session lives on for
	 * the grace: the bound machine boots normally, but another address
	 * still contests it (found by the QEMU race test: an attacker that
	 * claimed first and reported ssh-ready made the real machine's
	 * request look like a normal boot) */
	f = host("normal", SS_ACTIVE, "10.0.0.5");
	f.s.ends = NOW + 50;
	expect(&f, "10.0.0.5", &e, DECIDE_NORMAL, STEP_NONE);
	e.source = "10.0.0.66";
	expect(&f, "10.0.0.66", &e, DECIDE_CONFLICT, STEP_CONFLICT);
	/* after the grace nothing is live: nothing to contest */
	f.s.ends = NOW;
	expect(&f, "10.0.0.66", &e, DECIDE_NORMAL, STEP_NONE);
	/* a host file from before sessions: rescue without a session is armed */
	{
		json_object *h = json_tokener_parse("{\"mac\":\"52:54:00:12:34:56\",\"policy\":\"rescue\"}");

		memset(&f, 0, sizeof(f));
		f.known = 1;
		strcpy(f.policy, "rescue");
		session_read(h, &f.s);
		json_object_put(h);
		e.source = "10.0.0.5";
		expect(&f, "10.0.0.5", &e, DECIDE_RESCUE, STEP_ISSUE);
	}
}

static void test_tokens(void **state)
{
	char hex[65];

	token_hash("abc", hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(token_matches(hex, "abc"));
	assert_false(token_matches(hex, "abd"));
	assert_false(token_matches("", "abc"));
	assert_false(token_matches("ba78", "abc"));
}

static void test_session_roundtrip(void **state)
{
	struct session s, t;
	json_object *h = json_tokener_parse("{\"mac\":\"52:54:00:12:34:56\",\"policy\":\"rescue\"}"), *c = NULL;
	struct schema_skipped sk = { .count = 0 };

	memset(&s, 0, sizeof(s));
	session_arm(&s, 1, NOW, 3600);
	s.state = SS_CONFLICT;
	strcpy(s.bound, "10.0.0.5");
	strcpy(s.conflict_source, "10.0.0.66");
	strcpy(s.conflict_reason, "boot request from another address");
	s.conflict_time = NOW + 5;
	session_write(&s, h);
	c = hostdoc_clean(h, &sk);
	assert_int_equal(sk.count, 0);
	session_read(c, &t);
	assert_int_equal(t.state, SS_CONFLICT);
	assert_int_equal(t.id, 1);
	assert_int_equal(t.expires, NOW + 3600);
	assert_true(t.once);
	assert_string_equal(t.conflict_source, "10.0.0.66");
	assert_int_equal(session_effective(&t, NOW + 3600, NULL), SS_ENDED);
	session_arm(&t, 0, NOW, 60); /* re-arming clears the conflict */
	assert_int_equal(t.state, SS_ARMED);
	assert_int_equal(t.id, 2);
	assert_string_equal(t.bound, "");
	assert_int_equal(t.conflict_time, 0);
	json_object_put(c);
	json_object_put(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_hosts),
		cmocka_unit_test(test_armed_session),
		cmocka_unit_test(test_active_session),
		cmocka_unit_test(test_ipv6_sessions),
		cmocka_unit_test(test_conflict_and_end),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_session_roundtrip),
	};
	return cmocka_run_group_tests_name("decide", tests, NULL, NULL);
}
