#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#define MAX_FIELDS 64
#define MAX_LINE 4096

struct line_ctx {
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int fail(const struct line_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct line_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0) {
		snprintf(c->err, c->errlen, "%s:%u: %s", c->file, c->line, msg);
	}
	return -EINVAL;
}

typedef int (*line_fn)(struct mentry *e, char **f, int nf, const struct line_ctx *c);

struct line_type {
	const char *name;
	enum mtype type;
	int min_fields, max_fields; /* not counting the type word */
	const char *usage;
	line_fn parse;
};

int manifest_normalise_path(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t o = 0;
	const char *p = in;

	if (*in == '\0') {
		snprintf(err, errlen, "empty path");
		return -EINVAL;
	}
	while (*p != '\0') {
		const char *comp = NULL;
		size_t len;

		while (*p == '/') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		comp = p;
		len = strcspn(p, "/");
		p += len;
		if (len == 1 && comp[0] == '.') {
			continue;
		}
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			snprintf(err, errlen, "path '%s' escapes with '..'", in);
			return -EINVAL;
		}
		if (o + (o > 0) + len + 1 > outlen) {
			snprintf(err, errlen, "path '%.64s...' is too long", in);
			return -EINVAL;
		}
		if (o > 0) {
			out[o++] = '/';
		}
		memcpy(out + o, comp, len);
		o += len;
	}
	if (o == 0) {
		snprintf(err, errlen, "path '%s' names the root itself", in);
		return -EINVAL;
	}
	out[o] = '\0';
	return 0;
}

static int take_path(char **dst, const char *in, const struct line_ctx *c)
{
	char buf[MAX_LINE], why[256];

	if (manifest_normalise_path(in, buf, sizeof(buf), why, sizeof(why)) < 0) {
		return fail(c, "%s", why);
	}
	*dst = strdup(buf);
	return *dst == NULL ? -ENOMEM : 0;
}

static int parse_mode(const char *s, unsigned int *mode, const struct line_ctx *c)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > 07777) {
		return fail(c, "bad mode '%s': want octal permission bits, at most 7777", s);
	}
	*mode = (unsigned int)v;
	return 0;
}

