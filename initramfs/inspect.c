#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "image.h"
#include "inspect.h"

struct item {
	char *path;
	unsigned int mode; /* type and permissions */
	long long uid, gid;
	unsigned int nlink;
	long long size;
	unsigned int rmajor, rminor;
	long long mtime;
	char *target;
	uint64_t crc;
	size_t seq; /* order of reading, across segments */
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void items_free(struct items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++) {
		free(it->v[i].path);
		free(it->v[i].target);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

/* The entries of one cpio archive (or of a whole gzip/plain image:
 * libarchive's filters) read through a. */
static int read_archive(struct archive *a, const char *path, struct items *it)
{
	struct archive_entry *ae = NULL;
	int r, rc = 0;

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		struct item *x = NULL;
		const char *t = archive_entry_symlink(ae);
		const void *buf = NULL;
		size_t len;
		la_int64_t off;

		if (it->n == it->cap) {
			size_t cap = it->cap ? it->cap * 2 : 256;
			struct item *v = realloc(it->v, cap * sizeof(*v));

			if (v == NULL) {
				rc = -ENOMEM;
				break;
			}
			it->v = v;
			it->cap = cap;
		}
		x = &it->v[it->n];
		memset(x, 0, sizeof(*x));
		x->seq = it->n++;
		x->path = strdup(archive_entry_pathname(ae));
		x->mode = archive_entry_mode(ae);
		x->uid = archive_entry_uid(ae);
		x->gid = archive_entry_gid(ae);
		x->nlink = archive_entry_nlink(ae);
		x->size = archive_entry_size(ae);
		x->rmajor = archive_entry_rdevmajor(ae);
		x->rminor = archive_entry_rdevminor(ae);
		x->mtime = archive_entry_mtime(ae);
		x->target = t ? strdup(t) : NULL;
		x->crc = 0;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
			x->crc = lzma_crc64(buf, len, x->crc);
		}
		if (r != ARCHIVE_EOF) {
			break;
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF) {
		fprintf(stderr, "lifeboat-image: cannot read %s: %s\n", path, archive_error_string(a));
		rc = -EINVAL;
	}
	return rc;
}

static int read_memory(const void *data, size_t len, int filters, const char *path, struct items *it)
{
	struct archive *a = archive_read_new();
	int rc;

	if (filters) {
		archive_read_support_filter_all(a);
	}
	archive_read_support_format_cpio(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		fprintf(stderr, "lifeboat-image: cannot read %s: %s\n", path, archive_error_string(a));
		archive_read_free(a);
		return -EINVAL;
	}
	rc = read_archive(a, path, it);
	archive_read_free(a);
	return rc;
}

/* Decodes the one .xz or legacy .lzma stream at data into *out; *used is
 * how many bytes of data it took. */
static int decode_stream(const unsigned char *data, size_t len, int xz, unsigned char **out, size_t *outlen,
			 size_t *used, const char *path, size_t offset)
{
	lzma_stream s = LZMA_STREAM_INIT;
	unsigned char *p = NULL;
	size_t cap = 1 << 20;
	lzma_ret r;

	r = xz ? lzma_stream_decoder(&s, UINT64_MAX, 0) : lzma_alone_decoder(&s, UINT64_MAX);
	if (r != LZMA_OK) {
		fprintf(stderr, "lifeboat-image: cannot read %s: liblzma error %d\n", path, (int)r);
		return -EINVAL;
	}
	s.next_in = data;
	s.avail_in = len;
	do {
		if (p == NULL || s.avail_out == 0) {
			unsigned char *q = realloc(p, cap * 2);

			if (q == NULL) {
				r = LZMA_MEM_ERROR;
				break;
			}
			p = q;
			s.next_out = p + s.total_out;
			s.avail_out = cap * 2 - s.total_out;
			cap *= 2;
		}
		r = lzma_code(&s, LZMA_FINISH);
	} while (r == LZMA_OK);
	if (r != LZMA_STREAM_END) {
		fprintf(stderr, "lifeboat-image: cannot read %s: a compressed segment at byte %zu is damaged "
			"(liblzma error %d)\n", path, offset, (int)r);
		free(p);
		lzma_end(&s);
		return -EINVAL;
	}
	*out = p;
	*outlen = s.total_out;
	*used = s.total_in;
	lzma_end(&s);
	return 0;
}

/* Keeps the last entry of each path, as the kernel does when later
 * segments of an initramfs repeat a path (a directory implied by both). */
static int cmp_item_seq(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : (x->seq < y->seq ? -1 : 1);
}

static void keep_last(struct items *it)
{
	size_t i, n = 0;

	qsort(it->v, it->n, sizeof(*it->v), cmp_item_seq);
	for (i = 0; i < it->n; i++) {
		if (i + 1 < it->n && strcmp(it->v[i].path, it->v[i + 1].path) == 0) {
			free(it->v[i].path);
			free(it->v[i].target);
			continue;
		}
		it->v[n++] = it->v[i];
	}
	it->n = n;
}

/* An image is one or more segments, as the kernel reads them: .xz or
 * legacy .lzma streams one after another (zero padding between them
 * skipped), or one gzip or plain cpio archive. */
static int read_items(const char *path, struct items *it)
{
	unsigned char *data = NULL;
	size_t len = 0, pos = 0, segments = 0;
	int rc = image_read_file(path, &data, &len);

	if (rc < 0) {
		fprintf(stderr, "lifeboat-image: cannot open %s: %s\n", path, strerror(-rc));
		return rc;
	}
	while (rc == 0 && pos < len) {
		static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
		unsigned char *cpio = NULL;
		size_t cpio_len = 0, used = 0;
		int xz = len - pos >= 6 && memcmp(data + pos, xz_magic, 6) == 0;

		if (segments > 0 && data[pos] == 0) {
			pos++;
			continue;
		}
		if (!xz && data[pos] != 0x5d) {
			rc = segments > 0 ? -EINVAL : read_memory(data + pos, len - pos, 1, path, it);
			if (segments > 0) {
				fprintf(stderr, "lifeboat-image: cannot read %s: byte %zu starts no .xz or .lzma segment\n",
					path, pos);
			}
			break;
		}
		rc = decode_stream(data + pos, len - pos, xz, &cpio, &cpio_len, &used, path, pos);
		if (rc == 0) {
			rc = read_memory(cpio, cpio_len, 0, path, it);
		}
		free(cpio);
		pos += used;
		segments++;
	}
	free(data);
	if (rc == 0 && segments > 1) {
		keep_last(it);
	}
	return rc;
}

static void mode_string(unsigned int m, char s[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' :
	       S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	for (i = 0; i < 9; i++) {
		s[i + 1] = (m & (0400u >> i)) ? rwx[i] : '-';
	}
	if (m & S_ISUID) {
		s[3] = (m & 0100) ? 's' : 'S';
	}
	if (m & S_ISGID) {
		s[6] = (m & 0010) ? 's' : 'S';
	}
	if (m & S_ISVTX) {
		s[9] = (m & 0001) ? 't' : 'T';
	}
	s[10] = '\0';
}

int inspect_list(const char *path, FILE *out)
{
	struct items it = { 0 };
	size_t i;
	int rc = read_items(path, &it);

	for (i = 0; rc == 0 && i < it.n; i++) {
		const struct item *x = &it.v[i];
		char ms[11], when[32], size[32];
		time_t t = (time_t)x->mtime;
		struct tm tm;

		mode_string(x->mode, ms);
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		if (S_ISCHR(x->mode) || S_ISBLK(x->mode)) {
			snprintf(size, sizeof(size), "%u, %u", x->rmajor, x->rminor);
		} else {
			snprintf(size, sizeof(size), "%lld", x->size);
		}
		fprintf(out, "%s %3u %-5lld %-5lld %10s %s %s%s%s\n", ms, x->nlink, x->uid, x->gid, size, when,
			x->path, x->target ? " -> " : "", x->target ? x->target : "");
	}
	items_free(&it);
	return rc;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path, ((const struct item *)b)->path);
}

/* Entries are compared as stored: a hard-link group carries its data on
 * one member, so moving the data shows as a size change. */
static void diff_one(const struct item *x, const struct item *y, FILE *out, int *differs)
{
	char what[512] = "";
	size_t o = 0;

#define ADD(...) (o += (size_t)snprintf(what + o, o < sizeof(what) ? sizeof(what) - o : 0, __VA_ARGS__))
	if (x->mode != y->mode) {
		ADD(" mode %o -> %o;", x->mode, y->mode);
	}
	if (x->uid != y->uid || x->gid != y->gid) {
		ADD(" owner %lld:%lld -> %lld:%lld;", x->uid, x->gid, y->uid, y->gid);
	}
	if (x->size != y->size) {
		ADD(" size %lld -> %lld;", x->size, y->size);
	} else if (x->crc != y->crc) {
		ADD(" content differs;");
	}
	if ((x->target || y->target) && (!x->target || !y->target || strcmp(x->target, y->target) != 0)) {
		ADD(" target %s -> %s;", x->target ? x->target : "(none)", y->target ? y->target : "(none)");
	}
	if (x->rmajor != y->rmajor || x->rminor != y->rminor) {
		ADD(" device %u,%u -> %u,%u;", x->rmajor, x->rminor, y->rmajor, y->rminor);
	}
	if (x->nlink != y->nlink) {
		ADD(" links %u -> %u;", x->nlink, y->nlink);
	}
	if (x->mtime != y->mtime) {
		ADD(" mtime %lld -> %lld;", x->mtime, y->mtime);
	}
#undef ADD
	if (o > 0) {
		if (what[strlen(what) - 1] == ';') {
			what[strlen(what) - 1] = '\0';
		}
		fprintf(out, "~ %s:%s\n", x->path, what);
		*differs = 1;
	}
}

int inspect_diff(const char *a, const char *b, FILE *out)
{
	struct items x = { 0 }, y = { 0 };
	size_t i = 0, j = 0;
	int rc, differs = 0;

	rc = read_items(a, &x);
	if (rc == 0) {
		rc = read_items(b, &y);
	}
	if (rc < 0) {
		goto out;
	}
	qsort(x.v, x.n, sizeof(*x.v), cmp_item);
	qsort(y.v, y.n, sizeof(*y.v), cmp_item);
	while (i < x.n || j < y.n) {
		int c = i == x.n ? 1 : j == y.n ? -1 : strcmp(x.v[i].path, y.v[j].path);

		if (c < 0) {
			fprintf(out, "- %s\n", x.v[i++].path);
			differs = 1;
		} else if (c > 0) {
			fprintf(out, "+ %s\n", y.v[j++].path);
			differs = 1;
		} else {
			diff_one(&x.v[i++], &y.v[j++], out, &differs);
		}
	}
	rc = differs;
out:
	items_free(&x);
	items_free(&y);
	return rc;
}
