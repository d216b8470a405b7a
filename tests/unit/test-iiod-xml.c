// SPDX-License-Identifier: GPL-2.0-or-later
/* The IIO context for libiio clients, built from a sysfs-shaped tree in a
 * temporary directory: device order, channel order and attributes, scan
 * sizes, XML escaping, and that only listed attributes map to files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/iio.h"
#include "daemon/iiod-xml.h"
#include "unit.h"

static char root[64];

static void mk(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* parent directories */
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!content) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void make_tree(void)
{
	char path[512];

	strcpy(root, "/tmp/ifb-iiod-xml.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	mk("sys/iio:device0/name", "iio-sim-adc\n");
	mk("sys/iio:device0/dev", "250:0\n");
	mk("sys/iio:device0/uevent", "x\n");
	mk("sys/iio:device0/sampling_frequency", "10000000\n");
	mk("sys/iio:device0/sim_paced", "0\n");
	mk("sys/iio:device0/in_voltage0_raw", "5\n");
	mk("sys/iio:device0/in_voltage_scale", "0.5\n");
	mk("sys/iio:device0/power", NULL);
	mk("sys/iio:device0/power/control", "auto\n");
	mk("sys/iio:device0/scan_elements/in_voltage1_en", "0\n");
	mk("sys/iio:device0/scan_elements/in_voltage1_index", "1\n");
	mk("sys/iio:device0/scan_elements/in_voltage1_type", "le:u16/16>>0\n");
	mk("sys/iio:device0/scan_elements/in_voltage0_en", "0\n");
	mk("sys/iio:device0/scan_elements/in_voltage0_index", "0\n");
	mk("sys/iio:device0/scan_elements/in_voltage0_type", "le:u16/16>>0\n");
	mk("sys/iio:device0/scan_elements/in_timestamp_en", "0\n");
	mk("sys/iio:device0/scan_elements/in_timestamp_index", "2\n");
	mk("sys/iio:device0/scan_elements/in_timestamp_type", "le:s64/64>>0\n");
	mk("sys/iio:device0/buffer/length", "16\n");
	mk("sys/iio:device0/buffer/enable", "0\n");
	mk("sys/iio:device0/buffer/watermark", "1\n");
	mk("sys/iio:device0/buffer/data_available", "0\n");
	mk("sys/iio:device10/name", "adc-two\n");
	mk("sys/iio:device10/label", "board <a&b> \"x\"\n");
	mk("sys/iio:device10/in_voltage0-voltage1_raw", "1\n");
	mk("sys/iio:device10/out_altvoltage0_frequency", "1\n");
	mk("sys/iio:device2/name", "adc-one\n");
	mk("sys/trigger0/name", "sysfstrig0\n");
	mk("sys/not-a-device/name", "x\n");
	mk("debug/iio:device0/direct_reg_access", "0x0\n");
	snprintf(path, sizeof(path), "%s/sys/iio:device0/subsystem", root);
	ck_assert_int_eq(symlink("..", path), 0);
}

static void rm_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static struct ifb_iiod_ctx *load(const char *const *only, int expect)
{
	static const struct ifb_iiod_ctx_attr attrs[] = {
		{ "local,kernel", "6.12.0" },
		{ "hw_model", "Board & <Co>" },
	};
	char sys[128], dbg[128];
	struct ifb_iiod_ctx *ctx = NULL;

	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dbg, sizeof(dbg), "%s/debug", root);
	ck_assert_int_eq(ifb_iiod_ctx_load(sys, dbg, only, attrs, 2, "Linux test", &ctx), expect);
	return ctx;
}

/* needle occurs in hay after *pos; moves *pos past it */
static void expect_after(const char *hay, const char **pos, const char *needle)
{
	const char *p = strstr(*pos, needle);

	ck_assert_msg(p != NULL, "'%s' missing (in order) in %s", needle, hay);
	*pos = p + strlen(needle);
}

