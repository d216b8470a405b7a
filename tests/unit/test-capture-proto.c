// SPDX-License-Identifier: GPL-2.0-or-later
/* GET_INFO / GET_STATS parsing against good, truncated and hostile replies. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"
#include "host/proto.h"
#include "capture/util.h"
#include "unit.h"

/* The parsers, each input also saved as a fuzzer seed (IFB_UNIT_SEEDS). */
static int seed_parse_info(const void *buf, size_t len, struct ifbh_info *out, char *err,
			   size_t errlen)
{
	ifb_unit_save_seed("capture-proto", buf, len);
	return ifbh_parse_info(buf, len, out, err, errlen);
}

static int seed_parse_stats(const void *buf, size_t len, struct ifbh_stats *out, char *err,
			    size_t errlen)
{
	ifb_unit_save_seed("capture-proto", buf, len);
	return ifbh_parse_stats(buf, len, out, err, errlen);
}

struct reply {
	struct ifb_info h;
	struct ifb_channel_info c[IFB_MAX_CHANNELS];
} __attribute__((packed));

static size_t good_info(struct reply *r, unsigned int nch)
{
	memset(r, 0, sizeof(*r));
	r->h.magic = htole32(IFB_INFO_MAGIC);
	r->h.version = htole16(IFB_PROTOCOL_VERSION);
	r->h.length = htole16((uint16_t)(sizeof(r->h) + nch * sizeof(r->c[0])));
	r->h.mode = IFB_MODE_ZERO_COPY;
	r->h.state = IFB_STATE_IDLE;
	r->h.num_channels = htole16((uint16_t)nch);
	r->h.block_size = htole32(2 * nch * 4096);
	r->h.block_count = htole32(8);
	r->h.scan_size = htole32(2 * nch);
	r->h.sample_rate_mhz = htole64(2500000000ull);
	strcpy(r->h.device_name, "sim-adc");
	for (unsigned int i = 0; i < nch; i++) {
		snprintf(r->c[i].name, sizeof(r->c[i].name), "voltage%u", i);
		r->c[i].scan_index = htole16((uint16_t)i);
		r->c[i].offset = htole16((uint16_t)(2 * i));
		r->c[i].bits = 16;
		r->c[i].storage_bits = 16;
		r->c[i].repeat = 1;
	}
	return sizeof(r->h) + nch * sizeof(r->c[0]);
}

static int parse(const struct reply *r, size_t len, struct ifbh_info *info)
{
	char err[256];

	return seed_parse_info(r, len, info, err, sizeof(err));
}

START_TEST(info_good)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	ck_assert_int_eq(parse(&r, len, &info), 0);
	ck_assert_uint_eq(info.num_channels, 2);
	ck_assert_uint_eq(info.scan_size, 4);
	ck_assert_uint_eq(info.block_size, 16384);
	ck_assert_uint_eq(info.sample_rate_mhz, 2500000000ull);
	ck_assert_str_eq(info.device_name, "sim-adc");
	ck_assert_str_eq(info.ch[1].name, "voltage1");
	ck_assert_uint_eq(info.ch[1].offset, 2);
	ck_assert_uint_eq(info.ch[1].storage_bits, 16);
	ck_assert_uint_eq(info.mode, IFB_MODE_ZERO_COPY);
	/* trailing bytes after the reply are ignored */
	ck_assert_int_eq(parse(&r, len + 7, &info), 0);
}
END_TEST

START_TEST(info_max_channels)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, IFB_MAX_CHANNELS);

	ck_assert_int_eq(parse(&r, len, &info), 0);
	ck_assert_uint_eq(info.num_channels, IFB_MAX_CHANNELS);
}
END_TEST

START_TEST(info_truncated_everywhere)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 3);

	for (size_t l = 0; l < len; l++)
		ck_assert_msg(parse(&r, l, &info) == -EBADMSG, "accepted %zu of %zu bytes", l,
			      len);
}
END_TEST

START_TEST(info_bad_magic)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	r.h.magic = htole32(IFB_STATS_MAGIC);
	ck_assert_int_eq(parse(&r, len, &info), -EPROTO);
}
END_TEST

