// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "daemon/engine.h"
#include "daemon/util.h"

static void fifo_push(struct ifb_fifo *q, unsigned blk)
{
	q->idx[(q->head + q->len) % IFB_ENGINE_MAX_BLOCKS] = (uint8_t)blk;
	q->len++;
}

static unsigned fifo_peek(const struct ifb_fifo *q)
{
	return q->idx[q->head];
}

static unsigned fifo_pop(struct ifb_fifo *q)
{
	unsigned blk = q->idx[q->head];

	q->head = (q->head + 1) % IFB_ENGINE_MAX_BLOCKS;
	q->len--;
	return blk;
}

/* Undo the last push (a queue call that failed). */
static void fifo_drop_tail(struct ifb_fifo *q)
{
	q->len--;
}

int ifb_engine_init(struct ifb_engine *e, unsigned nblocks, uint32_t block_size,
		    bool count_starvation, const struct ifb_engine_ops *ops, void *ctx)
{
	if (nblocks == 0 || nblocks > IFB_ENGINE_MAX_BLOCKS || block_size == 0)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->ctx = ctx;
	e->nblocks = nblocks;
	e->block_size = block_size;
	e->count_starvation = count_starvation;
	e->run = IFB_STATE_IDLE;
	return 0;
}

static void record_gap(struct ifb_engine *e, uint64_t offset)
{
	struct ifb_engine_counters *c = &e->c;

	/* A faulted block and the starvation it causes mark the same spot. */
	if (c->num_gaps && c->gap_offset[c->num_gaps - 1] == offset)
		return;
	c->gap_ring[c->gaps_total % IFB_GAPS_RING] = offset;
	c->gaps_total++;
	if (c->num_gaps == IFB_STATS_MAX_GAPS) {
		memmove(c->gap_offset, c->gap_offset + 1,
			sizeof(c->gap_offset[0]) * (IFB_STATS_MAX_GAPS - 1));
		c->num_gaps--;
	}
	c->gap_offset[c->num_gaps++] = offset;
}

/* Block blk, which ended at stream offset `offset`, finished at its
 * done_ns; starts_run: it was queued to an idle converter (the stream's
 * first block, or the first after the converter ran dry). */
static void record_mark(struct ifb_engine *e, unsigned blk, uint64_t offset, bool starts_run)
{
	struct ifb_engine_counters *c = &e->c;
	struct ifb_time_mark m = { .offset = offset, .board_ns = e->done_ns[blk] };

	if (!m.board_ns || e->time_source == IFB_TIME_NONE)
		return;
	/* A block cannot finish before its enqueue began: such a time is not
	 * the block's (backend-zero-copy.c says whose), and an early mark
	 * would pull the host's envelope down. No mark. */
	if (e->queued_ns[blk] && m.board_ns < e->queued_ns[blk])
		return;
	if (starts_run && e->queued_ns[blk]) {
		m.start_ns = e->queued_ns[blk];
		m.start_window_ns = e->queue_window_ns[blk];
		m.block_bytes = e->block_size;
	}
	c->mark_ring[c->marks_total % IFB_TIMES_RING] = m;
	c->marks_total++;
}

void ifb_engine_adc_queued_at(struct ifb_engine *e, unsigned blk, uint64_t begin_ns,
			      uint64_t end_ns)
{
	if (blk >= e->nblocks)
		return;
	e->queued_ns[blk] = begin_ns;
	e->queue_window_ns[blk] =
		end_ns < begin_ns ? 0 : end_ns - begin_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)(end_ns - begin_ns);
}

static void check_stopped(struct ifb_engine *e)
{
	enum ifb_stop_reason reason;

	if (e->run != IFB_STATE_STOPPING || ifb_engine_busy(e))
		return;
	reason = e->reason;
	e->run = IFB_STATE_IDLE;
	e->ops->stopped(e->ctx, reason);
}

static bool is_disconnect(int err)
{
	return err == -ESHUTDOWN || err == -ECONNRESET || err == -ENODEV || err == -EAGAIN ||
	       err == -ENOLINK;
}

/* A stop that ends harder wins: a host STOP that turns into a disconnect
 * sends no end-of-stream marker; a shutdown stays a shutdown. */
