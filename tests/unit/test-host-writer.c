// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libifbhost's writer (output streams, protocol version 5) against a fake
 * device: how writes are cut into transfers of whole blocks, the last
 * transfer's whole scans and its zero-length packet, the end of a stream
 * (every transfer back before STOP, GET_STATS until idle), underflows
 * through GET_GAPS, timeouts and failed transfers. No USB: the writer's
 * table of operations (src/host/writer.h) is the fake's.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/gaps.h"
#include "host/internal.h"
#include "host/writer.h"
#include "iio-ffs-bridge/protocol.h"
#include <unistd.h>

#include "unit.h"

#define NBUF 3
#define BLOCK 1024u
#define XSIZE (2 * BLOCK)
#define SCAN 4u
#define MAXPACKET 512u
#define MAX_SUBS 64
#define MAX_GAPS 16

struct fake {
	struct ifbh_ctx ctx;
	struct ifbh_dev dev;
	struct ifbh_writer *w;
	uint8_t mem[NBUF][XSIZE];
	uint8_t *bufs[NBUF];
	/* submissions in order, and those in flight (a FIFO, as an endpoint) */
	unsigned int sub_slot[MAX_SUBS];
	size_t sub_len[MAX_SUBS];
	bool sub_zlp[MAX_SUBS];
	unsigned int nsub, done; /* sub_* [done, nsub) are in flight */
	bool complete;           /* events complete what is in flight */
	int fail_with;           /* complete with this error instead */
	uint8_t data[1 << 16];   /* what the device took, in order */
	size_t ndata;
	char log[256];           /* requests: "START STOP@END STOP " */
	bool stop_with_inflight; /* a STOP without data while transfers were in flight */
	unsigned int stop_at_nsub; /* transfers submitted when STOP@ came */
	unsigned int stats_calls, stopping_polls; /* polls in STOPPING before IDLE */
	bool never_idle;
	bool idle; /* said IDLE after STOP */
	int stats_fail; /* GET_STATS fails with this after STOP */
	uint64_t gap[MAX_GAPS];
	unsigned int ngaps, gaps_calls;
	int start_status; /* GET_STATUS's outcome of START (-ETIME: late) */
	bool idle_now;    /* the device ended the stream on its own */
};

static int f_submit(void *io, unsigned int i, size_t len, bool zlp)
{
	struct fake *f = io;

	ck_assert_uint_lt(f->nsub, MAX_SUBS);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_le(len, XSIZE);
	f->sub_slot[f->nsub] = i;
	f->sub_len[f->nsub] = len;
	f->sub_zlp[f->nsub] = zlp;
	f->nsub++;
	return 0;
}

static int f_events(void *io, int timeout_ms)
{
	struct fake *f = io;

	while (f->complete && f->done < f->nsub) {
		unsigned int k = f->done++;
		unsigned int i = f->sub_slot[k];

		if (f->fail_with) {
			ifbh_writer_done(f->w, i, f->fail_with, 0);
			continue;
		}
		ck_assert_uint_le(f->ndata + f->sub_len[k], sizeof(f->data));
		memcpy(f->data + f->ndata, f->bufs[i], f->sub_len[k]);
		f->ndata += f->sub_len[k];
		ifbh_writer_done(f->w, i, 0, f->sub_len[k]);
	}
	return 0;
}

static void f_cancel(void *io, unsigned int i)
{
	struct fake *f = io;

	/* the fake completes cancelled ones at the next events */
	f->complete = true;
	f->fail_with = -ECANCELED;
}

static int f_request(void *io, uint8_t req)
{
	struct fake *f = io;

	if (req == IFB_REQ_STOP && f->done < f->nsub)
		f->stop_with_inflight = true;
	strcat(f->log, req == IFB_REQ_START ? "START " : req == IFB_REQ_STOP ? "STOP " : "? ");
	return 0;
}