START_TEST(info_future_version)
{
	struct reply r;
	struct ifbh_info info;
	char err[256], want[32];
	size_t len = good_info(&r, 2);

	r.h.version = htole16(IFB_PROTOCOL_VERSION + 1);
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EPROTONOSUPPORT);
	ck_assert_uint_eq(info.version, IFB_PROTOCOL_VERSION + 1);
	/* the message names both versions */
	snprintf(want, sizeof(want), "version %d", IFB_PROTOCOL_VERSION + 1);
	ck_assert_ptr_nonnull(strstr(err, want));
	snprintf(want, sizeof(want), "version 1 to %d", IFB_PROTOCOL_VERSION);
	ck_assert_ptr_nonnull(strstr(err, want));
}
END_TEST

START_TEST(info_too_many_channels)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	r.h.num_channels = htole16(IFB_MAX_CHANNELS + 1);
	r.h.length = htole16((uint16_t)(sizeof(r.h) + (IFB_MAX_CHANNELS + 1) * sizeof(r.c[0])));
	ck_assert_int_eq(parse(&r, sizeof(r), &info), -EBADMSG);
	good_info(&r, 2);
	r.h.num_channels = 0;
	r.h.length = htole16(sizeof(r.h));
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	/* more channels than the reply holds */
	good_info(&r, 2);
	r.h.num_channels = htole16(3);
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
}
END_TEST

START_TEST(info_unterminated_names)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	memset(r.h.device_name, 'A', sizeof(r.h.device_name));
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	memset(r.c[1].name, 'v', sizeof(r.c[1].name));
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
}
END_TEST

START_TEST(info_channel_outside_scan)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	r.c[1].offset = htole16(3); /* 3..4 of a 4-byte scan */
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[1].offset = htole16(0xffff);
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[1].repeat = 2;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[1].offset = htole16(1); /* overlaps channel 0 */
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
}
END_TEST

START_TEST(info_bad_storage)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	r.c[0].storage_bits = 12;
	r.c[0].bits = 12;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[0].bits = 17;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[0].bits = 12;
	r.c[0].shift = 5;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[0].bits = 0;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.c[0].bits = 12;
	r.c[0].shift = 4;
	ck_assert_int_eq(parse(&r, len, &info), 0);
}
END_TEST

START_TEST(info_bad_block_size)
{
	struct reply r;
	struct ifbh_info info;
	size_t len = good_info(&r, 2);

	r.h.block_size = htole32(4098);
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.h.block_size = 0;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.h.scan_size = 0;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.h.mode = 9;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.h.mode = 0;
	ck_assert_int_eq(parse(&r, len, &info), -EBADMSG);
	good_info(&r, 2);
	r.h.mode = IFB_MODE_HYBRID;
	ck_assert_int_eq(parse(&r, len, &info), 0);
	ck_assert_str_eq(ifbh_mode_name(info.mode), "hybrid");
}
END_TEST

static void good_stats(struct ifb_stats *s, unsigned int ngaps)
{
	memset(s, 0, sizeof(*s));
	s->magic = htole32(IFB_STATS_MAGIC);
	s->version = htole16(IFB_PROTOCOL_VERSION);
	s->length = htole16(sizeof(*s));
	s->mode = IFB_MODE_COPY;
	s->state = IFB_STATE_STREAMING;
	s->num_gaps = htole16((uint16_t)ngaps);
	s->stream_id = htole32(3);
	s->bytes_sent = htole64(1ull << 40);
	s->gaps_total = htole64(ngaps + 5);
	for (unsigned int i = 0; i < ngaps; i++)
		s->gap_offset[i] = htole64(65536ull * (i + 1));
}

