// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET_GAPS (protocol version 2) end to end without USB: the daemon's
 * reply builder (ifb_engine_gaps, its ring of IFB_GAPS_RING offsets), the
 * host's parser and its gap book, including sequence numbers past 65535
 * (wValue carries 16 bits), a reply cut by wLength, a host that fell
 * behind the ring, and a version-1 host's GET_INFO.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "daemon/control.h"
#include "daemon/engine.h"
#include "host/gaps.h"
#include "host/proto.h"
#include "unit.h"

static struct ifb_engine eng;
static struct ifbh_gaps_reply rep;

/* n gaps, gap k at offset 4096 * (k + 1) */
static void engine_with_gaps(uint64_t n)
{
	memset(&eng, 0, sizeof(eng));
	eng.stream_id = 7;
	for (uint64_t k = 0; k < n; k++)
		eng.c.gap_ring[k % IFB_GAPS_RING] = 4096 * (k + 1);
	eng.c.gaps_total = n;
}

/* One GET_GAPS round trip into book g; returns the parser's result. */
static int fetch(struct ifbh_gaps *g, size_t wlength)
{
	static uint8_t buf[IFB_MAX_REPLY];
	int len = ifb_engine_gaps(&eng, (uint16_t)ifbh_gaps_count(g), buf, wlength);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len, &rep, NULL, 0), 0);
	ck_assert_int_ge(ifbh_gaps_add_seq(g, &rep), 0);
	return len;
}

START_TEST(every_gap_in_order)
{
	struct ifbh_gaps g;
	int rounds = 0;

	ifbh_gaps_init(&g);
	/* a host that keeps up, past 65535 (wValue's 16 bits wrap) */
	engine_with_gaps(0);
	for (uint64_t n = 0; n < 70000; n += 700) {
		for (uint64_t k = n; k < n + 700; k++)
			eng.c.gap_ring[k % IFB_GAPS_RING] = 4096 * (k + 1);
		eng.c.gaps_total = n + 700;
		while (ifbh_gaps_count(&g) < eng.c.gaps_total) {
			fetch(&g, IFB_MAX_REPLY);
			rounds++;
		}
	}
	ck_assert_uint_eq(g.n, 70000);
	ck_assert_uint_eq(g.nlost, 0);
	for (size_t k = 0; k < g.n; k++)
		ck_assert_uint_eq(g.off[k], 4096 * (k + 1));
	ck_assert_int_ge(rounds, 70000 / IFB_GAPS_MAX_PER_REPLY);
	/* nothing new: an empty reply */
	fetch(&g, IFB_MAX_REPLY);
	ck_assert_uint_eq(rep.count, 0);
	ck_assert_uint_eq(rep.first_seq, 70000);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(cut_by_wlength)
{
	struct ifbh_gaps g;

	engine_with_gaps(10);
	ifbh_gaps_init(&g);
	ck_assert_int_eq(fetch(&g, 32 + 3 * 8 + 5), 32 + 3 * 8);
	ck_assert_uint_eq(rep.count, 3);
	ck_assert_uint_eq(ifbh_gaps_count(&g), 3);
	fetch(&g, IFB_MAX_REPLY);
	ck_assert_uint_eq(rep.first_seq, 3);
	ck_assert_uint_eq(ifbh_gaps_count(&g), 10);
	ck_assert_uint_eq(g.off[9], 4096 * 10);
	/* too small for the header */
	ck_assert_int_eq(ifb_engine_gaps(&eng, 0, (uint8_t[31]){ 0 }, 31), -ENOSPC);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(behind_the_ring)
{
	struct ifbh_gaps g;

	engine_with_gaps(IFB_GAPS_RING + 100);
	ifbh_gaps_init(&g);
	fetch(&g, IFB_MAX_REPLY);
	/* the first 100 are gone: a lost range, then offsets from the oldest kept */
	ck_assert_uint_eq(rep.first_seq, 100);
	ck_assert_uint_eq(g.nlost, 1);
	ck_assert_uint_eq(g.lost[0].count, 100);
	ck_assert_uint_eq(g.off[0], 4096 * 101);
	while (ifbh_gaps_count(&g) < eng.c.gaps_total)
		fetch(&g, IFB_MAX_REPLY);
	ck_assert_uint_eq(g.n, IFB_GAPS_RING);
	ifbh_gaps_free(&g);
}
END_TEST

START_TEST(hostile_replies)
{
	uint8_t buf[IFB_MAX_REPLY];
	struct ifb_gaps h;
	int len;

	engine_with_gaps(4);
	len = ifb_engine_gaps(&eng, 0, buf, sizeof(buf));
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len - 1, &rep, NULL, 0), -EBADMSG);
	memcpy(&h, buf, sizeof(h));
	h.count = htole16(5); /* more than length says */
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len, &rep, NULL, 0), -EBADMSG);
	len = ifb_engine_gaps(&eng, 0, buf, sizeof(buf));
	memcpy(&h, buf, sizeof(h));
	h.gaps_total = htole64(2); /* fewer in total than listed */
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len, &rep, NULL, 0), -EBADMSG);
	len = ifb_engine_gaps(&eng, 0, buf, sizeof(buf));
	memcpy(buf + 32 + 8, buf + 32, 8); /* offset 1 < offset 0? equal is fine */
	memset(buf + 32 + 16, 0, 8);       /* offset 2 goes back */
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len, &rep, NULL, 0), -EBADMSG);
	buf[4] = 1; /* version 1 has no GET_GAPS */
	buf[5] = 0;
	ck_assert_int_eq(ifbh_parse_gaps(buf, (size_t)len, &rep, NULL, 0), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(version_agreed)
{
	ck_assert_uint_eq(ifb_control_version(0), 1); /* a version-1 host */
	ck_assert_uint_eq(ifb_control_version(1), 1);
	ck_assert_uint_eq(ifb_control_version(2), 2);
	ck_assert_uint_eq(ifb_control_version(900), IFB_PROTOCOL_VERSION);
}
END_TEST

static Suite *host_gaps_suite(void)
{
	Suite *s = suite_create("host-gaps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_gap_in_order);
	tcase_add_test(tc, cut_by_wlength);
	tcase_add_test(tc, behind_the_ring);
	tcase_add_test(tc, hostile_replies);
	tcase_add_test(tc, version_agreed);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_gaps_suite)