static int parse_uint(const char *s, const char *what, unsigned long max, unsigned int *out,
		      const struct line_ctx *c)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max) {
		return fail(c, "bad %s '%s': want a number from 0 to %lu", what, s, max);
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_owner(struct mentry *e, char *uid, char *gid, const struct line_ctx *c)
{
	int rc = parse_uint(uid, "uid", UINT32_MAX, &e->uid, c);

	return rc < 0 ? rc : parse_uint(gid, "gid", UINT32_MAX, &e->gid, c);
}

/* ${VAR} from the environment; an unset variable is an error. */
static int expand_location(char **dst, const char *in, const struct line_ctx *c)
{
	char buf[MAX_LINE];
	size_t o = 0;
	const char *p = in;

	while (*p != '\0') {
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			char name[128];
			const char *val = NULL;
			size_t n;

			if (end == NULL || (size_t)(end - p - 2) >= sizeof(name) || end == p + 2) {
				return fail(c, "bad variable reference in '%s'", in);
			}
			n = (size_t)(end - p - 2);
			memcpy(name, p + 2, n);
			name[n] = '\0';
			val = getenv(name);
			if (val == NULL) {
				return fail(c, "variable ${%s} in '%s' is not set", name, in);
			}
			if (o + strlen(val) >= sizeof(buf)) {
				return fail(c, "location '%s' is too long once expanded", in);
			}
			memcpy(buf + o, val, strlen(val));
			o += strlen(val);
			p = end + 1;
			continue;
		}
		if (o + 1 >= sizeof(buf)) {
			return fail(c, "location '%s' is too long", in);
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	if (o == 0) {
		return fail(c, "empty location");
	}
	*dst = strdup(buf);
	return *dst == NULL ? -ENOMEM : 0;
}

static int parse_file(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc, i;

	if ((rc = take_path(&e->path, f[0], c)) < 0 || (rc = expand_location(&e->source, f[1], c)) < 0 ||
	    (rc = parse_mode(f[2], &e->mode, c)) < 0 || (rc = parse_owner(e, f[3], f[4], c)) < 0) {
		return rc;
	}
	e->have_mode = 1;
	if (nf > 5) {
		e->links = calloc((size_t)(nf - 5), sizeof(*e->links));
		if (e->links == NULL) {
			return -ENOMEM;
		}
		for (i = 5; i < nf; i++) {
			if ((rc = take_path(&e->links[e->nlinks], f[i], c)) < 0) {
				return rc;
			}
			e->nlinks++;
		}
	}
	return 0;
}

static int parse_dir_like(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc;

	if ((rc = take_path(&e->path, f[0], c)) < 0 || (rc = parse_mode(f[1], &e->mode, c)) < 0) {
		return rc;
	}
	e->have_mode = 1;
	return parse_owner(e, f[2], f[3], c);
}

static int parse_nod(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc = parse_dir_like(e, f, 4, c);

	if (rc < 0) {
		return rc;
	}
	if (strcmp(f[4], "c") != 0 && strcmp(f[4], "b") != 0) {
		return fail(c, "bad device type '%s': want c or b", f[4]);
	}
	e->devtype = f[4][0];
	if ((rc = parse_uint(f[5], "major", 4095, &e->major, c)) < 0) {
		return rc;
	}
	return parse_uint(f[6], "minor", 1048575, &e->minor, c);
}

static int parse_slink(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc;

	if ((rc = take_path(&e->path, f[0], c)) < 0) {
		return rc;
	}
	e->source = strdup(f[1]);
	if (e->source == NULL) {
		return -ENOMEM;
	}
	if ((rc = parse_mode(f[2], &e->mode, c)) < 0) {
		return rc;
	}
	e->have_mode = 1;
	return parse_owner(e, f[3], f[4], c);
}

static int parse_bin(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc;

	if ((rc = take_path(&e->path, f[0], c)) < 0 || (rc = expand_location(&e->source, f[1], c)) < 0) {
		return rc;
	}
	if (nf == 2) {
		return 0;
	}
	if (nf != 5) {
		return fail(c, "bin takes <name> <location> [<mode> <uid> <gid>]");
	}
	if ((rc = parse_mode(f[2], &e->mode, c)) < 0) {
		return rc;
	}
	e->have_mode = 1;
	return parse_owner(e, f[3], f[4], c);
}

static int parse_tree(struct mentry *e, char **f, int nf, const struct line_ctx *c)
{
	int rc;

	/* a tree may be copied onto the root itself: path "" */
	if (strspn(f[0], "/") == strlen(f[0])) {
		e->path = strdup("");
		rc = e->path == NULL ? -ENOMEM : 0;
	} else {
		rc = take_path(&e->path, f[0], c);
	}
	if (rc < 0 || (rc = expand_location(&e->source, f[1], c)) < 0) {
		return rc;
	}
	if (nf == 2) {
		return 0;
	}
	if (nf != 4) {
		return fail(c, "tree takes <name> <location> [<uid> <gid>]");
	}
	return parse_owner(e, f[2], f[3], c);
}

static const struct line_type line_types[] = {
	{ "file", M_FILE, 5, MAX_FIELDS - 1, "file <name> <location> <mode> <uid> <gid> [<hard links>]", parse_file },
	{ "dir", M_DIR, 4, 4, "dir <name> <mode> <uid> <gid>", parse_dir_like },
	{ "nod", M_NOD, 7, 7, "nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>", parse_nod },
	{ "slink", M_SLINK, 5, 5, "slink <name> <target> <mode> <uid> <gid>", parse_slink },
	{ "pipe", M_PIPE, 4, 4, "pipe <name> <mode> <uid> <gid>", parse_dir_like },
	{ "sock", M_SOCK, 4, 4, "sock <name> <mode> <uid> <gid>", parse_dir_like },
	{ "bin", M_BIN, 2, 5, "bin <name> <location> [<mode> <uid> <gid>]", parse_bin },
	{ "tree", M_TREE, 2, 4, "tree <name> <location> [<uid> <gid>]", parse_tree },
};

static void mentry_free(struct mentry *e)
{
	size_t i;

	free(e->path);
	free(e->source);
	for (i = 0; i < e->nlinks; i++) {
		free(e->links[i]);
	}
	free(e->links);
}

void manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		mentry_free(&m->v[i]);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t') {
			s++;
		}
		if (*s == '\0' || *s == '#') {
			return n;
		}
		if (n == max) {
			return -1;
		}
		f[n++] = s;
		s += strcspn(s, " \t");
		if (*s != '\0') {
			*s++ = '\0';
		}
	}
}