static int reason_rank(enum ifb_stop_reason r)
{
	switch (r) {
	case IFB_STOP_HOST: return 1;
	case IFB_STOP_LATE: return 2;
	case IFB_STOP_ERROR: return 3;
	case IFB_STOP_DISCONNECT: return 4;
	case IFB_STOP_SHUTDOWN: return 5;
	default: return 0;
	}
}

/*
 * Output: does this stop abort what the DAC holds? A host's STOP lets it
 * play out (a shutdown too, within its drain grace: session.c), but a
 * cyclic waveform never ends on its own, and a disconnect or an error
 * leaves nobody to play it for (a next host's START would wait a pool's
 * length).
 */
static bool out_aborts(const struct ifb_engine *e)
{
	return e->cyclic || e->reason == IFB_STOP_DISCONNECT || e->reason == IFB_STOP_ERROR ||
	       e->reason == IFB_STOP_LATE;
}

/* Ready blocks are free again: those nobody pulled, or those a timed
 * start held back that will not be played. */
static void drop_ready(struct ifb_engine *e)
{
	e->held = false;
	while (e->ready.len)
		e->state[fifo_pop(&e->ready)] = IFB_BLOCK_FREE;
}

void ifb_engine_stop(struct ifb_engine *e, enum ifb_stop_reason reason)
{
	if (e->run == IFB_STATE_IDLE)
		return;
	if (e->run == IFB_STATE_STOPPING) {
		if (reason_rank(reason) > reason_rank(e->reason)) {
			e->reason = reason;
			/* held blocks wait for their time after a host's STOP only */
			if (e->held)
				drop_ready(e);
			/* a STOP's drain that turns into a disconnect or an
			 * error: the DAC is not played out any more */
			if (e->out && out_aborts(e) && e->adc.len)
				e->ops->dac_stop(e->ctx);
		}
		return;
	}
	e->run = IFB_STATE_STOPPING;
	e->reason = reason;
	/* Pull: filled blocks nobody asked for are simply free again. A
	 * timed start's held blocks wait for their time after a host's STOP
	 * (it was sent after them), else they are not played. */
	if (!e->held || reason != IFB_STOP_HOST)
		drop_ready(e);
	e->want_len = 0;
	e->rx_want = 0; /* a receive waiting for a block: none comes now */
	if (e->out) {
		e->ops->usb_stop(e->ctx);
		if (out_aborts(e) && e->adc.len)
			e->ops->dac_stop(e->ctx);
	} else {
		e->ops->adc_stop(e->ctx);
	}
	check_stopped(e);
}

int ifb_engine_set_output(struct ifb_engine *e, uint32_t scan_size)
{
	if (!scan_size || !e->ops->usb_receive || !e->ops->dac_enqueue || !e->ops->dac_finished ||
	    !e->ops->usb_stop || !e->ops->dac_stop)
		return -EINVAL;
	e->out = true;
	e->scan_size = scan_size;
	return 0;
}

/*
 * Block blk to USB, len bytes of it (what the backend asks USB to send,
 * or to receive into), by op (ops->usb_submit or ops->usb_receive). A
 * refusal frees the block and ends the stream as a USB error or a
 * disconnect; a stop that began while the backend was asked (it refused
 * because of it) keeps its own reason: a host STOP stays a STOP, with its
 * end-of-stream, not a disconnect.
 */
static int usb_queue(struct ifb_engine *e, unsigned blk, uint32_t len,
		     int (*op)(void *ctx, unsigned blk))
{
	int r;

	e->usb_bytes[blk] = len;
	e->state[blk] = IFB_BLOCK_USB;
	fifo_push(&e->usb, blk);
	r = op(e->ctx, blk);
	if (r < 0) {
		fifo_drop_tail(&e->usb);
		e->state[blk] = IFB_BLOCK_FREE;
		if (e->run != IFB_STATE_STREAMING)
			return r;
		e->c.usb_errors++;
		e->c.last_error = r;
		ifb_engine_stop(e, is_disconnect(r) ? IFB_STOP_DISCONNECT : IFB_STOP_ERROR);
	}
	return r;
}