START_TEST(info_iq_hint)
{
	struct reply r;
	struct ifbh_info info;
	char err[256];
	size_t len = good_info(&r, 3);

	r.c[1].iq = IFB_IQ_I;
	r.c[1].iq_partner = 2;
	r.c[2].iq = IFB_IQ_Q;
	r.c[2].iq_partner = 1;
	ck_assert_int_eq(parse(&r, len, &info), 0);
	ck_assert_uint_eq(info.ch[0].iq, IFBH_IQ_ROLE_NONE);
	ck_assert_uint_eq(info.ch[1].iq, IFBH_IQ_ROLE_I);
	ck_assert_uint_eq(info.ch[1].iq_partner, 2);
	ck_assert_uint_eq(info.ch[2].iq, IFBH_IQ_ROLE_Q);
	ck_assert_uint_eq(info.ch[2].iq_partner, 1);

	/* version 2: reserved bytes, whatever they hold */
	r.h.version = htole16(2);
	ck_assert_int_eq(parse(&r, len, &info), 0);
	ck_assert_uint_eq(info.ch[1].iq, 0);
	ck_assert_uint_eq(info.ch[2].iq_partner, 0);
	r.h.version = htole16(3);

	/* hostile hints */
	r.c[2].iq = 3;
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "channel 2: I/Q hint 3"));
	r.c[2].iq = IFB_IQ_Q;
	r.c[2].iq_partner = 3; /* outside the list */
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EBADMSG);
	r.c[2].iq_partner = 2; /* itself */
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EBADMSG);
	r.c[2].iq_partner = 0; /* not pairing back */
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "does not pair back"));
	r.c[2].iq_partner = 1;
	r.c[2].iq = IFB_IQ_I; /* two I halves */
	ck_assert_int_eq(seed_parse_info(&r, len, &info, err, sizeof(err)), -EBADMSG);
	r.c[2].iq = IFB_IQ_Q;
	ck_assert_int_eq(parse(&r, len, &info), 0);
}
END_TEST

START_TEST(status_parse)
{
	struct ifb_status s;
	struct ifbh_status_reply st;
	char err[256];

	memset(&s, 0, sizeof(s));
	s.magic = htole32(IFB_STATUS_MAGIC);
	s.version = htole16(3);
	s.length = htole16(sizeof(s));
	s.request = IFB_REQ_SET_SAMPLE_RATE;
	s.error = (int32_t)htole32((uint32_t)-EINVAL);
	s.rate_mhz = htole64(10000000000ull);
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.request, IFB_REQ_SET_SAMPLE_RATE);
	ck_assert_int_eq(st.error, -EINVAL);
	ck_assert_uint_eq(st.rate_mhz, 10000000000ull);
	for (size_t l = 0; l < sizeof(s); l++)
		ck_assert_int_eq(ifbh_parse_status(&s, l, &st, err, sizeof(err)), -EBADMSG);
	s.error = htole32(5); /* not a negative errno */
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	s.error = (int32_t)htole32((uint32_t)-100000);
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	s.error = 0;
	s.version = htole16(2);
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), -EPROTONOSUPPORT);
	s.version = htole16(3);
	s.length = htole16(25);
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	s.length = htole16(sizeof(s));
	s.magic = htole32(IFB_INFO_MAGIC);
	ck_assert_int_eq(ifbh_parse_status(&s, sizeof(s), &st, err, sizeof(err)), -EPROTO);
}
END_TEST

START_TEST(stats_good)
{
	struct ifb_stats s;
	struct ifbh_stats st;
	char err[256];

	good_stats(&s, IFB_STATS_MAX_GAPS);
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.num_gaps, IFB_STATS_MAX_GAPS);
	ck_assert_uint_eq(st.gaps_total, IFB_STATS_MAX_GAPS + 5);
	ck_assert_uint_eq(st.gap_offset[31], 32 * 65536ull);
	ck_assert_uint_eq(st.stream_id, 3);
	ck_assert_uint_eq(st.bytes_sent, 1ull << 40);
	for (size_t l = 0; l < sizeof(s); l++)
		ck_assert_int_eq(seed_parse_stats(&s, l, &st, err, sizeof(err)), -EBADMSG);
}
END_TEST

