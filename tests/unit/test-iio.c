// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which IIO buffer interface the daemon picks from the sysfs layout (a
 * directory tree shaped like /sys/bus/iio/devices, made in a temporary
 * directory): bufferN/ since Linux 5.13, else the legacy scan_elements/
 * and buffer/ (buffer 0 only), and IFB_IIO_LEGACY=1 forcing the latter.
 * The kernel's own answers are tested in the VM rig (bridge-legacy-iio).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/iio.h"
#include "unit.h"

static char root[64];

static void put_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* Scan elements voltage0/1 (le:u16/16>>0) in dir, enable etc. in ctl. */
static void put_buffer(const char *dir, const char *ctl)
{
	char rel[128];

	put_dir(dir);
	if (strcmp(dir, ctl))
		put_dir(ctl);
	for (int c = 0; c < 2; c++) {
		snprintf(rel, sizeof(rel), "%s/in_voltage%d_en", dir, c);
		put_file(rel, "0\n");
		snprintf(rel, sizeof(rel), "%s/in_voltage%d_index", dir, c);
		put_file(rel, c ? "1\n" : "0\n");
		snprintf(rel, sizeof(rel), "%s/in_voltage%d_type", dir, c);
		put_file(rel, "le:u16/16>>0\n");
	}
	snprintf(rel, sizeof(rel), "%s/enable", ctl);
	put_file(rel, "0\n");
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/ifb-unit-iio.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put_dir("iio:device3");
	put_file("iio:device3/name", "adc\n");
	unsetenv("IFB_IIO_LEGACY");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	unsetenv("IFB_IIO_LEGACY");
}

START_TEST(per_buffer_interface)
{
	struct ifb_iio io;
	char want[PATH_MAX];

	put_buffer("iio:device3/buffer0", "iio:device3/buffer0");
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert(!io.legacy);
	snprintf(want, sizeof(want), "%s/iio:device3/buffer0", root);
	ck_assert_str_eq(io.bufdir, want);
	ck_assert_str_eq(io.chandir, want);
	ck_assert_uint_eq(io.num_channels, 2);
	ck_assert_str_eq(io.devnode, "/dev/iio:device3");
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 1, root), -ENOENT);
}
END_TEST

/* Linux 5.10-5.12: no bufferN/ at all. */
START_TEST(legacy_interface)
{
	struct ifb_iio io;
	char want[PATH_MAX];

	put_buffer("iio:device3/scan_elements", "iio:device3/buffer");
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert(io.legacy);
	snprintf(want, sizeof(want), "%s/iio:device3/buffer", root);
	ck_assert_str_eq(io.bufdir, want);
	snprintf(want, sizeof(want), "%s/iio:device3/scan_elements", root);
	ck_assert_str_eq(io.chandir, want);
	ck_assert_uint_eq(io.num_channels, 2);
	ck_assert_str_eq(io.ch[1].name, "voltage1");
	/* The legacy interface has buffer 0 only. */
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 1, root), -ENOENT);
}
END_TEST

/* Both present (5.13+ keeps the legacy one for buffer 0): per-buffer wins
 * unless IFB_IIO_LEGACY=1. */
START_TEST(legacy_forced)
{
	struct ifb_iio io;

	put_buffer("iio:device3/buffer0", "iio:device3/buffer0");
	put_buffer("iio:device3/scan_elements", "iio:device3/buffer");
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert(!io.legacy);
	setenv("IFB_IIO_LEGACY", "1", 1);
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert(io.legacy);
	ck_assert_ptr_nonnull(strstr(io.chandir, "/scan_elements"));
	setenv("IFB_IIO_LEGACY", "0", 1);
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert(!io.legacy);
}
END_TEST

/* Neither: no buffer with scan elements. */
START_TEST(no_buffer)
{
	struct ifb_iio io;

	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), -ENOENT);
	ck_assert_int_eq(ifb_iio_find(&io, "nonesuch", 0, root), -ENODEV);
}
END_TEST

static Suite *iio_suite(void)
{
	Suite *s = suite_create("iio");
	TCase *t = tcase_create("iio");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, per_buffer_interface);
	tcase_add_test(t, legacy_interface);
	tcase_add_test(t, legacy_forced);
	tcase_add_test(t, no_buffer);
	suite_add_tcase(s, t);
	return s;
}

IFB_UNIT_SUITE(iio_suite)
