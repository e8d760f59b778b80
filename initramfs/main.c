/* lifeboat-image: writes reproducible initramfs images from manifests in
 * gen_init_cpio's line format, and lists or compares existing images.
 *
 *   lifeboat-image build -o OUT [-c lzma|xz|none] [-b x86] [-t MTIME] [-d DICT] [-p PRESET] MANIFEST...
 *   lifeboat-image list IMAGE
 *   lifeboat-image diff IMAGE_A IMAGE_B
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "inspect.h"
#include "manifest.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lifeboat-image build -o OUTPUT [-c lzma|xz|none] [-b x86] [-t MTIME] [-d DICT_BYTES] [-p PRESET] MANIFEST...\n"
		"       lifeboat-image join -o OUTPUT IMAGE.xz... (or IMAGE.lzma...)\n"
		"       lifeboat-image list IMAGE\n"
		"       lifeboat-image diff IMAGE_A IMAGE_B\n"
		"Compression defaults to the output's suffix (.xz, .cpio, else lzma).\n"
		"MTIME defaults to $SOURCE_DATE_EPOCH, else 0.\n");
}

static int parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int read_manifests(char **files, int n, struct manifest *m, char *err, size_t errlen)
{
	int i, rc;

	for (i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "re");

		if (f == NULL) {
			snprintf(err, errlen, "cannot open manifest %s: %s", files[i], strerror(errno));
			return -errno;
		}
		rc = manifest_parse(f, files[i], m, err, errlen);
		fclose(f);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct image_opts o = { .comp = COMP_LZMA, .mtime = 0, .dict_size = 0, .preset = 9 };
	struct manifest m = { 0 };
	struct image img = { 0 };
	unsigned char *cpio = NULL, *packed = NULL;
	size_t cpio_len = 0, packed_len = 0;
	const char *output = NULL, *comp = NULL, *sde = getenv("SOURCE_DATE_EPOCH");
	char err[1024] = "";
	long long v;
	int c, ok, rc;

	if (sde != NULL && sde[0] != '\0') {
		if (parse_number(sde, 0, 0xffffffffLL, &v) < 0) {
			fprintf(stderr, "lifeboat-image: cannot use SOURCE_DATE_EPOCH '%s': not a time\n", sde);
			return 2;
		}
		o.mtime = v;
	}
	while ((c = getopt(argc, argv, "o:c:b:t:d:p:h")) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'c':
			comp = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "x86") != 0) {
				fprintf(stderr, "lifeboat-image: cannot use -b '%s': the only BCJ filter is x86\n", optarg);
				return 2;
			}
			o.bcj_x86 = 1;
			break;
		case 't':
			if (parse_number(optarg, 0, 0xffffffffLL, &v) < 0) {
				fprintf(stderr, "lifeboat-image: cannot use -t '%s': not a time\n", optarg);
				return 2;
			}
			o.mtime = v;
			break;
		case 'd':
			if (parse_number(optarg, 4096, 1LL << 30, &v) < 0) {
				fprintf(stderr, "lifeboat-image: cannot use -d '%s': want bytes from 4096 to 1 GiB\n", optarg);
				return 2;
			}
			o.dict_size = (uint32_t)v;
			break;
		case 'p':
			if (parse_number(optarg, 0, 9, &v) < 0) {
				fprintf(stderr, "lifeboat-image: cannot use -p '%s': want 0 to 9\n", optarg);
				return 2;
			}
			o.preset = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (output == NULL || optind == argc) {
		usage(stderr);
		return 2;
	}
	o.comp = compression_from_suffix(output);
	if (comp != NULL) {
		o.comp = compression_from_name(comp, &ok);
		if (!ok) {
			fprintf(stderr, "lifeboat-image: cannot use -c '%s': want lzma, xz or none\n", comp);
			return 2;
		}
	}
	if (o.bcj_x86 && o.comp != COMP_XZ) {
		fprintf(stderr, "lifeboat-image: cannot use -b x86: the BCJ filter needs .xz output\n");
		return 2;
	}
	rc = read_manifests(argv + optind, argc - optind, &m, err, sizeof(err));
	if (rc < 0) {
		goto err_manifest;
	}
	rc = image_expand(&img, &m, err, sizeof(err));
	if (rc < 0) {
		goto err_expand;
	}
	rc = image_write_cpio(&img, o.mtime, &cpio, &cpio_len, err, sizeof(err));
	if (rc < 0) {
		goto err_expand;
	}
	rc = image_compress(cpio, cpio_len, &o, &packed, &packed_len, err, sizeof(err));
	if (rc < 0) {
		goto err_compress;
	}
	rc = image_write_file(output, packed, packed_len, err, sizeof(err));
	if (rc < 0) {
		goto err_write;
	}
	printf("%s: %zu entries, %zu bytes cpio, %zu bytes written\n", output, img.n, cpio_len, packed_len);
	free(packed);
	free(cpio);
	image_free(&img);
	manifest_free(&m);
	return 0;

err_write:
	free(packed);
err_compress:
	free(cpio);
err_expand:
	image_free(&img);
err_manifest:
	manifest_free(&m);
	fprintf(stderr, "lifeboat-image: %s\n", err);
	fprintf(stderr, "lifeboat-image: cannot build %s: nothing written\n", output);
	return 1;
}

/* What a compressed segment is: "xz" (a whole stream: header magic first,
 * footer magic "YZ" last), "lzma" (a legacy .lzma header with the size
 * unknown, as liblzma's lzma_alone encoder writes it: the stream ends with
 * its end marker, which is how the kernel finds the next segment), else
 * NULL. */
