// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-play's pure parts: the counter pattern against the simulated
 * converters' contract (tests/vm/modules/iio-sim-adc.c: scan n holds
 * (n >> 16K) & 0xffff in the channel of scan index K), checked byte for
 * byte and by iio-ffs-capture's own verifier of that contract, and the
 * command line.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/verify.h"
#include "play/play.h"
#include "unit.h"

/* Channels voltageK for the bits of which, 16 bits each, in scan order. */
static void layout(struct ifbh_info *info, unsigned int which, bool be)
{
	unsigned int off = 0;

	memset(info, 0, sizeof(*info));
	for (unsigned int k = 0; k < 4; k++) {
		struct ifbh_channel *c;

		if (!(which & (1u << k)))
			continue;
		c = &info->ch[info->num_channels++];
		snprintf(c->name, sizeof(c->name), "voltage%u", k);
		c->scan_index = k;
		c->offset = off;
		c->is_be = be;
		c->bits = 16;
		c->storage_bits = 16;
		c->repeat = 1;
		off += 2;
	}
	info->scan_size = off;
	info->block_size = off * 64;
}

START_TEST(counter_is_consecutive_u32)
{
	struct ifbh_info info;
	const size_t n = 70000;
	uint8_t *buf = malloc(n * 4);
	char err[256];

	layout(&info, 0x3, false);
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), 0);
	play_counter_fill(&info, buf, n, 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t v;

		memcpy(&v, buf + 4 * i, 4);
		ck_assert_uint_eq(le32toh(v), i);
	}
	/* from any scan: across the low half's wrap */
	play_counter_fill(&info, buf, 10, 65530);
	for (size_t i = 0; i < 10; i++) {
		uint32_t v;

		memcpy(&v, buf + 4 * i, 4);
		ck_assert_uint_eq(le32toh(v), 65530 + i);
	}
	free(buf);
}
END_TEST

/* What the pattern makes, iio-ffs-capture's verifier of the ADC's pattern takes. */
START_TEST(counter_passes_the_capture_verifier)
{
	static const struct {
		unsigned int which;
		bool be;
	} layouts[] = { { 0x3, false }, { 0x1, false }, { 0x2, false }, { 0x3, true } };
	const size_t scans = 200000;

	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		struct ifbh_info info;
		struct cap_verify v;
		struct cap_gaps none = { 0 };
		uint8_t *buf;
		size_t len;
		char err[256];

		layout(&info, layouts[l].which, layouts[l].be);
		len = scans * info.scan_size;
		buf = malloc(len);
		ck_assert_ptr_nonnull(buf);
		ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), 0);
		/* in two pieces, as the player fills transfer after transfer */
		play_counter_fill(&info, buf, 1000, 0);
		play_counter_fill(&info, buf + 1000 * info.scan_size, scans - 1000, 1000);
		ck_assert_int_eq(cap_verify_init(&v, &info, err, sizeof(err)), 0);
		cap_verify_feed(&v, buf, len);
		cap_verify_settle(&v, &none, len);
		ck_assert_msg(!v.failed, "layout %zu: the verifier refused the pattern", l);
		ck_assert_uint_eq(cap_verify_checked(&v), len);
		cap_verify_free(&v);
		free(buf);
	}
}
END_TEST

/* Four channels (the ADC's channels=4), and big-endian storage: by hand. */
START_TEST(counter_four_channels)
{
	struct ifbh_info info;
	uint8_t buf[2 * 8];
	char err[256];

	layout(&info, 0xf, false);
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), 0);
	play_counter_fill(&info, buf, 2, 0x0004000300020001ull);
	for (unsigned int k = 0; k < 4; k++) {
		ck_assert_uint_eq(buf[2 * k] | buf[2 * k + 1] << 8, k + 1);
		ck_assert_uint_eq(buf[8 + 2 * k] | buf[8 + 2 * k + 1] << 8, k == 0 ? 2 : k + 1);
	}
	layout(&info, 0x5, true); /* voltage0 and voltage2, big-endian */
	play_counter_fill(&info, buf, 1, 0x0000abcd00001234ull);
	ck_assert_uint_eq(buf[0], 0x12);
	ck_assert_uint_eq(buf[1], 0x34);
	ck_assert_uint_eq(buf[2], 0xab);
	ck_assert_uint_eq(buf[3], 0xcd);
}
END_TEST

