/* The boot decision: a pure function of what is known about the host,
 * the request and the time. No I/O; unit-tested without HTTP. The HTTP
 * layer (boot.c) carries out the step it returns. */
#ifndef LIFEBOAT_DECIDE_H
#define LIFEBOAT_DECIDE_H

#include "core/query.h"
#include "core/script.h"
#include "core/session.h"

struct boot_facts {
	int known;               /* the host has a row (readable or not) */
	char policy[16];         /* normal, rescue, rescue-once */
	int nat;                 /* the host's nat flag */
	struct session s;
	unsigned int pending_total;       /* hosts made by default_policy = rescue that have not reported */
	unsigned int pending_from_source; /* ... of them, from this request's address */
};

struct boot_env {
	const char *source;      /* the request's source address */
	int server_nat;          /* nat = yes in the configuration */
	const char *default_policy;
	long long now;
	unsigned int auto_hosts; /* the most pending auto-created hosts */
};

enum boot_step {
	STEP_NONE,     /* nothing to store (a normal boot is only remembered) */
	STEP_ISSUE,    /* the armed session is claimed: a token, bound to source */
	STEP_REISSUE,  /* the bound machine rebooted: a new token replaces the old */
	STEP_CONFLICT, /* another address asked during an active session */
	STEP_CREATE,   /* an unknown host under default_policy = rescue: create and issue */
};

struct boot_outcome {
	enum decision d;
	enum boot_step step;
	const char *why;         /* for the log and the conflict record */
};

void boot_decide(const struct boot_facts *f, const struct boot_query *q, const struct boot_env *e,
		 struct boot_outcome *o);

const char *decision_name(enum decision d);

#endif