/* Output: hand a free block to USB to receive len bytes into. */
static int to_receive(struct ifb_engine *e, unsigned blk, uint32_t len)
{
	return usb_queue(e, blk, len, e->ops->usb_receive);
}

/* Output: a received block's first len bytes to the DAC. */
static void to_dac(struct ifb_engine *e, unsigned blk, uint32_t len)
{
	bool had_tail = e->adc.len > 0;
	unsigned tail = had_tail ? e->adc.idx[(e->adc.head + e->adc.len - 1) % IFB_ENGINE_MAX_BLOCKS] : 0;
	int r;

	e->usb_bytes[blk] = len;
	e->state[blk] = IFB_BLOCK_ADC;
	fifo_push(&e->adc, blk);
	r = e->ops->dac_enqueue(e->ctx, blk, len, e->cyclic && !e->cyclic_blocks);
	if (r < 0) {
		fifo_drop_tail(&e->adc);
		e->state[blk] = IFB_BLOCK_FREE;
		e->c.adc_errors++;
		e->c.last_error = r;
		ifb_engine_stop(e, IFB_STOP_ERROR);
		return;
	}
	/*
	 * Asked after the block is queued, as for an input stream: a tail
	 * that finishes during the enqueue counts as dry, so an underflow may
	 * be reported that the DAC did not see (it took this block just in
	 * time), never one missed.
	 */
	if (e->count_starvation && e->primed &&
	    (!had_tail || e->done[tail] || e->ops->dac_finished(e->ctx, tail))) {
		e->c.starvations++;
		record_gap(e, e->offset);
	}
	e->primed = true;
	e->offset += len;
	if (e->cyclic && !e->cyclic_blocks) {
		/* played for as long as the stream runs: counted once, now */
		e->c.bytes_sent += len;
		e->c.blocks_sent++;
	}
}

/* Output: has USB received every byte the host announced? */
static bool out_complete(const struct ifb_engine *e)
{
	return e->end != UINT64_MAX && e->rx_offset >= e->end;
}

static void received_complete(struct ifb_engine *e, unsigned blk, int status)
{
	uint32_t len = e->usb_bytes[blk];

	if (status < 0) {
		e->state[blk] = IFB_BLOCK_FREE;
		/* Stopping: receives cut short are what a stop does. */
		if (e->run != IFB_STATE_STREAMING)
			return;
		e->c.usb_errors++;
		e->c.last_error = status;
		ifb_engine_stop(e, is_disconnect(status) ? IFB_STOP_DISCONNECT : IFB_STOP_ERROR);
		return;
	}
	/*
	 * Stopping: a block USB filled before it was taken back is played
	 * after a host's STOP (it was sent before the STOP), never after a
	 * stop that aborts the DAC (nothing would stop it again: a cyclic
	 * block would repeat for ever) or a shutdown.
	 */
	if (e->run != IFB_STATE_STREAMING && (out_aborts(e) || e->reason != IFB_STOP_HOST)) {
		e->state[blk] = IFB_BLOCK_FREE;
		return;
	}
	/* Past the announced end: not data. */
	if (e->end != UINT64_MAX && e->rx_offset + len > e->end)
		len = e->rx_offset >= e->end ? 0 : (uint32_t)(e->end - e->rx_offset);
	e->rx_offset += len;
	e->dropped += len % e->scan_size;
	len -= len % e->scan_size;
	if (len && (e->held || (e->cyclic_blocks && e->run == IFB_STATE_STREAMING))) {
		/* the whole waveform first, then every block of it in order;
		 * a timed start's blocks wait for their time */
		e->usb_bytes[blk] = len;
		e->state[blk] = IFB_BLOCK_READY;
		fifo_push(&e->ready, blk);
		if (!e->held && out_complete(e))
			while (e->ready.len && e->run == IFB_STATE_STREAMING) {
				unsigned b = fifo_pop(&e->ready);

				to_dac(e, b, e->usb_bytes[b]);
			}
	} else if (len) {
		to_dac(e, blk, len);
	} else {
		e->state[blk] = IFB_BLOCK_FREE;
	}
	if (e->cyclic && e->run == IFB_STATE_STREAMING && !len) {
		/* no whole scan to repeat */
		e->c.adc_errors++;
		e->c.last_error = -EINVAL;
		ifb_engine_stop(e, IFB_STOP_ERROR);
		return;
	}
	if (e->cyclic)
		return; /* the waveform repeats until the stream is stopped */
	if (e->run == IFB_STATE_STREAMING && out_complete(e)) {
		ifb_engine_stop(e, IFB_STOP_HOST);
		return;
	}
	if (!len && e->run == IFB_STATE_STREAMING && !e->pull)
		to_receive(e, blk, e->block_size);
}