START_TEST(stats_hostile)
{
	struct ifb_stats s;
	struct ifbh_stats st;
	char err[256];

	good_stats(&s, 4);
	s.num_gaps = htole16(IFB_STATS_MAX_GAPS + 1);
	s.gaps_total = htole64(100);
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	good_stats(&s, 4);
	s.gap_offset[2] = htole64(10); /* goes back */
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	good_stats(&s, 4);
	s.gaps_total = htole64(3); /* fewer in total than listed */
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	good_stats(&s, 4);
	s.magic = htole32(IFB_INFO_MAGIC);
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), -EPROTO);
	good_stats(&s, 4);
	s.version = htole16(IFB_PROTOCOL_VERSION + 1);
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	good_stats(&s, 4);
	s.length = htole16(sizeof(s) - 8);
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), -EBADMSG);
	/* equal offsets are allowed (two gaps at one place) */
	good_stats(&s, 4);
	s.gap_offset[2] = s.gap_offset[1];
	ck_assert_int_eq(seed_parse_stats(&s, sizeof(s), &st, err, sizeof(err)), 0);
}
END_TEST

START_TEST(parse_sizes)
{
	uint64_t v;
	double d;
	uint16_t vid, pid;

	ck_assert_int_eq(ifb_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(ifb_parse_size("16K", &v), 0);
	ck_assert_uint_eq(v, 16384);
	ck_assert_int_eq(ifb_parse_size("1m", &v), 0);
	ck_assert_uint_eq(v, 1048576);
	ck_assert_int_eq(ifb_parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2ull << 30);
	ck_assert_int_eq(ifb_parse_size("10B", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(ifb_parse_size("1X", &v), -EINVAL);
	ck_assert_int_eq(ifb_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(ifb_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(ifb_parse_size("99999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(ifb_parse_size("17179869184G", &v), -ERANGE);
	ck_assert_int_eq(cap_parse_seconds("2.5", &d), 0);
	ck_assert(d == 2.5);
	ck_assert_int_eq(cap_parse_seconds("0", &d), -EINVAL);
	ck_assert_int_eq(cap_parse_seconds("1s", &d), -EINVAL);
	ck_assert_int_eq(cap_parse_vidpid("1d6b:0104", &vid, &pid), 0);
	ck_assert_uint_eq(vid, 0x1d6b);
	ck_assert_uint_eq(pid, 0x0104);
	ck_assert_int_eq(cap_parse_vidpid("1d6b", &vid, &pid), -EINVAL);
	ck_assert_int_eq(cap_parse_vidpid("1d6b:01045", &vid, &pid), -EINVAL);
	ck_assert_int_eq(cap_parse_vidpid("xyz:1", &vid, &pid), -EINVAL);
}
END_TEST

static void check_stream_path(const char *path, bool keep_ext, const char *want)
{
	char *got = cap_stream_path(path, "rx", keep_ext);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(stream_paths)
{
	check_stream_path("cap.raw", true, "cap-rx.raw");
	check_stream_path("cap.tar.gz", true, "cap.tar-rx.gz");
	check_stream_path("data", true, "data-rx");
	check_stream_path("out.d/data", true, "out.d/data-rx");
	check_stream_path("/tmp/x.bin", true, "/tmp/x-rx.bin");
	check_stream_path(".hidden", true, ".hidden-rx");
	check_stream_path("dir/", true, "dir/-rx");
	/* a SigMF base name: its files add .sigmf-data and .sigmf-meta */
	check_stream_path("rec.2026", false, "rec.2026-rx");
}
END_TEST

static Suite *capture_proto_suite(void)
{
	Suite *s = suite_create("capture-proto");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, info_good);
	tcase_add_test(tc, info_max_channels);
	tcase_add_test(tc, info_truncated_everywhere);
	tcase_add_test(tc, info_bad_magic);
	tcase_add_test(tc, info_future_version);
	tcase_add_test(tc, info_too_many_channels);
	tcase_add_test(tc, info_unterminated_names);
	tcase_add_test(tc, info_channel_outside_scan);
	tcase_add_test(tc, info_bad_storage);
	tcase_add_test(tc, info_bad_block_size);
	tcase_add_test(tc, info_iq_hint);
	tcase_add_test(tc, status_parse);
	tcase_add_test(tc, stats_good);
	tcase_add_test(tc, stats_hostile);
	tcase_add_test(tc, parse_sizes);
	tcase_add_test(tc, stream_paths);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(capture_proto_suite)
