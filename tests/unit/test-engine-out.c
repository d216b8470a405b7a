// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine running an output stream (host to DAC) against a fake
 * backend: blocks received from USB go to the DAC in arrival order, cut
 * at the end the host announced and at the last whole scan; an underflow
 * (the DAC finished every block before the next was queued) is counted
 * with its offset; a stop takes USB back and lets the DAC play what it
 * holds.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "daemon/engine.h"
#include "unit.h"

#define BS 4096u
#define SCAN 4u

struct fake_out {
	unsigned rx[256], n_rx;
	unsigned dac[256], n_dac;
	uint32_t dac_len[256];
	unsigned usb_stops, stopped_calls;
	enum ifb_stop_reason stopped_reason;
	bool played[IFB_ENGINE_MAX_BLOCKS]; /* DAC done, not reported yet */
	int fail_dac;
	bool cyclic[256];
	unsigned dac_stops;
	uint32_t rx_len[256]; /* what each receive asked USB for */
	unsigned recv[256], n_recv; /* ops->received: blocks */
	uint32_t recv_len[256];
};

static struct fake_out fo;
static struct ifb_engine eo;

static int o_receive(void *ctx, unsigned blk)
{
	fo.rx_len[fo.n_rx] = eo.usb_bytes[blk];
	fo.rx[fo.n_rx++] = blk;
	return 0;
}

static void o_received(void *ctx, unsigned blk, uint32_t len)
{
	fo.recv_len[fo.n_recv] = len;
	fo.recv[fo.n_recv++] = blk;
}

static int o_dac(void *ctx, unsigned blk, uint32_t len, bool cyclic)
{
	fo.cyclic[fo.n_dac] = cyclic;
	if (fo.fail_dac) {
		int r = fo.fail_dac;

		fo.fail_dac = 0;
		return r;
	}
	fo.dac_len[fo.n_dac] = len;
	fo.dac[fo.n_dac++] = blk;
	return 0;
}

static bool o_finished(void *ctx, unsigned blk)
{
	return fo.played[blk];
}

static void o_usb_stop(void *ctx)
{
	fo.usb_stops++;
}

static void o_dac_stop(void *ctx)
{
	fo.dac_stops++;
}

static void o_stopped(void *ctx, enum ifb_stop_reason reason)
{
	fo.stopped_calls++;
	fo.stopped_reason = reason;
}

static const struct ifb_engine_ops out_ops = {
	.usb_receive = o_receive,
	.dac_enqueue = o_dac,
	.dac_finished = o_finished,
	.usb_stop = o_usb_stop,
	.dac_stop = o_dac_stop,
	.stopped = o_stopped,
	.received = o_received,
};

/* count: does the backend see the DAC's queue (zero-copy's fences)? */
static void setup_out_counting(unsigned nblocks, bool count)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, nblocks, BS, count, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
}

static void setup_out(unsigned nblocks)
{
	setup_out_counting(nblocks, true);
}

START_TEST(output_needs_its_operations)
{
	static const struct ifb_engine_ops half = { .usb_receive = o_receive, .stopped = o_stopped };

	ck_assert_int_eq(ifb_engine_init(&eo, 2, BS, false, &half, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), -EINVAL);
	ck_assert_int_eq(ifb_engine_init(&eo, 2, BS, false, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, 0), -EINVAL);
}
END_TEST

START_TEST(received_blocks_play_in_arrival_order)
{
	setup_out(3);
	/* every block waits for the host first */
	ck_assert_uint_eq(fo.n_rx, 3);
	ck_assert_uint_eq(fo.n_dac, 0);
	/* block 1's transfer completes first: it waits behind block 0 */
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 2);
	ck_assert_uint_eq(fo.dac[0], 0);
	ck_assert_uint_eq(fo.dac[1], 1);
	ck_assert_uint_eq(fo.dac_len[0], BS);
	/* played: counted, and back to USB */
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_uint_eq(eo.c.bytes_sent, BS);
	ck_assert_uint_eq(eo.c.blocks_sent, 1);
	ck_assert_uint_eq(fo.n_rx, 4);
	ck_assert_uint_eq(fo.rx[3], 0);
	ck_assert_uint_eq(eo.c.starvations, 0);
}
END_TEST

