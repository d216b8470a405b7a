// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libifbhost's pull-mode queue: scans reassembled across transfer
 * boundaries, nothing returned beyond what the device has confirmed
 * (settled), never a read across a gap, a gap flagged once on the chunk it
 * precedes, transfers handed back exactly when used up.
 */
#include <errno.h>
#include <string.h>

#include "host/gaps.h"
#include "host/pullq.h"
#include "unit.h"

static int released[16];
static int nreleased;

static void on_release(void *user, void *token)
{
	(void)user;
	released[nreleased++] = (int)(intptr_t)token;
}

static uint8_t stream[4096];

static void setup(void)
{
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 7 + 3);
	nreleased = 0;
}

static void stats_with_gaps(struct ifbh_gaps *g, const uint64_t *off, unsigned int n)
{
	struct ifbh_stats st = { 0 };

	st.stream_id = 1;
	st.gaps_total = n;
	st.num_gaps = n;
	for (unsigned int i = 0; i < n; i++)
		st.gap_offset[i] = off[i];
	ck_assert_int_ge(ifbh_gaps_merge(g, &st), 0);
}

START_TEST(scans_across_transfers)
{
	struct ifbh_pullq q;
	struct ifbh_gaps g;
	struct ifbh_read_info info;
	uint8_t buf[64];

	setup();
	ifbh_gaps_init(&g);
	ck_assert_int_eq(ifbh_pullq_init(&q, 4, on_release, NULL), 0);
	/* transfers of 10, 7 and 15 bytes; scans of 6 bytes */
	ck_assert_int_eq(ifbh_pullq_push(&q, stream, 10, 0, (void *)1), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream + 10, 7, 10, (void *)2), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream + 17, 15, 17, (void *)3), 0);
	ck_assert_uint_eq(ifbh_pullq_bytes(&q), 32);
	/* nothing is settled yet */
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 6, 0, &g, &info), 0);
	/* settled to 20: three whole scans (18 bytes), the scan at 12 spans 2 transfers */
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 6, 20, &g, &info), 18);
	ck_assert_mem_eq(buf, stream, 18);
	ck_assert_uint_eq(info.offset, 0);
	ck_assert(!info.gap);
	ck_assert_int_eq(nreleased, 2); /* transfers 1 and 2 are used up */
	ck_assert_int_eq(released[0], 1);
	ck_assert_int_eq(released[1], 2);
	/* one scan at a time when len is smaller */
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, 6, 6, UINT64_MAX, &g, &info), 6);
	ck_assert_uint_eq(info.offset, 18);
	ck_assert_mem_eq(buf, stream + 18, 6);
	/* 8 bytes left: one scan, then a partial one that waits */
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 6, UINT64_MAX, &g, &info), 6);
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 6, UINT64_MAX, &g, &info), 0);
	ck_assert_uint_eq(ifbh_pullq_bytes(&q), 2);
	ck_assert_int_eq(nreleased, 2);
	ifbh_pullq_clear(&q);
	ck_assert_int_eq(nreleased, 3);
	ifbh_pullq_free(&q);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(never_across_a_gap)
{
	static const uint64_t gaps[] = { 8, 16 };
	struct ifbh_pullq q;
	struct ifbh_gaps g;
	struct ifbh_read_info info;
	uint8_t buf[64];

	setup();
	ifbh_gaps_init(&g);
	ck_assert_int_eq(ifbh_pullq_init(&q, 2, on_release, NULL), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream, 12, 0, (void *)1), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream + 12, 12, 12, (void *)2), 0);
	stats_with_gaps(&g, gaps, 2);
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 4, 24, &g, &info), 8);
	ck_assert_uint_eq(info.offset, 0);
	ck_assert(!info.gap);
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, sizeof(buf), 4, 24, &g, &info), 8);
	ck_assert_uint_eq(info.offset, 8);
	ck_assert(info.gap);
	ck_assert_mem_eq(buf, stream + 8, 8);
	/* a short read at a gap flags it; the rest of that chunk does not */
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, 4, 4, 24, &g, &info), 4);
	ck_assert_uint_eq(info.offset, 16);
	ck_assert(info.gap);
	ck_assert_uint_eq(ifbh_pullq_take(&q, buf, 4, 4, 24, &g, &info), 4);
	ck_assert_uint_eq(info.offset, 20);
	ck_assert(!info.gap);
	ck_assert_int_eq(nreleased, 2);
	ifbh_pullq_free(&q);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(full_queue_refuses)
{
	struct ifbh_pullq q;

	setup();
	ck_assert_int_eq(ifbh_pullq_init(&q, 1, on_release, NULL), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream, 4, 0, (void *)1), 0);
	ck_assert_int_eq(ifbh_pullq_push(&q, stream + 4, 4, 4, (void *)2), -ENOSPC);
	ifbh_pullq_free(&q);
}
END_TEST

static Suite *host_pullq_suite(void)
{
	Suite *s = suite_create("host-pullq");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, scans_across_transfers);
	tcase_add_test(tc, never_across_a_gap);
	tcase_add_test(tc, full_queue_refuses);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_pullq_suite)
