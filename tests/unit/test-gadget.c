// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * configfs gadget composition against a temporary directory tree: the
 * operations and their order, binding only when asked, the tree left as
 * found afterwards, and every failure unwinding what was done.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/gadget.h"
#include "unit.h"

static char root[64], cfs[PATH_MAX], udcs[PATH_MAX], mnt[PATH_MAX];
static char log_buf[16384];
static int fail_mount;
static unsigned mounts;

static void trace(const char *op, const char *path, const char *value, void *ctx)
{
	size_t l = strlen(log_buf);

	/* paths relative to the temporary root (ROOT in link targets), one
	 * operation a line */
	if (value && strncmp(value, root, strlen(root)) == 0)
		snprintf(log_buf + l, sizeof(log_buf) - l, "%s %s ROOT%s\n", op, path + strlen(root),
			 value + strlen(root));
	else
		snprintf(log_buf + l, sizeof(log_buf) - l, "%s %s%s%s\n", op, path + strlen(root),
			 value ? " " : "", value ? value : "");
}

static int fake_mount(const char *name, const char *target, void *ctx)
{
	if (fail_mount)
		return -ENODEV;
	mounts++;
	return 0;
}

static int fake_umount(const char *target, void *ctx)
{
	mounts--;
	return 0;
}

static const struct ifb_gadget_env env = {
	.configfs = cfs, .udc_class = udcs, .mount = fake_mount, .umount = fake_umount,
	.trace = trace,
};

static struct ifb_gadget_spec spec(void)
{
	struct ifb_gadget_spec s = {
		.name = "ifb", .udc = "auto", .mountpoint = mnt,
		.vendor_id = 0x1d6b, .product_id = 0x0104,
		.manufacturer = "ACME", .product = "Radio", .serial = "0001",
		.configuration = "IIO stream", .max_power_ma = 500,
		.ms_os = true, .ms_vendor_code = 0xcd,
	};
	return s;
}