void ifb_engine_usb_received(struct ifb_engine *e, unsigned blk, int status, uint32_t len)
{
	if (!e->out || blk >= e->nblocks || e->state[blk] != IFB_BLOCK_USB || e->done[blk])
		return;
	e->done[blk] = true;
	e->status[blk] = status;
	e->usb_bytes[blk] = len > e->block_size ? e->block_size : len;
	while (e->usb.len && e->done[fifo_peek(&e->usb)]) {
		unsigned b = fifo_pop(&e->usb);

		e->done[b] = false;
		received_complete(e, b, e->status[b]);
		if (e->pull) {
			e->rx_busy = false;
			if (e->status[b] >= 0 && e->run == IFB_STATE_STREAMING && e->ops->received)
				e->ops->received(e->ctx, b,
						 e->state[b] == IFB_BLOCK_ADC ? e->usb_bytes[b] : 0);
		}
	}
	check_stopped(e);
}

int ifb_engine_end_at(struct ifb_engine *e, uint64_t end)
{
	if (!e->out || e->run != IFB_STATE_STREAMING)
		return -EBADF;
	if (e->cyclic && end != UINT64_MAX)
		return -EINVAL; /* a cyclic stream's end is its waveform's */
	if (end == UINT64_MAX) {
		ifb_engine_stop(e, IFB_STOP_HOST);
		return 0;
	}
	if (end < e->rx_offset)
		return -EINVAL;
	e->end = end;
	if (out_complete(e))
		ifb_engine_stop(e, IFB_STOP_HOST);
	return 0;
}

void ifb_engine_not_played(struct ifb_engine *e, uint64_t bytes)
{
	if (!e->out)
		return;
	if (bytes > e->c.bytes_sent)
		bytes = e->c.bytes_sent;
	e->c.bytes_sent -= bytes;
	e->dropped += bytes;
}

/* Output: the DAC played block blk (or failed it). */
static void dac_complete(struct ifb_engine *e, unsigned blk, int status)
{
	/* A disconnect or an error aborts what the DAC holds, a shutdown
	 * after its grace (out_aborts): not the DAC's failures. A host's
	 * STOP lets it play (its failures count), but for a cyclic block,
	 * which a stop always aborts; a one-block waveform's bytes were
	 * counted when it was queued. */
	if (e->cyclic) {
		if (status < 0 && e->run == IFB_STATE_STREAMING) {
			e->c.adc_errors++;
			e->c.last_error = status;
			ifb_engine_stop(e, IFB_STOP_ERROR);
		}
		e->state[blk] = IFB_BLOCK_FREE;
		/* A one-block waveform played once and given back: the DAC's
		 * driver does not repeat (Linux 6.12's DMA engine buffer ignores
		 * IIO's cyclic flag). Queued again, as a longer waveform's
		 * blocks are: it goes on, each pass an underflow. */
		if (!e->cyclic_blocks && status >= 0 && e->run == IFB_STATE_STREAMING) {
			to_dac(e, blk, e->usb_bytes[blk]); /* counts the pass */
			return;
		}
		if (!e->cyclic_blocks || status < 0)
			return;
		e->c.bytes_sent += e->usb_bytes[blk];
		e->c.blocks_sent++;
		/* the waveform goes round: this block again, behind the others */
		if (e->run == IFB_STATE_STREAMING)
			to_dac(e, blk, e->usb_bytes[blk]);
		return;
	}
	if (status < 0 && (e->run == IFB_STATE_STREAMING || e->reason == IFB_STOP_HOST)) {
		e->c.adc_errors++;
		e->c.last_error = status;
	} else if (status >= 0) {
		e->c.bytes_sent += e->usb_bytes[blk];
		e->c.blocks_sent++;
	}
	e->state[blk] = IFB_BLOCK_FREE;
	if (e->run != IFB_STATE_STREAMING)
		return;
	if (!e->pull) {
		to_receive(e, blk, e->block_size);
	} else if (e->rx_want) {
		uint32_t want = e->rx_want;

		e->rx_want = 0;
		if (to_receive(e, blk, want) < 0)
			e->rx_busy = false;
	}
}

