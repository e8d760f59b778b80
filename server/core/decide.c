#include <string.h>

#include "core/decide.h"

const char *decision_name(enum decision d)
{
	static const char *const names[] = {
		[DECIDE_NORMAL] = "normal", [DECIDE_RESCUE] = "rescue", [DECIDE_IP_MISMATCH] = "ip-mismatch",
		[DECIDE_CONFLICT] = "conflict", [DECIDE_BUSY] = "busy",
	};

	return names[d];
}

static void set(struct boot_outcome *o, enum decision d, enum boot_step step, const char *why)
{
	o->d = d;
	o->step = step;
	o->why = why;
}

void boot_decide(const struct boot_facts *f, const struct boot_query *q, const struct boot_env *e,
		 struct boot_outcome *o)
{
	/* plausible: the address iPXE says it has, in the family the request
	 * came in, is the one it came from (behind NAT nobody can tell) */
	int nat = e->server_nat || f->nat,
	    plausible = nat || strcmp(boot_claimed_address(q, e->source), e->source) == 0;
	enum session_state st;

	if (!f->known) {
		if (strcmp(e->default_policy, "rescue") != 0) {
			set(o, DECIDE_NORMAL, STEP_NONE, "unknown host, default policy normal");
		} else if (!plausible) {
			set(o, DECIDE_IP_MISMATCH, STEP_NONE, "source address is not the one iPXE reports");
		} else if (f->pending_total >= e->auto_hosts || (!nat && f->pending_from_source > 0)) {
			set(o, DECIDE_BUSY, STEP_NONE, "too many new hosts have not reported yet");
		} else {
			set(o, DECIDE_RESCUE, STEP_CREATE, "unknown host, default policy rescue");
		}
		return;
	}
	st = session_effective(&f->s, e->now, NULL);
	/* whatever the policy says now (rescue-once turns normal at ssh-ready),
	 * while a token is live another address asking for this MAC contests
	 * it: an attacker that claimed first and reported ssh-ready must not
	 * make the real machine's request look like a normal boot */
	if (st == SS_ACTIVE && f->s.bound[0] != '\0' && strcmp(f->s.bound, e->source) != 0) {
		set(o, DECIDE_CONFLICT, STEP_CONFLICT, "boot request from another address during the session");
		return;
	}
	if (strncmp(f->policy, "rescue", 6) != 0) {
		set(o, DECIDE_NORMAL, STEP_NONE, "policy normal");
		return;
	}
	switch (st) {
	case SS_ARMED:
		if (!plausible) {
			set(o, DECIDE_IP_MISMATCH, STEP_NONE, "source address is not the one iPXE reports");
		} else {
			set(o, DECIDE_RESCUE, STEP_ISSUE, "armed session claimed");
		}
		return;
	case SS_ACTIVE:
		if (f->s.bound[0] == '\0') {
			/* a token from lifeboatctl token not used yet: iPXE claims it */
			set(o, plausible ? DECIDE_RESCUE : DECIDE_IP_MISMATCH, plausible ? STEP_ISSUE : STEP_NONE,
			    plausible ? "unbound session claimed" : "source address is not the one iPXE reports");
		} else if (!plausible) {
			set(o, DECIDE_IP_MISMATCH, STEP_NONE, "source address is not the one iPXE reports");
		} else {
			set(o, DECIDE_RESCUE, STEP_REISSUE, "the bound machine booted again");
		}
		return;
	case SS_CONFLICT:
		set(o, DECIDE_CONFLICT, STEP_NONE, "session in conflict");
		return;
	case SS_ENDED:
	case SS_NONE:
		break;
	}
	set(o, DECIDE_NORMAL, STEP_NONE, "session ended: re-arm with lifeboatctl rescue");
}
