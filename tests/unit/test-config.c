// SPDX-License-Identifier: GPL-2.0-or-later
/* Config parsing and validation: defaults, every key, every error case. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "unit.h"

static char err[1024];

static int parse(struct ifb_config *cfg, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	ifb_config_defaults(cfg);
	r = ifb_config_load_stream(cfg, f, "test.conf", err, sizeof(err));
	fclose(f);
	return r;
}

/* The text must fail, with a message that starts with prefix and holds needle. */
static void expect_error(const char *text, const char *prefix, const char *needle)
{
	struct ifb_config cfg;

	ck_assert_int_lt(parse(&cfg, text), 0);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "message '%s' lacks '%s'", err,
		      prefix);
	ck_assert_msg(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
}

START_TEST(defaults_and_minimal)
{
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\n"), 0);
	ck_assert_str_eq(cfg.device, "adc");
	ck_assert(cfg.all_channels);
	ck_assert_uint_eq(cfg.block_size, 1u << 20);
	ck_assert_uint_eq(cfg.block_count, 4);
	ck_assert_int_eq(cfg.mode, IFB_CFG_MODE_AUTO);
	ck_assert_int_eq(cfg.allocator, IFB_CFG_ALLOC_AUTO);
	ck_assert_int_eq(cfg.start, IFB_CFG_START_HOST);
	ck_assert_str_eq(cfg.functionfs, "/dev/ffs-iio");
	ck_assert_uint_eq(cfg.line[IFB_KEY_IIO_DEVICE], 2);
	ck_assert_uint_eq(cfg.line[IFB_KEY_STREAM_BLOCK_SIZE], 0);
}
END_TEST

START_TEST(every_key)
{
	static const char text[] =
		"; comment\n"
		"[iio]\n"
		"device = iio:device3\n"
		"buffer = 1\n"
		"channels = voltage0, voltage2\n"
		"sampling_frequency = 30720000\n"
		"[stream]\n"
		"block_size = 256K\n"
		"block_count = 16\n"
		"mode = zero-copy\n"
		"allocator = dma-heap:reserved\n"
		"start = immediate\n"
		"[usb]\n"
		"functionfs = /run/ffs\n"
		"vendor_id = 0x0456\n"
		"product_id = 46707\n"
		"manufacturer = ACME\n"
		"product = Radio\n"
		"serial = 0001\n"
		"interface = Samples\n"
		"ms_os_descriptors = no\n"
		"interface_guid = {01234567-89ab-cdef-0123-456789abcdef}\n"
		"[daemon]\n"
		"log_level = debug\n";
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, text), 0);
	ck_assert_str_eq(cfg.device, "iio:device3");
	ck_assert_uint_eq(cfg.buffer, 1);
	ck_assert(!cfg.all_channels);
	ck_assert_uint_eq(cfg.num_channels, 2);
	ck_assert_str_eq(cfg.channels[1], "voltage2");
	ck_assert_str_eq(cfg.sampling_frequency, "30720000");
	ck_assert_uint_eq(cfg.block_size, 256 * 1024);
	ck_assert_uint_eq(cfg.block_count, 16);
	ck_assert_int_eq(cfg.mode, IFB_CFG_MODE_ZERO_COPY);
	ck_assert_int_eq(cfg.allocator, IFB_CFG_ALLOC_DMA_HEAP);
	ck_assert_str_eq(cfg.heap, "reserved");
	ck_assert_int_eq(cfg.start, IFB_CFG_START_IMMEDIATE);
	ck_assert_str_eq(cfg.functionfs, "/run/ffs");
	ck_assert_uint_eq(cfg.vendor_id, 0x0456);
	ck_assert_uint_eq(cfg.product_id, 46707);
	ck_assert_str_eq(cfg.serial, "0001");
	ck_assert_str_eq(cfg.interface, "Samples");
	ck_assert(!cfg.ms_os_descriptors);
	ck_assert_str_eq(cfg.interface_guid, "{01234567-89ab-cdef-0123-456789abcdef}");
	ck_assert_int_eq(cfg.log_level, 7);
	ck_assert_uint_eq(cfg.line[IFB_KEY_STREAM_BLOCK_SIZE], 8);
}
END_TEST

