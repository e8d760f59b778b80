/* The one-shot import of a state directory from before the database:
 * JSON files (hosts/aa-bb-cc-dd-ee-ff.json, tokens/<sha256>,
 * pending/<mac>, events/<mac>.jsonl, bmc/<mac>.json, admin/<sha256>,
 * seen.json), all in one transaction: everything or nothing. A host the
 * database has already is kept as the database has it (said in the
 * summary); a file that cannot be stored (not UTF-8, a NUL) is named and
 * skipped, and stays on disk. */
#ifndef LIFEBOAT_IMPORT_H
#define LIFEBOAT_IMPORT_H

#include <stddef.h>

#include "store.h"

struct import_counts {
	unsigned int hosts, kept, tokens, pending, events, bmc, admins, seen, skipped;
	char first_skipped[300]; /* the first file skipped, and why */
};

/* Imports dir. 0 with n filled, or -errno with err (nothing imported). */
int import_json_dir(struct store *s, const char *dir, struct import_counts *n, char *err, size_t errlen);

/* store_open's step: when the state directory still has hosts/, imports
 * it and moves the JSON files to STATE/json-imported-<time>/ (kept, not
 * read again). note: the summary ("" when there was nothing to import). */
int import_state_dir(struct store *s, char *note, size_t notelen, char *err, size_t errlen);

/* "imported 3 hosts (1 kept as the database had it), 2 tokens, ..." */
void import_summary(const struct import_counts *n, char *out, size_t len);

#endif
