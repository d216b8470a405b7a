// SPDX-License-Identifier: GPL-2.0-or-later
/* The streaming pattern verifier and the gap bookkeeping it relies on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/gaps.h"
#include "capture/verify.h"
#include "unit.h"

/* channels: bit 0 voltage0 (low half), bit 1 voltage1 (high half) */
static void layout(struct ifbh_info *info, unsigned int which, unsigned int storage, bool be)
{
	unsigned int off = 0;

	memset(info, 0, sizeof(*info));
	strcpy(info->device_name, "sim-adc");
	for (unsigned int idx = 0; idx < 2; idx++) {
		struct ifbh_channel *c;

		if (!(which & (1u << idx)))
			continue;
		c = &info->ch[info->num_channels++];
		snprintf(c->name, sizeof(c->name), "voltage%u", idx);
		c->scan_index = idx;
		c->offset = off;
		c->is_be = be;
		c->bits = 16;
		c->storage_bits = storage;
		c->repeat = 1;
		off += storage / 8;
	}
	info->scan_size = off;
	info->block_size = off * 64;
}

static void put_sample(uint8_t *p, unsigned int bytes, bool be, uint32_t v)
{
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int sig = be ? bytes - 1 - i : i;

		p[i] = sig < 4 ? (uint8_t)(v >> (8 * sig)) : 0;
	}
}

/* Scans n0, n0+1, ... into buf; returns bytes written. */
static size_t pattern(const struct ifbh_info *info, uint8_t *buf, uint32_t n0, size_t scans)
{
	for (size_t s = 0; s < scans; s++) {
		uint32_t n = n0 + (uint32_t)s;

		for (unsigned int i = 0; i < info->num_channels; i++) {
			const struct ifbh_channel *c = &info->ch[i];
			uint32_t v = (n >> (16 * c->scan_index)) & 0xffff;

			put_sample(buf + s * info->scan_size + c->offset, c->storage_bits / 8,
				   c->is_be, v);
		}
	}
	return scans * info->scan_size;
}

static void init(struct cap_verify *v, const struct ifbh_info *info)
{
	char err[256];

	ck_assert_int_eq(cap_verify_init(v, info, err, sizeof(err)), 0);
}

static void feed_chunks(struct cap_verify *v, const uint8_t *buf, size_t len, size_t chunk,
			size_t first)
{
	size_t off = 0;

	if (first > len)
		first = len;
	cap_verify_feed(v, buf, first);
	off = first;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		cap_verify_feed(v, buf + off, n);
		off += n;
	}
}

/* Settle against the gaps g learned, seen as capture sees a stream's
 * (listed offsets and unlisted ranges: struct cap_gaps). */
static void settle(struct cap_verify *v, const struct ifbh_gaps *g, uint64_t upto)
{
	struct ifbh_gap u[8];
	struct cap_gaps view = { .off = g->off, .n = g->n, .unlisted = u };

	ck_assert_uint_le(g->nlost, 8);
	for (size_t i = 0; i < g->nlost; i++) {
		u[i] = (struct ifbh_gap){ .offset = g->lost[i].lo, .count = g->lost[i].count,
					  .lo = g->lost[i].lo, .hi = g->lost[i].hi };
		view.unlisted_count += g->lost[i].count;
	}
	view.nunlisted = g->nlost;
	cap_verify_settle(v, &view, upto);
}

static void gaps_at(struct ifbh_gaps *g, const uint64_t *off, unsigned int n)
{
	struct ifbh_stats st = { .stream_id = 1, .num_gaps = n, .gaps_total = n };

	for (unsigned int i = 0; i < n; i++)
		st.gap_offset[i] = off[i];
	ifbh_gaps_init(g);
	ck_assert_int_eq(ifbh_gaps_merge(g, &st), (int)n);
}