static const char *segment_format(const unsigned char *p, size_t n)
{
	static const unsigned char xz_head[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char unknown_size[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (n >= 32 && memcmp(p, xz_head, sizeof(xz_head)) == 0 && p[n - 2] == 'Y' && p[n - 1] == 'Z') {
		return "xz";
	}
	if (n >= 18 && p[0] < 9 * 5 * 5 && memcmp(p + 5, unknown_size, sizeof(unknown_size)) == 0) {
		return "lzma";
	}
	return NULL;
}

/* lifeboat-image join -o OUT IMAGE...: one initramfs from .xz (or legacy
 * .lzma) images, one after another, which the kernel unpacks in order
 * (Documentation/driver-api/early-userspace/buffer-format.rst). make
 * builds the rescue image as the minimal image plus the tools, so a
 * change to the agent compresses 2 MB again, not 31 MB. */
static int cmd_join(int argc, char **argv)
{
	const char *format = NULL, *f = NULL;
	unsigned char *all = NULL, *part = NULL;
	size_t len = 0, plen = 0;
	const char *output = NULL;
	char err[512] = "";
	int c, i, rc;

	while ((c = getopt(argc, argv, "o:")) != -1) {
		if (c != 'o') {
			usage(stderr);
			return 2;
		}
		output = optarg;
	}
	if (output == NULL || optind == argc) {
		usage(stderr);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		unsigned char *q = NULL;

		rc = image_read_file(argv[i], &part, &plen);
		if (rc < 0) {
			snprintf(err, sizeof(err), "cannot read %s: %s", argv[i], strerror(-rc));
			goto err_read;
		}
		f = segment_format(part, plen);
		if (f == NULL) {
			snprintf(err, sizeof(err), "cannot join %s: not a whole .xz image (nor a .lzma one)", argv[i]);
			goto err_part;
		}
		if (format != NULL && strcmp(f, format) != 0) {
			snprintf(err, sizeof(err), "cannot join %s: it is .%s, the images before it .%s", argv[i], f,
				 format);
			goto err_part;
		}
		format = f;
		q = realloc(all, len + plen);
		if (q == NULL) {
			snprintf(err, sizeof(err), "cannot join %s: out of memory", argv[i]);
			goto err_part;
		}
		all = q;
		memcpy(all + len, part, plen);
		len += plen;
		free(part);
		part = NULL;
	}
	if (image_write_file(output, all, len, err, sizeof(err)) < 0) {
		goto err_read;
	}
	printf("%s: %d segments, %zu bytes written\n", output, argc - optind, len);
	free(all);
	return 0;

err_part:
	free(part);
err_read:
	free(all);
	fprintf(stderr, "lifeboat-image: %s\n", err);
	fprintf(stderr, "lifeboat-image: cannot join %s: nothing written\n", output);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "build") == 0) {
		return cmd_build(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "join") == 0) {
		return cmd_join(argc - 1, argv + 1);
	}
	if (argc == 3 && strcmp(argv[1], "list") == 0) {
		return inspect_list(argv[2], stdout) < 0 ? 1 : 0;
	}
	if (argc == 4 && strcmp(argv[1], "diff") == 0) {
		int rc = inspect_diff(argv[2], argv[3], stdout);

		return rc < 0 ? 2 : rc;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