START_TEST(underflow_is_counted_where_the_next_block_begins)
{
	setup_out(2);
	ifb_engine_usb_received(&eo, 0, 0, BS); /* the first block: never an underflow */
	ck_assert_uint_eq(eo.c.starvations, 0);
	/* block 0 played and reported before block 1 arrived: dry */
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_uint_eq(eo.c.starvations, 1);
	ck_assert_uint_eq(eo.c.gaps_total, 1);
	ck_assert_uint_eq(eo.c.gap_offset[0], BS);
	/* block 0 again, behind block 1 still playing: no underflow */
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(eo.c.starvations, 1);
	/* block 1 has played (fence signalled) but is not reported yet when
	 * block 1's successor... : the backend's answer counts */
	fo.played[0] = true;
	ifb_engine_adc_done(&eo, 1, 0);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_uint_eq(eo.c.starvations, 2);
	ck_assert_uint_eq(eo.c.gap_offset[1], 3 * BS);
}
END_TEST

START_TEST(announced_end_cuts_the_last_block_at_a_whole_scan)
{
	setup_out(4);
	/* 2.5 blocks and a scan's fraction */
	ck_assert_int_eq(ifb_engine_end_at(&eo, 2 * BS + BS / 2 + 3), 0);
	ck_assert_int_eq(eo.run, IFB_STATE_STREAMING);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_int_eq(eo.run, IFB_STATE_STREAMING);
	/* FunctionFS cannot say the last transfer was short: block_size */
	ifb_engine_usb_received(&eo, 2, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 3);
	ck_assert_uint_eq(fo.dac_len[2], BS / 2); /* the 3 bytes of a scan dropped */
	ck_assert_uint_eq(eo.dropped, 3);
	/* everything received: USB is taken back, the DAC plays on */
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ck_assert_uint_eq(fo.usb_stops, 1);
	ck_assert_uint_eq(fo.stopped_calls, 0);
	ifb_engine_usb_received(&eo, 3, -ECANCELED, 0); /* the block nobody filled */
	ck_assert_uint_eq(fo.stopped_calls, 0);
	ck_assert_uint_eq(eo.c.usb_errors, 0);
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_adc_done(&eo, 1, 0);
	ck_assert_uint_eq(fo.stopped_calls, 0); /* the last block still plays */
	ifb_engine_adc_done(&eo, 2, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_HOST);
	ck_assert_uint_eq(eo.c.bytes_sent, 2 * BS + BS / 2);
	/* nothing went back to USB while stopping */
	ck_assert_uint_eq(fo.n_rx, 4);
}
END_TEST

START_TEST(end_already_received_stops_at_once)
{
	setup_out(2);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS / 2), -EINVAL); /* before what came */
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS), 0);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ifb_engine_usb_received(&eo, 1, -ECANCELED, 0);
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_int_eq(eo.run, IFB_STATE_IDLE);
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS), -EBADF);
}
END_TEST

START_TEST(stop_without_end_plays_what_arrived)
{
	setup_out(3);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_int_eq(ifb_engine_end_at(&eo, UINT64_MAX), 0);
	ck_assert_uint_eq(fo.usb_stops, 1);
	/* block 1's transfer had completed before USB was taken back */
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ifb_engine_usb_received(&eo, 2, -ECANCELED, 0);
	ck_assert_uint_eq(fo.n_dac, 2);
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_adc_done(&eo, 1, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.bytes_sent, 2 * BS);
}
END_TEST

