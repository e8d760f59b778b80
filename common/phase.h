/* The agent's phases as the agent (musl) and lifeboatd both use them: one
 * definition of which ones mean that SSH is up (common/wire.h). */
#ifndef LIFEBOAT_PHASE_H
#define LIFEBOAT_PHASE_H

#include <string.h>

#include "wire.h"

/* 1 when phase is one in which SSH is up: ssh-ready, or the toolbox's
 * phases that come after it (an agent may report those first). */
static inline int lb_phase_ssh_up(const char *phase)
{
	static const char *const up[] = { LB_PHASES_SSH_UP };
	size_t i;

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (strcmp(phase, up[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

#endif
