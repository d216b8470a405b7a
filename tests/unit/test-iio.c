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

/* The timestamp channel's clock (protocol version 7): the device's
 * current_timestamp_clock, in protocol.h's numbers; none without the
 * channel selected; unknown when unreadable or a word not listed. */
START_TEST(timestamp_clock)
{
	static const char names[][IFB_CHANNEL_NAME_LEN] = { "voltage0", "timestamp" };
	struct ifb_iio io;

	put_buffer("iio:device3/buffer0", "iio:device3/buffer0");
	put_file("iio:device3/buffer0/in_timestamp_en", "0\n");
	put_file("iio:device3/buffer0/in_timestamp_index", "2\n");
	put_file("iio:device3/buffer0/in_timestamp_type", "le:s64/64>>0\n");
	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), 0);
	ck_assert_int_eq(ifb_iio_select(&io, false, names, 1, NULL), 0);
	ck_assert(!ifb_iio_has_timestamp(&io));
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_NONE);
	ck_assert_int_eq(ifb_iio_select(&io, false, names, 2, NULL), 0);
	ck_assert(ifb_iio_has_timestamp(&io));
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_UNKNOWN); /* no attribute */
	put_file("iio:device3/current_timestamp_clock", "tai\n");
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_TAI);
	put_file("iio:device3/current_timestamp_clock", "monotonic_raw\n");
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_MONOTONIC_RAW);
	put_file("iio:device3/current_timestamp_clock", "realtime\n");
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_REALTIME);
	put_file("iio:device3/current_timestamp_clock", "monotonic_fast\n");
	ck_assert_uint_eq(ifb_iio_timestamp_clock(&io), IFB_TS_CLOCK_UNKNOWN);
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

/* Two devices of one name (two AD9467s), or one's label equal to
 * another's name: the spec is refused, every match listed with what tells
 * them apart; a label, iio:deviceN or the parent's sysfs path picks one. */
START_TEST(ambiguous_device)
{
	struct ifb_iio io;
	char list[1024], parent[PATH_MAX], real[PATH_MAX], spec[PATH_MAX + 128];

	put_buffer("iio:device3/buffer0", "iio:device3/buffer0");
	put_dir("bus0");
	put_dir("bus0/adc@1");
	put_dir("bus0/adc@1/iio:device12");
	put_file("bus0/adc@1/iio:device12/name", "adc\n");
	put_file("bus0/adc@1/iio:device12/label", "adc-b\n");
	put_buffer("bus0/adc@1/iio:device12/buffer0", "bus0/adc@1/iio:device12/buffer0");
	snprintf(parent, sizeof(parent), "%s/bus0/adc@1/iio:device12", root);
	snprintf(spec, sizeof(spec), "%s/iio:device12", root);
	ck_assert_int_eq(symlink(parent, spec), 0);
	put_dir("iio:device4");
	put_file("iio:device4/name", "other\n");
	put_file("iio:device4/label", "adc\n");

	ck_assert_int_eq(ifb_iio_find(&io, "adc", 0, root), -ENOTUNIQ);
	ck_assert_int_eq(ifb_iio_list_matches("adc", root, list, sizeof(list)), 3);
	ck_assert_msg(strstr(list, "iio:device3 (name 'adc', parent ") == list, "%s", list);
	ck_assert_msg(strstr(list, ", iio:device4 (name 'other', label 'adc', parent "), "%s", list);
	ck_assert(realpath(root, real));
	snprintf(spec, sizeof(spec), "iio:device12 (name 'adc', label 'adc-b', parent %s/bus0/adc@1)",
		 real);
	ck_assert_msg(strstr(list, spec), "%s lacks %s", list, spec);
	ck_assert_int_eq(ifb_iio_list_matches("adc", root, list, 20), 3);
	ck_assert_str_eq(list, "iio:device3 (nam...");
	ck_assert_int_eq(ifb_iio_list_matches("adc", root, list, 3), -ENOSPC);
	/* a path with a trailing slash, or through /sys/bus's symlink, resolves */
	snprintf(spec, sizeof(spec), "%s/iio:device12/", root);
	ck_assert_int_eq(ifb_iio_find(&io, spec, 0, root), 0);
	ck_assert_str_eq(io.devnode, "/dev/iio:device12");

	/* each way of picking one */
	ck_assert_int_eq(ifb_iio_find(&io, "adc-b", 0, root), 0);
	ck_assert_str_eq(io.devnode, "/dev/iio:device12");
	ck_assert_int_eq(ifb_iio_find(&io, "iio:device3", 0, root), 0);
	ck_assert_str_eq(io.devnode, "/dev/iio:device3");
	snprintf(spec, sizeof(spec), "%s/bus0/adc@1", real);
	ck_assert_int_eq(ifb_iio_find(&io, spec, 0, root), 0);
	ck_assert_str_eq(io.devnode, "/dev/iio:device12");
	snprintf(spec, sizeof(spec), "%s/bus0/adc@1/iio:device12", real);
	ck_assert_int_eq(ifb_iio_find(&io, spec, 0, root), 0);
	ck_assert_str_eq(io.devnode, "/dev/iio:device12");
	snprintf(spec, sizeof(spec), "%s/bus0", real);
	ck_assert_int_eq(ifb_iio_find(&io, spec, 0, root), -ENODEV);
	ck_assert_int_eq(ifb_iio_find(&io, "nothing", 0, root), -ENODEV);
}
END_TEST

static Suite *iio_suite(void)
{
	Suite *s = suite_create("iio");
	TCase *t = tcase_create("iio");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, per_buffer_interface);
	tcase_add_test(t, timestamp_clock);
	tcase_add_test(t, legacy_interface);
	tcase_add_test(t, legacy_forced);
	tcase_add_test(t, no_buffer);
	tcase_add_test(t, ambiguous_device);
	suite_add_tcase(s, t);
	return s;
}

IFB_UNIT_SUITE(iio_suite)
