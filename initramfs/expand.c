/* Image building, first step: manifest entries -> nodes (host files
 * checked, ELF closures resolved, trees walked, parents implied), sorted,
 * duplicates and conflicts refused, inodes numbered deterministically. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* ---- nodes ------------------------------------------------------------- */

static struct node *node_new(struct image *img)
{
	struct node *n = NULL;

	if (img->n == img->cap) {
		size_t cap = img->cap ? img->cap * 2 : 256;
		struct node *v = realloc(img->v, cap * sizeof(*v));

		if (v == NULL) {
			return NULL;
		}
		img->v = v;
		img->cap = cap;
	}
	n = &img->v[img->n++];
	memset(n, 0, sizeof(*n));
	return n;
}

static struct node *add_node(struct image *img, const char *path, mode_t type, unsigned int mode,
			     unsigned int uid, unsigned int gid, const char *src, int strength,
			     const char *file, unsigned int line, const char *why)
{
	struct node *n = node_new(img);

	if (n == NULL) {
		return NULL;
	}
	n->path = strdup(path);
	n->src = src ? strdup(src) : NULL;
	if (n->path == NULL || (src != NULL && n->src == NULL)) {
		free(n->path);
		free(n->src);
		img->n--;
		return NULL;
	}
	n->type = type;
	n->mode = mode & 07777;
	n->uid = uid;
	n->gid = gid;
	n->strength = strength;
	n->file = file;
	n->line = line;
	n->why = why;
	return n;
}

void image_free(struct image *img)
{
	size_t i;

	for (i = 0; i < img->n; i++) {
		free(img->v[i].path);
		free(img->v[i].src);
	}
	free(img->v);
	img->v = NULL;
	img->n = img->cap = 0;
}