START_TEST(clean_every_alignment)
{
	static const unsigned int layouts[][3] = {
		{ 3, 16, 0 }, { 3, 16, 1 }, { 1, 16, 0 }, { 2, 16, 0 }, { 3, 32, 1 }, { 2, 64, 0 },
	};
	struct ifbh_info info;
	struct ifbh_gaps none;
	uint8_t *buf = malloc(1 << 20);

	ifbh_gaps_init(&none);
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		size_t len;

		layout(&info, layouts[l][0], layouts[l][1], layouts[l][2]);
		len = pattern(&info, buf, 0, 700);
		for (size_t chunk = 1; chunk <= 2 * info.scan_size + 3; chunk++) {
			for (size_t first = 0; first < info.scan_size + 2; first++) {
				struct cap_verify v;

				init(&v, &info);
				feed_chunks(&v, buf, len, chunk, first);
				settle(&v, &none, UINT64_MAX);
				ck_assert_msg(!v.failed, "layout %zu chunk %zu first %zu: at %llu",
					      l, chunk, first,
					      (unsigned long long)v.fail.byte_off);
				ck_assert_uint_eq(cap_verify_checked(&v), len);
				cap_verify_free(&v);
			}
		}
	}
	free(buf);
}
END_TEST

START_TEST(flipped_byte_exact_offset)
{
	static const unsigned int layouts[][3] = {
		{ 3, 16, 0 }, { 3, 16, 1 }, { 1, 16, 0 }, { 2, 16, 1 }, { 3, 32, 0 }, { 3, 32, 1 },
	};
	struct ifbh_info info;
	struct ifbh_gaps none;
	uint8_t buf[4096];

	ifbh_gaps_init(&none);
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		size_t len;

		layout(&info, layouts[l][0], layouts[l][1], layouts[l][2]);
		len = pattern(&info, buf, 0, 4096 / info.scan_size / 2);
		for (size_t k = 0; k < len; k++) {
			for (unsigned int bit = 0; bit < 8; bit += 7) {
				struct cap_verify v;
				bool padding;

				init(&v, &info);
				buf[k] ^= (uint8_t)(1u << bit);
				feed_chunks(&v, buf, len, 7, 0);
				settle(&v, &none, UINT64_MAX);
				/* bytes above bit 15 of a 32-bit word are not checked */
				padding = info.ch[0].storage_bits == 32 &&
					  (info.ch[0].is_be ? (k % 4) < 2 : (k % 4) >= 2);
				if (padding) {
					ck_assert(!v.failed);
				} else if (info.num_channels == 1 && info.ch[0].scan_index == 1) {
					/*
					 * high half only, low half not known yet: a flip
					 * to the next value looks like a step and is
					 * caught one scan later (if there is one)
					 */
					ck_assert(v.failed || k >= len - info.scan_size);
					if (!v.failed)
						goto next;
					ck_assert_uint_ge(v.fail.byte_off, k - k % info.scan_size);
					ck_assert_uint_lt(v.fail.byte_off, k + 2 * info.scan_size);
				} else if (k < info.scan_size) {
					/* the first scan sets the count: caught at the next */
					ck_assert(v.failed);
					ck_assert_uint_eq(v.fail.scan_off, info.scan_size);
				} else {
					ck_assert_msg(v.failed, "layout %zu byte %zu not caught", l,
						      k);
					ck_assert_uint_eq(v.fail.byte_off, k);
					ck_assert_uint_ne(v.fail.expected, v.fail.got);
				}
next:
				buf[k] ^= (uint8_t)(1u << bit);
				cap_verify_free(&v);
			}
		}
	}
}
END_TEST

/*
 * 1000 scans, then a jump to n = 1000 + missing, 1000 scans. With the high
 * half only, 140000 scans before the jump: its two steps confirm the count.
 */
static size_t before_jump(const struct ifbh_info *info)
{
	return info->num_channels == 1 && info->ch[0].scan_index == 1 ? 140000 : 1000;
}

static size_t jumped(const struct ifbh_info *info, uint8_t *buf, uint32_t missing)
{
	uint32_t nb = (uint32_t)before_jump(info);
	size_t len = pattern(info, buf, 0, nb);

	return len + pattern(info, buf + len, nb + missing, 1000);
}