static int f_stop_at(void *io, uint64_t end)
{
	struct fake *f = io;
	char e[40];

	f->stop_at_nsub = f->nsub;
	snprintf(e, sizeof(e), "STOP@%llu ", (unsigned long long)end);
	strcat(f->log, e);
	return 0;
}

static int f_start_with(void *io, uint64_t len, uint64_t at_ns)
{
	struct fake *f = io;
	char e[64];

	if (len)
		snprintf(e, sizeof(e), "CYCLIC@%llu ", (unsigned long long)len);
	if (at_ns)
		snprintf(e + (len ? strlen(e) : 0), sizeof(e) - (len ? strlen(e) : 0), "AT@%llu ",
			 (unsigned long long)at_ns);
	strcat(f->log, e);
	return 0;
}

static int f_start_status(void *io)
{
	struct fake *f = io;

	return f->start_status;
}

static bool stopped(const struct fake *f)
{
	return strstr(f->log, "STOP") != NULL;
}

static int f_stats(void *io, struct ifbh_stats *st)
{
	struct fake *f = io;

	memset(st, 0, sizeof(*st));
	f->stats_calls++;
	if (f->stats_fail && stopped(f))
		return f->stats_fail;
	st->version = 5;
	st->stream_id = 1;
	st->state = f->idle_now ? IFB_STATE_IDLE : IFB_STATE_STREAMING;
	if (stopped(f)) {
		/* a device that said idle stays idle */
		st->state = IFB_STATE_STOPPING;
		if (!f->never_idle && (f->idle || f->stopping_polls-- == 0))
			st->state = IFB_STATE_IDLE;
		f->idle = st->state == IFB_STATE_IDLE;
	}
	st->bytes_sent = f->ndata;
	st->starvations = f->ngaps;
	st->gaps_total = f->ngaps;
	st->num_gaps = 0; /* the writer asks GET_GAPS */
	return 0;
}

/* GET_GAPS, at most 2 offsets a reply so that the writer asks again. */
static int f_gaps(void *io, uint16_t seq, uint8_t *buf, uint16_t len)
{
	struct fake *f = io;
	struct ifb_gaps h = { 0 };
	unsigned int count = 0;

	f->gaps_calls++;
	for (unsigned int k = seq; k < f->ngaps && count < 2; k++, count++) {
		uint64_t v = htole64(f->gap[k]);

		memcpy(buf + sizeof(h) + count * 8, &v, 8);
	}
	h.magic = htole32(IFB_GAPS_MAGIC);
	h.version = htole16(5);
	h.length = htole16((uint16_t)(sizeof(h) + count * 8));
	h.stream_id = htole32(1);
	h.count = htole16((uint16_t)count);
	h.first_seq = htole64(seq);
	h.gaps_total = htole64(f->ngaps);
	memcpy(buf, &h, sizeof(h));
	ck_assert_uint_ge(len, sizeof(h) + count * 8);
	return (int)(sizeof(h) + count * 8);
}

static const struct ifbh_wio_ops fake_ops = {
	.submit = f_submit,
	.events = f_events,
	.cancel = f_cancel,
	.request = f_request,
	.stop_at = f_stop_at,
	.start_with = f_start_with,
	.start_status = f_start_status,
	.stats = f_stats,
	.gaps = f_gaps,
};

static struct fake *fake_new_unstarted(void);

static struct fake *fake_new(void)
{
	struct fake *f = fake_new_unstarted();

	ck_assert_int_eq(ifbh_writer_start(f->w), 0);
	ck_assert_str_eq(f->log, "START ");
	return f;
}

static struct fake *fake_new_unstarted(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->dev.ctx = &f->ctx;
	f->dev.direction = IFBH_DIRECTION_OUT;
	f->dev.desc.max_packet = MAXPACKET;
	f->dev.info.version = 5;
	f->dev.info.scan_size = SCAN;
	f->dev.info.block_size = BLOCK;
	f->dev.info.block_count = 4;
	f->dev.info.state = IFB_STATE_IDLE;
	f->complete = true;
	for (unsigned int i = 0; i < NBUF; i++)
		f->bufs[i] = f->mem[i];
	ck_assert_int_eq(ifbh_writer_new_io(&f->dev, 0, &fake_ops, f, f->bufs, NBUF, XSIZE, &f->w),
			 0);
	return f;
}

