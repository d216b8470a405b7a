/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block pipeline, independent of how blocks move (zero-copy DMABUFs
 * or copy-mode user buffers): every block is FREE, with the ADC, or with
 * USB; blocks go to USB in the order the ADC filled them; the ADC is kept
 * fed. The ADC ran dry whenever a block is queued after every block before
 * it had already been finished: that starvation is counted, and the gap is
 * recorded at the stream offset where the new block's data begins. The
 * backend does the I/O and reports completions; the engine decides. No I/O
 * and no logging here, so unit tests drive it directly.
 *
 * Two policies for a filled block: push (the native front end: every
 * filled block goes to USB at once) and pull (the IIOD front end: a filled
 * block waits, READY, until the host asks for data with ifb_engine_pull;
 * a pull that finds no block ready is served by the next one filled).
 * Either way blocks reach USB in the order the ADC filled them.
 *
 * An output stream (host to DAC; ops->usb_receive set) turns the sides
 * round: every block is FREE, with USB (receiving what the host sends), or
 * with the DAC (the "adc" queue and IFB_BLOCK_ADC name the converter,
 * whichever way it converts); blocks go to the DAC in the order USB filled
 * them. The converter running dry is judged when a block is queued to the
 * DAC (an underflow: counted as a starvation, its gap at the offset of
 * the block's first byte), and a stop stops USB and lets the DAC play
 * what it holds. With the pull policy (the IIOD front end's WRITEBUF), USB
 * receives nothing until asked: ifb_engine_receive receives one block of
 * the length asked into the next free block (or the first the DAC gives
 * back), one receive at a time, and ops->received says when it went to
 * the DAC.
 */
#ifndef IFB_ENGINE_H
#define IFB_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "iio-ffs-bridge/protocol.h"

#define IFB_ENGINE_MAX_BLOCKS 64

enum ifb_block_state { IFB_BLOCK_FREE, IFB_BLOCK_ADC, IFB_BLOCK_USB, IFB_BLOCK_READY };

/*
 * Why a stream ends. Every end goes the same way: the engine stops the ADC,
 * waits until every block is back, and reports the reason once
 * (ops->stopped). The session then sends the end-of-stream packet where
 * the link still works (ifb_stop_sends_eos), logs one line, releases
 * everything, and is ready for the next START. A host that did not ask for
 * the end sees GET_STATS state IDLE for its stream, and for an error an
 * error counter (adc_errors or usb_errors) above zero.
 */
enum ifb_stop_reason {
	IFB_STOP_NONE = 0,
	IFB_STOP_HOST,       /* STOP request: drain what was filled, then end-of-stream */
	IFB_STOP_DISCONNECT, /* DISABLE/UNBIND/SUSPEND or a transfer refused: host is gone */
	IFB_STOP_SHUTDOWN,   /* SIGTERM/SIGINT: drain, end-of-stream, exit */
	IFB_STOP_ERROR,      /* the ADC or USB side failed (counted), end-of-stream */
	IFB_STOP_LATE,       /* output: a timed burst missed its time; nothing played */
};

/* Does a stream that ended this way get the end-of-stream packet? Every
 * end but a disconnect (then nobody is there to receive it). */
static inline bool ifb_stop_sends_eos(enum ifb_stop_reason r)
{
	return r == IFB_STOP_HOST || r == IFB_STOP_SHUTDOWN || r == IFB_STOP_ERROR;
}

struct ifb_engine_ops {
	/* Hand block to the ADC; its completion comes back via ifb_engine_adc_done(). */
	int (*adc_enqueue)(void *ctx, unsigned blk);
	/* Has the ADC already finished block blk (its fence signalled), even if
	 * the completion has not been reported yet? Asked right after a new
	 * block was queued behind it: if so, the hardware ran dry in between.
	 * A backend that learns the answer only with blk's completion may say
	 * false now and call ifb_engine_adc_ran_dry() for the new block before
	 * it reports blk done. */
	bool (*adc_finished)(void *ctx, unsigned blk);
	/* Queue block on the bulk IN endpoint; completion via ifb_engine_usb_done(). */
	int (*usb_submit)(void *ctx, unsigned blk);
	/* Stop the ADC: every block it holds must still come back via adc_done. */
	void (*adc_stop)(void *ctx);
	/* Every block is FREE again after a stop. Do not call the engine from here. */
	void (*stopped)(void *ctx, enum ifb_stop_reason reason);
	/* Pull policy: a pull that had to wait has now been submitted to USB
	 * as block blk (optional; not called for pulls served at once). */
	void (*pulled)(void *ctx, unsigned blk);

	/* Output streams only (set: the engine runs the output way). */
	/* Queue block on the bulk OUT endpoint for the host to fill; its
	 * completion via ifb_engine_usb_received(). */
	int (*usb_receive)(void *ctx, unsigned blk);
	/* Queue block's first len bytes (whole scans, > 0) to the DAC, to be
	 * repeated until stopped when cyclic; its completion via
	 * ifb_engine_adc_done(). */
	int (*dac_enqueue)(void *ctx, unsigned blk, uint32_t len, bool cyclic);
	/* Stop the DAC: a cyclic block, which never ends on its own, must
	 * come back via ifb_engine_adc_done() (any status). */
	void (*dac_stop)(void *ctx);
	/* Has the DAC already played block blk (its fence signalled), even if
	 * the completion has not been reported yet? Asked as the block behind
	 * it is queued: if so the DAC ran dry in between. */
	bool (*dac_finished)(void *ctx, unsigned blk);
	/* Stop receiving: every block USB holds must still come back via
	 * ifb_engine_usb_received() (what it holds by then is played). */
	void (*usb_stop)(void *ctx);
	/* Output, pull policy: the receive ifb_engine_receive asked for has
	 * arrived in block blk and gone to the DAC (len: the bytes it plays,
	 * 0 when it held no whole scan). Not called when the receive failed
	 * or the stream is stopping (the stream's end says so). Optional. */
	void (*received)(void *ctx, unsigned blk, uint32_t len);
};

struct ifb_engine_counters {
	uint64_t bytes_sent, blocks_sent;
	uint64_t starvations, adc_errors, usb_errors;
	uint64_t gaps_total;
	unsigned num_gaps; /* entries in gap_offset, most recent IFB_STATS_MAX_GAPS */
	uint64_t gap_offset[IFB_STATS_MAX_GAPS];
	/* GET_GAPS: gap number k of the stream at gap_ring[k % IFB_GAPS_RING],
	 * the IFB_GAPS_RING most recent kept */
	uint64_t gap_ring[IFB_GAPS_RING];
	/* GET_TIMES: mark number k at mark_ring[k % IFB_TIMES_RING], the
	 * IFB_TIMES_RING most recent kept (host byte order) */
	uint64_t marks_total;
	struct ifb_time_mark mark_ring[IFB_TIMES_RING];
	int last_error; /* -errno of the last failure, 0 if none */
};

struct ifb_fifo {
	uint8_t idx[IFB_ENGINE_MAX_BLOCKS];
	unsigned head, len;
};

struct ifb_engine {
	const struct ifb_engine_ops *ops;
	void *ctx;
	unsigned nblocks;
	uint32_t block_size;
	bool count_starvation; /* false where the converter's queue is not ours to see
				* (copy and hybrid: read() and write() hide it) */

	enum ifb_state run;
	enum ifb_stop_reason reason;
	uint32_t stream_id;
	uint64_t offset; /* stream offset of the next block the ADC fills */

	uint8_t state[IFB_ENGINE_MAX_BLOCKS];
	bool done[IFB_ENGINE_MAX_BLOCKS];
	bool starved[IFB_ENGINE_MAX_BLOCKS]; /* queued after the ADC ran dry */
	bool primed; /* the stream's first block has been queued */
	int status[IFB_ENGINE_MAX_BLOCKS];
	uint64_t done_ns[IFB_ENGINE_MAX_BLOCKS]; /* when the ADC finished it; 0 unknown */
	/* when its enqueue to the ADC began and how long it took (0 0: unknown) */
	uint64_t queued_ns[IFB_ENGINE_MAX_BLOCKS];
	uint32_t queue_window_ns[IFB_ENGINE_MAX_BLOCKS];
	uint8_t time_source; /* enum ifb_time_source of the marks */
	uint8_t ts_clock;    /* enum ifb_ts_clock of the stream's timestamp channel */
	struct ifb_fifo adc, usb;

	bool pull;       /* pull policy (set between streams) */
	struct ifb_fifo ready;            /* pull: filled blocks waiting, in fill order */
	uint32_t want[IFB_ENGINE_MAX_BLOCKS]; /* pull: lengths of waiting pulls, a ring */
	unsigned want_head, want_len;
	uint32_t usb_bytes[IFB_ENGINE_MAX_BLOCKS]; /* what USB sends of each block; output:
						     * what the DAC plays of it */

	/* Output streams */
	bool out;
	uint32_t scan_size;  /* a block is played up to its last whole scan */
	uint64_t rx_offset;  /* stream offset of the next byte USB receives */
	uint64_t end;        /* the host's announced end of data; UINT64_MAX: none yet */
	uint64_t dropped;    /* bytes received but not played: scan fractions */
	bool cyclic;         /* this stream is one waveform, repeated (ifb_engine_start_cyclic) */
	bool cyclic_blocks;  /* ... of several blocks, queued again as the DAC plays them */
	uint32_t rx_want;    /* pull: a receive of this length waits for a free block */
	bool rx_busy;        /* pull: a receive is waiting or with USB */
	bool held;           /* a timed start: received blocks wait (READY, in order) for
			      * ifb_engine_release */

	struct ifb_engine_counters c;
};

int ifb_engine_init(struct ifb_engine *e, unsigned nblocks, uint32_t block_size,
		    bool count_starvation, const struct ifb_engine_ops *ops, void *ctx);

/* The engine runs an output stream (ops has usb_receive): blocks are
 * played up to their last whole scan of scan_size bytes. Call after
 * ifb_engine_init. -EINVAL for a scan size of 0 or ops without the
 * output operations. */
int ifb_engine_set_output(struct ifb_engine *e, uint32_t scan_size);

/* Output: USB finished receiving block blk: status 0 or -errno, len the
 * bytes it holds (a backend that cannot know says block_size: FunctionFS
 * DMABUF transfers do not report their length). */
void ifb_engine_usb_received(struct ifb_engine *e, unsigned blk, int status, uint32_t len);

/* Output: bytes already counted as played that the DAC will not play
 * after all (copy mode: the part of the kernel's last fileio block that
 * write() never filled). Taken from bytes_sent, added to dropped. */
void ifb_engine_not_played(struct ifb_engine *e, uint64_t bytes);

/*
 * Output: the host's STOP. end: the stream offset where its data ends
 * (protocol.h, STOP's data stage), or UINT64_MAX when it did not say: then
 * the stream stops now (reason HOST; USB stops, the DAC plays what it
 * holds). With an end, the stream goes on until USB has received that
 * much, the block that holds the end played up to it, and stops then.
 * -EINVAL for an end before what was already received, -EBADF when no
 * stream runs.
 */
int ifb_engine_end_at(struct ifb_engine *e, uint64_t end);

/*
 * Output: begin a cyclic stream, a waveform of length bytes (1 to the
 * pool, nblocks x block_size; each block played up to its last whole
 * scan) that the DAC repeats until the stream is stopped, with no USB
 * traffic once it has arrived. A waveform of one block is queued once,
 * cyclic (ops->dac_enqueue's cyclic: the DAC repeats it itself);
 * bytes_sent and blocks_sent count it once. A longer one is queued block
 * after block when all of it has arrived, and each block again as the DAC
 * finishes it (an underflow if the DAC ran dry meanwhile); those count
 * every block played. -EINVAL for a length out of range or an input
 * stream; else as ifb_engine_start. With the pull policy (an IIOD
 * client's CYCLIC buffer, one block) the waveform is received when
 * ifb_engine_receive asks for it.
 */
int ifb_engine_start_cyclic(struct ifb_engine *e, uint64_t length);

/*
 * Output, push policy, right after ifb_engine_start or _start_cyclic: a
 * timed start. USB receives as usual, but nothing goes to the DAC: the
 * received blocks wait in order (a host's STOP, with or without an end,
 * keeps them) until ifb_engine_release queues them, or ifb_engine_late
 * drops them. -EINVAL for an input stream, the pull policy, or a stream
 * that is not streaming or has queued to the DAC already.
 */
int ifb_engine_hold(struct ifb_engine *e);
/*
 * The time has come: queue every held block to the DAC, in order, and
 * what arrives after them as usual. -EAGAIN when there is nothing to play
 * yet (no block received; a cyclic stream: not its whole waveform), the
 * engine still holding; -EINVAL when it holds nothing.
 */
int ifb_engine_release(struct ifb_engine *e);
/*
 * The time has passed and the burst is not played: the held blocks are
 * dropped, last_error -ETIME, and the stream stops with reason LATE (a
 * stop in progress takes it: see ifb_engine_stop). No-op unless held.
 */
void ifb_engine_late(struct ifb_engine *e);

/* Begin a stream: new stream id, counters reset, every block to the ADC
 * (output: to USB, or none with the pull policy). On failure the engine
 * is already stopping (reason ERROR). */
int ifb_engine_start(struct ifb_engine *e);

/* Completions, in any order; the engine processes them in queue order.
 * status: 0, or the fence's -errno. */
void ifb_engine_adc_done(struct ifb_engine *e, unsigned blk, int status);
/* The same with the board time (CLOCK_MONOTONIC ns) at which the ADC
 * finished the block, for its time mark (GET_TIMES); 0: unknown, no mark.
 * ifb_engine_adc_done() takes the time of the call. */
/* The backend's enqueue of block blk to the ADC began at begin_ns and
 * returned at end_ns (CLOCK_MONOTONIC): the time mark of a block that
 * starts a run carries it. Optional (zero-copy). */
void ifb_engine_adc_queued_at(struct ifb_engine *e, unsigned blk, uint64_t begin_ns,
			      uint64_t end_ns);
void ifb_engine_adc_done_at(struct ifb_engine *e, unsigned blk, int status, uint64_t done_ns);
void ifb_engine_usb_done(struct ifb_engine *e, unsigned blk, int status);

/* The ADC lost samples before the data of the block it is filling now
 * (copy mode: a kernel block failed; that block is still being filled):
 * an ADC error, and a gap where the block's data begins. Streaming only. */
void ifb_engine_adc_lost(struct ifb_engine *e, int err);

/* The ADC side failed for good (its buffer was disabled by someone else,
 * read() failed): counted as an ADC error (last_error = err), and the
 * stream stops with reason ERROR. No-op unless streaming. */
void ifb_engine_adc_failed(struct ifb_engine *e, int err);
/* Choose the policy for the next streams: false push (default), true pull. */
void ifb_engine_set_pull(struct ifb_engine *e, bool pull);
/* What the marks' times mean (enum ifb_time_source), for GET_TIMES. */
void ifb_engine_set_time_source(struct ifb_engine *e, uint8_t source);
/* The clock of the next stream's timestamp channel (enum ifb_ts_clock),
 * for GET_TIMES of version 7. */
void ifb_engine_set_ts_clock(struct ifb_engine *e, uint8_t clock);

/*
 * Pull policy: send the next filled block, its first len bytes (1 to
 * block_size; the rest of the block is dropped). Returns 1 when a block
 * was submitted to USB now, 0 when none is filled yet (the next one will
 * be, and ops->pulled says so), -EBADF when no stream runs, -EINVAL for a
 * bad len or the push policy, -EBUSY with as many pulls waiting as blocks,
 * or the backend's error (the engine is then stopping).
 */
int ifb_engine_pull(struct ifb_engine *e, uint32_t len);

/*
 * Output, pull policy: receive the host's next len bytes (1 to
 * block_size) into a free block, which then goes to the DAC
 * (ops->received). Returns 1 when USB got a block now, 0 when every block
 * is with the DAC (the first one it gives back receives), -EBADF when no
 * stream runs, -EINVAL for a bad len, an input stream or the push policy,
 * -EBUSY while a receive is in progress or a cyclic stream's waveform has
 * been received, or the backend's error (the engine is then stopping).
 */
int ifb_engine_receive(struct ifb_engine *e, uint32_t len);

/* The late answer to adc_finished: the ADC had finished the block before
 * blk by the time blk was queued. For a block still with the ADC in the
 * engine's books: reported done or not, it has not been completed while
 * the block ahead of it (whose report brings this verdict) was not. */
void ifb_engine_adc_ran_dry(struct ifb_engine *e, unsigned blk);

/* Stop the stream (no-op when idle). A stop in progress takes the new
 * reason only if it ends harder: shutdown > disconnect > error > host STOP. */
void ifb_engine_stop(struct ifb_engine *e, enum ifb_stop_reason reason);

/* Blocks the ADC or USB still hold, and those a timed start holds back. */
static inline unsigned ifb_engine_busy(const struct ifb_engine *e)
{
	return e->adc.len + e->usb.len + (e->held ? e->ready.len : 0);
}

/* The GET_STATS reply, little-endian, ready to send, in the agreed
 * protocol version (its layout is the same in versions 1 and 2). */
void ifb_engine_stats(const struct ifb_engine *e, uint8_t mode, uint16_t version,
		      struct ifb_stats *out);

/*
 * The GET_GAPS reply (protocol.h) into buf: from the gap whose sequence
 * number has the low 16 bits seq_lo (the most recent such number <=
 * gaps_total), or the oldest kept, as many as fit in `size` bytes (at
 * most IFB_GAPS_MAX_PER_REPLY). Returns its length, or -ENOSPC when size
 * cannot hold the header.
 */
int ifb_engine_gaps(const struct ifb_engine *e, uint16_t seq_lo, uint8_t *buf, size_t size);
/*
 * The GET_TIMES reply (protocol.h, version 6) in the agreed version, the
 * same way: from the mark whose sequence number ends in seq_lo, or the
 * oldest kept. Returns its length, or -ENOSPC.
 */
int ifb_engine_times(const struct ifb_engine *e, uint16_t seq_lo, uint16_t version, uint8_t *buf,
		     size_t size);

#endif