int ifb_engine_receive(struct ifb_engine *e, uint32_t len)
{
	int r;

	if (e->run != IFB_STATE_STREAMING)
		return -EBADF;
	if (!e->out || !e->pull || len == 0 || len > e->block_size)
		return -EINVAL;
	if (e->rx_busy || (e->cyclic && e->rx_offset))
		return -EBUSY;
	for (unsigned i = 0; i < e->nblocks; i++) {
		if (e->state[i] != IFB_BLOCK_FREE)
			continue;
		e->rx_busy = true;
		r = to_receive(e, i, len);
		if (r < 0) {
			e->rx_busy = false;
			return r;
		}
		return 1;
	}
	e->rx_want = len;
	e->rx_busy = true;
	return 0;
}

static int to_adc(struct ifb_engine *e, unsigned blk)
{
	bool had_tail = e->adc.len > 0;
	unsigned tail = had_tail ? e->adc.idx[(e->adc.head + e->adc.len - 1) % IFB_ENGINE_MAX_BLOCKS] : 0;
	int r;

	e->state[blk] = IFB_BLOCK_ADC;
	fifo_push(&e->adc, blk);
	r = e->ops->adc_enqueue(e->ctx, blk);
	if (r < 0) {
		fifo_drop_tail(&e->adc);
		e->state[blk] = IFB_BLOCK_FREE;
		e->c.adc_errors++;
		e->c.last_error = r;
		ifb_engine_stop(e, IFB_STOP_ERROR);
		return r;
	}
	/*
	 * Asked after the block is queued, so a tail that finishes during the
	 * enqueue counts as dry: a gap may be reported that did not happen, but
	 * never one missed.
	 */
	if (e->count_starvation && e->primed)
		e->starved[blk] = !had_tail || e->done[tail] || e->ops->adc_finished(e->ctx, tail);
	else
		e->starved[blk] = false;
	e->primed = true;
	return 0;
}

static int to_usb(struct ifb_engine *e, unsigned blk, uint32_t len)
{
	return usb_queue(e, blk, len, e->ops->usb_submit);
}

void ifb_engine_adc_lost(struct ifb_engine *e, int err)
{
	if (e->run != IFB_STATE_STREAMING)
		return;
	e->c.adc_errors++;
	e->c.last_error = err;
	record_gap(e, e->offset);
}

void ifb_engine_adc_failed(struct ifb_engine *e, int err)
{
	if (e->run != IFB_STATE_STREAMING)
		return;
	e->c.adc_errors++;
	e->c.last_error = err;
	ifb_engine_stop(e, IFB_STOP_ERROR);
}

int ifb_engine_hold(struct ifb_engine *e)
{
	if (!e->out || e->pull || e->run != IFB_STATE_STREAMING || e->primed || e->adc.len)
		return -EINVAL;
	e->held = true;
	return 0;
}

int ifb_engine_release(struct ifb_engine *e)
{
	if (!e->held)
		return -EINVAL;
	if (!e->ready.len || (e->cyclic && !out_complete(e)))
		return -EAGAIN;
	e->held = false;
	/* the first one first: it is the one on time */
	while (e->ready.len && e->run != IFB_STATE_IDLE) {
		unsigned b = fifo_pop(&e->ready);

		to_dac(e, b, e->usb_bytes[b]);
		if (e->run == IFB_STATE_STOPPING && e->reason != IFB_STOP_HOST)
			drop_ready(e); /* the DAC refused one: the rest is not played */
	}
	check_stopped(e);
	return 0;
}

void ifb_engine_late(struct ifb_engine *e)
{
	if (!e->held)
		return;
	drop_ready(e);
	e->c.last_error = -ETIME;
	ifb_engine_stop(e, IFB_STOP_LATE);
	check_stopped(e);
}

