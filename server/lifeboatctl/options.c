#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lifeboatctl/options.h"

static const struct opt *find_opt(const struct opt *table, const char *name)
{
	const struct opt *o = NULL;

	for (o = table; o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0) {
			return o;
		}
	}
	return NULL;
}

/* A whole decimal number in [o->min, o->max]; errno-checked. */
static int parse_number(const struct opt *o, const char *s, long long *out, char *err, size_t errlen)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < o->min || v > o->max) {
		snprintf(err, errlen, "cannot use %s '%s': %s", o->name, s, o->want);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int set_value(const struct opt *o, const char *value, void *base, char *err, size_t errlen)
{
	char *p = (char *)base + o->offset;

	switch (o->kind) {
	case OPT_FLAG:
		*(int *)p = 1;
		return 0;
	case OPT_STRING:
		*(const char **)p = value;
		return 0;
	case OPT_NUMBER:
		return parse_number(o, value, (long long *)p, err, errlen);
	case OPT_LIST: {
		struct opt_list *l = (struct opt_list *)p;

		if (l->n >= OPT_LIST_MAX) {
			snprintf(err, errlen, "cannot use %s more than %d times", o->name, OPT_LIST_MAX);
			return -E2BIG;
		}
		l->v[l->n++] = value;
		return 0;
	}
	}
	return -EINVAL;
}

/* Checks that every OPT_REQUIRED option was given (strings and lists). */
static int check_required(const struct opt *table, const void *base, char *err, size_t errlen)
{
	const struct opt *o = NULL;
	char names[200] = "";
	int missing = 0;

	for (o = table; o->name != NULL; o++) {
		const char *p = (const char *)base + o->offset;
		int given = o->kind == OPT_STRING ? *(const char *const *)p != NULL :
			    o->kind == OPT_LIST   ? ((const struct opt_list *)p)->n > 0 : 1;

		if ((o->flags & OPT_REQUIRED) && !given) {
			size_t n = strlen(names);

			snprintf(names + n, sizeof(names) - n, "%s%s", missing ? ", " : "", o->name);
			missing++;
		}
	}
	if (missing > 0) {
		snprintf(err, errlen, "needs %s", names);
		return -EINVAL;
	}
	return 0;
}

int opt_parse(const struct opt *table, int argc, char **argv, void *base, int stop_at_positional,
	      struct opt_rest *r, char *err, size_t errlen)
{
	int i, rc;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = NULL;

		if (strcmp(a, "--") == 0) {
			r->rest = argv + i + 1;
			r->nrest = argc - i - 1;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (stop_at_positional) {
				r->rest = argv + i;
				r->nrest = argc - i;
				break;
			}
			if (r->npos >= OPT_POS_MAX) {
				snprintf(err, errlen, "cannot use '%s': too many arguments", a);
				return -E2BIG;
			}
			r->pos[r->npos++] = a;
			continue;
		}
		o = find_opt(table, a);
		if (o == NULL) {
			snprintf(err, errlen, "cannot use '%s': no such option here", a);
			return -EINVAL;
		}
		if (o->kind != OPT_FLAG && i + 1 >= argc) {
			snprintf(err, errlen, "cannot use %s: it needs a value (%s)", a, o->arg);
			return -EINVAL;
		}
		rc = set_value(o, o->kind == OPT_FLAG ? NULL : argv[++i], base, err, errlen);
		if (rc < 0) {
			return rc;
		}
	}
	return check_required(table, base, err, errlen);
}

void opt_usage(const struct opt *table, char *out, size_t len)
{
	const struct opt *o = NULL;
	size_t n = 0;

	out[0] = '\0';
	for (o = table; o->name != NULL && n < len; o++) {
		int req = (o->flags & OPT_REQUIRED) != 0;

		n += (size_t)snprintf(out + n, len - n, "%s%s%s%s%s%s%s", n ? " " : "", req ? "" : "[", o->name,
				      o->arg ? " " : "", o->arg ? o->arg : "", req ? "" : "]",
				      o->kind == OPT_LIST ? "..." : "");
	}
}

int opt_duration(const char *s, long long *seconds)
{
	static const struct {
		char unit;
		long long scale;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char *end = NULL;
	long long n;
	size_t i;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || n < 1 || s[0] == '-' || s[0] == '+') {
		return -EINVAL;
	}
	if (*end == '\0') {
		*seconds = n;
		return n <= 366LL * 86400 ? 0 : -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] == units[i].unit && end[1] == '\0' && n <= 366LL * 86400 / units[i].scale) {
			*seconds = n * units[i].scale;
			return 0;
		}
	}
	return -EINVAL;
}