START_TEST(counter_refuses_other_layouts)
{
	struct ifbh_info info;
	char err[256];

	layout(&info, 0x3, false);
	info.ch[1].bits = 12;
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "voltage1"));
	layout(&info, 0x3, false);
	info.ch[0].storage_bits = 32;
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), -EINVAL);
	layout(&info, 0x3, false);
	info.ch[0].repeat = 2;
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), -EINVAL);
	layout(&info, 0x3, false);
	info.ch[1].scan_index = 4;
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), -EINVAL);
	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(play_counter_check(&info, err, sizeof(err)), -EINVAL);
}
END_TEST

/* --- the command line ---------------------------------------------------------- */

static enum play_args parse(struct play_opts *o, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	FILE *devnull = fopen("/dev/null", "we");
	enum play_args ret;

	argv[argc++] = (char *)"iio-ffs-play";
	va_start(ap, errlen);
	for (const char *a; (a = va_arg(ap, const char *));)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	ret = play_parse_args(argc, argv, o, devnull, err, errlen);
	fclose(devnull);
	/* a usage error always says why */
	ck_assert(ret != PLAY_ARGS_USAGE || err[0]);
	return ret;
}

START_TEST(args_good)
{
	struct play_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--pattern", "counter", "--bytes", "64M",
			       "--stream", "tx", "--json", "--quiet", NULL),
			 PLAY_ARGS_RUN);
	ck_assert_int_eq(o.src, PLAY_SRC_PATTERN);
	ck_assert_uint_eq(o.bytes, 64ull << 20);
	ck_assert_str_eq(o.stream, "tx");
	ck_assert(o.json && o.quiet && !o.live && !o.strict);
	ck_assert_uint_eq(o.repeat, 1);

	ck_assert_int_eq(parse(&o, err, sizeof(err), "data.raw", "-r", "3", "--transfers", "4",
			       "--transfer-size", "2M", "-d", "1d6b:0104", "-s", "42", "-p",
			       "1-2.3", "--live", "--strict", NULL),
			 PLAY_ARGS_RUN);
	ck_assert_int_eq(o.src, PLAY_SRC_FILE);
	ck_assert_str_eq(o.file, "data.raw");
	ck_assert_uint_eq(o.repeat, 3);
	ck_assert_uint_eq(o.transfers, 4);
	ck_assert_uint_eq(o.transfer_size, 2u << 20);
	ck_assert(o.sel.have_vidpid);
	ck_assert_uint_eq(o.sel.vid, 0x1d6b);
	ck_assert_uint_eq(o.sel.pid, 0x0104);
	ck_assert_str_eq(o.sel.serial, "42");
	ck_assert_str_eq(o.sel.path, "1-2.3");
	ck_assert(o.live && o.strict);

	/* standard input; --repeat 0 on a file: until interrupted */
	ck_assert_int_eq(parse(&o, err, sizeof(err), "-", NULL), PLAY_ARGS_RUN);
	ck_assert_str_eq(o.file, "-");
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--repeat", "0", "f", NULL), PLAY_ARGS_RUN);
	ck_assert_uint_eq(o.repeat, 0);
	/* --list needs nothing to play */
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--list", NULL), PLAY_ARGS_RUN);
	ck_assert(o.list_only);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--help", NULL), PLAY_ARGS_DONE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "-V", NULL), PLAY_ARGS_DONE);
}
END_TEST

START_TEST(args_bad)
{
	struct play_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), NULL), PLAY_ARGS_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "nothing to play"));
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--pattern", "sine", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--pattern", "counter", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "a", "b", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--bytes", "0", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--bytes", "lots", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "f", "--bytes", NULL), PLAY_ARGS_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--repeat", "2", "-", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--pattern", "counter", "-r", "2", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--transfers", "0", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--transfers", "1025", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--transfer-size", "257M", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "-d", "xyz", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--stream", "a", "--stream", "b", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--bogus", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown option"));
	/* --cyclic: no --repeat, no standard input; --duration only with it */
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--cyclic", "-r", "2", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--cyclic", "-", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--duration", "2", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--cyclic", "--duration", "0", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--cyclic", "--duration", "x", "f", NULL),
			 PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--cyclic", "--duration", "2.5", "--pattern",
			       "counter", "-b", "16K", NULL),
			 PLAY_ARGS_RUN);
	ck_assert(o.cyclic);
	ck_assert(o.duration == 2.5);
	/* --at: +seconds from the board's clock, or its ns; not cyclic */
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "+0.5", "f", NULL), PLAY_ARGS_RUN);
	ck_assert(o.at_rel == 0.5 && o.at_ns == 0);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "123456789", "f", NULL), PLAY_ARGS_RUN);
	ck_assert(o.at_rel == 0 && o.at_ns == 123456789);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "+0", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "+4000", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "-5", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "0", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "12x", "f", NULL), PLAY_ARGS_USAGE);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--at", "+1", "--cyclic", "f", NULL),
			 PLAY_ARGS_USAGE);
}
END_TEST