static int engine_begin(struct ifb_engine *e, bool cyclic, uint64_t length);

int ifb_engine_start(struct ifb_engine *e)
{
	return engine_begin(e, false, 0);
}

int ifb_engine_start_cyclic(struct ifb_engine *e, uint64_t length)
{
	if (!e->out || length == 0 || length > (uint64_t)e->nblocks * e->block_size)
		return -EINVAL;
	return engine_begin(e, true, length);
}

static int engine_begin(struct ifb_engine *e, bool cyclic, uint64_t length)
{
	if (e->run != IFB_STATE_IDLE)
		return -EBUSY;
	memset(&e->c, 0, sizeof(e->c));
	memset(&e->adc, 0, sizeof(e->adc));
	memset(&e->usb, 0, sizeof(e->usb));
	memset(&e->ready, 0, sizeof(e->ready));
	e->want_head = e->want_len = 0;
	memset(e->done, 0, sizeof(e->done));
	memset(e->starved, 0, sizeof(e->starved));
	e->primed = false;
	e->offset = 0;
	e->rx_offset = 0;
	e->end = UINT64_MAX;
	e->dropped = 0;
	e->cyclic = cyclic;
	e->cyclic_blocks = cyclic && length > e->block_size;
	e->rx_want = 0;
	e->rx_busy = false;
	e->held = false;
	if (cyclic)
		e->end = length;
	e->stream_id++;
	e->reason = IFB_STOP_NONE;
	e->run = IFB_STATE_STREAMING;
	for (unsigned i = 0; i < e->nblocks; i++)
		e->state[i] = IFB_BLOCK_FREE;
	/* a cyclic stream's waveform: USB receives its blocks, no other; an
	 * output stream that pulls receives when asked */
	for (unsigned i = 0; i < (e->out && e->pull ? 0
				  : cyclic ? (unsigned)((length + e->block_size - 1) / e->block_size)
					   : e->nblocks); i++) {
		int r = e->out ? to_receive(e, i, e->block_size) : to_adc(e, i);

		if (r < 0)
			return r;
	}
	return 0;
}

