// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the host's parsers of the device's GET_INFO,
 * GET_STATS, GET_GAPS, GET_STATUS, GET_STREAM, GET_TIMES and GET_CLOCK
 * replies (src/host/proto.c, libifbhost), the time book an accepted
 * GET_TIMES reply feeds and its fetch of a device's replies
 * (src/host/times.c). The device is untrusted: any
 * bytes go to every parser. A reply they accept must satisfy what the
 * rest of the host tool relies on (channels inside the scan, no overlap,
 * terminated names, gap offsets in order); a refused one must say why.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/proto.h"
#include "host/times.h"

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz-capture-proto: %s:%d: %s does not hold\n", \
				__FILE__, __LINE__, #cond);                           \
			abort();                                                      \
		}                                                                     \
	} while (0)

static void check_info(const struct ifbh_info *in, const char *sign)
{
	CHECK(in->num_channels >= 1 && in->num_channels <= IFB_MAX_CHANNELS);
	CHECK(memchr(in->device_name, '\0', sizeof(in->device_name)));
	CHECK(in->scan_size && in->block_size && in->block_size % in->scan_size == 0);
	for (unsigned i = 0; i < in->num_channels; i++) {
		const struct ifbh_channel *c = &in->ch[i];
		uint64_t end = c->offset + (uint64_t)c->repeat * (c->storage_bits / 8);

		CHECK(memchr(c->name, '\0', sizeof(c->name)));
		/* 0 or 1 whatever the letter; 'S' and 'U' from version 4 only */
		CHECK(c->is_signed <= 1 && strchr(in->version >= 4 ? "usSU" : "us", sign[i]));
		CHECK(c->is_signed == (sign[i] == 's' || sign[i] == 'S'));
		CHECK(c->bits >= 1 && c->bits + c->shift <= c->storage_bits);
		CHECK(c->repeat >= 1 && end <= in->scan_size);
		for (unsigned k = 0; k < i; k++) {
			const struct ifbh_channel *o = &in->ch[k];
			uint64_t oend = o->offset + (uint64_t)o->repeat * (o->storage_bits / 8);

			CHECK(c->offset >= oend || o->offset >= end);
			CHECK(c->scan_index != o->scan_index);
		}
		/* the I/Q hint: none before version 3; pairs that name each other */
		CHECK(c->iq <= IFBH_IQ_ROLE_Q);
		if (in->version < 3 || !c->iq)
			CHECK(!c->iq && !c->iq_partner);
		else
			CHECK(c->iq_partner < in->num_channels && c->iq_partner != i &&
			      in->ch[c->iq_partner].iq_partner == i &&
			      in->ch[c->iq_partner].iq + c->iq == IFBH_IQ_ROLE_I + IFBH_IQ_ROLE_Q);
	}
}

static void check_stats(const struct ifbh_stats *st)
{
	CHECK(st->num_gaps <= IFB_STATS_MAX_GAPS && st->num_gaps <= st->gaps_total);
	for (unsigned i = 1; i < st->num_gaps; i++)
		CHECK(st->gap_offset[i] >= st->gap_offset[i - 1]);
}

/* GET_GAPS (protocol version 2): what the host's gap book relies on. */
static void check_gaps(const struct ifbh_gaps_reply *r)
{
	CHECK(r->count <= IFB_GAPS_MAX_PER_REPLY);
	CHECK(r->first_seq <= r->gaps_total && r->gaps_total - r->first_seq >= r->count);
	for (unsigned i = 1; i < r->count; i++)
		CHECK(r->offset[i] >= r->offset[i - 1]);
}

/* GET_TIMES (protocol version 6): what the time book relies on; then the
 * book itself takes the reply, whatever its marks say. */
