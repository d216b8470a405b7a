// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Board time (protocol version 6) without USB: the daemon's GET_TIMES and
 * GET_CLOCK builders (engine.c, control.c), the host's parsers, and the
 * host's time model (timemodel.c, times.c) against marks made from a known
 * truth: a converter off its nominal rate by some ppm, marks late by a
 * jitter, gaps that lose a number of samples the host is never told.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control.h"
#include "daemon/engine.h"
#include "host/proto.h"
#include "host/times.h"
#include "unit.h"

static struct ifb_engine eng;
static struct ifbh_times_reply rep;

#define SCAN 4u
#define BLOCK (64u * 1024u)
#define NOMINAL 2e6

/* The truth: scan n is taken at T0 + n / rate. */
#define T0 123456789000ll

static double true_rate(double ppm)
{
	return NOMINAL * (1 + ppm * 1e-6);
}

static int64_t truth(uint64_t n, double ppm)
{
	return T0 + (int64_t)llround((double)n * 1e9 / true_rate(ppm));
}

/* A small deterministic jitter in [0, max) ns: completions are late, never
 * early; with spikes, one mark in 16 is 50 ms late (a busy CPU). */
static bool spikes;
static uint64_t late(unsigned i, unsigned max)
{
	if (spikes && (i * 2654435761u) % 16 == 3)
		return 50000000;
	return max ? (uint64_t)((i * 2654435761u) % max) : 0;
}

START_TEST(times_reply_round_trip)
{
	uint8_t buf[IFB_MAX_REPLY];
	char err[256];
	int len;

	memset(&eng, 0, sizeof(eng));
	eng.stream_id = 3;
	eng.time_source = IFB_TIME_FENCE;
	for (uint64_t k = 0; k < IFB_TIMES_RING + 10; k++)
		eng.c.mark_ring[k % IFB_TIMES_RING] =
			(struct ifb_time_mark){ .offset = (k + 1) * BLOCK, .board_ns = 1000 + k };
	eng.c.marks_total = IFB_TIMES_RING + 10;

	/* behind the ring: from the oldest kept */
	len = ifb_engine_times(&eng, 0, 6, buf, sizeof(buf));
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.first_seq, 10);
	ck_assert_uint_eq(rep.count, IFB_TIMES_MAX_PER_REPLY);
	ck_assert_uint_eq(rep.source, IFB_TIME_FENCE);
	ck_assert_uint_eq(rep.stream_id, 3);
	ck_assert_uint_eq(rep.mark[0].offset, 11ull * BLOCK);
	ck_assert_uint_eq(rep.mark[0].board_ns, 1010);

	/* by sequence number, cut by wLength */
	len = ifb_engine_times(&eng, 1000, 6, buf, 32 + 3 * 32);
	ck_assert_int_eq(len, 32 + 3 * 32);
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.first_seq, 1000);
	ck_assert_uint_eq(rep.count, 3);
	ck_assert_uint_eq(rep.mark[2].board_ns, 1002 + 1000);

	/* an output stream has no marks' source */
	eng.out = true;
	len = ifb_engine_times(&eng, 0, 6, buf, sizeof(buf));
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.source, IFB_TIME_NONE);
	ck_assert_int_eq(ifb_engine_times(&eng, 0, 6, buf, 31), -ENOSPC);

	/* hostile: offsets that do not go forward, a short reply, an old version */
	eng.out = false;
	len = ifb_engine_times(&eng, 1000, 6, buf, 32 + 2 * 32);
	memcpy(buf + 32 + 32, buf + 32, 8);
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "forward"));
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len - 1, &rep, err, sizeof(err)), -EBADMSG);
	len = ifb_engine_times(&eng, 1000, 5, buf, 64);
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)),
			 -EPROTONOSUPPORT);
}
END_TEST

/* Version 7: the stream's timestamp clock, to hosts that agreed on 7 only. */
START_TEST(times_reply_timestamp_clock)
{
	uint8_t buf[IFB_MAX_REPLY];
	char err[256];
	int len;

	memset(&eng, 0, sizeof(eng));
	eng.stream_id = 1;
	eng.time_source = IFB_TIME_FENCE;
	ifb_engine_set_ts_clock(&eng, IFB_TS_CLOCK_TAI);
	len = ifb_engine_times(&eng, 0, 7, buf, sizeof(buf));
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.ts_clock, IFB_TS_CLOCK_TAI);
	/* a version-6 host was promised a reserved 0 there */
	len = ifb_engine_times(&eng, 0, 6, buf, sizeof(buf));
	ck_assert_uint_eq(buf[15], 0);
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.ts_clock, IFB_TS_CLOCK_NONE);
	/* hostile: a clock no version defines */
	len = ifb_engine_times(&eng, 0, 7, buf, sizeof(buf));
	buf[15] = 8;
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "timestamp clock 8"));
	buf[15] = IFB_TS_CLOCK_UNKNOWN;
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_str_eq(ifbh_ts_clock_name(IFB_TS_CLOCK_UNKNOWN), "unknown");
	ck_assert_str_eq(ifbh_ts_clock_name(IFB_TS_CLOCK_NONE), "none");
	ck_assert_str_eq(ifbh_ts_clock_name(IFB_TS_CLOCK_MONOTONIC_RAW), "monotonic_raw");
}
END_TEST