START_TEST(usb_failure_and_dac_failure)
{
	setup_out(2);
	/* a disconnect while receiving ends the stream as one */
	ifb_engine_usb_received(&eo, 0, -ESHUTDOWN, 0);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ck_assert_uint_eq(eo.c.usb_errors, 1);
	ifb_engine_usb_received(&eo, 1, -ECANCELED, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_DISCONNECT);

	/* the DAC refusing a block is an error that ends the stream */
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	fo.fail_dac = -EINVAL;
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(eo.c.adc_errors, 1);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ifb_engine_usb_received(&eo, 1, -ECANCELED, 0);
	ck_assert_uint_eq(fo.stopped_calls, 2);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_ERROR);

	/* a block the DAC failed is counted; the stream goes on */
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_adc_done(&eo, 0, -EIO);
	ck_assert_uint_eq(eo.c.adc_errors, 1);
	ck_assert_uint_eq(eo.c.bytes_sent, 0);
	ck_assert_int_eq(eo.run, IFB_STATE_STREAMING);
}
END_TEST

START_TEST(block_of_no_whole_scan_goes_back_to_usb)
{
	setup_out(2);
	ck_assert_int_eq(ifb_engine_end_at(&eo, 2), 0); /* half a scan, then the end */
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_uint_eq(eo.dropped, 2);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ifb_engine_usb_received(&eo, 1, -ECANCELED, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.bytes_sent, 0);
}
END_TEST

START_TEST(cyclic_waveform_repeats_until_stopped)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 4, BS, false, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 4 * BS + 4), -EINVAL); /* more than the pool */
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 0), -EINVAL);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 1000), 0);
	/* one block waits for the waveform; no other moves */
	ck_assert_uint_eq(fo.n_rx, 1);
	ifb_engine_usb_received(&eo, 0, 0, BS); /* FunctionFS says block_size */
	ck_assert_uint_eq(fo.n_dac, 1);
	ck_assert_uint_eq(fo.dac_len[0], 1000);
	ck_assert(fo.cyclic[0]);
	ck_assert_uint_eq(eo.c.bytes_sent, 1000);
	ck_assert_int_eq(eo.run, IFB_STATE_STREAMING);
	ck_assert_uint_eq(fo.n_rx, 1);
	/* an end cannot be announced: the waveform is the stream */
	ck_assert_int_eq(ifb_engine_end_at(&eo, 4096), -EINVAL);
	/* STOP: the DAC is stopped, its abort is no error */
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_uint_eq(fo.dac_stops, 1);
	ck_assert_uint_eq(fo.stopped_calls, 0);
	ifb_engine_adc_done(&eo, 0, -EINTR);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.adc_errors, 0);
	ck_assert_uint_eq(eo.c.bytes_sent, 1000);
	/* the next plain stream is not cyclic */
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ck_assert_uint_eq(fo.n_rx, 1 + 4);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert(!fo.cyclic[1]);
}
END_TEST

/* A waveform of several blocks: played when all of it has arrived, each
 * block queued again as the DAC finishes it, no USB traffic meanwhile. */
START_TEST(cyclic_waveform_of_several_blocks)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 4, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 2 * BS + 400), 0);
	ck_assert_uint_eq(fo.n_rx, 3); /* three blocks hold it */
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0); /* not before all of it is here */
	ifb_engine_usb_received(&eo, 2, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 3);
	ck_assert_uint_eq(fo.dac_len[2], 400);
	ck_assert(!fo.cyclic[0] && !fo.cyclic[2]); /* queued again by us, not the DAC */
	ck_assert_uint_eq(eo.c.starvations, 0);
	/* block 0 played: queued again behind block 2, no USB */
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_uint_eq(fo.n_dac, 4);
	ck_assert_uint_eq(fo.dac[3], 0);
	ck_assert_uint_eq(fo.dac_len[3], BS);
	ck_assert_uint_eq(fo.n_rx, 3);
	ck_assert_uint_eq(eo.c.bytes_sent, BS);
	ck_assert_uint_eq(eo.c.starvations, 0);
	ifb_engine_adc_done(&eo, 1, 0);
	ck_assert_uint_eq(eo.c.starvations, 0);
	/* block 1, queued last, had played too when block 2 was queued again:
	 * the DAC ran dry, an underflow where block 2's next pass begins */
	fo.played[1] = true;
	ifb_engine_adc_done(&eo, 2, 0);
	ck_assert_uint_eq(eo.c.starvations, 1);
	ck_assert_uint_eq(eo.c.gap_offset[0], 4 * BS + 400);
	/* STOP: the DAC is stopped */
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_uint_eq(fo.dac_stops, 1);
	while (eo.adc.len)
		ifb_engine_adc_done(&eo, eo.adc.idx[eo.adc.head], -EINTR);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.adc_errors, 0);
}
END_TEST