START_TEST(xml_content_and_order)
{
	struct ifb_iiod_ctx *ctx;
	const char *xml, *pos;
	size_t len;

	make_tree();
	ctx = load(NULL, 0);
	xml = ifb_iiod_ctx_xml(ctx, &len);
	ck_assert_uint_eq(len, strlen(xml));
	pos = xml;
	expect_after(xml, &pos, "<?xml version=\"1.0\" encoding=\"utf-8\"?><!DOCTYPE context [");
	expect_after(xml, &pos, "<context name=\"local\" version-major=\"0\" version-minor=\"24\"");
	expect_after(xml, &pos, "description=\"Linux test\"");
	expect_after(xml, &pos, "<context-attribute name=\"local,kernel\" value=\"6.12.0\" />");
	expect_after(xml, &pos, "<context-attribute name=\"hw_model\" value=\"Board &amp; &lt;Co&gt;\" />");
	/* devices in numeric order, triggers last, non-devices ignored */
	expect_after(xml, &pos, "<device id=\"iio:device0\" name=\"iio-sim-adc\">");
	/* channels by scan index; shared and own attributes; scan files are not attributes */
	expect_after(xml, &pos, "<channel id=\"voltage0\" type=\"input\"><scan-element index=\"0\" format=\"le:u16/16&gt;&gt;0\" />"
				"<attribute name=\"raw\" filename=\"in_voltage0_raw\" />"
				"<attribute name=\"scale\" filename=\"in_voltage_scale\" /></channel>");
	expect_after(xml, &pos, "<channel id=\"voltage1\" type=\"input\"><scan-element index=\"1\" format=\"le:u16/16&gt;&gt;0\" />"
				"<attribute name=\"scale\" filename=\"in_voltage_scale\" /></channel>");
	expect_after(xml, &pos, "<channel id=\"timestamp\" type=\"input\"><scan-element index=\"2\" format=\"le:s64/64&gt;&gt;0\" /></channel>");
	/* device attributes: no dev, uevent, name, directories or links */
	expect_after(xml, &pos, "<attribute name=\"sampling_frequency\" /><attribute name=\"sim_paced\" />"
				"<debug-attribute name=\"direct_reg_access\" />"
				"<buffer-attribute name=\"data_available\" /></device>");
	expect_after(xml, &pos, "<device id=\"iio:device2\" name=\"adc-one\"></device>");
	expect_after(xml, &pos, "<device id=\"iio:device10\" name=\"adc-two\" label=\"board &lt;a&amp;b&gt; &quot;x&quot;\">");
	expect_after(xml, &pos, "<channel id=\"voltage0-voltage1\" type=\"input\"><attribute name=\"raw\" filename=\"in_voltage0-voltage1_raw\" /></channel>");
	expect_after(xml, &pos, "<channel id=\"altvoltage0\" type=\"output\"><attribute name=\"frequency\" filename=\"out_altvoltage0_frequency\" /></channel></device>");
	expect_after(xml, &pos, "<device id=\"trigger0\" name=\"sysfstrig0\"></device></context>");
	ck_assert_str_eq(pos, "");
	ck_assert_ptr_null(strstr(xml, "name=\"dev\""));
	ck_assert_ptr_null(strstr(xml, "uevent"));
	ck_assert_ptr_null(strstr(xml, "power"));
	ck_assert_ptr_null(strstr(xml, "subsystem"));
	ck_assert_ptr_null(strstr(xml, "in_voltage0_en"));
	ck_assert_ptr_null(strstr(xml, "buffer-attribute name=\"enable\""));
	ck_assert_ptr_null(strstr(xml, "not-a-device"));

	ck_assert_uint_eq(ifb_iiod_ctx_ndevices(ctx), 4);
	ck_assert_int_eq(ifb_iiod_ctx_find_device(ctx, "iio:device0"), 0);
	ck_assert_int_eq(ifb_iiod_ctx_find_device(ctx, "iio-sim-adc"), 0);
	ck_assert_int_eq(ifb_iiod_ctx_find_device(ctx, "board <a&b> \"x\""), 2);
	ck_assert_int_eq(ifb_iiod_ctx_find_device(ctx, "iio:device1"), -ENODEV);
	ck_assert(ifb_iiod_dev_is_trigger(ctx, 3));
	ck_assert(!ifb_iiod_dev_is_trigger(ctx, 0));
	ck_assert_uint_eq(ifb_iiod_dev_nchannels(ctx, 0), 3);
	ck_assert_str_eq(ifb_iiod_dev_name(ctx, 0), "iio-sim-adc");
	ifb_iiod_ctx_free(ctx);
	rm_tree();
}
END_TEST