static void check_times(const struct ifbh_times_reply *r)
{
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	int64_t t;
	int ret;

	CHECK(r->count <= IFB_TIMES_MAX_PER_REPLY && r->source <= IFB_TIME_READ);
	CHECK(r->first_seq <= r->marks_total && r->marks_total - r->first_seq >= r->count);
	for (unsigned i = 1; i < r->count; i++)
		CHECK(r->mark[i].offset > r->mark[i - 1].offset);
	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, 4, 1e6, false);
	ret = ifbh_timebook_feed(&b, r, UINT64_MAX, &g);
	CHECK(ret == 0 || ret == 1 || ret == -EBADMSG);
	CHECK(b.tm.marks <= r->count);
	if (b.tm.marks)
		/* no crash, no UB; a hostile slope (time going back) says EAGAIN */
		CHECK((ret = ifbh_tm_time(&b.tm, r->mark[0].offset, &t)) == 0 || ret == -ERANGE ||
		      ret == -EAGAIN);
	ifbh_timebook_free(&b);

	/*
	 * With a timestamp channel (version 7): the reply's clock decides the
	 * source; the device's timestamps (here the marks' own numbers, as
	 * hostile as they come, and a hostile clock offset) go in before and
	 * after it, in offset order as transfers arrive.
	 */
	CHECK(r->ts_clock == IFB_TS_CLOCK_UNKNOWN || r->ts_clock <= IFB_TS_CLOCK_TAI);
	ifbh_timebook_init(&b, 4, 1e6, true);
	ifbh_timebook_set_clock(&b, &(struct ifbh_clock_est){
		.valid = true, .realtime_ns = r->count ? (int64_t)r->mark[0].start_ns : 0,
		.tai_ns = INT64_MIN, .boottime_ns = INT64_MAX });
	for (unsigned i = 0; i < r->count / 2; i++)
		CHECK(ifbh_timebook_timestamp(&b, r->mark[i].offset, (int64_t)r->mark[i].board_ns,
					      &g) == 0);
	ret = ifbh_timebook_feed(&b, r, r->count ? r->mark[r->count - 1].offset : 0, &g);
	CHECK(ret == 0 || ret == 1 || ret == -EBADMSG);
	for (unsigned i = r->count / 2; i < r->count; i++)
		CHECK(ifbh_timebook_timestamp(&b, r->mark[i].offset, (int64_t)r->mark[i].board_ns,
					      &g) == 0);
	CHECK(b.tm.marks <= r->count && b.npend <= r->count);
	/* fallen back from timestamps that were none: the marks for good */
	CHECK(!b.ts_failed || b.ts_use == 0);
	if (ret >= 0) {
		/* the same stream saying another clock contradicts itself */
		static struct ifbh_times_reply r2;

		r2 = *r;
		r2.ts_clock = r->ts_clock == IFB_TS_CLOCK_TAI ? IFB_TS_CLOCK_NONE : IFB_TS_CLOCK_TAI;
		CHECK(ifbh_timebook_feed(&b, &r2, UINT64_MAX, &g) == -EBADMSG);
	}
	if (b.tm.marks)
		CHECK((ret = ifbh_tm_time(&b.tm, r->mark[0].offset, &t)) == 0 || ret == -ERANGE ||
		      ret == -EAGAIN);
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}

/* A device that answers every GET_TIMES with the input; "honest" ones
 * put the sequence number asked for as the reply's first_seq. */
struct fetch_dev {
	const uint8_t *data;
	size_t size;
	bool honest;
	unsigned int calls;
};

static int fetch_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	struct fetch_dev *d = user;
	size_t n = d->size < len ? d->size : len;

	d->calls++;
	memcpy(buf, d->data, n);
	if (d->honest && n >= 24) {
		uint64_t first = htole64(seq);

		memcpy(buf + 16, &first, sizeof(first));
	}
	return (int)n;
}

/* ifbh_timebook_fetch on such a device: it ends, within the ring's worth
 * of replies, with marks it read or an error it names. */
static void check_fetch(const uint8_t *data, size_t size, bool honest)
{
	static struct ifbh_times_reply scratch;
	struct fetch_dev d = { .data = data, .size = size, .honest = honest };
	struct ifbh_timebook b;
	struct ifbh_gaps g;
	char err[512] = "";
	int ret;

	ifbh_gaps_init(&g);
	ifbh_timebook_init(&b, 4, 1e6, false);
	ret = ifbh_timebook_fetch(&b, UINT64_MAX, &g, fetch_get, &d, true, &scratch, err, sizeof(err));
	CHECK(d.calls >= 1 && d.calls <= IFB_TIMES_RING / IFB_TIMES_MAX_PER_REPLY + 1);
	if (ret >= 0)
		CHECK((uint64_t)ret <= (uint64_t)d.calls * IFB_TIMES_MAX_PER_REPLY &&
		      b.tm.marks <= (uint64_t)ret);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	ifbh_timebook_free(&b);
	ifbh_gaps_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ifbh_info info;
	static struct ifbh_stats stats;
	static struct ifbh_gaps_reply gaps;
	static struct ifbh_times_reply times;
	struct ifbh_clock_reply clk;
	struct ifbh_status_reply st;
	struct ifbh_stream_reply sr;
	char sign[IFB_MAX_CHANNELS];
	char err[512];

	err[0] = '\0';
	if (ifbh_parse_info_signs(data, size, &info, sign, err, sizeof(err)) == 0)
		check_info(&info, sign);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	err[0] = '\0';
	if (ifbh_parse_stats(data, size, &stats, err, sizeof(err)) == 0)
		check_stats(&stats);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	err[0] = '\0';
	if (ifbh_parse_gaps(data, size, &gaps, err, sizeof(err)) == 0)
		check_gaps(&gaps);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	err[0] = '\0';
	if (ifbh_parse_status(data, size, &st, err, sizeof(err)) == 0)
		CHECK(st.error <= 0 && st.error > -4096);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	err[0] = '\0';
	if (ifbh_parse_stream(data, size, &sr, err, sizeof(err)) == 0)
		CHECK(sr.index < sr.count && sr.count <= IFB_MAX_STREAMS &&
		      ifbh_stream_name_valid(sr.name, sizeof(sr.name)));
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	err[0] = '\0';
	if (ifbh_parse_times(data, size, &times, err, sizeof(err)) == 0)
		check_times(&times);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	check_fetch(data, size, false);
	check_fetch(data, size, true);
	err[0] = '\0';
	if (ifbh_parse_clock(data, size, &clk, err, sizeof(err)) == 0)
		CHECK(clk.monotonic_ns > 0 && clk.monotonic_ns <= INT64_MAX / 2 &&
		      clk.realtime_ns >= -(INT64_MAX / 2) && clk.realtime_ns <= INT64_MAX / 2);
	else
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	return 0;
}