START_TEST(cyclic_dac_failure_ends_the_stream)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 2, BS, false, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, BS), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_adc_done(&eo, 0, -EIO);
	ck_assert_uint_eq(eo.c.adc_errors, 1);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_ERROR);
}
END_TEST

/* Copy and hybrid modes write() to the DAC: a block is "played" once the
 * kernel took it, so a DAC queue that looks empty says nothing. */
START_TEST(underflow_not_counted_where_write_hides_the_queue)
{
	setup_out_counting(2, false);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	fo.played[1] = true;
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(eo.c.starvations, 0);
	ck_assert_uint_eq(eo.c.gaps_total, 0);
	ck_assert_uint_eq(fo.n_dac, 3);
}
END_TEST

/* Copy mode's end: what the kernel's last fileio block holds unfilled is
 * never played; it leaves bytes_sent for dropped. */
START_TEST(bytes_not_played_after_all)
{
	setup_out_counting(2, false);
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS + BS / 2), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_not_played(&eo, 1000);
	ifb_engine_adc_done(&eo, 1, 0);
	ck_assert_uint_eq(eo.c.bytes_sent, BS + BS / 2 - 1000);
	ck_assert_uint_eq(eo.dropped, 1000);
	/* never below zero */
	ifb_engine_not_played(&eo, UINT64_MAX);
	ck_assert_uint_eq(eo.c.bytes_sent, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
}
END_TEST

/* The pull policy (IIOD WRITEBUF): nothing is received until asked; one
 * receive at a time, of the length asked, into a free block or the first
 * one the DAC gives back. */
static void setup_pull(unsigned nblocks, bool cyclic, uint64_t length)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, nblocks, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ifb_engine_set_pull(&eo, true);
	if (cyclic)
		ck_assert_int_eq(ifb_engine_start_cyclic(&eo, length), 0);
	else
		ck_assert_int_eq(ifb_engine_start(&eo), 0);
}

START_TEST(pull_receives_only_when_asked)
{
	setup_pull(2, false, 0);
	ck_assert_uint_eq(fo.n_rx, 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, 0), -EINVAL);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS + 1), -EINVAL);
	ck_assert_int_eq(ifb_engine_pull(&eo, BS), -EINVAL); /* the input way */
	ck_assert_int_eq(ifb_engine_receive(&eo, 1002), 1);
	ck_assert_uint_eq(fo.n_rx, 1);
	ck_assert_uint_eq(fo.rx_len[0], 1002);
	/* one at a time */
	ck_assert_int_eq(ifb_engine_receive(&eo, 8), -EBUSY);
	/* arrived: to the DAC up to its last whole scan, and said so */
	ifb_engine_usb_received(&eo, fo.rx[0], 0, 1002);
	ck_assert_uint_eq(fo.n_dac, 1);
	ck_assert_uint_eq(fo.dac_len[0], 1000);
	ck_assert_uint_eq(eo.dropped, 2);
	ck_assert_uint_eq(fo.n_recv, 1);
	ck_assert_uint_eq(fo.recv_len[0], 1000);
	/* the next, into the other block; nothing received without asking */
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 1);
	ck_assert_uint_eq(fo.n_rx, 2);
	ck_assert_uint_ne(fo.rx[1], fo.rx[0]);
	ifb_engine_usb_received(&eo, fo.rx[1], 0, BS);
	ck_assert_uint_eq(fo.n_recv, 2);
	/* played: free again, not back to USB */
	ifb_engine_adc_done(&eo, fo.dac[0], 0);
	ck_assert_uint_eq(fo.n_rx, 2);
	ck_assert_uint_eq(eo.c.bytes_sent, 1000);
}
END_TEST