static void adc_complete(struct ifb_engine *e, unsigned blk, int status)
{
	bool starts_run;

	if (e->run != IFB_STATE_STREAMING) {
		/* Stopping: whatever the ADC gives back now is cut short. */
		e->state[blk] = IFB_BLOCK_FREE;
		return;
	}

	starts_run = e->offset == 0 && !e->c.adc_errors && !e->c.gaps_total;
	if (e->starved[blk]) {
		/* Queued after the ADC had run dry: samples are missing before
		 * this block's data. */
		e->starved[blk] = false;
		e->c.starvations++;
		record_gap(e, e->offset);
		starts_run = true;
	}

	if (status < 0) {
		/* The ADC lost this block's samples: a gap, and the block goes
		 * straight back to the ADC. */
		e->c.adc_errors++;
		e->c.last_error = status;
		record_gap(e, e->offset);
		e->state[blk] = IFB_BLOCK_FREE;
		to_adc(e, blk);
		return;
	}
	e->offset += e->block_size;
	record_mark(e, blk, e->offset, starts_run);
	if (!e->pull) {
		to_usb(e, blk, e->block_size);
		return;
	}
	if (!e->want_len) {
		e->state[blk] = IFB_BLOCK_READY;
		fifo_push(&e->ready, blk);
		return;
	}
	{
		uint32_t len = e->want[e->want_head];

		e->want_head = (e->want_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		e->want_len--;
		if (to_usb(e, blk, len) == 0 && e->ops->pulled)
			e->ops->pulled(e->ctx, blk);
	}
}

void ifb_engine_set_pull(struct ifb_engine *e, bool pull)
{
	e->pull = pull;
}

void ifb_engine_set_time_source(struct ifb_engine *e, uint8_t source)
{
	e->time_source = source;
}

void ifb_engine_set_ts_clock(struct ifb_engine *e, uint8_t clock)
{
	e->ts_clock = clock;
}

int ifb_engine_pull(struct ifb_engine *e, uint32_t len)
{
	int r;

	if (e->run != IFB_STATE_STREAMING)
		return -EBADF;
	if (!e->pull || e->out || len == 0 || len > e->block_size)
		return -EINVAL;
	if (e->ready.len) {
		r = to_usb(e, fifo_pop(&e->ready), len);
		return r < 0 ? r : 1;
	}
	if (e->want_len == IFB_ENGINE_MAX_BLOCKS)
		return -EBUSY;
	e->want[(e->want_head + e->want_len) % IFB_ENGINE_MAX_BLOCKS] = len;
	e->want_len++;
	return 0;
}

static void usb_complete(struct ifb_engine *e, unsigned blk, int status)
{
	e->state[blk] = IFB_BLOCK_FREE;

	if (status < 0) {
		/* Cancelled transfers after a stop are expected, not errors. */
		if (e->run == IFB_STATE_STREAMING || !is_disconnect(status)) {
			e->c.usb_errors++;
			e->c.last_error = status;
		}
		ifb_engine_stop(e, is_disconnect(status) ? IFB_STOP_DISCONNECT : IFB_STOP_ERROR);
		return;
	}

	e->c.bytes_sent += e->usb_bytes[blk];
	e->c.blocks_sent++;
	if (e->run == IFB_STATE_STREAMING)
		to_adc(e, blk);
}

void ifb_engine_adc_ran_dry(struct ifb_engine *e, unsigned blk)
{
	/*
	 * Still with the ADC in the engine's books is enough: a block already
	 * reported done but waiting behind the one this verdict comes with
	 * (the loop dispatched their fences in the other order) has not been
	 * completed yet, and its gap goes before its data all the same.
	 */
	if (blk < e->nblocks && e->count_starvation && e->state[blk] == IFB_BLOCK_ADC)
		e->starved[blk] = true;
}

void ifb_engine_adc_done(struct ifb_engine *e, unsigned blk, int status)
{
	ifb_engine_adc_done_at(e, blk, status, ifb_now_ns());
}

void ifb_engine_adc_done_at(struct ifb_engine *e, unsigned blk, int status, uint64_t done_ns)
{
	if (blk >= e->nblocks || e->state[blk] != IFB_BLOCK_ADC || e->done[blk])
		return;
	e->done[blk] = true;
	e->status[blk] = status;
	e->done_ns[blk] = done_ns;
	while (e->adc.len && e->done[fifo_peek(&e->adc)]) {
		unsigned b = fifo_pop(&e->adc);

		e->done[b] = false;
		if (e->out)
			dac_complete(e, b, e->status[b]);
		else
			adc_complete(e, b, e->status[b]);
	}
	check_stopped(e);
}

void ifb_engine_usb_done(struct ifb_engine *e, unsigned blk, int status)
{
	if (e->out || blk >= e->nblocks || e->state[blk] != IFB_BLOCK_USB || e->done[blk])
		return;
	e->done[blk] = true;
	e->status[blk] = status;
	while (e->usb.len && e->done[fifo_peek(&e->usb)]) {
		unsigned b = fifo_pop(&e->usb);

		e->done[b] = false;
		usb_complete(e, b, e->status[b]);
	}
	check_stopped(e);
}

void ifb_engine_stats(const struct ifb_engine *e, uint8_t mode, uint16_t version,
		      struct ifb_stats *out)
{
	const struct ifb_engine_counters *c = &e->c;

	memset(out, 0, sizeof(*out));
	out->magic = htole32(IFB_STATS_MAGIC);
	out->version = htole16(version);
	out->length = htole16(sizeof(*out));
	out->mode = mode;
	out->state = (uint8_t)e->run;
	out->num_gaps = htole16((uint16_t)c->num_gaps);
	out->stream_id = htole32(e->stream_id);
	out->bytes_sent = htole64(c->bytes_sent);
	out->blocks_sent = htole64(c->blocks_sent);
	out->starvations = htole64(c->starvations);
	out->adc_errors = htole64(c->adc_errors);
	out->usb_errors = htole64(c->usb_errors);
	out->gaps_total = htole64(c->gaps_total);
	for (unsigned i = 0; i < c->num_gaps; i++)
		out->gap_offset[i] = htole64(c->gap_offset[i]);
}

/*
 * GET_GAPS' and GET_TIMES' cursor: the first item to reply with, of a
 * ring keeping the `ring` most recent of `total`, asked for by the low 16
 * bits of its sequence number (the most recent such number <= total), or
 * the oldest kept; and how many follow, at most room.
 */
static uint64_t ring_first(uint64_t total, uint64_t ring, uint16_t seq_lo, uint64_t room,
			   uint64_t *count)
{
	uint64_t oldest = total > ring ? total - ring : 0;
	/* (uint16_t)(total - seq_lo) steps back at most 65535 from total */
	uint64_t first = total - (uint16_t)((uint16_t)total - seq_lo);

	if (first > total || first < oldest)
		first = oldest;
	*count = total - first < room ? total - first : room;
	return first;
}

int ifb_engine_gaps(const struct ifb_engine *e, uint16_t seq_lo, uint8_t *buf, size_t size)
{
	const struct ifb_engine_counters *c = &e->c;
	uint64_t total = c->gaps_total;
	uint64_t first, count;
	struct ifb_gaps h;

	if (size < sizeof(h))
		return -ENOSPC;
	if (size > IFB_MAX_REPLY)
		size = IFB_MAX_REPLY;
	first = ring_first(total, IFB_GAPS_RING, seq_lo, (size - sizeof(h)) / sizeof(uint64_t), &count);
	memset(&h, 0, sizeof(h));
	h.magic = htole32(IFB_GAPS_MAGIC);
	h.version = htole16(2);
	h.length = htole16((uint16_t)(sizeof(h) + count * sizeof(uint64_t)));
	h.stream_id = htole32(e->stream_id);
	h.count = htole16((uint16_t)count);
	h.first_seq = htole64(first);
	h.gaps_total = htole64(total);
	memcpy(buf, &h, sizeof(h));
	for (uint64_t i = 0; i < count; i++) {
		uint64_t off = htole64(c->gap_ring[(first + i) % IFB_GAPS_RING]);

		memcpy(buf + sizeof(h) + i * sizeof(off), &off, sizeof(off));
	}
	return (int)(sizeof(h) + count * sizeof(uint64_t));
}

int ifb_engine_times(const struct ifb_engine *e, uint16_t seq_lo, uint16_t version, uint8_t *buf,
		     size_t size)
{
	const struct ifb_engine_counters *c = &e->c;
	uint64_t total = c->marks_total;
	uint64_t first, count;
	struct ifb_times h;

	if (size < sizeof(h))
		return -ENOSPC;
	if (size > IFB_MAX_REPLY)
		size = IFB_MAX_REPLY;
	first = ring_first(total, IFB_TIMES_RING, seq_lo,
			   (size - sizeof(h)) / sizeof(struct ifb_time_mark), &count);
	memset(&h, 0, sizeof(h));
	h.magic = htole32(IFB_TIMES_MAGIC);
	h.version = htole16(version);
	h.length = htole16((uint16_t)(sizeof(h) + count * sizeof(struct ifb_time_mark)));
	h.stream_id = htole32(e->stream_id);
	h.count = htole16((uint16_t)count);
	h.source = e->out ? IFB_TIME_NONE : e->time_source;
	h.ts_clock = version >= 7 && !e->out ? e->ts_clock : IFB_TS_CLOCK_NONE;
	h.first_seq = htole64(first);
	h.marks_total = htole64(total);
	memcpy(buf, &h, sizeof(h));
	for (uint64_t i = 0; i < count; i++) {
		const struct ifb_time_mark *m = &c->mark_ring[(first + i) % IFB_TIMES_RING];
		struct ifb_time_mark w = {
			.offset = htole64(m->offset),
			.board_ns = htole64(m->board_ns),
			.start_ns = htole64(m->start_ns),
			.start_window_ns = htole32(m->start_window_ns),
			.block_bytes = htole32(m->block_bytes),
		};

		memcpy(buf + sizeof(h) + i * sizeof(w), &w, sizeof(w));
	}
	return (int)(sizeof(h) + count * sizeof(struct ifb_time_mark));
}