START_TEST(jump_at_gap_passes)
{
	struct ifbh_info info;
	struct ifbh_gaps g;
	uint8_t *buf = malloc(1 << 20);
	uint64_t off, missing;

	for (unsigned int which = 1; which <= 3; which++) {
		struct cap_verify v;
		size_t len;

		layout(&info, which, 16, false);
		off = before_jump(&info) * info.scan_size;
		len = jumped(&info, buf, 123457);
		init(&v, &info);
		feed_chunks(&v, buf, len, 333, 0);
		/* the gap becomes known only now, after the data went through */
		ifbh_gaps_init(&g);
		settle(&v, &g, off); /* not yet judged */
		ck_assert(!v.failed);
		gaps_at(&g, &off, 1);
		settle(&v, &g, UINT64_MAX);
		ck_assert_msg(!v.failed, "layout %u failed at %llu", which,
			      (unsigned long long)v.fail.byte_off);
		if (which == 3) {
			ck_assert(cap_verify_missing_at(&v, off, &missing));
			ck_assert_uint_eq(missing, 123457);
			/* elsewhere nothing is missing */
			ck_assert(cap_verify_missing_at(&v, 40, &missing));
			ck_assert_uint_eq(missing, 0);
		} else {
			ck_assert(!cap_verify_missing_at(&v, off, &missing));
		}
		ifbh_gaps_free(&g);
		cap_verify_free(&v);
	}
	free(buf);
}
END_TEST

START_TEST(jump_elsewhere_fails)
{
	struct ifbh_info info;
	struct ifbh_gaps g;
	uint8_t *buf = malloc(1 << 20);

	for (unsigned int which = 1; which <= 3; which++) {
		struct cap_verify v;
		uint64_t wrong;
		size_t len;

		layout(&info, which, 16, false);
		len = jumped(&info, buf, 70005); /* visible in either half */
		wrong = (before_jump(&info) - 1) * info.scan_size; /* a gap one scan off */
		init(&v, &info);
		feed_chunks(&v, buf, len, 4096, 0);
		gaps_at(&g, &wrong, 1);
		settle(&v, &g, UINT64_MAX);
		ck_assert_msg(v.failed, "layout %u passed", which);
		ck_assert_uint_eq(v.fail.scan_off, before_jump(&info) * info.scan_size);
		ifbh_gaps_free(&g);
		cap_verify_free(&v);
	}
	free(buf);
}
END_TEST

/* IIO's timestamp channel in the scan (2 x u16, s64 at byte 8, 16 bytes,
 * as iio-sim-adc timestamp=1 sends it): the pattern checks the others. */
START_TEST(timestamp_channel_skipped)
{
	struct ifbh_info info;
	struct ifbh_gaps none;
	struct ifbh_channel *t;
	uint8_t *buf = calloc(1000, 16);
	struct cap_verify v;

	layout(&info, 3, 16, false);
	t = &info.ch[info.num_channels++];
	strcpy(t->name, "timestamp");
	t->scan_index = 2;
	t->offset = 8;
	t->is_signed = 1;
	t->bits = t->storage_bits = 64;
	t->repeat = 1;
	info.scan_size = 16;
	for (uint32_t n = 0; n < 1000; n++) {
		put_sample(buf + 16 * n, 2, false, (70000 + n) & 0xffff);
		put_sample(buf + 16 * n + 2, 2, false, (70000 + n) >> 16);
		memset(buf + 16 * n + 8, 0xa5 ^ (int)n, 8); /* any time */
	}
	ifbh_gaps_init(&none);
	init(&v, &info);
	ck_assert_uint_eq(v.nch, 2);
	feed_chunks(&v, buf, 16000, 4093, 5);
	settle(&v, &none, UINT64_MAX);
	ck_assert(!v.failed);
	ck_assert_uint_eq(cap_verify_checked(&v), 16000);
	cap_verify_free(&v);
	/* a timestamp of any other storage is no timestamp: refused */
	t->storage_bits = 32;
	ck_assert_int_eq(cap_verify_init(&v, &info, (char[64]){ 0 }, 64), -EINVAL);
	free(buf);
}
END_TEST