/* The engine marks each block it completes, after the block's gap. */
static unsigned adc_queued[IFB_ENGINE_MAX_BLOCKS];
static int fake_adc(void *ctx, unsigned blk)
{
	adc_queued[blk]++;
	return 0;
}
static bool fake_finished(void *ctx, unsigned blk)
{
	return false;
}
static int fake_usb(void *ctx, unsigned blk)
{
	return 0;
}
static void fake_stop(void *ctx)
{
}

START_TEST(engine_marks_blocks)
{
	static const struct ifb_engine_ops ops = {
		.adc_enqueue = fake_adc,
		.adc_finished = fake_finished,
		.usb_submit = fake_usb,
		.adc_stop = fake_stop,
	};
	uint8_t buf[IFB_MAX_REPLY];
	char err[256];
	int len;

	ck_assert_int_eq(ifb_engine_init(&eng, 4, BLOCK, true, &ops, NULL), 0);
	ifb_engine_set_time_source(&eng, IFB_TIME_FENCE);
	ck_assert_int_eq(ifb_engine_start(&eng), 0);
	for (unsigned i = 0; i < 4; i++)
		ifb_engine_adc_queued_at(&eng, i, 1000 + i, 1100 + i);
	ifb_engine_adc_done_at(&eng, 0, 0, 5000);
	ifb_engine_adc_done_at(&eng, 1, -EIO, 6000); /* failed: a gap, no mark */
	ifb_engine_adc_done_at(&eng, 2, 0, 900);     /* before its enqueue: a stub fence's, no mark */
	ifb_engine_adc_done_at(&eng, 3, 0, 8000);
	len = ifb_engine_times(&eng, 0, 6, buf, sizeof(buf));
	ck_assert_int_eq(ifbh_parse_times(buf, (size_t)len, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep.count, 2);
	ck_assert_uint_eq(rep.mark[0].offset, BLOCK);
	ck_assert_uint_eq(rep.mark[0].board_ns, 5000);
	/* the stream's first block began when it was queued to an idle ADC */
	ck_assert_uint_eq(rep.mark[0].start_ns, 1000);
	ck_assert_uint_eq(rep.mark[0].start_window_ns, 100);
	ck_assert_uint_eq(rep.mark[0].block_bytes, BLOCK);
	ck_assert_uint_eq(rep.mark[1].offset, 3ull * BLOCK);
	ck_assert_uint_eq(rep.mark[1].board_ns, 8000);
	/* after a failed block the ADC was not idle: no start */
	ck_assert_uint_eq(rep.mark[1].start_ns, 0);
	ck_assert_uint_eq(eng.c.gaps_total, 1);
	ck_assert_uint_eq(eng.c.gap_offset[0], BLOCK);
}
END_TEST

/* Feed the model marks of blocks [from, to) of a converter at ppm, with
 * jitter; lost: scans a gap before `from` lost (unknown to the host). */
static void feed(struct ifbh_timebook *b, struct ifbh_gaps *g, uint64_t *stream_off, uint64_t *scan,
		 unsigned nblocks, double ppm, unsigned jitter, unsigned *seq)
{
	rep.stream_id = 1;
	rep.source = IFB_TIME_FENCE;
	for (unsigned i = 0; i < nblocks; i++) {
		*stream_off += BLOCK;
		*scan += BLOCK / SCAN;
		rep.first_seq = *seq;
		rep.marks_total = *seq + 1;
		rep.count = 1;
		rep.mark[0] = (struct ifb_time_mark){
			.offset = *stream_off,
			.board_ns = (uint64_t)truth(*scan, ppm) + late(*seq, jitter),
		};
		(*seq)++;
		ck_assert_int_ge(ifbh_timebook_feed(b, &rep, UINT64_MAX, g), 0);
	}
	(void)g;
}

START_TEST(model_rate_and_times)
{
	static const double ppms[] = { 0, 50, -120, 1000 };

	for (unsigned p = 0; p < sizeof(ppms) / sizeof(ppms[0]); p++) {
		struct ifbh_timebook b;
		struct ifbh_gaps g;
		uint64_t off = 0, scan = 0, lost_off, max_err = 0;
		unsigned seq = 0;
		double ppm = ppms[p], period;
		int64_t t;

		ifbh_gaps_init(&g);
		ifbh_timebook_init(&b, SCAN, NOMINAL, false);
		/* no mark yet: nothing known */
		ck_assert_int_eq(ifbh_tm_time(&b.tm, 0, &t), -EAGAIN);
		feed(&b, &g, &off, &scan, 200, ppm, 20000, &seq);
		period = ifbh_tm_period_ns(&b.tm);
		/* 200 blocks of 32 ms, 20 us of jitter: the rate within 1 ppm */
		ck_assert_msg(fabs((1e9 / period / NOMINAL - 1) * 1e6 - ppm) < 1,
			      "ppm %g measured as %g", ppm, (1e9 / period / NOMINAL - 1) * 1e6);
		/* a gap that lost 12345 scans the host never learns of */
		scan += 12345;
		lost_off = off;
		ck_assert_int_eq(ifbh_gaps_merge(&g, &(struct ifbh_stats){ .stream_id = 1,
									    .num_gaps = 1,
									    .gaps_total = 1,
									    .gap_offset = { lost_off } }),
				 1);
		feed(&b, &g, &off, &scan, 3, ppm, 20000, &seq);
		ck_assert_uint_eq(b.tm.nrun, 2);
		/* every scan's time, before and after the gap, against the truth */
		for (uint64_t o = 0; o < off; o += 4096) {
			uint64_t n = o / SCAN + (o >= lost_off ? 12345 : 0);
			int64_t err;

			ck_assert_int_eq(ifbh_tm_time(&b.tm, o, &t), 0);
			err = t - truth(n, ppm);
			if ((uint64_t)llabs(err) > max_err)
				max_err = (uint64_t)llabs(err);
		}
		/* late by 0..20 us: the envelope follows the earliest, within the jitter */
		ck_assert_msg(max_err < 20000, "ppm %g: worst error %" PRIu64 " ns", ppm, max_err);
		ck_assert_double_lt(ifbh_tm_jitter_ns(&b.tm), 20000);
		ck_assert_double_gt(ifbh_tm_jitter_ns(&b.tm), 1000);
		ifbh_timebook_free(&b);
		ifbh_gaps_free(&g);
	}
}
END_TEST

/* One-sided noise: late spikes move neither the rate nor the times (the
 * model is the marks' lower envelope; a least-squares line would be
 * dragged tens of microseconds per spike). */
START_TEST(model_ignores_late_spikes)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	uint64_t off = 0, scan = 0, worst = 0;
	unsigned seq = 0;
	double ppm;
	int64_t t;

	spikes = true;
	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, SCAN, NOMINAL, false);
	feed(&b, &g, &off, &scan, 400, -35, 5000, &seq);
	spikes = false;
	ppm = (1e9 / ifbh_tm_period_ns(&b.tm) / NOMINAL - 1) * 1e6;
	ck_assert_msg(fabs(ppm + 35) < 0.2, "-35 ppm measured as %g", ppm);
	for (uint64_t o = 0; o < off; o += 4096) {
		ck_assert_int_eq(ifbh_tm_time(&b.tm, o, &t), 0);
		if ((uint64_t)llabs(t - truth(o / SCAN, -35)) > worst)
			worst = (uint64_t)llabs(t - truth(o / SCAN, -35));
	}
	/* the envelope of marks late by 0..5 us: within 5 us of the truth */
	ck_assert_msg(worst < 5000, "worst error %" PRIu64 " ns", worst);
	/* the spikes show in the jitter, as they should */
	ck_assert_double_gt(ifbh_tm_jitter_ns(&b.tm), 1e6);
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}
END_TEST

