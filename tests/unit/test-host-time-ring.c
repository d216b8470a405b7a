// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A time model from what the board holds (ifbh_dev_time_model without
 * USB): the daemon's GET_GAPS and GET_TIMES builders (engine.c) over a
 * stream's rings answer the host's fetches (gaps.c, times.c) through the
 * getters a device would, and the model is filled as a stream's is.
 * Hostile devices: one that ignores wValue, one whose stream changes,
 * one that fails.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "daemon/engine.h"
#include "host/proto.h"
#include "host/times.h"
#include "ifbhost.h"
#include "unit.h"

#define SCAN 4u
#define BLOCK (64u * 1024u)
#define NOMINAL 2e6
#define T0 5000000000ll

static struct ifb_engine eng;
static struct ifbh_times_reply rep;
static struct ifbh_gaps_reply grep_;
static unsigned int calls;
static int mode; /* 0: the engine; 1: ignores wValue; 2: another stream after the first; 3: fails */

/* A stream of nblocks blocks of a converter at ppm, a block in every
 * gap_every lost to a gap (its samples too: the host is not told how
 * many), marks late by a small jitter. */
static void make_stream(unsigned int nblocks, double ppm, unsigned int gap_every)
{
	uint64_t off = 0, scan = 0;

	memset(&eng, 0, sizeof(eng));
	eng.stream_id = 7;
	eng.time_source = IFB_TIME_FENCE;
	eng.run = IFB_STATE_IDLE;
	for (unsigned int i = 0; i < nblocks; i++) {
		struct ifb_time_mark m;

		if (gap_every && i && i % gap_every == 0) {
			scan += 3 * BLOCK / SCAN; /* lost, unknown to the host */
			eng.c.gap_ring[eng.c.gaps_total % IFB_GAPS_RING] = off;
			eng.c.gaps_total++;
		}
		off += BLOCK;
		scan += BLOCK / SCAN;
		m = (struct ifb_time_mark){
			.offset = off,
			.board_ns = (uint64_t)(T0 + llround((double)scan * 1e9 /
							    (NOMINAL * (1 + ppm * 1e-6)))) +
				    (i * 2654435761u) % 20000,
		};
		eng.c.mark_ring[eng.c.marks_total % IFB_TIMES_RING] = m;
		eng.c.marks_total++;
	}
	eng.c.bytes_sent = off;
}

static int times_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	int ret;

	(void)user;
	calls++;
	if (mode == 3)
		return -EIO;
	ret = ifb_engine_times(&eng, mode == 1 ? 0 : seq, 6, buf, len);
	if (mode == 2 && calls == 1)
		eng.stream_id++; /* a new stream began under the host */
	return ret;
}

static int gaps_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	(void)user;
	return ifb_engine_gaps(&eng, seq, buf, len);
}

/* The host's reading: the gaps the engine counts, then the marks. */
static int fetch(struct ifbh_timebook *b, struct ifbh_gaps *g, bool ring_only, uint64_t bound,
		 char *msg, size_t msglen)
{
	ifbh_gaps_init(g);
	ifbh_timebook_init(b, SCAN, NOMINAL, false);
	ck_assert_int_ge(ifbh_gaps_fetch(g, eng.c.gaps_total, gaps_get, NULL, &grep_, msg, msglen), 0);
	calls = 0;
	return ifbh_timebook_fetch(b, bound, g, times_get, NULL, ring_only, &rep, msg, msglen);
}

static void done(struct ifbh_timebook *b, struct ifbh_gaps *g)
{
	ifbh_timebook_free(b);
	ifbh_gaps_free(g);
	mode = 0;
}

START_TEST(fetch_reads_the_ring_and_fills_the_model)
{
	struct ifbh_time_model m = { .size = sizeof(m) };
	struct ifbh_clock_est c = { .valid = true, .host_offset_ns = 42, .unc_ns = 3 };
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	char msg[256];

	make_stream(300, 150, 0);
	ck_assert_int_eq(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), 300);
	ck_assert_uint_eq(calls, 3); /* 127 + 127 + 46 */
	ck_assert_uint_eq(b.lost, 0);
	ck_assert_uint_eq(b.stream_id, 7);
	ck_assert_uint_eq(b.tm.last_off, 300ull * BLOCK);
	ck_assert_uint_eq(b.tm.last_ns, eng.c.mark_ring[299].board_ns);
	ifbh_timebook_model(&b, NOMINAL, &c, &m);
	ck_assert_uint_eq(m.size, sizeof(m));
	ck_assert_int_eq(m.source, IFBH_TIME_FENCE);
	ck_assert_uint_eq(m.marks, 300);
	ck_assert_uint_eq(m.runs, 1);
	ck_assert_double_eq(m.nominal_hz, NOMINAL);
	ck_assert_msg(fabs(m.ppm - 150) < 1, "150 ppm measured as %g", m.ppm);
	ck_assert_double_eq_tol(m.rate_hz, NOMINAL * (1 + m.ppm * 1e-6), 1e-6);
	ck_assert_double_gt(m.jitter_ns, 0);
	ck_assert_double_lt(m.jitter_ns, 20000);
	ck_assert_int_eq(m.clock_known, 1);
	ck_assert_int_eq(m.host_offset_ns, 42);
	done(&b, &g);
}
END_TEST

