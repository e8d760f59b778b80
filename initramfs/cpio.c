/* Image building, second step: the nodes as a newc cpio archive, written
 * by libarchive into memory. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

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