/* A run whose every fence came 300 ms late (the CPU was busy for the
 * whole of it): the start of its first block, queued to an idle
 * converter, places it anyway. */
START_TEST(model_run_start_bounds_late_fences)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	uint64_t off = 0, scan = 0;
	unsigned seq = 0;
	int64_t t, truth_after;

	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, SCAN, NOMINAL, false);
	feed(&b, &g, &off, &scan, 50, 20, 1000, &seq);
	/* a gap that lost 777 scans; the next run's three blocks are late */
	scan += 777;
	ck_assert_int_eq(ifbh_gaps_merge(&g, &(struct ifbh_stats){ .stream_id = 1,
								    .num_gaps = 1,
								    .gaps_total = 1,
								    .gap_offset = { off } }),
			 1);
	truth_after = truth(scan, 20);
	rep.first_seq = seq;
	rep.marks_total = seq + 3;
	rep.count = 3;
	for (unsigned i = 0; i < 3; i++) {
		rep.mark[i] = (struct ifb_time_mark){
			.offset = off + (i + 1) * (uint64_t)BLOCK,
			.board_ns = (uint64_t)truth(scan + (i + 1) * (BLOCK / SCAN), 20) + 300000000,
		};
	}
	/* enqueued between 2 us before the truth and 3 us after */
	rep.mark[0].start_ns = (uint64_t)truth_after - 2000;
	rep.mark[0].start_window_ns = 5000;
	rep.mark[0].block_bytes = BLOCK;
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, UINT64_MAX, &g), 0);
	ck_assert_int_eq(ifbh_tm_time(&b.tm, off, &t), 0);
	ck_assert_msg(llabs(t - truth_after) <= 3000, "run start off by %lld ns",
		      (long long)(t - truth_after));
	ck_assert_int_eq(ifbh_tm_time(&b.tm, off + 2 * BLOCK, &t), 0);
	ck_assert_msg(llabs(t - truth(scan + 2 * (BLOCK / SCAN), 20)) <= 4000, "run off by %lld ns",
		      (long long)(t - truth(scan + 2 * (BLOCK / SCAN), 20)));
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}
END_TEST