/* Only the marks up to GET_STATS' bytes_sent (their gaps are all known). */
START_TEST(fetch_stops_at_the_bound)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	char msg[256];

	make_stream(300, 0, 0);
	ck_assert_int_eq(fetch(&b, &g, true, 100ull * BLOCK, msg, sizeof(msg)), 100);
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(b.tm.last_off, 100ull * BLOCK);
	done(&b, &g);
}
END_TEST

/* A long stream: the ring kept the 1024 newest marks. Its gaps before the
 * oldest of them start runs of which no mark is left: a model of the
 * ring (ring_only) leaves them out; a stream's keeps them (they place
 * its samples: no time there). */
START_TEST(fetch_of_an_overrun_ring)
{
	struct ifbh_time_model m = { .size = sizeof(m) };
	struct ifbh_clock_est c = { 0 };
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	char msg[256];

	make_stream(2000, -80, 100); /* gaps before blocks 100, 200, ... 1900 */
	ck_assert_uint_eq(eng.c.gaps_total, 19);
	ck_assert_int_eq(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), 1024);
	ck_assert_uint_eq(calls, 9);
	ck_assert_uint_eq(b.lost, 2000 - 1024);
	ifbh_timebook_model(&b, NOMINAL, &c, &m);
	ck_assert_uint_eq(m.marks, 1024);
	/* marks 976..1999: the gaps before 1000 ... 1900 are among them */
	ck_assert_uint_eq(m.runs, 11);
	ck_assert_msg(fabs(m.ppm + 80) < 1, "-80 ppm measured as %g", m.ppm);
	ck_assert_int_eq(m.clock_known, 0);
	done(&b, &g);

	ck_assert_int_eq(fetch(&b, &g, false, eng.c.bytes_sent, msg, sizeof(msg)), 1024);
	ck_assert_uint_eq(b.tm.nrun, 20);
	done(&b, &g);
}
END_TEST

/* Hostile devices: the fetch ends, and says why. */
START_TEST(fetch_of_hostile_devices)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	char msg[256];

	make_stream(600, 0, 0);
	mode = 1; /* always the first marks, whatever wValue asks */
	ck_assert_int_eq(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), 127);
	ck_assert_uint_eq(calls, 2); /* the repeat brought nothing: not asked again */
	done(&b, &g);

	mode = 2; /* a new stream after the first reply */
	ck_assert_int_eq(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(msg, "contradicts"));
	done(&b, &g);

	mode = 3;
	ck_assert_int_eq(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), -EIO);
	ck_assert_ptr_nonnull(strstr(msg, "GET_TIMES failed"));
	done(&b, &g);

	/* a malformed reply: the parser's error */
	make_stream(10, 0, 0);
	eng.time_source = 9;
	ck_assert_int_lt(fetch(&b, &g, true, eng.c.bytes_sent, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(b.tm.marks, 0);
	done(&b, &g);
}
END_TEST

/* A caller's smaller (older) struct is filled as far as it goes; no book:
 * the clock fields alone (ifbh_dev_clock). */
START_TEST(model_fill_sizes)
{
	struct ifbh_clock_est c = { .valid = true, .host_offset_ns = -5, .flags = 9 };
	struct ifbh_time_model m;
	size_t part = offsetof(struct ifbh_time_model, ppm);

	memset(&m, 0xa5, sizeof(m));
	m.size = part;
	ifbh_timebook_model(NULL, NOMINAL, &c, &m);
	ck_assert_uint_eq(m.size, part);
	ck_assert_uint_eq(m.marks, 0);
	ck_assert_double_eq(m.nominal_hz, NOMINAL);
	ck_assert_double_eq(m.rate_hz, 0);
	/* beyond the caller's size: untouched */
	ck_assert_uint_eq(((const unsigned char *)&m)[part], 0xa5);
	ck_assert_uint_eq(((const unsigned char *)&m)[sizeof(m) - 1], 0xa5);

	memset(&m, 0xa5, sizeof(m));
	m.size = sizeof(m) + 64; /* a later version's: ours is filled */
	ifbh_timebook_model(NULL, 0, &c, &m);
	ck_assert_uint_eq(m.size, sizeof(m));
	ck_assert_int_eq(m.source, IFBH_TIME_NONE);
	ck_assert_int_eq(m.clock_known, 1);
	ck_assert_int_eq(m.host_offset_ns, -5);
	ck_assert_uint_eq(m.clock_flags, 9);
	ck_assert_double_eq(m.ppm, 0);
}
END_TEST

static Suite *host_time_ring_suite(void)
{
	Suite *s = suite_create("host-time-ring");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fetch_reads_the_ring_and_fills_the_model);
	tcase_add_test(tc, fetch_stops_at_the_bound);
	tcase_add_test(tc, fetch_of_an_overrun_ring);
	tcase_add_test(tc, fetch_of_hostile_devices);
	tcase_add_test(tc, model_fill_sizes);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_time_ring_suite)
