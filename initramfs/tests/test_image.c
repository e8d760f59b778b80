#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "manifest.h"

static char tmpdir[] = "/tmp/lb-test-image-XXXXXX";

static int setup(void **state)
{
	char p[256];
	FILE *f = NULL;

	assert_non_null(mkdtemp(tmpdir));
	setenv("T", tmpdir, 1);
	snprintf(p, sizeof(p), "%s/hello", tmpdir);
	f = fopen(p, "w");
	fputs("hello\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/tree", tmpdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/etc", tmpdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/etc/shadow", tmpdir);
	f = fopen(p, "w");
	fputs("root:*:1::::::\n", f);
	fclose(f);
	chmod(p, 0644);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* manifest text -> image; returns rc, fills err */
static int build(const char *text, struct image *img, char *err, size_t errlen)
{
	struct manifest m = { 0 };
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = manifest_parse(f, "t.manifest", &m, err, errlen);

	fclose(f);
	memset(img, 0, sizeof(*img));
	if (rc == 0) {
		rc = image_expand(img, &m, err, errlen);
	}
	manifest_free(&m);
	return rc;
}

static void cpio_of(const char *text, unsigned char **buf, size_t *len)
{
	struct image img;
	char err[512] = "";

	if (build(text, &img, err, sizeof(err)) < 0) {
		fail_msg("build: %s", err);
	}
	assert_int_equal(image_write_cpio(&img, 0x12345678, buf, len, err, sizeof(err)), 0);
	image_free(&img);
}

/* newc headers, byte for byte: magic, ino, mode, uid, gid, nlink, mtime,
 * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check. */
static void test_newc_bytes(void **state)
{
	static const char expect[] =
		"070701" "00000001" "000041ed" "00000000" "00000000" "00000002" "12345678" "00000000"
		"00000000" "00000000" "00000000" "00000000" "00000004" "00000000" "dev\0" "\0\0"
		"070701" "00000002" "00002180" "00000000" "00000005" "00000001" "12345678" "00000000"
		"00000000" "00000000" "00000005" "00000001" "0000000c" "00000000" "dev/console\0" "\0\0"
		"070701" "00000003" "000081a4" "00000000" "00000000" "00000001" "12345678" "00000006"
		"00000000" "00000000" "00000000" "00000000" "00000006" "00000000" "hello\0"
		"hello\n" "\0\0"
		"070701" "00000004" "0000a1ff" "00000000" "00000000" "00000001" "12345678" "00000007"
		"00000000" "00000000" "00000000" "00000000" "00000003" "00000000" "sh\0" "\0\0\0"
		"busybox" "\0"
		"070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000" "00000000"
		"00000000" "00000000" "00000000" "00000000" "0000000b" "00000000" "TRAILER!!!\0" "\0\0\0";
	unsigned char *buf = NULL;
	size_t len = 0;

	cpio_of("nod /dev/console 0600 0 5 c 5 1\n"
		"file /hello ${T}/hello 0644 0 0\n"
		"slink /sh busybox 0777 0 0\n"
		"dir /dev 0755 0 0\n", &buf, &len);
	assert_true(len >= sizeof(expect) - 1);
	assert_memory_equal(buf, expect, sizeof(expect) - 1);
	for (size_t i = sizeof(expect) - 1; i < len; i++) {
		assert_int_equal(buf[i], 0); /* block padding only */
	}
	free(buf);
}

static void test_parents_implied_and_sorted(void **state)
{
	struct image img;
	char err[512] = "";

	assert_int_equal(build("file /a/b/c ${T}/hello 0600 7 8\nslink /a-b x 777 0 0\n", &img, err, sizeof(err)), 0);
	assert_int_equal(img.n, 4);
	assert_string_equal(img.v[0].path, "a");
	assert_string_equal(img.v[1].path, "a-b");
	assert_string_equal(img.v[2].path, "a/b");
	assert_int_equal(img.v[2].mode, 0755);
	assert_int_equal(img.v[2].uid, 0);
	assert_string_equal(img.v[3].path, "a/b/c");
	assert_int_equal(img.v[3].uid, 7);
	image_free(&img);
}

static void check_error(const char *text, const char *expect)
{
	struct image img;
	char err[512] = "";

	assert_int_equal(build(text, &img, err, sizeof(err)) < 0, 1);
	if (strstr(err, expect) == NULL) {
		fail_msg("error '%s' lacks '%s'", err, expect);
	}
	image_free(&img);
}

static void test_errors(void **state)
{
	check_error("dir /x 755 0 0\nfile /y ${T}/hello 644 0 0\ndir /x 700 0 0\n",
		    "t.manifest:3: duplicate path /x (first declared at t.manifest:1)");
	check_error("file /x /nonexistent/file 644 0 0\n",
		    "t.manifest:1: cannot use /nonexistent/file: No such file or directory");
	check_error("file /x ${T} 644 0 0\n", "not a regular file");
	check_error("slink /lib usr/lib 777 0 0\nfile /lib/x ${T}/hello 644 0 0\n",
		    "/lib is a symlink (t.manifest:1), but other entries are inside it");
	check_error("tree / /nonexistent/tree\n", "t.manifest:1: cannot use tree /nonexistent/tree");
}

static void test_hard_links_share_inode(void **state)
{
	struct image img;
	char err[512] = "";

	assert_int_equal(build("file /b ${T}/hello 0755 0 0 /a /c\n", &img, err, sizeof(err)), 0);
	assert_int_equal(img.n, 3);
	assert_int_equal(img.v[0].ino, img.v[2].ino);
	assert_int_equal(img.v[0].nlink, 3);
	assert_int_equal(img.v[0].has_data, 0);
	assert_int_equal(img.v[2].has_data, 1); /* data on the last one, as gen_init_cpio does */
	image_free(&img);
}

static void test_line_overrides_tree(void **state)
{
	struct image img;
	char err[512] = "";

	assert_int_equal(build("tree / ${T}/tree\nfile /etc/shadow ${T}/tree/etc/shadow 0600 0 0\n", &img, err,
			       sizeof(err)), 0);
	assert_int_equal(img.n, 2);
	assert_string_equal(img.v[1].path, "etc/shadow");
	assert_int_equal(img.v[1].mode, 0600);
	image_free(&img);
}

static void test_reproducible(void **state)
{
	const char *text = "dir /d 755 0 0\nfile /d/f ${T}/hello 644 0 0\ntree /t ${T}/tree\n";
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	cpio_of(text, &a, &alen);
	cpio_of(text, &b, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
}

static void roundtrip(enum compression comp, int bcj_x86, const unsigned char *magic, size_t magiclen)
{
	struct image_opts o = { .comp = comp, .mtime = 0, .dict_size = 0, .preset = 6, .bcj_x86 = bcj_x86 };
	unsigned char *cpio = NULL, *z = NULL, back[1 << 16];
	size_t len = 0, zlen = 0, backlen = sizeof(back), out_pos = 0;
	uint64_t memlimit = UINT64_MAX;
	char err[256];

	cpio_of("file /hello ${T}/hello 0644 0 0\n", &cpio, &len);
	assert_int_equal(image_compress(cpio, len, &o, &z, &zlen, err, sizeof(err)), 0);
	assert_memory_equal(z, magic, magiclen);
	if (comp == COMP_LZMA) {
		/* legacy header: properties, dictionary size (LE): 64 KiB for a small cpio */
		assert_int_equal(z[0], 0x5d);
		assert_int_equal(z[1] | z[2] << 8 | z[3] << 16 | (uint32_t)z[4] << 24, 64 * 1024);
	} else {
		/* stream flags: check type 1 = CRC32, the only one the kernel takes */
		assert_int_equal(z[6], 0x00);
		assert_int_equal(z[7], 0x01);
		/* block header: number of filters - 1, then the first filter's ID:
		 * x86 BCJ (0x04) before LZMA2 (0x21), or LZMA2 alone */
		assert_int_equal(z[13] & 3, bcj_x86 ? 1 : 0);
		assert_int_equal(z[14], bcj_x86 ? 0x04 : 0x21);
	}
	{
		lzma_stream s = LZMA_STREAM_INIT;

		assert_int_equal(lzma_auto_decoder(&s, memlimit, 0), LZMA_OK);
		s.next_in = z;
		s.avail_in = zlen;
		s.next_out = back;
		s.avail_out = backlen;
		assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
		out_pos = backlen - s.avail_out;
		lzma_end(&s);
	}
	assert_int_equal(out_pos, len);
	assert_memory_equal(back, cpio, len);
	free(cpio);
	free(z);
}

static void test_lzma_header_and_roundtrip(void **state)
{
	roundtrip(COMP_LZMA, 0, (const unsigned char *)"\x5d", 1);
}

static void test_xz_crc32_and_roundtrip(void **state)
{
	roundtrip(COMP_XZ, 0, (const unsigned char *)"\xfd" "7zXZ\0", 6);
}

static void test_xz_bcj_x86_roundtrip(void **state)
{
	struct image_opts o = { .comp = COMP_LZMA, .preset = 6, .bcj_x86 = 1 };
	unsigned char *z = NULL;
	size_t zlen = 0;
	char err[256] = "";

	roundtrip(COMP_XZ, 1, (const unsigned char *)"\xfd" "7zXZ\0", 6);
	/* legacy .lzma has no filter chain: refused, nothing written */
	assert_int_equal(image_compress((const unsigned char *)"x", 1, &o, &z, &zlen, err, sizeof(err)) < 0, 1);
	assert_null(z);
	assert_non_null(strstr(err, "needs .xz"));
}

static void test_write_file_atomic(void **state)
{
	char path[300], err[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/out.img", tmpdir);
	assert_int_equal(image_write_file(path, (const unsigned char *)"abc", 3, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3);
	/* a directory that does not exist: error, nothing left behind */
	snprintf(path, sizeof(path), "%s/nodir/out.img", tmpdir);
	assert_int_equal(image_write_file(path, (const unsigned char *)"abc", 3, err, sizeof(err)) < 0, 1);
	assert_non_null(strstr(err, "cannot create a temporary next to"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newc_bytes),
		cmocka_unit_test(test_parents_implied_and_sorted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hard_links_share_inode),
		cmocka_unit_test(test_line_overrides_tree),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_lzma_header_and_roundtrip),
		cmocka_unit_test(test_xz_crc32_and_roundtrip),
		cmocka_unit_test(test_xz_bcj_x86_roundtrip),
		cmocka_unit_test(test_write_file_atomic),
	};
	return cmocka_run_group_tests_name("image", tests, setup, teardown);
}