/*
 * The device's timestamp channel as the source (version 7): each
 * transfer's first scan's timestamp, on REALTIME, moved onto MONOTONIC by
 * GET_CLOCK's offset. Timestamps that come before the first GET_TIMES
 * wait for it (it says the clock) and for their gaps; the daemon's fence
 * marks, 300 us late here, are not used; a gap at a timestamp's own
 * offset puts it in the new run (a fence mark there ends the old one).
 */
#define RT_SHIFT 1700000000000000000ll /* REALTIME - MONOTONIC */
#define XFER (16u * 1024u)

static void ts_reply(uint64_t *seq, uint64_t from, uint64_t to, uint64_t lost_at, uint64_t lost,
		     unsigned int clock)
{
	memset(&rep, 0, sizeof(rep));
	rep.stream_id = 1;
	rep.source = IFB_TIME_FENCE;
	rep.ts_clock = clock;
	rep.first_seq = *seq;
	for (uint64_t o = from + BLOCK; o <= to; o += BLOCK) {
		uint64_t n = o / SCAN + (o > lost_at ? lost : 0);

		rep.mark[rep.count++] = (struct ifb_time_mark){
			.offset = o, .board_ns = (uint64_t)truth(n, 0) + 300000 };
	}
	*seq += rep.count;
	rep.marks_total = *seq;
}

static void ts_transfers(struct ifbh_timebook *b, const struct ifbh_gaps *g, uint64_t from,
			 uint64_t to, uint64_t lost_at, uint64_t lost, int64_t shift)
{
	for (uint64_t o = from; o < to; o += XFER) {
		uint64_t n = o / SCAN + (o >= lost_at ? lost : 0);

		ck_assert_int_eq(ifbh_timebook_timestamp(b, o, truth(n, 0) + shift, g), 0);
	}
}