START_TEST(high_half_only)
{
	struct ifbh_info info;
	struct ifbh_gaps g, none;
	uint8_t *buf = malloc(2 * 200000);
	struct cap_verify v;
	uint64_t gap;
	size_t len;

	ifbh_gaps_init(&none);
	layout(&info, 2, 16, false); /* voltage1 only */
	/* across two wraps of the low half */
	len = pattern(&info, buf, 0, 140000);
	init(&v, &info);
	feed_chunks(&v, buf, len, 65536, 0);
	settle(&v, &none, UINT64_MAX);
	ck_assert(!v.failed);
	cap_verify_free(&v);

	/* a gap in the middle of a run of equal values, then more runs */
	len = pattern(&info, buf, 0, 1000);
	len += pattern(&info, buf + len, 100000, 90000);
	gap = 2000;
	init(&v, &info);
	feed_chunks(&v, buf, len, 1000, 0);
	gaps_at(&g, &gap, 1);
	settle(&v, &g, UINT64_MAX);
	ck_assert(!v.failed);
	cap_verify_free(&v);

	/* the high half stuck for more than 65536 scans fails */
	memset(buf, 0, 2 * 70000);
	init(&v, &info);
	feed_chunks(&v, buf, 2 * 70000, 1000, 0);
	settle(&v, &none, UINT64_MAX);
	ck_assert(v.failed);
	ck_assert_uint_eq(v.fail.scan_off, 2 * 65536);
	cap_verify_free(&v);
	ifbh_gaps_free(&g);
	free(buf);
}
END_TEST

START_TEST(goes_on_after_failure)
{
	struct ifbh_info info;
	struct ifbh_gaps g;
	uint8_t *buf = malloc(1 << 16);
	struct cap_verify v;
	uint64_t gap = 3000 * 4, missing;
	size_t len;

	layout(&info, 3, 16, false);
	/* jumps at scans 1000 (+5) and 2000 (+7) unexplained, 3000 (+11) at a gap */
	len = pattern(&info, buf, 0, 1000);
	len += pattern(&info, buf + len, 1005, 1000);
	len += pattern(&info, buf + len, 2012, 1000);
	len += pattern(&info, buf + len, 3023, 1000);
	init(&v, &info);
	feed_chunks(&v, buf, len, 999, 0);
	gaps_at(&g, &gap, 1);
	settle(&v, &g, UINT64_MAX);
	ck_assert(v.failed);
	ck_assert_uint_eq(v.fail.scan_off, 4000);
	ck_assert_uint_eq(v.fail.expected, 1000);
	ck_assert_uint_eq(v.fail.got, 1005);
	ck_assert_uint_eq(v.unexplained, 2);
	ck_assert(cap_verify_missing_at(&v, gap, &missing));
	ck_assert_uint_eq(missing, 11);
	cap_verify_free(&v);
	ifbh_gaps_free(&g);
	free(buf);
}
END_TEST

START_TEST(any_start_value)
{
	struct ifbh_info info;
	struct ifbh_gaps none;
	uint8_t buf[8000];
	struct cap_verify v;
	size_t len;

	ifbh_gaps_init(&none);
	for (unsigned int which = 1; which <= 3; which++) {
		layout(&info, which, 16, false);
		len = pattern(&info, buf, 0x1234fff0, 2000);
		init(&v, &info);
		feed_chunks(&v, buf, len, 100, 0);
		settle(&v, &none, UINT64_MAX);
		ck_assert_msg(!v.failed, "layout %u", which);
		if (which == 3)
			ck_assert_uint_eq(v.first_n, 0x1234fff0);
		cap_verify_free(&v);
	}
}
END_TEST