static void setup(void)
{
	char tmpl[] = "/tmp/ifb-gadget-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	strcpy(root, tmpl);
	snprintf(cfs, sizeof(cfs), "%s/usb_gadget", root);
	snprintf(udcs, sizeof(udcs), "%s/udc", root);
	snprintf(mnt, sizeof(mnt), "%s/run/ffs-ifb", root);
	ck_assert_int_eq(mkdir(cfs, 0755), 0);
	ck_assert_int_eq(mkdir(udcs, 0755), 0);
	log_buf[0] = '\0';
	fail_mount = 0;
	mounts = 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void add_udc(const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", udcs, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void read_attr(const char *rel, char *buf, size_t size)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	ck_assert_msg(f != NULL, "%s missing", rel);
	buf[fread(buf, 1, size - 1, f)] = '\0';
	fclose(f);
}

/* What compose made, undone in reverse (configfs's default groups such as
 * strings/ exist already in real configfs: there they are neither made
 * nor removed; in this plain directory they are both). */
#define UNDO_ALL                                                   \
	"umount /run/ffs-ifb\n"                                    \
	"rmdir /run/ffs-ifb\n"                                     \
	"rmdir /run\n"                                             \
	"unlink /usb_gadget/ifb/os_desc/c.1\n"                     \
	"rmdir /usb_gadget/ifb/os_desc\n"                          \
	"unlink /usb_gadget/ifb/configs/c.1/ffs.ifb\n"             \
	"rmdir /usb_gadget/ifb/functions/ffs.ifb\n"                \
	"rmdir /usb_gadget/ifb/functions\n"                        \
	"rmdir /usb_gadget/ifb/configs/c.1/strings/0x409\n"        \
	"rmdir /usb_gadget/ifb/configs/c.1/strings\n"              \
	"rmdir /usb_gadget/ifb/configs/c.1\n"                      \
	"rmdir /usb_gadget/ifb/configs\n"                          \
	"rmdir /usb_gadget/ifb/strings/0x409\n"                    \
	"rmdir /usb_gadget/ifb/strings\n"                          \
	"rmdir /usb_gadget/ifb\n"

START_TEST(compose_in_order_and_undo)
{
	static const char expected[] =
		"mkdir /usb_gadget/ifb\n"
		"write /usb_gadget/ifb/idVendor 0x1d6b\n"
		"write /usb_gadget/ifb/idProduct 0x0104\n"
		"mkdir /usb_gadget/ifb/strings\n"
		"mkdir /usb_gadget/ifb/strings/0x409\n"
		"write /usb_gadget/ifb/strings/0x409/manufacturer ACME\n"
		"write /usb_gadget/ifb/strings/0x409/product Radio\n"
		"write /usb_gadget/ifb/strings/0x409/serialnumber 0001\n"
		"mkdir /usb_gadget/ifb/configs\n"
		"mkdir /usb_gadget/ifb/configs/c.1\n"
		"write /usb_gadget/ifb/configs/c.1/MaxPower 500\n"
		"mkdir /usb_gadget/ifb/configs/c.1/strings\n"
		"mkdir /usb_gadget/ifb/configs/c.1/strings/0x409\n"
		"write /usb_gadget/ifb/configs/c.1/strings/0x409/configuration IIO stream\n"
		"mkdir /usb_gadget/ifb/functions\n"
		"mkdir /usb_gadget/ifb/functions/ffs.ifb\n"
		"link /usb_gadget/ifb/configs/c.1/ffs.ifb ROOT/usb_gadget/ifb/functions/ffs.ifb\n"
		"mkdir /usb_gadget/ifb/os_desc\n"
		"write /usb_gadget/ifb/os_desc/use 1\n"
		"write /usb_gadget/ifb/os_desc/b_vendor_code 0xcd\n"
		"write /usb_gadget/ifb/os_desc/qw_sign MSFT100\n"
		"link /usb_gadget/ifb/os_desc/c.1 ROOT/usb_gadget/ifb/configs/c.1\n"
		"mkdir /run\n"
		"mkdir /run/ffs-ifb\n"
		"mount /run/ffs-ifb ifb\n";
	struct ifb_gadget_spec s = spec();
	struct ifb_gadget *g = NULL;
	char err[512], buf[64];

	add_udc("dummy_udc.0");
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), 0);
	ck_assert_str_eq(log_buf, expected);
	ck_assert_uint_eq(mounts, 1);
	/* Not bound until asked: descriptors come first. */
	ck_assert_int_ne(access(cfs, F_OK), -1);
	log_buf[0] = '\0';
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), 0);
	ck_assert_str_eq(log_buf, "write /usb_gadget/ifb/UDC dummy_udc.0\n");
	read_attr("usb_gadget/ifb/UDC", buf, sizeof(buf));
	ck_assert_str_eq(buf, "dummy_udc.0");

	log_buf[0] = '\0';
	ifb_gadget_free(g);
	ck_assert_uint_eq(mounts, 0);
	/* Unbind first, then exactly what was created, in reverse. */
	ck_assert_str_eq(log_buf, "write /usb_gadget/ifb/UDC \n\n" UNDO_ALL);
}
END_TEST

START_TEST(existing_gadget_is_refused_untouched)
{
	struct ifb_gadget_spec s = spec();
	struct ifb_gadget *g = NULL;
	char err[512], p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/ifb", cfs);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "exists"), "%s", err);
	ck_assert_int_eq(access(p, F_OK), 0); /* someone else's: left alone */
	ck_assert_str_eq(log_buf, "");
}
END_TEST

START_TEST(failure_unwinds_everything)
{
	struct ifb_gadget_spec s = spec();
	struct ifb_gadget *g = NULL;
	char err[512];
	const char *undo;

	fail_mount = 1;
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), -ENODEV);
	ck_assert_msg(strstr(err, "cannot mount functionfs 'ifb'"), "%s", err);
	ck_assert_ptr_null(g);
	/* Everything made before the failed mount is undone, in reverse. */
	undo = strstr(log_buf, "rmdir /run/ffs-ifb\n");
	ck_assert_ptr_nonnull(undo);
	ck_assert_str_eq(undo, UNDO_ALL + strlen("umount /run/ffs-ifb\n"));
	ck_assert_ptr_null(strstr(log_buf, "umount"));
}
END_TEST