START_TEST(timebook_takes_timestamps)
{
	struct ifbh_clock_est est = { .valid = true, .realtime_ns = RT_SHIFT, .tai_ns = RT_SHIFT + 37000000000ll };
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	uint64_t seq = 0, gap = 6 * BLOCK, lost = 5000;
	int64_t t;

	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	ifbh_timebook_set_clock(&b, &est);
	/* data before the first GET_TIMES: kept */
	ts_transfers(&b, &g, 0, 4 * BLOCK, UINT64_MAX, 0, RT_SHIFT);
	ck_assert_uint_eq(b.tm.marks, 0);
	ck_assert_uint_eq(b.npend, 4 * BLOCK / XFER);
	/* the reply: the clock is REALTIME; the gap book holds what lies
	 * before 4 blocks (nothing) */
	ts_reply(&seq, 0, 4 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 4 * BLOCK, &g), 0);
	ck_assert_uint_eq(ifbh_timebook_source(&b), IFBH_TIME_TIMESTAMP);
	ck_assert_uint_eq(b.tm.marks, 4 * BLOCK / XFER);
	ck_assert_uint_eq(b.npend, 0);
	/* a gap at the start of block 6 that lost 5000 scans; the transfers
	 * of blocks 4..7 come before the stats that list it */
	ts_transfers(&b, &g, 4 * BLOCK, 8 * BLOCK, gap, lost, RT_SHIFT);
	ck_assert_uint_eq(b.tm.marks, 4 * BLOCK / XFER);
	ck_assert_int_eq(ifbh_gaps_merge(&g, &(struct ifbh_stats){ .stream_id = 1, .num_gaps = 1,
								    .gaps_total = 1,
								    .gap_offset = { gap } }),
			 1);
	ts_reply(&seq, 4 * BLOCK, 8 * BLOCK, gap, lost, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 8 * BLOCK, &g), 0);
	ck_assert_uint_eq(b.tm.marks, 8 * BLOCK / XFER);
	ck_assert_uint_eq(b.tm.nrun, 2);
	ck_assert_uint_eq(b.refused, 0);
	/* then data whose gaps are known goes in at once */
	ts_transfers(&b, &g, 8 * BLOCK, 8 * BLOCK + XFER, gap, lost, RT_SHIFT);
	ck_assert_uint_eq(b.npend, 1); /* not yet: past what the stats covered */
	/* every scan's time, both runs: the timestamps, not the late fences */
	for (uint64_t o = 0; o < 8 * BLOCK; o += 4096) {
		uint64_t n = o / SCAN + (o >= gap ? lost : 0);

		ck_assert_int_eq(ifbh_tm_time(&b.tm, o, &t), 0);
		ck_assert_msg(llabs(t - truth(n, 0)) <= 2, "offset %" PRIu64 ": %" PRId64 " ns off",
			      o, t - truth(n, 0));
	}
	ifbh_timebook_free(&b);

	/* MONOTONIC_RAW runs at its own rate: the fence marks are the source */
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	ifbh_timebook_set_clock(&b, &est);
	ts_transfers(&b, &g, 0, 4 * BLOCK, UINT64_MAX, 0, 0);
	seq = 0;
	ts_reply(&seq, 0, 4 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_MONOTONIC_RAW);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 4 * BLOCK, &g), 0);
	ck_assert_uint_eq(ifbh_timebook_source(&b), IFB_TIME_FENCE);
	ck_assert_uint_eq(b.tm.marks, 4);
	ck_assert_uint_eq(b.npend, 0);
	ts_transfers(&b, &g, 4 * BLOCK, 5 * BLOCK, UINT64_MAX, 0, 0);
	ck_assert_uint_eq(b.npend, 0);
	ifbh_timebook_free(&b);

	/* REALTIME with no GET_CLOCK estimate: nothing moves it onto MONOTONIC */
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	ts_transfers(&b, &g, 0, BLOCK, UINT64_MAX, 0, RT_SHIFT);
	seq = 0;
	ts_reply(&seq, 0, BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, BLOCK, &g), 0);
	ck_assert_uint_eq(ifbh_timebook_source(&b), IFB_TIME_FENCE);
	ck_assert_uint_eq(b.ts_clock, IFB_TS_CLOCK_REALTIME);
	ifbh_timebook_free(&b);

	/* a device that sends data and no GET_TIMES reply: bounded waiting */
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	for (uint64_t i = 0; i < IFBH_TS_PENDING_MAX + 10; i++)
		ck_assert_int_eq(ifbh_timebook_timestamp(&b, i * XFER, (int64_t)i, &g), 0);
	ck_assert_uint_eq(b.npend, IFBH_TS_PENDING_MAX);
	ck_assert_uint_eq(b.ts_dropped, 10);
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}
END_TEST

/* Which scan's timestamp a transfer gives: the first whole one. */
START_TEST(timestamp_of_a_transfer)
{
	uint8_t buf[64] = { 0 };
	uint64_t off;
	int64_t ns;

	/* 16-byte scans, the s64 at byte 8; a transfer from stream offset 5:
	 * its first whole scan is at 16, 11 bytes in */
	memcpy(buf + 11 + 8, &(uint64_t){ htole64(0x0102030405060708ull) }, 8);
	ck_assert(ifbh_ts_first(buf, sizeof(buf), 5, 16, 8, false, &off, &ns));
	ck_assert_uint_eq(off, 16);
	ck_assert_int_eq(ns, 0x0102030405060708ll);
	/* big-endian */
	memcpy(buf + 11 + 8, &(uint64_t){ htobe64(0x0102030405060708ull) }, 8);
	ck_assert(ifbh_ts_first(buf, sizeof(buf), 5, 16, 8, true, &off, &ns));
	ck_assert_int_eq(ns, 0x0102030405060708ll);
	/* aligned: the transfer's own first scan */
	memcpy(buf + 8, &(uint64_t){ htole64((uint64_t)-5) }, 8);
	ck_assert(ifbh_ts_first(buf, 16, 32, 16, 8, false, &off, &ns));
	ck_assert_uint_eq(off, 32);
	ck_assert_int_eq(ns, -5);
	/* too short for a whole scan's timestamp: none */
	ck_assert(!ifbh_ts_first(buf, 15, 32, 16, 8, false, &off, &ns));
	ck_assert(!ifbh_ts_first(buf, 26, 5, 16, 8, false, &off, &ns));
	ck_assert(ifbh_ts_first(buf, 27, 5, 16, 8, false, &off, &ns));
	ck_assert(!ifbh_ts_first(buf, 10, 5, 16, 8, false, &off, &ns));
}
END_TEST