/* A host regular file, by its real path; its size recorded. */
static int add_host_file(struct image *img, const char *path, const char *host, unsigned int mode,
			 int have_mode, unsigned int uid, unsigned int gid, int strength,
			 const char *file, unsigned int line, const char *why, char *err, size_t errlen)
{
	struct stat st;
	char *real = NULL;
	struct node *n = NULL;

	if (stat(host, &st) < 0) {
		return ERR("%s:%u: cannot use %s: %s", file, line, host, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		return ERR("%s:%u: cannot use %s: not a regular file", file, line, host);
	}
	real = realpath(host, NULL);
	if (real == NULL) {
		return ERR("%s:%u: cannot resolve %s: %s", file, line, host, strerror(errno));
	}
	n = add_node(img, path, S_IFREG, have_mode ? mode : (st.st_mode & 07777), uid, gid, real,
		     strength, file, line, why);
	free(real);
	if (n == NULL) {
		return -ENOMEM;
	}
	n->size = (uint64_t)st.st_size;
	return 0;
}

static int expand_bin(struct image *img, const struct mentry *e, char *err, size_t errlen)
{
	struct elf_deps deps = { 0 };
	char why[512];
	size_t i;
	int rc;

	rc = add_host_file(img, e->path, e->source, e->mode, e->have_mode, e->uid, e->gid, 2,
			   e->file, e->line, "bin", err, errlen);
	if (rc < 0) {
		return rc;
	}
	rc = elf_is_elf(e->source);
	if (rc <= 0) {
		/* a script: installed as it is */
		return rc < 0 ? ERR("%s:%u: cannot read %s: %s", e->file, e->line, e->source, strerror(-rc)) : 0;
	}
	rc = elf_closure(e->source, img->search, &deps, why, sizeof(why));
	if (rc < 0) {
		elf_deps_free(&deps);
		return ERR("%s:%u: %s", e->file, e->line, why);
	}
	for (i = 0; i < deps.n && rc == 0; i++) {
		char path[PATH_MAX];

		if (manifest_normalise_path(deps.v[i].dest, path, sizeof(path), why, sizeof(why)) < 0) {
			rc = ERR("%s:%u: library path %s: %s", e->file, e->line, deps.v[i].dest, why);
			break;
		}
		rc = add_host_file(img, path, deps.v[i].src, 0, 0, 0, 0, 0, e->file, e->line,
				   "library", err, errlen);
	}
	elf_deps_free(&deps);
	return rc;
}

/* nftw has no user pointer: the tree being walked. */
static struct {
	struct image *img;
	const struct mentry *e;
	size_t rootlen;
	char *err;
	size_t errlen;
	int rc;
} walk;

static int walk_one(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	const struct mentry *e = walk.e;
	char joined[PATH_MAX], path[PATH_MAX], target[PATH_MAX], why[256] = "path too long";
	const char *rel = fpath + walk.rootlen;
	struct node *n = NULL;
	ssize_t tl;

	if (ftw->level == 0 && e->path[0] == '\0') {
		return 0; /* the root directory itself */
	}
	if (snprintf(joined, sizeof(joined), "%s/%s", e->path, rel) >= (int)sizeof(joined) ||
	    manifest_normalise_path(joined, path, sizeof(path), why, sizeof(why)) < 0) {
		snprintf(walk.err, walk.errlen, "%s:%u: tree entry %s: %s", e->file, e->line, fpath, why);
		return walk.rc = -EINVAL;
	}
	switch (flag) {
	case FTW_D:
		n = add_node(walk.img, path, S_IFDIR, st->st_mode, e->uid, e->gid, NULL,
			     ftw->level == 0 ? 0 : 1, e->file, e->line, "tree");
		break;
	case FTW_F:
		if (S_ISREG(st->st_mode)) {
			walk.rc = add_host_file(walk.img, path, fpath, st->st_mode & 07777, 1, e->uid, e->gid, 1,
						e->file, e->line, "tree", walk.err, walk.errlen);
			return walk.rc;
		}
		if (S_ISFIFO(st->st_mode)) {
			n = add_node(walk.img, path, S_IFIFO, st->st_mode, e->uid, e->gid, NULL, 1,
				     e->file, e->line, "tree");
			break;
		}
		snprintf(walk.err, walk.errlen, "%s:%u: tree %s: %s is a device or socket; declare it with nod or sock",
			 e->file, e->line, e->source, fpath);
		return walk.rc = -EINVAL;
	case FTW_SL:
		tl = readlink(fpath, target, sizeof(target) - 1);
		if (tl < 0) {
			snprintf(walk.err, walk.errlen, "%s:%u: cannot read link %s: %s", e->file, e->line,
				 fpath, strerror(errno));
			return walk.rc = -errno;
		}
		target[tl] = '\0';
		n = add_node(walk.img, path, S_IFLNK, 0777, e->uid, e->gid, target, 1, e->file, e->line, "tree");
		break;
	default:
		snprintf(walk.err, walk.errlen, "%s:%u: cannot read %s in tree %s", e->file, e->line, fpath,
			 e->source);
		return walk.rc = -EACCES;
	}
	if (n == NULL) {
		return walk.rc = -ENOMEM;
	}
	return 0;
}

static int expand_tree(struct image *img, const struct mentry *e, char *err, size_t errlen)
{
	struct stat st;

	if (stat(e->source, &st) < 0 || !S_ISDIR(st.st_mode)) {
		return ERR("%s:%u: cannot use tree %s: %s", e->file, e->line, e->source,
			   errno ? strerror(errno) : "not a directory");
	}
	walk.img = img;
	walk.e = e;
	walk.rootlen = strlen(e->source);
	walk.err = err;
	walk.errlen = errlen;
	walk.rc = 0;
	if (nftw(e->source, walk_one, 32, FTW_PHYS) != 0 && walk.rc == 0) {
		return ERR("%s:%u: cannot walk tree %s: %s", e->file, e->line, e->source, strerror(errno));
	}
	return walk.rc;
}

static int expand_entry(struct image *img, const struct mentry *e, char *err, size_t errlen)
{
	struct node *n = NULL;
	size_t i;
	int rc;

	switch (e->type) {
	case M_FILE:
		rc = add_host_file(img, e->path, e->source, e->mode, 1, e->uid, e->gid, 2, e->file, e->line,
				   "file", err, errlen);
		for (i = 0; rc == 0 && i < e->nlinks; i++) {
			rc = add_host_file(img, e->links[i], e->source, e->mode, 1, e->uid, e->gid, 2, e->file,
					   e->line, "file", err, errlen);
		}
		return rc;
	case M_DIR:
		n = add_node(img, e->path, S_IFDIR, e->mode, e->uid, e->gid, NULL, 2, e->file, e->line, "dir");
		break;
	case M_NOD:
		n = add_node(img, e->path, e->devtype == 'c' ? S_IFCHR : S_IFBLK, e->mode, e->uid, e->gid, NULL,
			     2, e->file, e->line, "nod");
		if (n != NULL) {
			n->rmajor = e->major;
			n->rminor = e->minor;
		}
		break;
	case M_SLINK:
		n = add_node(img, e->path, S_IFLNK, e->mode, e->uid, e->gid, e->source, 2, e->file, e->line,
			     "slink");
		break;
	case M_PIPE:
		n = add_node(img, e->path, S_IFIFO, e->mode, e->uid, e->gid, NULL, 2, e->file, e->line, "pipe");
		break;
	case M_SOCK:
		n = add_node(img, e->path, S_IFSOCK, e->mode, e->uid, e->gid, NULL, 2, e->file, e->line, "sock");
		break;
	case M_BIN:
		return expand_bin(img, e, err, errlen);
	case M_TREE:
		return expand_tree(img, e, err, errlen);
	}
	return n == NULL ? -ENOMEM : 0;
}

/* Every parent of every node, as an implied directory. */
static int add_parents(struct image *img)
{
	size_t i, n = img->n;

	for (i = 0; i < n; i++) {
		char path[PATH_MAX], *slash = NULL;

		snprintf(path, sizeof(path), "%s", img->v[i].path);
		while ((slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';
			if (add_node(img, path, S_IFDIR, 0755, 0, 0, NULL, 0, img->v[i].file, img->v[i].line,
				     "parent directory") == NULL) {
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c != 0) {
		return c;
	}
	/* the strongest declaration first; then manifest order */
	if (x->strength != y->strength) {
		return y->strength - x->strength;
	}
	if (x->line != y->line || x->file != y->file) {
		return x->file == y->file ? (int)x->line - (int)y->line : strcmp(x->file, y->file);
	}
	return 0;
}

static int same_node(const struct node *a, const struct node *b)
{
	if (a->type != b->type) {
		return 0;
	}
	if (a->type == S_IFDIR) {
		return 1;
	}
	return a->src != NULL && b->src != NULL && strcmp(a->src, b->src) == 0 && a->mode == b->mode;
}

static const char *type_word(mode_t t)
{
	switch (t) {
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symlink";
	case S_IFREG:
		return "a file";
	default:
		return "a special file";
	}
}

/* Keeps the first (strongest) of equal paths; rejects real conflicts. */
static int dedupe(struct image *img, char *err, size_t errlen)
{
	size_t i, o = 0;

	for (i = 0; i < img->n; i++) {
		struct node *n = &img->v[i];
		struct node *keep = o > 0 ? &img->v[o - 1] : NULL;

		if (keep != NULL && strcmp(keep->path, n->path) == 0) {
			if (keep->strength == 2 && n->strength == 2) {
				return ERR("%s:%u: duplicate path /%s (first declared at %s:%u)", n->file, n->line,
					   n->path, keep->file, keep->line);
			}
			/* a manifest line overrides what a tree brought */
			if (keep->strength == 2 && n->strength == 1 && keep->type == n->type) {
				free(n->path);
				free(n->src);
				continue;
			}
			if (!same_node(keep, n) && !(n->strength == 0 && n->type == S_IFDIR && keep->type == S_IFDIR)) {
				if (n->strength == 0 && n->type == S_IFDIR) {
					return ERR("%s:%u: /%s is %s (%s:%u), but other entries are inside it",
						   keep->file, keep->line, keep->path, type_word(keep->type),
						   keep->file, keep->line);
				}
				return ERR("%s:%u: /%s (%s) conflicts with %s from %s:%u", n->file, n->line, n->path,
					   n->why, type_word(keep->type), keep->file, keep->line);
			}
			free(n->path);
			free(n->src);
			continue;
		}
		img->v[o++] = *n;
	}
	img->n = o;
	return 0;
}

/* Inodes numbered in path order; identical host files (same real path,
 * mode and owner) become hard links, the data on the last of them. */
static void number_inodes(struct image *img)
{
	unsigned int next = 1;
	size_t i, j;

	for (i = 0; i < img->n; i++) {
		img->v[i].ino = 0;
	}
	for (i = 0; i < img->n; i++) {
		struct node *n = &img->v[i];
		size_t last = i;

		if (n->ino != 0) {
			continue;
		}
		n->ino = next++;
		n->nlink = n->type == S_IFDIR ? 2 : 1;
		n->has_data = 1;
		if (n->type != S_IFREG) {
			continue;
		}
		for (j = i + 1; j < img->n; j++) {
			struct node *m = &img->v[j];

			if (m->ino == 0 && m->type == S_IFREG && strcmp(m->src, n->src) == 0 &&
			    m->mode == n->mode && m->uid == n->uid && m->gid == n->gid) {
				m->ino = n->ino;
				n->nlink++;
				last = j;
			}
		}
		for (j = i; j <= last; j++) {
			if (img->v[j].ino == n->ino) {
				img->v[j].nlink = n->nlink;
				img->v[j].has_data = j == last;
			}
		}
	}
}

int image_expand(struct image *img, const struct manifest *m, char *err, size_t errlen)
{
	size_t i;
	int rc;

	if (img->search == NULL) {
		img->search = &elf_search_host;
	}
	for (i = 0; i < m->n; i++) {
		rc = expand_entry(img, &m->v[i], err, errlen);
		if (rc < 0) {
			if (rc == -ENOMEM) {
				snprintf(err, errlen, "out of memory");
			}
			return rc;
		}
	}
	if ((rc = add_parents(img)) < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	qsort(img->v, img->n, sizeof(*img->v), cmp_node);
	if ((rc = dedupe(img, err, errlen)) < 0) {
		return rc;
	}
	number_inodes(img);
	return 0;
}