/* A SigMF recording as input: the paths, the metadata, the datatype. */
START_TEST(sigmf_input)
{
	char data[256], meta[256], dt[64], err[512], path[] = "/tmp/ifb-play-XXXXXX";
	struct ifbh_info info;
	double rate;
	FILE *f;
	int fd;

	ck_assert(play_sigmf_paths("rec.sigmf-data", data, sizeof(data), meta, sizeof(meta)));
	ck_assert_str_eq(data, "rec.sigmf-data");
	ck_assert_str_eq(meta, "rec.sigmf-meta");
	ck_assert(play_sigmf_paths("a/rec.sigmf-meta", data, sizeof(data), meta, sizeof(meta)));
	ck_assert_str_eq(data, "a/rec.sigmf-data");
	ck_assert(play_sigmf_paths("rec.sigmf", data, sizeof(data), meta, sizeof(meta)));
	ck_assert_str_eq(meta, "rec.sigmf-meta");
	ck_assert(!play_sigmf_paths("rec.raw", data, sizeof(data), meta, sizeof(meta)));
	ck_assert(!play_sigmf_paths("-", data, sizeof(data), meta, sizeof(meta)));

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"global\": {\"core:datatype\": \"ru16_le\", \"core:sample_rate\": 2000000,"
	      " \"core:version\": \"1.0.0\"}, \"captures\": [], \"annotations\": []}\n", f);
	fclose(f);
	ck_assert_int_eq(play_sigmf_read_meta(path, dt, sizeof(dt), &rate, err, sizeof(err)), 0);
	ck_assert_str_eq(dt, "ru16_le");
	ck_assert(rate == 2000000.0);
	/* the simulated converters' two u16 channels: real, or one I/Q pair */
	layout(&info, 0x3, false);
	ck_assert_int_eq(play_sigmf_check(&info, "ru16_le", err, sizeof(err)), 0);
	ck_assert_int_eq(play_sigmf_check(&info, "cu16_le", err, sizeof(err)), 0);
	ck_assert_int_eq(play_sigmf_check(&info, "ri16_le", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "ri16_le"));
	ck_assert_ptr_nonnull(strstr(err, "ru16_le"));
	layout(&info, 0x3, true);
	ck_assert_int_eq(play_sigmf_check(&info, "ru16_le", err, sizeof(err)), -EINVAL);

	/* what is not SigMF metadata is refused with where and why */
	f = fopen(path, "w");
	fputs("{\"global\": {\"core:sample_rate\": 1}}", f);
	fclose(f);
	ck_assert_int_eq(play_sigmf_read_meta(path, dt, sizeof(dt), &rate, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "core:datatype"));
	f = fopen(path, "w");
	fputs("{\"global\": {\"core:datatype\": \"ru16_le\",\n \"core:sample_rate\": -5}}", f);
	fclose(f);
	ck_assert_int_eq(play_sigmf_read_meta(path, dt, sizeof(dt), &rate, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "core:sample_rate"));
	f = fopen(path, "w");
	fputs("{\"global\": {\"core:datatype\": \"ru16_le\",,}}", f);
	fclose(f);
	ck_assert_int_eq(play_sigmf_read_meta(path, dt, sizeof(dt), &rate, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, path));
	unlink(path);
	ck_assert_int_eq(play_sigmf_read_meta(path, dt, sizeof(dt), &rate, err, sizeof(err)), -EINVAL);
}
END_TEST

static Suite *play_suite(void)
{
	Suite *s = suite_create("play");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, counter_is_consecutive_u32);
	tcase_add_test(tc, counter_passes_the_capture_verifier);
	tcase_add_test(tc, counter_four_channels);
	tcase_add_test(tc, counter_refuses_other_layouts);
	tcase_add_test(tc, args_good);
	tcase_add_test(tc, args_bad);
	tcase_add_test(tc, sigmf_input);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(play_suite)