/*
 * Timestamps that are none (a driver that leaves the channel 0): the
 * first IFBH_TS_FALLBACK refused, the daemon's marks (kept beside them)
 * are the model. A device whose timestamp clock changes within a stream
 * contradicts itself. A gap learned late at the last timestamp's own
 * offset cannot move it into a new run any more: refused.
 */
START_TEST(timebook_timestamps_fall_back)
{
	struct ifbh_clock_est est = { .valid = true, .realtime_ns = RT_SHIFT };
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	uint64_t seq = 0;
	int64_t t;

	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	ifbh_timebook_set_clock(&b, &est);
	for (uint64_t o = 0; o < 8 * BLOCK; o += XFER)
		ck_assert_int_eq(ifbh_timebook_timestamp(&b, o, 0, &g), 0);
	ts_reply(&seq, 0, 8 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 8 * BLOCK, &g), 0);
	ck_assert(b.ts_failed);
	ck_assert_uint_eq(ifbh_timebook_source(&b), IFB_TIME_FENCE);
	ck_assert_uint_eq(b.tm.marks, 8);
	ck_assert_uint_eq(b.refused, 0);
	ck_assert_int_eq(ifbh_tm_time(&b.tm, 4 * BLOCK, &t), 0);
	ck_assert_msg(llabs(t - truth(4 * BLOCK / SCAN, 0) - 300000) < 1000, "%" PRId64 " ns off",
		      t - truth(4 * BLOCK / SCAN, 0));
	/* the stream's clock, said again otherwise: a contradiction */
	ts_reply(&seq, 8 * BLOCK, 9 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_NONE);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 9 * BLOCK, &g), -EBADMSG);
	ifbh_timebook_free(&b);

	/* good timestamps, then a gap at the last one's offset learned late */
	ifbh_timebook_init(&b, SCAN, NOMINAL, true);
	ifbh_timebook_set_clock(&b, &est);
	seq = 0;
	ts_reply(&seq, 0, 2 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 2 * BLOCK, &g), 0);
	ts_transfers(&b, &g, 0, 2 * BLOCK, UINT64_MAX, 0, RT_SHIFT);
	ck_assert_uint_eq(b.tm.marks, 2 * BLOCK / XFER);
	ck_assert_int_eq(ifbh_gaps_merge(&g, &(struct ifbh_stats){ .stream_id = 1, .num_gaps = 1,
								    .gaps_total = 1,
								    .gap_offset = { 2 * BLOCK - XFER } }),
			 1);
	ts_transfers(&b, &g, 2 * BLOCK, 2 * BLOCK + XFER, UINT64_MAX, 0, RT_SHIFT);
	ts_reply(&seq, 2 * BLOCK, 3 * BLOCK, UINT64_MAX, 0, IFB_TS_CLOCK_REALTIME);
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, 3 * BLOCK, &g), 0);
	ck_assert_uint_eq(b.tm.nrun, 1);
	ck_assert_uint_eq(b.refused, 1);
	ck_assert_uint_eq(ifbh_timebook_source(&b), IFBH_TIME_TIMESTAMP);
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}
END_TEST

/* The time book never stalls on a device's replies: a mark the model
 * refuses is skipped (the next ones still come in), and a reply of marks
 * it had asks for nothing more. */
