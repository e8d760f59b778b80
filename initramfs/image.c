#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <lzma.h>
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

/* ---- cpio via libarchive ------------------------------------------------ */

struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t membuf_write(struct archive *a, void *ctx, const void *data, size_t n)
{
	struct membuf *b = ctx;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		unsigned char *p = NULL;

		while (cap < b->len + n) {
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (p == NULL) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return (la_ssize_t)n;
}

static int copy_data(struct archive *a, const struct node *n, char *err, size_t errlen)
{
	char buf[65536];
	uint64_t total = 0;
	ssize_t r;
	int fd = open(n->src, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return ERR("cannot open %s: %s", n->src, strerror(errno));
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (archive_write_data(a, buf, (size_t)r) != r) {
			close(fd);
			return ERR("cannot write /%s: %s", n->path, archive_error_string(a));
		}
		total += (uint64_t)r;
	}
	close(fd);
	if (r < 0 || total != n->size) {
		return ERR("cannot read %s: %s", n->src, r < 0 ? strerror(errno) : "it changed size while being read");
	}
	return 0;
}

int image_write_cpio(const struct image *img, int64_t mtime, unsigned char **buf, size_t *len,
		     char *err, size_t errlen)
{
	struct membuf mb = { 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	size_t i;
	int rc = 0;

	if (a == NULL || ae == NULL) {
		rc = -ENOMEM;
		goto err_alloc;
	}
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &mb, NULL, membuf_write, NULL) != ARCHIVE_OK) {
		rc = ERR("cannot start cpio archive: %s", archive_error_string(a));
		goto err_alloc;
	}
	for (i = 0; i < img->n; i++) {
		const struct node *n = &img->v[i];

		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, n->path);
		archive_entry_set_filetype(ae, n->type);
		archive_entry_set_perm(ae, n->mode);
		archive_entry_set_uid(ae, n->uid);
		archive_entry_set_gid(ae, n->gid);
		archive_entry_set_ino(ae, n->ino);
		archive_entry_set_nlink(ae, n->nlink);
		archive_entry_set_mtime(ae, mtime, 0);
		archive_entry_set_dev(ae, 0);
		if (n->type == S_IFCHR || n->type == S_IFBLK) {
			archive_entry_set_rdevmajor(ae, n->rmajor);
			archive_entry_set_rdevminor(ae, n->rminor);
		}
		if (n->type == S_IFLNK) {
			archive_entry_set_symlink(ae, n->src);
		}
		archive_entry_set_size(ae, n->type == S_IFREG && n->has_data ? (la_int64_t)n->size : 0);
		if (archive_write_header(a, ae) != ARCHIVE_OK) {
			rc = ERR("cannot write /%s: %s", n->path, archive_error_string(a));
			goto err_write;
		}
		if (n->type == S_IFREG && n->has_data && (rc = copy_data(a, n, err, errlen)) < 0) {
			goto err_write;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = ERR("cannot finish cpio archive: %s", archive_error_string(a));
		goto err_write;
	}
	archive_write_free(a);
	archive_entry_free(ae);
	*buf = mb.p;
	*len = mb.len;
	return 0;

err_write:
err_alloc:
	if (a != NULL) {
		archive_write_free(a);
	}
	archive_entry_free(ae);
	free(mb.p);
	if (rc == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	}
	return rc;
}

/* ---- compression with liblzma -------------------------------------------- */

static uint32_t pick_dict(size_t len)
{
	uint32_t d = 64 * 1024;

	while (d < len && d < 8u * 1024 * 1024) {
		d *= 2;
	}
	return d;
}