START_TEST(only_listed_devices)
{
	static const char *const one[] = { "iio-sim-adc", NULL };
	static const char *const two[] = { "iio:device10", "sysfstrig0", NULL };
	static const char *const missing[] = { "iio-sim-adc", "no-such-adc", NULL };
	struct ifb_iiod_ctx *ctx;
	const char *xml;

	make_tree();
	ctx = load(one, 0);
	ck_assert_uint_eq(ifb_iiod_ctx_ndevices(ctx), 1);
	xml = ifb_iiod_ctx_xml(ctx, NULL);
	ck_assert_ptr_nonnull(strstr(xml, "iio:device0"));
	ck_assert_ptr_null(strstr(xml, "iio:device10"));
	ck_assert_ptr_null(strstr(xml, "trigger0"));
	ifb_iiod_ctx_free(ctx);
	ctx = load(two, 0);
	ck_assert_uint_eq(ifb_iiod_ctx_ndevices(ctx), 2);
	ck_assert_str_eq(ifb_iiod_dev_id(ctx, 0), "iio:device10");
	ck_assert_str_eq(ifb_iiod_dev_id(ctx, 1), "trigger0");
	ifb_iiod_ctx_free(ctx);
	load(missing, -ENOENT);
	rm_tree();
}
END_TEST

/*
 * An OPEN of a DAC streams its output buffer: the mask of its out_ scan
 * elements has a layout, and says it is an output; a mask that selects
 * channels of both directions is no buffer's.
 */
START_TEST(scan_layout_of_output_channels)
{
	struct ifb_iiod_ctx *ctx;
	unsigned int idx[4];
	uint32_t m = 1;
	size_t n;
	int dac;

	make_tree();
	mk("sys/iio:device3/name", "dac\n");
	mk("sys/iio:device3/dev", "250:3\n");
	mk("sys/iio:device3/scan_elements/out_voltage0_en", "0\n");
	mk("sys/iio:device3/scan_elements/out_voltage0_index", "0\n");
	mk("sys/iio:device3/scan_elements/out_voltage0_type", "le:s16/16>>0\n");
	mk("sys/iio:device3/scan_elements/in_voltage1_en", "0\n");
	mk("sys/iio:device3/scan_elements/in_voltage1_index", "1\n");
	mk("sys/iio:device3/scan_elements/in_voltage1_type", "le:s16/16>>0\n");
	mk("sys/iio:device3/buffer/enable", "0\n");
	ctx = load(NULL, 0);
	dac = ifb_iiod_ctx_find_device(ctx, "dac");
	ck_assert_int_ge(dac, 0);
	ck_assert_uint_eq(ifb_iiod_dev_nchannels(ctx, dac), 2);
	for (m = 1; m <= 2; m++) {
		int out = ifb_iiod_mask_output(ctx, dac, &m, 1);

		ck_assert_int_ge(out, 0);
		ck_assert_int_eq(ifb_iiod_scan_layout(ctx, dac, &m, 1, idx, 4, &n), 2);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(idx[0], out ? 0 : 1);
	}
	m = 3;
	ck_assert_int_eq(ifb_iiod_mask_output(ctx, dac, &m, 1), -EINVAL);
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, dac, &m, 1, idx, 4, &n), -EINVAL);
	m = 0;
	ck_assert_int_eq(ifb_iiod_mask_output(ctx, dac, &m, 1), -EINVAL);
	ifb_iiod_ctx_free(ctx);
	rm_tree();
}
END_TEST

