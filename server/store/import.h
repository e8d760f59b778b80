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

#include "store/store.h"

struct import_counts {
	unsigned int hosts, kept, tokens, pending, events, bmc, admins, seen, skipped;
	char first_skipped[300]; /* the first file skipped, and why */
};

/* Imports dir. 0 with n filled, or -errno with err (nothing imported). */
/* Files are opened without following links and only regular ones are
 * read; dir (and its folders) must belong to the caller or root unless
 * trust_owner. Run again, it adds nothing it added before. */
int import_json_dir(struct store *s, const char *dir, int trust_owner, struct import_counts *n, char *err,
		    size_t errlen);

/* Called by both programs after store_open: when the state directory
 * still has hosts/ and may_import (the caller holds store_claim_dir's lock
 * or store_dir_idle's: no lifeboatd of any version works on those files),
 * imports it and moves the JSON files to STATE/json-imported-<time>/ (kept,
 * not read again). note: the summary, or why the files wait ("" when there
 * was nothing to say). */
int import_state_dir(struct store *s, int may_import, char *note, size_t notelen, char *err, size_t errlen);

/* "imported 3 hosts (1 kept as the database had it), 2 tokens, ..." */
void import_summary(const struct import_counts *n, char *out, size_t len);

#endif