static void fake_free(struct fake *f)
{
	ifbh_writer_free(f->w);
	free(f);
}

static void pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* A timed start: START's data carries the board time; played, the end
 * is as usual; late, the writer says -ETIME, not played, and gives up
 * what is in flight. */
START_TEST(timed_start)
{
	struct fake *f = fake_new_unstarted();
	uint8_t buf[BLOCK];

	ck_assert_int_eq(ifbh_writer_start_at(f->w, 0), -EINVAL);
	ck_assert_int_eq(ifbh_writer_start_at(f->w, 5000000000), 0);
	ck_assert_str_eq(f->log, "AT@5000000000 ");
	ck_assert_int_eq(ifbh_writer_start_at(f->w, 5000000000), -EINVAL);
	pattern(buf, sizeof(buf));
	ck_assert_int_eq(ifbh_writer_write(f->w, buf, sizeof(buf), 1000), (ssize_t)sizeof(buf));
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert(ifbh_writer_status(f->w)->played);
	fake_free(f);

	/* late, found at the end: the device is idle after STOP */
	f = fake_new_unstarted();
	f->start_status = -ETIME;
	ck_assert_int_eq(ifbh_writer_start_at(f->w, 5000000000), 0);
	ck_assert_int_eq(ifbh_writer_write(f->w, buf, sizeof(buf), 1000), (ssize_t)sizeof(buf));
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), -ETIME);
	ck_assert(!ifbh_writer_status(f->w)->played);
	ck_assert_ptr_nonnull(strstr(f->dev.err, "late"));
	fake_free(f);

	/* late while writing: the stream is idle before any STOP; what is
	 * in flight is cancelled */
	f = fake_new_unstarted();
	f->start_status = -ETIME;
	f->complete = false;
	ck_assert_int_eq(ifbh_writer_start_at(f->w, 5000000000), 0);
	ck_assert_int_eq(ifbh_writer_write(f->w, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	ck_assert_int_eq(ifbh_writer_write(f->w, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	f->idle_now = true;
	/* (the fake's events do not wait: poll until the GET_STATS is due) */
	for (int k = 0; k < 200 && ifbh_writer_poll(f->w, 10) == 0; k++)
		usleep(10000);
	ck_assert_int_eq(ifbh_writer_poll(f->w, 10), -ETIME);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), -ETIME);
	ck_assert(!ifbh_writer_status(f->w)->played);
	fake_free(f);
}
END_TEST

START_TEST(plan_rules)
{
	/* about 1 MiB of whole blocks, at least one */
	ck_assert_uint_eq(ifbh_writer_plan_size(4096, 0), 1u << 20);
	ck_assert_uint_eq(ifbh_writer_plan_size(1000, 0), 1049000);
	ck_assert_uint_eq(ifbh_writer_plan_size(3000000, 0), 3000000);
	/* asked for: rounded up to whole blocks */
	ck_assert_uint_eq(ifbh_writer_plan_size(1024, 1), 1024);
	ck_assert_uint_eq(ifbh_writer_plan_size(1024, 1024), 1024);
	ck_assert_uint_eq(ifbh_writer_plan_size(1024, 1025), 2048);
	ck_assert_uint_eq(ifbh_writer_plan_size(0, 1024), 0);
	/* a zero-length packet after a whole number of packets only */
	ck_assert(ifbh_writer_needs_zlp(512, 512, 1024));
	ck_assert(ifbh_writer_needs_zlp(3 * 1024, 1024, 4096));
	ck_assert(ifbh_writer_needs_zlp(512, 512, 0));
	/* a whole block ends the device's block itself: a ZLP would wait for
	 * a block the device no longer receives into */
	ck_assert(!ifbh_writer_needs_zlp(4096, 1024, 4096));
	ck_assert(!ifbh_writer_needs_zlp(2 * 4096, 512, 4096));
	ck_assert(!ifbh_writer_needs_zlp(513, 512, 1024));
	ck_assert(!ifbh_writer_needs_zlp(100, 512, 1024));
	ck_assert(!ifbh_writer_needs_zlp(0, 512, 1024));
	ck_assert(!ifbh_writer_needs_zlp(512, 0, 1024));
	ck_assert_uint_eq(ifbh_writer_whole_scans(10, 4), 8);
	ck_assert_uint_eq(ifbh_writer_whole_scans(3, 4), 0);
	ck_assert_uint_eq(ifbh_writer_whole_scans(12, 6), 12);
}
END_TEST

/* Writes of any length become full transfers, the rest a short last one. */
START_TEST(split_and_end)
{
	struct fake *f = fake_new();
	static uint8_t in[5000];
	const struct ifbh_writer_status *st = ifbh_writer_status(f->w);
	size_t cuts[] = { 7, 1000, 3993 }, at = 0;

	pattern(in, sizeof(in));
	for (size_t k = 0; k < 3; k++) {
		ck_assert_int_eq(ifbh_writer_write(f->w, in + at, cuts[k], -1), (ssize_t)cuts[k]);
		at += cuts[k];
	}
	ck_assert_uint_eq(st->queued, 5000);
	ck_assert_uint_eq(f->nsub, 2);
	ck_assert_uint_eq(f->sub_len[0], XSIZE);
	ck_assert_uint_eq(f->sub_len[1], XSIZE);
	ck_assert(!f->sub_zlp[0] && !f->sub_zlp[1]);
	f->stopping_polls = 3;
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	/* 904 bytes: whole scans, not whole packets: no ZLP */
	ck_assert_uint_eq(f->nsub, 3);
	ck_assert_uint_eq(f->sub_len[2], 904);
	ck_assert(!f->sub_zlp[2]);
	ck_assert_uint_eq(f->ndata, 5000);
	ck_assert_mem_eq(f->data, in, 5000);
	/* STOP with the end before the last transfer (the device cannot see
	 * where a short packet ended its block), then GET_STATS until idle */
	ck_assert(!f->stop_with_inflight);
	ck_assert_uint_eq(f->stop_at_nsub, 2);
	ck_assert_str_eq(f->log, "START STOP@5000 ");
	ck_assert(st->played && st->ended && st->stop_sent);
	ck_assert_int_eq(st->error, 0);
	ck_assert_uint_eq(st->sent, 5000);
	ck_assert_uint_eq(st->dropped, 0);
	ck_assert_uint_eq(st->stats.state, IFB_STATE_IDLE);
	/* the end once more: nothing new */
	ck_assert_int_eq(ifbh_writer_end(f->w, 0), 0);
	ck_assert_str_eq(f->log, "START STOP@5000 ");
	ck_assert_int_eq(ifbh_writer_write(f->w, in, 4, 0), -EINVAL);
	fake_free(f);
}
END_TEST

/* A cyclic stream: the waveform in one transfer, no writes, a plain STOP. */
START_TEST(cyclic_waveform)
{
	struct fake *f = fake_new_unstarted();
	static uint8_t wave[BLOCK];

	pattern(wave, sizeof(wave));
	/* whole scans, at most a block */
	ck_assert_int_eq(ifbh_writer_start_cyclic(f->w, wave, 6, 1000), -EINVAL);
	ck_assert_int_eq(ifbh_writer_start_cyclic(f->w, wave, 4 * BLOCK + SCAN, 1000), -EINVAL);
	ck_assert_int_eq(ifbh_writer_start_cyclic(f->w, wave, MAXPACKET, 1000), 0);
	ck_assert_str_eq(f->log, "CYCLIC@512 ");
	ck_assert_uint_eq(f->nsub, 1);
	ck_assert_uint_eq(f->sub_len[0], MAXPACKET);
	ck_assert(f->sub_zlp[0]); /* whole packets, half a block */
	ck_assert_mem_eq(f->data, wave, MAXPACKET);
	ck_assert_int_eq(ifbh_writer_write(f->w, wave, 4, 0), -EINVAL);
	ck_assert_int_eq(ifbh_writer_start(f->w), -EINVAL);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_str_eq(f->log, "CYCLIC@512 STOP ");
	ck_assert(ifbh_writer_status(f->w)->played);
	fake_free(f);

	/* a waveform of several blocks: whole transfers, then the rest */
	f = fake_new_unstarted();
	{
		static uint8_t big[2 * BLOCK + MAXPACKET];

		pattern(big, sizeof(big));
		ck_assert_int_eq(ifbh_writer_start_cyclic(f->w, big, sizeof(big), 1000), 0);
		ck_assert_str_eq(f->log, "CYCLIC@2560 ");
		ck_assert_uint_eq(f->nsub, 2);
		ck_assert_uint_eq(f->sub_len[0], XSIZE);
		ck_assert(!f->sub_zlp[0]);
		ck_assert_uint_eq(f->sub_len[1], MAXPACKET);
		ck_assert(f->sub_zlp[1]);
		ck_assert_mem_eq(f->data, big, sizeof(big));
	}
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_str_eq(f->log, "CYCLIC@2560 STOP ");
	fake_free(f);
}
END_TEST

START_TEST(zlp_after_whole_packets)
{
	struct fake *f = fake_new();
	static uint8_t in[XSIZE + BLOCK];

	/* whole packets, half a block: a ZLP ends the device's block */
	ck_assert_int_eq(ifbh_writer_write(f->w, in, XSIZE + MAXPACKET, -1), XSIZE + MAXPACKET);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->nsub, 2);
	ck_assert_uint_eq(f->sub_len[1], MAXPACKET);
	ck_assert(f->sub_zlp[1]);
	fake_free(f);

	/* a whole block fills the device's block: no ZLP */
	f = fake_new();
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), (ssize_t)sizeof(in));
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->nsub, 2);
	ck_assert_uint_eq(f->sub_len[1], BLOCK);
	ck_assert(!f->sub_zlp[1]);
	fake_free(f);

	/* full transfers only: none is short, none needs a ZLP */
	f = fake_new();
	ck_assert_int_eq(ifbh_writer_write(f->w, in, XSIZE, -1), XSIZE);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->nsub, 1);
	ck_assert(!f->sub_zlp[0]);
	fake_free(f);
}
END_TEST