START_TEST(scan_layouts)
{
	struct ifb_iiod_ctx *ctx;
	unsigned int idx[4];
	uint32_t m;
	size_t n;

	make_tree();
	ctx = load(NULL, 0);
	m = 3;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 4, &n), 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(idx[0], 0);
	ck_assert_uint_eq(idx[1], 1);
	m = 2;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 4, &n), 2);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(idx[0], 1);
	/* u16 + s64: the timestamp aligned to 8, the scan to 8 (16 bytes) */
	m = 5;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 4, &n), 16);
	m = 7;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, NULL, 0, NULL), 16);
	m = 0;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 4, &n), -EINVAL);
	m = 8; /* past the last channel */
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 4, &n), -EINVAL);
	m = 3;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 0, &m, 1, idx, 1, &n), -EINVAL);
	/* iio:device10's channels have no scan element */
	m = 1;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, 2, &m, 1, idx, 4, &n), -EINVAL);
	ifb_iiod_ctx_free(ctx);
	rm_tree();
}
END_TEST

/*
 * One model of a device: the IIOD context (what a libiio OPEN is checked
 * against) and the data path (iio.c, what the kernel streams) must give
 * every channel mask the same scan size. Channels: u8, s16 repeated
 * twice (a repeat > 1 with a smaller element before it), a big-endian
 * sign-extended 12-bit sample, and a timestamp.
 */
START_TEST(one_model_of_a_device)
{
	static const char *const types[] = { "le:u8/8>>0", "le:s16/16X2>>0", "be:S12/16>>4",
					     "le:s64/64>>0" };
	static const char *const ids[] = { "voltage0", "voltage1", "voltage2", "timestamp" };
	struct ifb_iiod_ctx *ctx;
	struct ifb_iio io;
	char rel[128], sys[128];
	const char *xml;

	make_tree();
	mk("sys/iio:device3/name", "mixed\n");
	for (int i = 0; i < 4; i++) {
		char v[32];

		snprintf(rel, sizeof(rel), "sys/iio:device3/scan_elements/in_%s_en", ids[i]);
		mk(rel, "0\n");
		snprintf(rel, sizeof(rel), "sys/iio:device3/scan_elements/in_%s_index", ids[i]);
		snprintf(v, sizeof(v), "%d\n", i);
		mk(rel, v);
		snprintf(rel, sizeof(rel), "sys/iio:device3/scan_elements/in_%s_type", ids[i]);
		snprintf(v, sizeof(v), "%s\n", types[i]);
		mk(rel, v);
	}
	mk("sys/iio:device3/buffer/enable", "0\n");
	ctx = load(NULL, 0);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	ck_assert_int_eq(ifb_iio_find(&io, "mixed", 0, sys), 0);
	ck_assert_uint_eq(io.num_channels, 4);
	int dev = ifb_iiod_ctx_find_device(ctx, "mixed");
	ck_assert_int_ge(dev, 0);
	ck_assert_uint_eq(ifb_iiod_dev_nchannels(ctx, dev), 4);
	for (uint32_t m = 1; m < 16; m++) {
		char names[4][IFB_CHANNEL_NAME_LEN];
		unsigned n = 0;

		for (int i = 0; i < 4; i++)
			if (m & (1u << i))
				snprintf(names[n++], sizeof(names[0]), "%s", ids[i]);
		if (m == 8) { /* the timestamp alone: no stream the kernel enables */
			ck_assert_int_eq(ifb_iio_select(&io, false,
							(const char(*)[IFB_CHANNEL_NAME_LEN])names, n, NULL),
					 -ENODATA);
			continue;
		}
		ck_assert_int_eq(ifb_iio_select(&io, false, (const char(*)[IFB_CHANNEL_NAME_LEN])names, n,
						NULL), 0);
		ck_assert_msg(ifb_iiod_scan_layout(ctx, dev, &m, 1, NULL, 0, NULL) == (int)io.scan_size,
			      "mask 0x%x: IIOD context says %d bytes, data path %u", m,
			      ifb_iiod_scan_layout(ctx, dev, &m, 1, NULL, 0, NULL), io.scan_size);
	}
	/* the example: u8 then s16X2 is 8 bytes, as the kernel lays it out */
	uint32_t m = 3;
	ck_assert_int_eq(ifb_iiod_scan_layout(ctx, dev, &m, 1, NULL, 0, NULL), 8);
	/* what the kernel says of a channel reaches the client whole */
	xml = ifb_iiod_ctx_xml(ctx, NULL);
	ck_assert_ptr_nonnull(strstr(xml, "format=\"le:s16/16X2&gt;&gt;0\""));
	ck_assert_ptr_nonnull(strstr(xml, "format=\"be:S12/16&gt;&gt;4\""));
	ck_assert_ptr_nonnull(strstr(xml, "format=\"le:u8/8&gt;&gt;0\""));
	ifb_iiod_ctx_free(ctx);
	rm_tree();
}
END_TEST