START_TEST(refuses_other_layouts)
{
	struct ifbh_info info;
	struct cap_verify v;
	char err[256];

	layout(&info, 3, 16, false);
	info.ch[1].scan_index = 2;
	ck_assert_int_eq(cap_verify_init(&v, &info, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "voltage1"));
	layout(&info, 3, 16, false);
	info.ch[0].bits = 12;
	ck_assert_int_eq(cap_verify_init(&v, &info, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(gaps_merge)
{
	struct ifbh_gaps g;
	struct ifbh_stats st = { .stream_id = 4 };

	ifbh_gaps_init(&g);
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), 0);
	st.num_gaps = 2;
	st.gaps_total = 2;
	st.gap_offset[0] = 100;
	st.gap_offset[1] = 200;
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), 2);
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), 0); /* same reply again */
	ck_assert(ifbh_gaps_has(&g, 100));
	ck_assert(ifbh_gaps_has(&g, 200));
	ck_assert(!ifbh_gaps_has(&g, 150));
	ck_assert(ifbh_gaps_in_range(&g, 150, 201));
	ck_assert(!ifbh_gaps_in_range(&g, 101, 200));
	/* 40 more, the list holds the newest 32: 8 unlisted in (200, 1000] */
	st.num_gaps = IFB_STATS_MAX_GAPS;
	st.gaps_total = 42;
	for (unsigned int i = 0; i < IFB_STATS_MAX_GAPS; i++)
		st.gap_offset[i] = 1000 + 100 * i;
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), 40);
	ck_assert_uint_eq(ifbh_gaps_count(&g), 42);
	ck_assert(ifbh_gaps_has(&g, 1000));
	ck_assert(ifbh_gaps_has(&g, 4100));
	ck_assert(ifbh_gaps_maybe_lost(&g, 500));
	ck_assert(!ifbh_gaps_maybe_lost(&g, 150));
	ck_assert(!ifbh_gaps_maybe_lost(&g, 1100));
	/* contradictions */
	st.gaps_total = 41;
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), -EBADMSG);
	st.gaps_total = 43;
	st.gap_offset[IFB_STATS_MAX_GAPS - 1] = 5; /* newest goes back in the stream */
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), -EBADMSG);
	st.stream_id = 5;
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), -EBADMSG);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(lost_gap_explains_jump)
{
	struct ifbh_info info;
	struct ifbh_gaps g;
	struct ifbh_stats st = { .stream_id = 1, .num_gaps = 1, .gaps_total = 2 };
	uint8_t *buf = malloc(1 << 20);
	struct cap_verify v;
	size_t len;

	layout(&info, 3, 16, false);
	len = jumped(&info, buf, 9);
	/* one gap listed at 6000 (after the jump at 4000), one unlisted before it */
	len += pattern(&info, buf + len, 2009 + 9, 500);
	st.gap_offset[0] = 8000;
	ifbh_gaps_init(&g);
	ck_assert_int_eq(ifbh_gaps_merge(&g, &st), 2);
	init(&v, &info);
	cap_verify_feed(&v, buf, len);
	settle(&v, &g, UINT64_MAX);
	ck_assert(!v.failed);
	ck_assert_uint_eq(v.unlisted, 1);
	cap_verify_free(&v);
	ifbh_gaps_free(&g);
	free(buf);
}
END_TEST

static Suite *capture_verify_suite(void)
{
	Suite *s = suite_create("capture-verify");
	TCase *tc = tcase_create("verify");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, clean_every_alignment);
	tcase_add_test(tc, flipped_byte_exact_offset);
	tcase_add_test(tc, jump_at_gap_passes);
	tcase_add_test(tc, jump_elsewhere_fails);
	tcase_add_test(tc, high_half_only);
	tcase_add_test(tc, goes_on_after_failure);
	tcase_add_test(tc, any_start_value);
	tcase_add_test(tc, refuses_other_layouts);
	tcase_add_test(tc, gaps_merge);
	tcase_add_test(tc, lost_gap_explains_jump);
	tcase_add_test(tc, timestamp_channel_skipped);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(capture_verify_suite)