START_TEST(partial_scan_dropped)
{
	struct fake *f = fake_new();
	static uint8_t in[XSIZE + 2 * SCAN + 3];
	const struct ifbh_writer_status *st = ifbh_writer_status(f->w);

	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), (ssize_t)sizeof(in));
	/* write_scans wants whole scans before it */
	ck_assert_int_eq(ifbh_writer_write_scans(f->w, in, 1, 0), -EINVAL);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->nsub, 2);
	ck_assert_uint_eq(f->sub_len[1], 2 * SCAN);
	ck_assert_uint_eq(st->dropped, 3);
	ck_assert_uint_eq(f->ndata, XSIZE + 2 * SCAN);
	fake_free(f);

	/* nothing but a fraction left: nothing more sent */
	f = fake_new();
	st = ifbh_writer_status(f->w);
	ck_assert_int_eq(ifbh_writer_write(f->w, in, XSIZE + 1, -1), XSIZE + 1);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->nsub, 1);
	ck_assert_uint_eq(st->dropped, 1);
	fake_free(f);
}
END_TEST

START_TEST(write_scans)
{
	struct fake *f = fake_new();
	static uint8_t in[10 * SCAN];

	ck_assert_int_eq(ifbh_writer_write_scans(f->w, in, 10, -1), 10);
	ck_assert_uint_eq(ifbh_writer_status(f->w)->queued, 10 * SCAN);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->ndata, 10 * SCAN);
	fake_free(f);
}
END_TEST