START_TEST(attribute_gate)
{
	struct ifb_iiod_ctx *ctx;
	char path[512], want[512];

	make_tree();
	ctx = load(NULL, 0);
#define PATH(dev, kind, chn, attr) ifb_iiod_attr_path(ctx, dev, kind, chn, attr, path, sizeof(path))
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "sampling_frequency"), 0);
	snprintf(want, sizeof(want), "%s/sys/iio:device0/sampling_frequency", root);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(PATH("iio-sim-adc", IFB_IIOD_ATTR_INPUT, "voltage1", "scale"), 0);
	snprintf(want, sizeof(want), "%s/sys/iio:device0/in_voltage_scale", root);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_BUFFER, NULL, "data_available"), 0);
	snprintf(want, sizeof(want), "%s/sys/iio:device0/buffer/data_available", root);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEBUG, NULL, "direct_reg_access"), 0);
	snprintf(want, sizeof(want), "%s/debug/iio:device0/direct_reg_access", root);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(PATH("iio:device10", IFB_IIOD_ATTR_OUTPUT, "altvoltage0", "frequency"), 0);

	/* nothing outside the listed attributes */
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "dev"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "uevent"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "power/control"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "../iio:device2/name"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, "in_voltage0_raw"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_DEVICE, NULL, NULL), -EINVAL);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_BUFFER, NULL, "enable"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_BUFFER, NULL, "length"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_INPUT, "voltage1", "raw"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_INPUT, "voltage0", "en"), -ENOENT);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_OUTPUT, "voltage0", "raw"), -ENXIO);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_INPUT, "voltage7", "raw"), -ENXIO);
	ck_assert_int_eq(PATH("iio:device0", IFB_IIOD_ATTR_INPUT, NULL, "raw"), -ENXIO);
	ck_assert_int_eq(PATH("iio:device9", IFB_IIOD_ATTR_DEVICE, NULL, "name"), -ENODEV);
	ck_assert_int_eq(PATH("..", IFB_IIOD_ATTR_DEVICE, NULL, "name"), -ENODEV);
	ck_assert_int_eq(ifb_iiod_attr_path(ctx, "iio:device0", IFB_IIOD_ATTR_DEVICE, NULL,
					    "sampling_frequency", path, 10), -ENAMETOOLONG);
#undef PATH
	ifb_iiod_ctx_free(ctx);
	rm_tree();
}
END_TEST

START_TEST(no_sysfs)
{
	struct ifb_iiod_ctx *ctx = NULL;

	ck_assert_int_eq(ifb_iiod_ctx_load("/nonexistent/iio", NULL, NULL, NULL, 0, NULL, &ctx), 0);
	ck_assert_uint_eq(ifb_iiod_ctx_ndevices(ctx), 0);
	ck_assert_ptr_nonnull(strstr(ifb_iiod_ctx_xml(ctx, NULL), "</context>"));
	ifb_iiod_ctx_free(ctx);
}
END_TEST

static Suite *iiod_xml_suite(void)
{
	Suite *s = suite_create("iiod-xml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, xml_content_and_order);
	tcase_add_test(tc, only_listed_devices);
	tcase_add_test(tc, scan_layouts);
	tcase_add_test(tc, scan_layout_of_output_channels);
	tcase_add_test(tc, one_model_of_a_device);
	tcase_add_test(tc, attribute_gate);
	tcase_add_test(tc, no_sysfs);
	suite_add_tcase(s, tc);
	return s;
}
IFB_UNIT_SUITE(iiod_xml_suite)
