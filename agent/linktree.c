#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linktree.h"
#include "log.h"

#define MAX_DEPTH 64

struct walk {
	char src[PATH_MAX];
	char dst[PATH_MAX];
	struct link_counts *n;
	char *err;
	size_t errlen;
};

/* Appends "/name" to both paths; their old lengths in *ls, *ld. */
static int push(struct walk *w, const char *name, size_t *ls, size_t *ld)
{
	size_t lname = strlen(name);

	*ls = strlen(w->src);
	*ld = strlen(w->dst);
	if (*ls + lname + 2 > sizeof(w->src) || *ld + lname + 2 > sizeof(w->dst)) {
		lb_err(w->err, w->errlen, "%s/%s: name too long", w->src, name);
		return -ENAMETOOLONG;
	}
	snprintf(w->src + *ls, sizeof(w->src) - *ls, "/%s", name);
	snprintf(w->dst + *ld, sizeof(w->dst) - *ld, "%s%s", *ld > 0 && w->dst[*ld - 1] == '/' ? "" : "/", name);
	return 0;
}

static void pop(struct walk *w, size_t ls, size_t ld)
{
	w->src[ls] = '\0';
	w->dst[ld] = '\0';
}

static int walk_dir(struct walk *w, int depth);

static int link_entry(struct walk *w, int depth)
{
	struct stat st;

	if (lstat(w->src, &st) < 0) {
		lb_err(w->err, w->errlen, "cannot read %s: %s", w->src, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(w->dst, st.st_mode & 07777) < 0 && errno != EEXIST) {
			lb_err(w->err, w->errlen, "cannot make %s: %s", w->dst, strerror(errno));
			return -errno;
		}
		return walk_dir(w, depth + 1);
	}
	if (symlink(w->src, w->dst) == 0) {
		w->n->linked++;
		return 0;
	}
	if (errno == EEXIST) {
		w->n->kept++;
		return 0;
	}
	lb_err(w->err, w->errlen, "cannot link %s to %s: %s", w->dst, w->src, strerror(errno));
	return -errno;
}

static int walk_dir(struct walk *w, int depth)
{
	struct dirent *de = NULL;
	DIR *d = NULL;
	int rc = 0;

	if (depth > MAX_DEPTH) {
		lb_err(w->err, w->errlen, "%s: more than %d directory levels", w->src, MAX_DEPTH);
		return -ELOOP;
	}
	d = opendir(w->src);
	if (d == NULL) {
		lb_err(w->err, w->errlen, "cannot read %s: %s", w->src, strerror(errno));
		return -errno;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		size_t ls, ld;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		rc = push(w, de->d_name, &ls, &ld);
		if (rc == 0) {
			rc = link_entry(w, depth);
			pop(w, ls, ld);
		}
	}
	if (rc == 0 && errno != 0) {
		rc = -errno;
		lb_err(w->err, w->errlen, "cannot read %s: %s", w->src, strerror(errno));
	}
	closedir(d);
	return rc;
}

int link_tree(const char *src, const char *dst, struct link_counts *n, char *err, size_t errlen)
{
	static struct walk w;

	if (strlen(src) >= sizeof(w.src) || strlen(dst) >= sizeof(w.dst)) {
		lb_err(err, errlen, "cannot link %s into %s: name too long", src, dst);
		return -ENAMETOOLONG;
	}
	snprintf(w.src, sizeof(w.src), "%s", src);
	snprintf(w.dst, sizeof(w.dst), "%s", strcmp(dst, "/") == 0 ? "" : dst);
	w.n = n;
	w.err = err;
	w.errlen = errlen;
	memset(n, 0, sizeof(*n));
	return walk_dir(&w, 0);
}