START_TEST(pull_waits_for_the_dac_to_give_a_block_back)
{
	setup_pull(1, false, 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 1);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	/* the only block is with the DAC: the receive waits for it */
	ck_assert_int_eq(ifb_engine_receive(&eo, 64), 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, 64), -EBUSY);
	ck_assert_uint_eq(fo.n_rx, 1);
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_uint_eq(fo.n_rx, 2);
	ck_assert_uint_eq(fo.rx_len[1], 64);
	ifb_engine_usb_received(&eo, 0, 0, 64);
	ck_assert_uint_eq(fo.n_recv, 2);
	ck_assert_uint_eq(fo.recv_len[1], 64);
	/* the DAC ran dry in between: an underflow where the block begins */
	ck_assert_uint_eq(eo.c.starvations, 1);
	ck_assert_uint_eq(eo.c.gap_offset[0], BS);
}
END_TEST

START_TEST(pull_stop_drains_the_dac_and_drops_a_waiting_receive)
{
	setup_pull(1, false, 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 1);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 0);
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), -EBADF);
	ck_assert_uint_eq(fo.stopped_calls, 0); /* the DAC still plays */
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_uint_eq(fo.n_rx, 1); /* the waiting receive is gone */
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_HOST);
	ck_assert_uint_eq(eo.c.bytes_sent, BS);
}
END_TEST

START_TEST(pull_receive_cut_short_is_not_reported_received)
{
	setup_pull(2, false, 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 1);
	/* the client vanished mid-transfer: the pipe's reset takes USB back */
	ifb_engine_stop(&eo, IFB_STOP_DISCONNECT);
	ck_assert_uint_eq(fo.usb_stops, 1);
	ifb_engine_usb_received(&eo, 0, -ECONNRESET, 0);
	ck_assert_uint_eq(fo.n_recv, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.usb_errors, 0);
	/* the next stream begins clean */
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, BS), 1);
}
END_TEST

START_TEST(pull_cyclic_waveform_is_received_once)
{
	setup_pull(4, true, 2000);
	ck_assert_uint_eq(fo.n_rx, 0);
	ck_assert_int_eq(ifb_engine_receive(&eo, 2000), 1);
	ck_assert_int_eq(ifb_engine_receive(&eo, 2000), -EBUSY);
	ifb_engine_usb_received(&eo, fo.rx[0], 0, 2000);
	ck_assert_uint_eq(fo.n_dac, 1);
	ck_assert(fo.cyclic[0]);
	ck_assert_uint_eq(fo.dac_len[0], 2000);
	ck_assert_uint_eq(fo.n_recv, 1);
	/* a second buffer for a cyclic stream: refused, as libiio's is */
	ck_assert_int_eq(ifb_engine_receive(&eo, 2000), -EBUSY);
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_uint_eq(fo.dac_stops, 1);
	ifb_engine_adc_done(&eo, fo.dac[0], -EINTR);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.bytes_sent, 2000);
}
END_TEST

/* A stop while a cyclic waveform is still arriving: the block that
 * completes afterwards is not queued (nothing would stop it again), and
 * the stream ends. */
START_TEST(cyclic_stop_while_arriving)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 2, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, BS), 0);
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_uint_eq(fo.dac_stops, 0); /* the DAC holds nothing yet */
	/* its transfer had completed: reported after the stop */
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(eo.run, IFB_STATE_IDLE);
}
END_TEST

/* A disconnect or an error aborts the DAC; a block whose transfer
 * completes after such a stop is not played; a host's STOP that turns
 * into a disconnect aborts then. */