START_TEST(udc_choice)
{
	struct ifb_gadget_spec s = spec();
	struct ifb_gadget *g = NULL;
	char err[512];

	s.ms_os = false;
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), 0);
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), -ENODEV);
	ck_assert_msg(strstr(err, "no UDC"), "%s", err);
	add_udc("a.0");
	add_udc("b.0");
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), -ENOTUNIQ);
	ck_assert_msg(strstr(err, "set [gadget] udc"), "%s", err);
	log_buf[0] = '\0';
	ifb_gadget_free(g);
	ck_assert_ptr_null(strstr(log_buf, "UDC")); /* never bound: no unbind */

	/* A named UDC not there yet is waited for (-ENODEV), as for auto;
	 * writing its name would only get configfs's EBUSY. */
	s.udc = "c.0";
	s.name = "ifb3"; /* in a plain directory the first one cannot be fully removed */
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), 0);
	log_buf[0] = '\0';
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), -ENODEV);
	ck_assert_msg(strstr(err, "UDC c.0 is not in"), "%s", err);
	ck_assert_str_eq(log_buf, "");
	ifb_gadget_free(g);

	s.udc = "b.0";
	s.name = "ifb2";
	ck_assert_int_eq(ifb_gadget_compose(&g, &s, &env, err, sizeof(err)), 0);
	log_buf[0] = '\0';
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), 0);
	ck_assert_str_eq(log_buf, "write /usb_gadget/ifb2/UDC b.0\n");
	ifb_gadget_free(g);
}
END_TEST

/* Issue 9, finding 6: after a restart, the gadget a board script made is
 * found from the FunctionFS mount and bound again (FunctionFS unbound it
 * when the previous instance closed ep0); one bound by someone else is
 * left alone; no UDC yet is -ENODEV, to wait for. */
START_TEST(adopt_board_gadget)
{
	char p[PATH_MAX + 64], mi[PATH_MAX + 64], buf[64], err[512];
	struct ifb_gadget_env e = env;
	struct ifb_gadget *g = NULL;
	FILE *f;

	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	f = fopen(mi, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "22 1 0:5 / /dev rw - devtmpfs udev rw\n"
		   "40 22 0:40 / %s rw,relatime - functionfs board rw\n", mnt);
	fclose(f);
	e.mountinfo = mi;
	e.trace = NULL;
	/* Another gadget first, then the board's, with ffs.board in it. */
	snprintf(p, sizeof(p), "%s/other", cfs);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/g1", cfs);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/g1/functions", cfs);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/g1/functions/ffs.board", cfs);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/g1/UDC", cfs);
	f = fopen(p, "w");
	fputs("\n", f);
	fclose(f);

	ck_assert_int_eq(ifb_gadget_adopt(&g, "/elsewhere", NULL, &e, err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(ifb_gadget_adopt(&g, mnt, NULL, &e, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/g1", cfs);
	ck_assert_str_eq(ifb_gadget_dir(g), p);
	ck_assert(!ifb_gadget_is_bound(g));
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), -ENODEV); /* no UDC yet */
	add_udc("dummy_udc.0");
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), 0);
	read_attr("usb_gadget/g1/UDC", buf, sizeof(buf));
	ck_assert_str_eq(buf, "dummy_udc.0");
	ck_assert(ifb_gadget_is_bound(g));
	g = ifb_gadget_free(g);
	/* Adopted: nothing removed, only our binding undone. */
	read_attr("usb_gadget/g1/UDC", buf, sizeof(buf));
	ck_assert_str_eq(buf, "\n");
	snprintf(p, sizeof(p), "%s/g1/functions/ffs.board", cfs);
	ck_assert_int_eq(access(p, F_OK), 0);

	/* Bound by the board script already: left as it is. */
	snprintf(p, sizeof(p), "%s/g1/UDC", cfs);
	f = fopen(p, "w");
	fputs("other_udc.1\n", f);
	fclose(f);
	ck_assert_int_eq(ifb_gadget_adopt(&g, mnt, NULL, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(ifb_gadget_bind(g, err, sizeof(err)), 0);
	g = ifb_gadget_free(g);
	read_attr("usb_gadget/g1/UDC", buf, sizeof(buf));
	ck_assert_str_eq(buf, "other_udc.1\n");
}
END_TEST

static Suite *gadget_suite(void)
{
	Suite *s = suite_create("gadget");
	TCase *t = tcase_create("configfs");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, compose_in_order_and_undo);
	tcase_add_test(t, existing_gadget_is_refused_untouched);
	tcase_add_test(t, existing_gadget_is_refused_untouched);
	tcase_add_test(t, failure_unwinds_everything);
	tcase_add_test(t, udc_choice);
	tcase_add_test(t, adopt_board_gadget);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(gadget_suite)