START_TEST(timebook_skips_and_stops)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;

	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, SCAN, NOMINAL, false);
	memset(&rep, 0, sizeof(rep));
	rep.stream_id = 1;
	rep.source = IFB_TIME_FENCE;
	rep.first_seq = 0;
	rep.marks_total = 4;
	rep.count = 4;
	rep.mark[0] = (struct ifb_time_mark){ .offset = BLOCK, .board_ns = 1000000 };
	/* a run start whose gap the book lacks: it lands on the last mark */
	rep.mark[1] = (struct ifb_time_mark){ .offset = 2 * BLOCK, .board_ns = 2000000,
					      .start_ns = 1500000, .block_bytes = BLOCK };
	rep.mark[2] = (struct ifb_time_mark){ .offset = 3 * BLOCK + 2, .board_ns = 3000000 }; /* no whole scan */
	rep.mark[3] = (struct ifb_time_mark){ .offset = 4 * BLOCK, .board_ns = 4000000 };
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, UINT64_MAX, &g), 0);
	ck_assert_uint_eq(b.seq, 4);
	ck_assert_uint_eq(b.tm.marks, 3);
	ck_assert_uint_eq(b.refused, 1);
	/* a device that answers with the same marks again: nothing more asked */
	rep.marks_total = 9;
	ck_assert_int_eq(ifbh_timebook_feed(&b, &rep, UINT64_MAX, &g), 0);
	ck_assert_uint_eq(b.seq, 4);
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(model_refuses_nonsense)
{
	struct ifbh_tm m;
	int64_t t;

	ifbh_tm_init(&m, SCAN, 0);
	ck_assert_int_eq(ifbh_tm_mark(&m, 6, 1000), -EINVAL); /* not a whole scan */
	ck_assert_int_eq(ifbh_tm_mark(&m, 8, 1000), 0);
	ck_assert_int_eq(ifbh_tm_mark(&m, 8, 2000), -EINVAL); /* not forward */
	ck_assert_int_eq(ifbh_tm_mark(&m, 16, UINT64_MAX), -EINVAL);
	ck_assert_int_eq(ifbh_tm_gap(&m, 4), -EINVAL);         /* behind the last mark */
	/* one mark and no nominal rate: no slope */
	ifbh_tm_fit(&m);
	ck_assert_int_eq(ifbh_tm_time(&m, 8, &t), -EAGAIN);
	ck_assert_int_eq(ifbh_tm_mark(&m, 16, 1800), 0);
	ifbh_tm_fit(&m);
	ck_assert_int_eq(ifbh_tm_time(&m, 12, &t), 0);
	ck_assert_int_eq(t, 1400);
	/* a new run with no mark yet */
	ck_assert_int_eq(ifbh_tm_gap(&m, 32), 0);
	ck_assert_int_eq(ifbh_tm_time(&m, 40, &t), -EAGAIN);
	ck_assert_int_eq(ifbh_tm_time(&m, 20, &t), 0); /* the old run still answers */
	ifbh_tm_free(&m);
}
END_TEST

/*
 * The host's clock against the board's drifts (two crystals, 40 ppm
 * apart here): round trips a second apart, each 100 to 600 us long, the
 * board reading its clock anywhere inside. Over less than 4 s the drift
 * is unknown; over 40 s the estimate's line holds it within its stated
 * bound, and the offset it gives 30 s later is within its bound too,
 * where the tightest round trip alone would be 1.2 ms off.
 */
static int64_t true_off(int64_t host)
{
	return 1000000000ll + (int64_t)llround(40e-6 * (double)(host - 7000000000ll));
}

START_TEST(clock_estimate_drifts)
{
	struct ifbh_clock_est e = { 0 };
	struct ifbh_clock_reply c = { .read_ns = 200 };
	uint32_t rnd = 12345;
	int64_t h = 7000000000ll, off, unc;

	for (int i = 0; i < 40; i++, h += 1000000000ll) {
		int64_t rtt, at;

		rnd = rnd * 1103515245u + 12345u;
		rtt = 100000 + (int64_t)(rnd >> 8) % 500000;
		rnd = rnd * 1103515245u + 12345u;
		at = h + (int64_t)(rnd >> 8) % rtt; /* when the board read its clock */
		c.monotonic_ns = (uint64_t)(at - true_off(at));
		ifbh_clock_est_add(&e, h, h + rtt, &c);
		if (i == 3) {
			/* 3 s apart at most: the drift not measured, the
			 * crystals' 200 ppm assumed */
			ck_assert(!e.drift_known);
			ck_assert_int_eq(ifbh_clock_est_offset(&e, e.at_ns + 1000000000ll, &off, &unc), 0);
			ck_assert_int_eq(off, e.host_offset_ns);
			ck_assert_int_eq(unc, e.unc_ns + 200000);
		}
	}
	ck_assert(e.drift_known);
	ck_assert_uint_eq(e.rounds, 40);
	ck_assert_msg(fabs(e.drift * 1e6 - 40) <= e.drift_unc * 1e6,
		      "drift %.2f ppm, bound %.2f ppm", e.drift * 1e6, e.drift_unc * 1e6);
	ck_assert_double_lt(e.drift_unc * 1e6, 30);
	h += 30000000000ll;
	ck_assert_int_eq(ifbh_clock_est_offset(&e, h, &off, &unc), 0);
	ck_assert_msg(llabs(off - true_off(h)) <= unc, "%" PRId64 " ns off, bound %" PRId64, off - true_off(h), unc);
	ck_assert_msg(llabs(off - true_off(h)) < 600000, "%" PRId64 " ns off", off - true_off(h));
	/* the model's fields say the same, by the same rule */
	{
		struct ifbh_time_model m = { .size = sizeof(m) };
		int64_t off2, unc2;

		ifbh_clock_est_fill(&e, &m);
		ck_assert_int_eq(ifbh_time_model_offset(&m, h, &off2, &unc2), 0);
		ck_assert_int_eq(off2, off);
		ck_assert(llabs(unc2 - unc) <= 1);
		m.size = offsetof(struct ifbh_time_model, clock_at_ns);
		ck_assert_int_eq(ifbh_time_model_offset(&m, h, &off2, &unc2), -EINVAL);
	}
	/* a drift within its bound of 0 is not applied; the bound grows by both */
	e.drift = 1e-6;
	e.drift_unc = 5e-6;
	ck_assert_int_eq(ifbh_clock_est_offset(&e, e.at_ns + 10000000000ll, &off, &unc), 0);
	ck_assert_int_eq(off, e.host_offset_ns);
	ck_assert_int_eq(unc, e.unc_ns + 60000);
	/* a fresh estimate forgets */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ifbh_clock_est_offset(&e, h, &off, &unc), -EAGAIN);
}
END_TEST

