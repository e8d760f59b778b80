/* Manifest parser: the line format of the kernel's usr/gen_init_cpio
 *   file <name> <location> <mode> <uid> <gid> [<hard links>...]
 *   dir <name> <mode> <uid> <gid>
 *   nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>
 *   slink <name> <target> <mode> <uid> <gid>
 *   pipe <name> <mode> <uid> <gid>
 *   sock <name> <mode> <uid> <gid>
 * plus two of ours:
 *   bin <name> <location> [<mode> <uid> <gid>]  executable + ELF interpreter + libraries
 *   tree <name> <location> [<uid> <gid>]        a host directory tree, modes from the host
 * '#' starts a comment; ${VAR} in <location> is taken from the environment.
 * Pure syntax and validation: no file is opened here but the manifest. */
#ifndef LIFEBOAT_MANIFEST_H
#define LIFEBOAT_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

enum mtype { M_FILE, M_DIR, M_NOD, M_SLINK, M_PIPE, M_SOCK, M_BIN, M_TREE };

struct mentry {
	enum mtype type;
	char *path;        /* normalised: relative to /, no "." or "..", no trailing '/' */
	char *source;      /* file, bin, tree: host path; slink: link target */
	unsigned int mode; /* permission bits only (07777) */
	int have_mode;     /* bin: mode given (else the host file's) */
	unsigned int uid, gid;
	char devtype;      /* nod: 'c' or 'b' */
	unsigned int major, minor;
	char **links;      /* file: further hard-link names, normalised */
	size_t nlinks;
	const char *file;  /* where it was declared (not owned) */
	unsigned int line;
};

struct manifest {
	struct mentry *v;
	size_t n, cap;
};

/* Appends the entries of f (named fname in messages) to m. Returns 0, or
 * -EINVAL with err = "FILE:LINE: reason", or -ENOMEM. fname must outlive m. */
int manifest_parse(FILE *f, const char *fname, struct manifest *m, char *err, size_t errlen);

/* Parses one line (no newline); for tests and the fuzzer. */
int manifest_parse_line(const char *line, const char *fname, unsigned int lineno,
			struct manifest *m, char *err, size_t errlen);

void manifest_free(struct manifest *m);

/* Normalises an archive path into out (relative, no '.', '..' refused).
 * Returns 0 or -EINVAL with a reason in err. */
int manifest_normalise_path(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
