/* lifeboatctl's option tables and their one parser: each command (and
 * the global options before it) describes its options as rows, as iPXE
 * describes a command's options; the parser fills a struct by the rows'
 * offsets, checks numbers against their bounds, and collects the
 * positional arguments. */
#ifndef LIFEBOAT_CTL_OPTIONS_H
#define LIFEBOAT_CTL_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum opt_kind {
	OPT_FLAG,   /* int, set to 1 */
	OPT_STRING, /* const char * */
	OPT_NUMBER, /* long long within [min, max] */
	OPT_LIST,   /* struct opt_list: every use appends */
};

#define OPT_REQUIRED 1u /* the command refuses to run without it */

struct opt {
	const char *name;    /* "--once", "-i"; NULL ends a table */
	enum opt_kind kind;
	size_t offset;       /* where in the command's struct */
	const char *arg;     /* for usage: "S", "FILE"; NULL for flags */
	long long min, max;  /* OPT_NUMBER */
	const char *want;    /* what a bad value should have been: "seconds from 1 to 2678400" */
	unsigned int flags;
};

/* "90", "90s", "10m", "2h", "1d": seconds, 1 to a year. 0 or -EINVAL. */
int opt_duration(const char *s, long long *seconds);

#define OPT_LIST_MAX 16
struct opt_list {
	const char *v[OPT_LIST_MAX];
	int n;
};

#define OPT_POS_MAX 4
/* What is left after the options: the positional arguments, and with
 * rest_after_dashdash what follows "--" (a command for ssh). */
struct opt_rest {
	const char *pos[OPT_POS_MAX];
	int npos;
	char **rest;
	int nrest;
};

/* Parses argv[0..argc) by table into base. Options and positional
 * arguments may be mixed; "--" ends the options. stop_at_positional: the
 * first positional argument and all after it are left in r->rest (the
 * global options before a command). 0, or -EINVAL with err naming the
 * argument and what it should have been. */
int opt_parse(const struct opt *table, int argc, char **argv, void *base, int stop_at_positional,
	      struct opt_rest *r, char *err, size_t errlen);

/* The options' usage: "[--once] [--for S] [--key FILE]... --user U". */
void opt_usage(const struct opt *table, char *out, size_t len);

#endif