int image_compress(const unsigned char *buf, size_t len, const struct image_opts *o,
		   unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	lzma_filter filters[3];
	int nf = 0;
	lzma_ret r;
	size_t cap;
	unsigned char *p = NULL;

	if (o->comp == COMP_NONE) {
		p = malloc(len ? len : 1);
		if (p == NULL) {
			return ERR("out of memory");
		}
		memcpy(p, buf, len);
		*out = p;
		*outlen = len;
		return 0;
	}
	if (lzma_lzma_preset(&opt, (uint32_t)o->preset)) {
		return ERR("bad compression preset %d", o->preset);
	}
	opt.dict_size = o->dict_size ? o->dict_size : pick_dict(len);
	if (o->bcj_x86 && o->comp != COMP_XZ) {
		return ERR("the x86 BCJ filter needs .xz output");
	}
	if (o->comp == COMP_LZMA) {
		r = lzma_alone_encoder(&s, &opt);
	} else {
		/* x86 code converted for better matches: ~5% smaller on our images */
		if (o->bcj_x86) {
			filters[nf].id = LZMA_FILTER_X86;
			filters[nf++].options = NULL;
		}
		filters[nf].id = LZMA_FILTER_LZMA2;
		filters[nf++].options = &opt;
		filters[nf].id = LZMA_VLI_UNKNOWN;
		/* the kernel's xz decoder takes CRC32 or no check, never CRC64 */
		r = lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32);
	}
	if (r != LZMA_OK) {
		return ERR("cannot start the LZMA encoder (liblzma error %d)", (int)r);
	}
	cap = len / 2 + 65536;
	p = malloc(cap);
	if (p == NULL) {
		lzma_end(&s);
		return ERR("out of memory");
	}
	s.next_in = buf;
	s.avail_in = len;
	s.next_out = p;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END) {
			break;
		}
		if (r != LZMA_OK) {
			lzma_end(&s);
			free(p);
			return ERR("cannot compress: liblzma error %d", (int)r);
		}
		if (s.avail_out == 0) {
			unsigned char *q = realloc(p, cap * 2);

			if (q == NULL) {
				lzma_end(&s);
				free(p);
				return ERR("out of memory");
			}
			p = q;
			s.next_out = p + cap;
			s.avail_out = cap;
			cap *= 2;
		}
	}
	*outlen = (size_t)s.total_out;
	lzma_end(&s);
	*out = p;
	return 0;
}

int image_read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t cap = 0, n = 0, got;
	int rc = 0;

	if (f == NULL) {
		return -errno;
	}
	do {
		if (n == cap) {
			unsigned char *q = realloc(p, cap ? cap * 2 : 1 << 20);

			if (q == NULL) {
				rc = -ENOMEM;
				break;
			}
			p = q;
			cap = cap ? cap * 2 : 1 << 20;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
	}
	fclose(f);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*data = p;
	*len = n;
	return 0;
}

int image_write_file(const char *path, const unsigned char *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		return ERR("cannot write %s: path too long", path);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		return ERR("cannot create a temporary next to %s: %s", path, strerror(errno));
	}
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = ERR("cannot write %s: %s", tmp, strerror(errno));
			goto err_write;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		rc = ERR("cannot write %s: %s", tmp, strerror(errno));
		goto err_write;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = ERR("cannot write %s: %s", tmp, strerror(errno));
		goto err_write;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ERR("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto err_write;
	}
	return 0;

err_write:
	if (fd >= 0) {
		close(fd);
	}
	unlink(tmp);
	return rc;
}

enum compression compression_from_name(const char *name, int *ok)
{
	*ok = 1;
	if (strcmp(name, "lzma") == 0) {
		return COMP_LZMA;
	}
	if (strcmp(name, "xz") == 0) {
		return COMP_XZ;
	}
	if (strcmp(name, "none") == 0) {
		return COMP_NONE;
	}
	*ok = 0;
	return COMP_LZMA;
}

enum compression compression_from_suffix(const char *path)
{
	size_t n = strlen(path);

	if (n >= 3 && strcmp(path + n - 3, ".xz") == 0) {
		return COMP_XZ;
	}
	if (n >= 5 && strcmp(path + n - 5, ".cpio") == 0) {
		return COMP_NONE;
	}
	return COMP_LZMA;
}