START_TEST(disconnect_aborts_the_dac)
{
	setup_out(3);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 1);
	ifb_engine_stop(&eo, IFB_STOP_DISCONNECT);
	ck_assert_uint_eq(fo.dac_stops, 1);
	ifb_engine_usb_received(&eo, 1, 0, BS); /* late: dropped */
	ifb_engine_usb_received(&eo, 2, -ESHUTDOWN, 0);
	ck_assert_uint_eq(fo.n_dac, 1);
	ifb_engine_adc_done(&eo, 0, -EINTR);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_uint_eq(eo.c.adc_errors, 0);

	/* STOP drains; a disconnect during the drain aborts */
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ck_assert_uint_eq(fo.dac_stops, 1);
	ifb_engine_stop(&eo, IFB_STOP_DISCONNECT);
	ck_assert_uint_eq(fo.dac_stops, 2);
}
END_TEST

/* A DAC whose driver ignores the cyclic flag gives the block back after
 * one pass: it is queued again (and the stream goes on). */
START_TEST(cyclic_block_given_back_is_queued_again)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 2, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, BS), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 1);
	ifb_engine_adc_done(&eo, 0, 0);
	ck_assert_uint_eq(fo.n_dac, 2);
	ck_assert(fo.cyclic[1]);
	ck_assert_int_eq(eo.run, IFB_STATE_STREAMING);
	ck_assert_uint_eq(eo.c.bytes_sent, 2 * BS);
	ck_assert_uint_eq(fo.n_rx, 1); /* still no USB */
}
END_TEST

/* A timed start: blocks arrive and wait, in order, until their time; then
 * they go to the DAC, and what arrives after them follows as usual. */
START_TEST(timed_start_holds_the_dac_until_released)
{
	setup_out(3);
	ck_assert_int_eq(ifb_engine_release(&eo), -EINVAL); /* nothing held */
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ck_assert_int_eq(ifb_engine_release(&eo), -EAGAIN); /* nothing arrived */
	ck_assert(eo.held);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_uint_eq(ifb_engine_busy(&eo), 3);
	ck_assert_int_eq(ifb_engine_release(&eo), 0);
	ck_assert_uint_eq(fo.n_dac, 2);
	ck_assert_uint_eq(fo.dac[0], 0);
	ck_assert_uint_eq(fo.dac[1], 1);
	ck_assert_uint_eq(eo.c.starvations, 0);
	ifb_engine_usb_received(&eo, 2, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 3);
	ck_assert_int_eq(ifb_engine_hold(&eo), -EINVAL); /* the DAC has it already */
}
END_TEST

/* A short burst whose end arrived before its time: the STOP keeps it held,
 * and it plays at its time; a late one plays nothing and ends LATE. */
START_TEST(timed_burst_ended_before_its_time)
{
	setup_out(3);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS + 8), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ifb_engine_usb_received(&eo, 2, -ECANCELED, 0);
	ck_assert_uint_eq(fo.stopped_calls, 0); /* the held blocks wait */
	ck_assert_int_eq(ifb_engine_release(&eo), 0);
	ck_assert_uint_eq(fo.n_dac, 2);
	ck_assert_uint_eq(fo.dac_len[1], 8);
	ifb_engine_adc_done(&eo, 0, 0);
	ifb_engine_adc_done(&eo, 1, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_HOST);
	ck_assert_uint_eq(eo.c.bytes_sent, BS + 8);

	/* the same burst, late */
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ck_assert_int_eq(ifb_engine_end_at(&eo, BS + 8), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ifb_engine_usb_received(&eo, 2, -ECANCELED, 0);
	ifb_engine_late(&eo);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_LATE);
	ck_assert_int_eq(eo.c.last_error, -ETIME);
	ck_assert_uint_eq(eo.c.bytes_sent, 0);
	ck_assert_uint_eq(eo.c.adc_errors + eo.c.usb_errors, 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(eo.state[i], IFB_BLOCK_FREE);
}
END_TEST

/* Late while streaming: USB is taken back, nothing reaches the DAC; a
 * disconnect drops what a timed start holds. */
