/* Image building: manifest entries -> sorted nodes (expand.c) -> newc cpio
 * (cpio.c, libarchive) -> compressed with liblzma (compress.c) -> temporary
 * file renamed into place (imagefile.c). One header for the pipeline. */
#ifndef LIFEBOAT_IMAGE_H
#define LIFEBOAT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "elfdeps.h"
#include "manifest.h"

enum compression { COMP_NONE, COMP_LZMA, COMP_XZ };

struct node {
	char *path;            /* normalised archive path */
	mode_t type;           /* S_IFREG, S_IFDIR, ... */
	unsigned int mode;     /* permission bits */
	unsigned int uid, gid;
	char *src;             /* regular: host file; symlink: target */
	unsigned int rmajor, rminor;
	uint64_t size;
	int strength;          /* 2 manifest line, 1 file from a tree, 0 implied */
	const char *file;      /* origin, for messages */
	unsigned int line;
	const char *why;       /* "bin", "tree", "parent directory", ... */
	unsigned int ino, nlink;
	int has_data;          /* the hard-link member that carries the data */
};

struct image {
	struct node *v;
	size_t n, cap;
	const struct elf_search *search;
};

struct image_opts {
	enum compression comp;
	int64_t mtime;
	uint32_t dict_size;    /* 0: the cpio's size rounded up to a power of two, 64 KiB..8 MiB */
	int preset;            /* 0..9 */
	int bcj_x86;           /* .xz only: x86 BCJ filter before LZMA2 (CONFIG_XZ_DEC_X86) */
};

/* Expands manifest entries into nodes (host files checked, ELF closures
 * resolved, trees walked, parents implied), sorts them, rejects duplicates
 * and conflicts, and numbers inodes deterministically. err gets
 * "FILE:LINE: reason". */
int image_expand(struct image *img, const struct manifest *m, char *err, size_t errlen);

/* Writes the newc archive into a malloc'd buffer. */
int image_write_cpio(const struct image *img, int64_t mtime, unsigned char **buf, size_t *len,
		     char *err, size_t errlen);

/* Compresses buf into out (malloc'd). */
int image_compress(const unsigned char *buf, size_t len, const struct image_opts *o,
		   unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* Reads the whole file at path into *data (malloc'd): 0, or -errno. */
int image_read_file(const char *path, unsigned char **data, size_t *len);

/* Writes data to path through a temporary in the same directory, fsync,
 * rename: never a partial file at path. */
int image_write_file(const char *path, const unsigned char *data, size_t len, char *err, size_t errlen);

void image_free(struct image *img);

enum compression compression_from_name(const char *name, int *ok);
enum compression compression_from_suffix(const char *path);

#endif