START_TEST(clock_reply_and_estimate)
{
	struct ifb_clock_reading r = {
		.monotonic_ns = 5000000000ull,
		.read_ns = 200,
		.realtime_ns = 1765000000000000000ll,
		.tai_ns = 1765000037000000000ll,
		.boottime_ns = 5100000000ull,
		.flags = IFB_CLOCK_STATE_KNOWN | IFB_CLOCK_SYNCED,
		.esterror_us = 12,
	};
	struct ifbh_clock_reply c;
	struct ifbh_clock_est e = { 0 };
	uint8_t buf[64];
	char err[256];
	int len = ifb_control_clock(&r, 6, buf, sizeof(buf));

	ck_assert_int_eq(len, sizeof(struct ifb_clock));
	ck_assert_int_eq(ifbh_parse_clock(buf, (size_t)len, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.monotonic_ns, r.monotonic_ns);
	ck_assert_int_eq(c.realtime_ns, r.realtime_ns);
	ck_assert_uint_eq(c.flags, r.flags);
	/* host 1 s ahead; a round trip of 1 ms, then a tighter one of 100 us */
	ifbh_clock_est_add(&e, 6000000000ll - 500000, 6000000000ll + 500000, &c);
	ck_assert(e.valid);
	ck_assert_int_eq(e.host_offset_ns, 1000000000);
	ck_assert_int_eq(e.unc_ns, 500100);
	ifbh_clock_est_add(&e, 6000000000ll - 40000, 6000000000ll + 60000, &c);
	ck_assert_int_eq(e.unc_ns, 50100);
	ck_assert_int_eq(e.host_offset_ns, 1000000000 + 10000);
	ck_assert_int_eq(e.realtime_ns, r.realtime_ns - 5000000000ll);
	ck_assert_uint_eq(e.rounds, 2);
	/* a looser one changes nothing */
	ifbh_clock_est_add(&e, 0, 2000000, &c);
	ck_assert_int_eq(e.unc_ns, 50100);
	/* hostile */
	ck_assert_int_eq(ifbh_parse_clock(buf, (size_t)len - 1, &c, err, sizeof(err)), -EBADMSG);
	memcpy(buf + 24, &(int64_t){ INT64_MIN + 5 }, 8); /* REALTIME: differences would overflow */
	ck_assert_int_eq(ifbh_parse_clock(buf, (size_t)len, &c, err, sizeof(err)), -EBADMSG);
	memset(buf + 16, 0, 8); /* CLOCK_MONOTONIC 0 */
	ck_assert_int_eq(ifbh_parse_clock(buf, (size_t)len, &c, err, sizeof(err)), -EBADMSG);
	buf[0] ^= 1;
	ck_assert_int_eq(ifbh_parse_clock(buf, (size_t)len, &c, err, sizeof(err)), -EPROTO);
}
END_TEST

static Suite *host_time_suite(void)
{
	Suite *s = suite_create("host-time");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, times_reply_round_trip);
	tcase_add_test(tc, times_reply_timestamp_clock);
	tcase_add_test(tc, timebook_takes_timestamps);
	tcase_add_test(tc, timestamp_of_a_transfer);
	tcase_add_test(tc, timebook_timestamps_fall_back);
	tcase_add_test(tc, engine_marks_blocks);
	tcase_add_test(tc, model_rate_and_times);
	tcase_add_test(tc, model_ignores_late_spikes);
	tcase_add_test(tc, model_run_start_bounds_late_fences);
	tcase_add_test(tc, timebook_skips_and_stops);
	tcase_add_test(tc, model_refuses_nonsense);
	tcase_add_test(tc, clock_reply_and_estimate);
	tcase_add_test(tc, clock_estimate_drifts);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_time_suite)