/* No transfer back: a write takes what the free buffers hold, then times out. */
START_TEST(write_timeout)
{
	struct fake *f = fake_new();
	static uint8_t in[4 * XSIZE];

	f->complete = false;
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), 0), NBUF * XSIZE);
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), 0), -EAGAIN);
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), 30), -EAGAIN);
	/* the end cannot wait for them either; the device was told the end */
	ck_assert_int_eq(ifbh_writer_end(f->w, 30), -ETIMEDOUT);
	ck_assert_str_eq(f->log, "START STOP@6144 ");
	f->complete = true;
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(f->ndata, NBUF * XSIZE);
	ck_assert_str_eq(f->log, "START STOP@6144 ");
	fake_free(f);
}
END_TEST

/* A DAC that keeps playing: -ETIMEDOUT, and a later end finishes. */
START_TEST(end_waits_for_idle)
{
	struct fake *f = fake_new();
	static uint8_t in[100 * SCAN];
	const struct ifbh_writer_status *st = ifbh_writer_status(f->w);

	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), (ssize_t)sizeof(in));
	f->never_idle = true;
	ck_assert_int_eq(ifbh_writer_end(f->w, 60), -ETIMEDOUT);
	ck_assert(st->stop_sent && !st->played && !st->ended);
	ck_assert_uint_eq(st->stats.state, IFB_STATE_STOPPING);
	f->never_idle = false;
	f->stopping_polls = 0;
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert(st->played && st->ended);
	ck_assert_str_eq(f->log, "START STOP@400 ");
	fake_free(f);
}
END_TEST