START_TEST(timed_start_late_or_disconnected)
{
	setup_out(2);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_late(&eo);
	ck_assert_int_eq(eo.run, IFB_STATE_STOPPING);
	ck_assert_uint_eq(fo.usb_stops, 1);
	ifb_engine_usb_received(&eo, 1, 0, BS); /* arrived before USB was taken back */
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_LATE);

	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_start(&eo), 0);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ifb_engine_stop(&eo, IFB_STOP_HOST);
	ifb_engine_stop(&eo, IFB_STOP_DISCONNECT); /* held blocks are dropped */
	ifb_engine_usb_received(&eo, 1, -ESHUTDOWN, 0);
	ck_assert_uint_eq(fo.stopped_calls, 1);
	ck_assert_int_eq(fo.stopped_reason, IFB_STOP_DISCONNECT);
	ck_assert_int_eq(ifb_engine_release(&eo), -EINVAL);
	ck_assert_uint_eq(fo.n_dac, 0);
}
END_TEST

/* A timed cyclic waveform: released only once all of it has arrived. */
START_TEST(timed_cyclic_waveform)
{
	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 4, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 2 * BS), 0);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_int_eq(ifb_engine_release(&eo), -EAGAIN);
	ifb_engine_usb_received(&eo, 1, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_int_eq(ifb_engine_release(&eo), 0);
	ck_assert_uint_eq(fo.n_dac, 2);

	memset(&fo, 0, sizeof(fo));
	ck_assert_int_eq(ifb_engine_init(&eo, 4, BS, true, &out_ops, NULL), 0);
	ck_assert_int_eq(ifb_engine_set_output(&eo, SCAN), 0);
	ck_assert_int_eq(ifb_engine_start_cyclic(&eo, 1000), 0);
	ck_assert_int_eq(ifb_engine_hold(&eo), 0);
	ifb_engine_usb_received(&eo, 0, 0, BS);
	ck_assert_uint_eq(fo.n_dac, 0);
	ck_assert_int_eq(ifb_engine_release(&eo), 0);
	ck_assert_uint_eq(fo.n_dac, 1);
	ck_assert(fo.cyclic[0]);
	ck_assert_uint_eq(fo.dac_len[0], 1000);
}
END_TEST

static Suite *engine_out_suite(void)
{
	Suite *s = suite_create("engine-out");
	TCase *t = tcase_create("engine-out");

	tcase_add_test(t, output_needs_its_operations);
	tcase_add_test(t, timed_start_holds_the_dac_until_released);
	tcase_add_test(t, timed_burst_ended_before_its_time);
	tcase_add_test(t, timed_start_late_or_disconnected);
	tcase_add_test(t, timed_cyclic_waveform);
	tcase_add_test(t, received_blocks_play_in_arrival_order);
	tcase_add_test(t, underflow_is_counted_where_the_next_block_begins);
	tcase_add_test(t, announced_end_cuts_the_last_block_at_a_whole_scan);
	tcase_add_test(t, end_already_received_stops_at_once);
	tcase_add_test(t, stop_without_end_plays_what_arrived);
	tcase_add_test(t, usb_failure_and_dac_failure);
	tcase_add_test(t, block_of_no_whole_scan_goes_back_to_usb);
	tcase_add_test(t, cyclic_waveform_repeats_until_stopped);
	tcase_add_test(t, cyclic_dac_failure_ends_the_stream);
	tcase_add_test(t, cyclic_waveform_of_several_blocks);
	tcase_add_test(t, cyclic_stop_while_arriving);
	tcase_add_test(t, disconnect_aborts_the_dac);
	tcase_add_test(t, cyclic_block_given_back_is_queued_again);
	tcase_add_test(t, underflow_not_counted_where_write_hides_the_queue);
	tcase_add_test(t, bytes_not_played_after_all);
	tcase_add_test(t, pull_receives_only_when_asked);
	tcase_add_test(t, pull_waits_for_the_dac_to_give_a_block_back);
	tcase_add_test(t, pull_stop_drains_the_dac_and_drops_a_waiting_receive);
	tcase_add_test(t, pull_receive_cut_short_is_not_reported_received);
	tcase_add_test(t, pull_cyclic_waveform_is_received_once);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(engine_out_suite)