START_TEST(dump_round_trips)
{
	struct ifb_config a, b;
	char buf[4096];
	FILE *f;

	ck_assert_int_eq(parse(&a, "[iio]\ndevice=x\nchannels=a,b\n[stream]\nblock_size=64K\n"
				  "allocator=dma-heap\nmode=copy\n"), 0);
	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&a, f);
	fclose(f);
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert_str_eq(b.device, "x");
	ck_assert_uint_eq(b.num_channels, 2);
	ck_assert_uint_eq(b.block_size, 65536);
	ck_assert_int_eq(b.mode, IFB_CFG_MODE_COPY);
	ck_assert_int_eq(b.allocator, IFB_CFG_ALLOC_DMA_HEAP);
	ck_assert_str_eq(b.heap, "system");
}
END_TEST

START_TEST(errors)
{
	expect_error("[iio]\ndevice=a\n[bogus]\nx=1\n", "test.conf:3: ", "unknown section [bogus]");
	expect_error("[iio]\ndevice=a\n[streams]\n", "test.conf:3: ", "unknown section [streams]");
	expect_error("[iio]\ndevice=a\n  [ usbs ]  \n[usb]\n", "test.conf:3: ", "unknown section [usbs]");
	expect_error("[iio]\ndevice=a\ncolour=red\n", "test.conf:3: ", "unknown key 'colour'");
	expect_error("[iio]\ndevice=a\ndevice=b\n", "test.conf:3: ", "set twice (first on line 2)");
	expect_error("[iio]\ndevice=a\nbuffer=x\n", "test.conf:3: [iio] buffer: expected", "got 'x'");
	expect_error("[iio]\ndevice=a\nbuffer=256\n", "test.conf:3: ", "0 to 255");
	expect_error("[iio]\ndevice=a\nchannels=,\n", "test.conf:3: [iio] channels", "expected");
	expect_error("[iio]\ndevice=a\nchannels=a,a\n", "test.conf:3: ", "each channel once");
	expect_error("[iio]\ndevice=a\nchannels=abcdefghijklmnopqrstuvwxyz\n", "test.conf:3: ",
		     "shorter than 24");
	expect_error("[iio]\ndevice=a\nsampling_frequency=-5\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency=fast\n", "test.conf:3: ", "got 'fast'");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=1000\n", "test.conf:4: [stream] block_size",
		     "multiple of 4096");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=128M\n", "test.conf:4: ", "4K to 64M");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=1Q\n", "test.conf:4: ", "got '1Q'");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count=1\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count=65\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nmode=fast\n", "test.conf:4: ", "auto, zero-copy, copy");
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=ion\n", "test.conf:4: ", "udmabuf");
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=dma-heap:../x\n", "test.conf:4: ",
		     "dma-heap:NAME");
	expect_error("[iio]\ndevice=a\n[stream]\nstart=later\n", "test.conf:4: ", "immediate");
	expect_error("[iio]\ndevice=a\n[usb]\nfunctionfs=relative\n", "test.conf:4: ", "absolute path");
	expect_error("[iio]\ndevice=a\n[usb]\nvendor_id=0x10000\n", "test.conf:4: ", "16-bit");
	expect_error("[iio]\ndevice=a\n[usb]\nproduct=caf\xc3\xa9\n", "test.conf:4: ", "printable ASCII");
	expect_error("[iio]\ndevice=a\n[usb]\nms_os_descriptors=maybe\n", "test.conf:4: ", "yes or no");
	expect_error("[iio]\ndevice=a\n[usb]\ninterface_guid=1234\n", "test.conf:4: ", "GUID in braces");
	expect_error("[iio]\ndevice=a\n[daemon]\nlog_level=loud\n", "test.conf:4: ", "debug");
	expect_error("[iio]\ndevice=a\njunk line\n", "test.conf:3: syntax error", "key = value");
	expect_error("[iio]\nbuffer=0\n", "test.conf: [iio] device: missing", "name, label");
}
END_TEST

START_TEST(missing_file)
{
	struct ifb_config cfg;

	ifb_config_defaults(&cfg);
	ck_assert_int_eq(ifb_config_load(&cfg, "/nonexistent/x.conf", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/x.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(where)
{
	struct ifb_config cfg;
	char buf[256];

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\n\n[stream]\nblock_size = 8K\n"), 0);
	ifb_config_where(&cfg, IFB_KEY_STREAM_BLOCK_SIZE, buf, sizeof(buf));
	ck_assert_str_eq(buf, "test.conf:5: [stream] block_size");
	ifb_config_where(&cfg, IFB_KEY_IIO_CHANNELS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "test.conf: [iio] channels (default)");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, defaults_and_minimal);
	tcase_add_test(t, every_key);
	tcase_add_test(t, dump_round_trips);
	tcase_add_test(t, errors);
	tcase_add_test(t, missing_file);
	tcase_add_test(t, where);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(config_suite)