static uint64_t told[MAX_GAPS];
static unsigned int ntold;

static void on_underflow(void *user, const struct ifbh_gap *g)
{
	ck_assert(g->exact);
	ck_assert_uint_lt(ntold, MAX_GAPS);
	told[ntold++] = g->offset;
}

/* Underflows: GET_STATS counts, GET_GAPS (2 a reply) gives every offset. */
START_TEST(underflows)
{
	struct fake *f = fake_new();
	static uint8_t in[3 * XSIZE];
	const uint64_t *off;
	const uint64_t want[5] = { 2048, 2048 + 400, 4096, 4100, 5000 };

	ntold = 0;
	ifbh_writer_set_underflow_cb(f->w, on_underflow, NULL);
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), (ssize_t)sizeof(in));
	memcpy(f->gap, want, sizeof(want));
	f->ngaps = 5;
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), 0);
	ck_assert_uint_eq(ifbh_writer_underflow_offsets(f->w, &off), 5);
	ck_assert_uint_eq(ntold, 5);
	for (unsigned int i = 0; i < 5; i++) {
		ck_assert_uint_eq(off[i], want[i]);
		ck_assert_uint_eq(told[i], want[i]);
	}
	ck_assert_uint_ge(f->gaps_calls, 3);
	ck_assert_uint_eq(ifbh_writer_status(f->w)->underflows, 5);
	ck_assert_uint_eq(ifbh_writer_status(f->w)->underflows_unlisted, 0);
	fake_free(f);
}
END_TEST

/* A transfer that fails: the error comes back from write; end still STOPs. */
START_TEST(transfer_fails)
{
	struct fake *f = fake_new();
	static uint8_t in[4 * XSIZE];

	f->fail_with = -EPIPE;
	ck_assert_int_eq(ifbh_writer_write(f->w, in, XSIZE, -1), XSIZE);
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), -EPIPE);
	ck_assert_uint_eq(ifbh_writer_status(f->w)->host_errors, 1);
	ck_assert_int_eq(ifbh_writer_end(f->w, 1000), -EPIPE);
	ck_assert_str_eq(f->log, "START STOP ");
	fake_free(f);
}
END_TEST

