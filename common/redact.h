/* The session's token never leaves in a log: the kernel prints its
 * command line ("Kernel command line: ... lifeboat.token=...") on the
 * console and into its log, and /proc/cmdline has it. Used by the agent
 * (its log batches and bundle) and lifeboatd (what it stores of logs and
 * consoles), so neither side has to trust the other to have done it. */
#ifndef LIFEBOAT_REDACT_H
#define LIFEBOAT_REDACT_H

#include <stddef.h>
#include <string.h>

#define LB_REDACT_KEY "lifeboat.token="

/* Each token after LB_REDACT_KEY in s (n bytes) overwritten with '*' in
 * place (up to a blank, a quote or the end). */
static inline void lb_redact_token(char *s, size_t n)
{
	static const char key[] = LB_REDACT_KEY;
	const size_t kl = sizeof(key) - 1;
	size_t i, j;

	for (i = 0; i + kl <= n; i++) {
		if (memcmp(s + i, key, kl) != 0) {
			continue;
		}
		for (j = i + kl; j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '"' && s[j] != '\'' &&
				 s[j] != '\0';
		     j++) {
			s[j] = '*';
		}
		i = j;
	}
}

#endif
