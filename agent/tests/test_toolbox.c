#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linktree.h"
#include "toolbox.h"

#define SUM "5b6862d6edb08e8888817f47365100f85ffbd7db37fc03623a434014afa748f4"

static void test_parse_sha256(void **state)
{
	uint8_t h[32];
	char err[256] = "";

	assert_int_equal(toolbox_parse_sha256(SUM, h, err, sizeof(err)), 0);
	assert_int_equal(h[0], 0x5b);
	assert_int_equal(h[31], 0xf4);
	assert_int_equal(toolbox_parse_sha256(SUM "\n", h, err, sizeof(err)), 0);
	assert_int_equal(toolbox_parse_sha256("", h, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "character 1 is not one"));
	assert_int_equal(toolbox_parse_sha256("5b6862d6", h, err, sizeof(err)), -EINVAL);
	assert_int_equal(toolbox_parse_sha256(SUM "00", h, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than 64"));
	assert_int_equal(toolbox_parse_sha256(SUM "\n\n", h, err, sizeof(err)), -EINVAL);
	assert_int_equal(toolbox_parse_sha256(SUM "  out/toolbox.squashfs\n", h, err, sizeof(err)), -EINVAL);
	assert_int_equal(toolbox_parse_sha256("g" SUM, h, err, sizeof(err)), -EINVAL);
}

static void test_pick_source(void **state)
{
	/* the second initrd needs no network: it wins */
	assert_int_equal(toolbox_pick_source(1, "http://10.0.2.2/payload/toolbox.squashfs"), TOOLBOX_INITRD);
	assert_int_equal(toolbox_pick_source(1, ""), TOOLBOX_INITRD);
	assert_int_equal(toolbox_pick_source(0, "http://10.0.2.2/payload/toolbox.squashfs"), TOOLBOX_URL);
	assert_int_equal(toolbox_pick_source(0, ""), TOOLBOX_NONE);
	assert_int_equal(toolbox_pick_source(0, NULL), TOOLBOX_NONE);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_link_tree(void **state)
{
	char base[] = "/tmp/lifeboat-linktree-XXXXXX", src[256], dst[256], p[PATH_MAX], t[PATH_MAX];
	struct link_counts n;
	struct stat st;
	char err[512] = "";
	ssize_t l;

	assert_non_null(mkdtemp(base));
	snprintf(src, sizeof(src), "%s/toolbox", base);
	snprintf(dst, sizeof(dst), "%s/root", base);
	/* the toolbox: usr/sbin/lvm, a link in it, etc/lvm/lvm.conf, lib/x.so */
	snprintf(p, sizeof(p), "mkdir -p %s/usr/sbin %s/usr/bin %s/etc/lvm %s/lib/x86_64-linux-gnu %s/usr/bin %s/etc/lifeboat",
		 src, src, src, src, dst, dst);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/usr/sbin/lvm", src);
	put(p, "lvm");
	snprintf(p, sizeof(p), "%s/usr/sbin/pvcreate", src);
	assert_int_equal(symlink("lvm", p), 0);
	snprintf(p, sizeof(p), "%s/etc/lvm/lvm.conf", src);
	put(p, "conf");
	snprintf(p, sizeof(p), "%s/lib/x86_64-linux-gnu/libc.so.6", src);
	put(p, "libc");
	snprintf(p, sizeof(p), "%s/usr/bin/scp", src);
	put(p, "toolbox scp");
	/* the image has its own scp: it stays */
	snprintf(p, sizeof(p), "%s/usr/bin/scp", dst);
	put(p, "image scp");

	assert_int_equal(link_tree(src, dst, &n, err, sizeof(err)), 0);
	assert_int_equal(n.linked, 4);
	assert_int_equal(n.kept, 1);
	/* files are links into the toolbox; directories are real ones */
	snprintf(p, sizeof(p), "%s/usr/sbin/pvcreate", dst);
	l = readlink(p, t, sizeof(t) - 1);
	assert_true(l > 0);
	t[l] = '\0';
	snprintf(p, sizeof(p), "%s/usr/sbin/pvcreate", src);
	assert_string_equal(t, p);
	snprintf(p, sizeof(p), "%s/usr/sbin/pvcreate", dst);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 3); /* through to lvm */
	snprintf(p, sizeof(p), "%s/etc/lvm", dst);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode)); /* LVM writes backup/ in it */
	snprintf(p, sizeof(p), "%s/usr/bin/scp", dst);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* again: nothing new, everything there already */
	assert_int_equal(link_tree(src, dst, &n, err, sizeof(err)), 0);
	assert_int_equal(n.linked, 0);
	assert_int_equal(n.kept, 5);
	/* a missing source is an error naming it */
	snprintf(p, sizeof(p), "%s/nothing", base);
	assert_int_equal(link_tree(p, dst, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nothing"));
	snprintf(p, sizeof(p), "rm -rf %s", base);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sha256),
		cmocka_unit_test(test_pick_source),
		cmocka_unit_test(test_link_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