int manifest_parse_line(const char *line, const char *fname, unsigned int lineno,
			struct manifest *m, char *err, size_t errlen)
{
	struct line_ctx c = { .file = fname, .line = lineno, .err = err, .errlen = errlen };
	char buf[MAX_LINE], *f[MAX_FIELDS];
	const struct line_type *lt = NULL;
	struct mentry e;
	size_t i;
	int nf, rc;

	if (strlen(line) >= sizeof(buf)) {
		return fail(&c, "line is longer than %d bytes", MAX_LINE - 1);
	}
	for (i = 0; line[i] != '\0'; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			return fail(&c, "control character 0x%02x in line", (unsigned char)line[i]);
		}
	}
	strcpy(buf, line);
	nf = split(buf, f, MAX_FIELDS);
	if (nf < 0) {
		return fail(&c, "more than %d fields", MAX_FIELDS);
	}
	if (nf == 0) {
		return 0;
	}
	for (i = 0; i < sizeof(line_types) / sizeof(line_types[0]); i++) {
		if (strcmp(f[0], line_types[i].name) == 0) {
			lt = &line_types[i];
		}
	}
	if (lt == NULL) {
		return fail(&c, "unknown type '%.40s': want file, dir, nod, slink, pipe, sock, bin or tree", f[0]);
	}
	if (nf - 1 < lt->min_fields || nf - 1 > lt->max_fields) {
		return fail(&c, "%s needs %d field%s: %s", lt->name, lt->min_fields,
			    lt->min_fields == 1 ? "" : "s", lt->usage);
	}
	memset(&e, 0, sizeof(e));
	e.type = lt->type;
	e.file = fname;
	e.line = lineno;
	rc = lt->parse(&e, f + 1, nf - 1, &c);
	if (rc < 0) {
		mentry_free(&e);
		return rc == -ENOMEM ? fail(&c, "out of memory"), -ENOMEM : rc;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mentry *v = realloc(m->v, cap * sizeof(*v));

		if (v == NULL) {
			mentry_free(&e);
			return -ENOMEM;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = e;
	return 0;
}

int manifest_parse(FILE *f, const char *fname, struct manifest *m, char *err, size_t errlen)
{
	char line[MAX_LINE + 2];
	unsigned int lineno = 0;
	int rc;

	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		lineno++;
		if (n > 0 && line[n - 1] == '\n') {
			line[--n] = '\0';
		} else if (!feof(f)) {
			struct line_ctx c = { .file = fname, .line = lineno, .err = err, .errlen = errlen };

			return fail(&c, "line is longer than %d bytes", MAX_LINE - 1);
		}
		if (n > 0 && line[n - 1] == '\r') {
			line[--n] = '\0';
		}
		rc = manifest_parse_line(line, fname, lineno, m, err, errlen);
		if (rc < 0) {
			return rc;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", fname);
		return -EIO;
	}
	return 0;
}