/* A device whose GET_STATS keeps failing after STOP: the end gives up. */
START_TEST(end_stats_fail)
{
	struct fake *f = fake_new();
	static uint8_t in[SCAN];
	const struct ifbh_writer_status *st = ifbh_writer_status(f->w);

	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), -1), (ssize_t)sizeof(in));
	f->stats_fail = -EPIPE;
	ck_assert_int_eq(ifbh_writer_end(f->w, -1), -EPIPE);
	ck_assert(st->ended && !st->played);
	ck_assert_uint_ge(st->proto_errors, 25);
	fake_free(f);
}
END_TEST

/* Cancel: transfers called back, STOP, ended but not played. */
START_TEST(cancel)
{
	struct fake *f = fake_new();
	static uint8_t in[2 * XSIZE];
	const struct ifbh_writer_status *st = ifbh_writer_status(f->w);

	f->complete = false;
	ck_assert_int_eq(ifbh_writer_write(f->w, in, sizeof(in), 0), (ssize_t)sizeof(in));
	ifbh_writer_cancel(f->w);
	ck_assert(st->ended && !st->played && st->stop_sent);
	ck_assert(!f->stop_with_inflight);
	ck_assert_str_eq(f->log, "START STOP ");
	ck_assert_int_eq(ifbh_writer_end(f->w, 0), 0);
	fake_free(f);
}
END_TEST

/* Each direction's object refuses the other's streams. */
START_TEST(direction_refused)
{
	struct ifbh_ctx ctx = { 0 };
	struct ifbh_dev dev = { .ctx = &ctx };
	struct ifbh_writer *w = NULL;
	struct ifbh_stream *s = NULL;

	dev.direction = IFBH_DIRECTION_IN;
	snprintf(dev.stream_name, sizeof(dev.stream_name), "rx");
	ck_assert_int_eq(ifbh_writer_new(&dev, NULL, &w), -EINVAL);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(ifbh_dev_error(&dev), "\"rx\" is an input stream"));
	dev.direction = IFBH_DIRECTION_OUT;
	snprintf(dev.stream_name, sizeof(dev.stream_name), "tx");
	ck_assert_int_eq(ifbh_stream_new(&dev, NULL, &s), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(ifbh_dev_error(&dev), "\"tx\" is an output stream"));
	ck_assert_int_eq(ifbh_dev_direction(&dev), IFBH_DIRECTION_OUT);
}
END_TEST

/* The shared GET_GAPS loop on its own: a getter that fails. */
static int failing_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	return -ETIMEDOUT;
}

START_TEST(gaps_fetch_errors)
{
	struct ifbh_gaps g;
	struct ifbh_gaps_reply *r = malloc(sizeof(*r));
	char msg[256] = "";

	ifbh_gaps_init(&g);
	ck_assert_int_eq(ifbh_gaps_fetch(&g, 0, failing_get, NULL, r, msg, sizeof(msg)), 0);
	ck_assert_int_eq(ifbh_gaps_fetch(&g, 3, failing_get, NULL, r, msg, sizeof(msg)),
			 -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(msg, "GET_GAPS failed"));
	ifbh_gaps_free(&g);
	free(r);
}
END_TEST

static Suite *host_writer_suite(void)
{
	Suite *s = suite_create("host-writer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plan_rules);
	tcase_add_test(tc, split_and_end);
	tcase_add_test(tc, zlp_after_whole_packets);
	tcase_add_test(tc, cyclic_waveform);
	tcase_add_test(tc, partial_scan_dropped);
	tcase_add_test(tc, write_scans);
	tcase_add_test(tc, write_timeout);
	tcase_add_test(tc, end_waits_for_idle);
	tcase_add_test(tc, underflows);
	tcase_add_test(tc, transfer_fails);
	tcase_add_test(tc, end_stats_fail);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, direction_refused);
	tcase_add_test(tc, gaps_fetch_errors);
	tcase_add_test(tc, timed_start);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_writer_suite)
