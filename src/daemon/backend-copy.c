// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Copy mode: the life of a block.
 *
 * For kernels or UDCs without DMABUF. Every block is a user buffer:
 *
 *   1. Queued for filling: read() from the IIO buffer fd whenever it is
 *      readable (the kernel's own fileio blocks fill behind it) until the
 *      block is full.
 *   2. Full: the engine takes blocks in order and queues each on the bulk
 *      IN endpoint as an asynchronous write (libaio; completions arrive on
 *      an eventfd, ifb_aio_on_event).
 *   3. Written: back to 1.
 *
 * The CPU copies every byte twice (read(), then FunctionFS's own copy).
 * libaio also carries the end-of-stream zero-length packet in both modes:
 * a plain write() to an endpoint blocks until the host reads, even with
 * O_NONBLOCK.
 *
 * An output stream (host to DAC) goes round the other way:
 *
 *   1. Queued on the bulk OUT endpoint: an asynchronous read (libaio) of
 *      block_size bytes, several in flight. Its result is the length the
 *      host sent (a short transfer ends it), so a block's length is exact,
 *      unlike a FunctionFS DMABUF transfer's.
 *   2. Received: the engine takes blocks in arrival order and queues each
 *      to the DAC: the write queue (fillq) is written, whenever the IIO
 *      buffer fd polls POLLOUT, with non-blocking write()s in order, as
 *      much as the kernel takes each time (on_iio_writable).
 *   3. Written whole: the block is held as "with the DAC" until the next
 *      one is written whole, then back to 1. The one held keeps the stream
 *      from ending while the kernel still plays: at a host's STOP, once
 *      the last block is written, the kernel's two fileio blocks are given
 *      the time they take to play at the sampling frequency (out_drain)
 *      before the held block is reported and the buffer disabled.
 *
 * The kernel's own fileio blocks (two of kblock bytes, ifb_copy_prepare)
 * reach the DAC only once write() has filled them whole: the end of a
 * stream that does not fill the last one is not played, and is counted
 * as dropped (ifb_engine_not_played). kblock divides block_size and is
 * at most IFB_OUT_FILEIO_BLOCK_MAX: a stream of whole blocks, or of a
 * multiple of kblock, plays to its last scan.
 *
 * Underflows are not counted (count_starvation false, as for input):
 * write() hides the DAC's queue. What the kernel took is all we see; a
 * DAC that ran dry between two of its fileio blocks leaves no trace we
 * can read. The CPU copies every byte twice (FunctionFS's copy into our
 * buffer, write()'s into the kernel's block).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

static int copy_adc_enqueue(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	s->blk[i].filled = 0;
	s->fillq[(s->fill_head + s->fill_len) % IFB_ENGINE_MAX_BLOCKS] = (uint8_t)i;
	s->fill_len++;
	sd_event_source_set_enabled(s->iio_src, SD_EVENT_ON);
	return 0;
}

static bool copy_adc_finished(void *ctx, unsigned i)
{
	return false; /* copy mode does not count starvations */
}

/* Block i's asynchronous USB transfer of the engine's length, either
 * direction (out: a read from the OUT endpoint into it), completion on
 * the eventfd. 0, or -errno logged. */
static int copy_aio_submit(struct ifb_stream *s, unsigned i, bool out)
{
	struct ifb_block *k = &s->blk[i];
	struct iocb *cb = &k->iocb;
	int r;

	if (out)
		io_prep_pread(cb, s->ep.fd, k->mem, s->engine.usb_bytes[i], 0);
	else
		io_prep_pwrite(cb, s->ep.fd, k->mem, s->engine.usb_bytes[i], 0);
	io_set_eventfd(cb, s->aio_efd);
	cb->data = k;
	r = io_submit(s->aio, 1, &cb);
	if (r != 1) {
		r = r < 0 ? r : -EIO;
		if (r == -ESHUTDOWN || r == -EAGAIN)
			log_info("%sUSB %s refused (%s): host not connected", s->logp,
				 out ? "read" : "write", strerror(-r));
		else
			log_error_errno(r, "%sAsynchronous USB %s block %u failed", s->logp,
					out ? "read into" : "write of", i);
		return r;
	}
	s->aio_inflight++;
	return 0;
}

static int copy_usb_submit(void *ctx, unsigned i)
{
	return copy_aio_submit(ctx, i, false);
}

static void out_abort(struct ifb_stream *s);

int ifb_copy_on_abort_fill(sd_event_source *src, void *userdata)
{
	struct ifb_stream *s = userdata;

	if (s->engine.out) {
		out_abort(s);
		return 0;
	}

	/* Blocks still waiting for data will not get it now. */
	while (s->fill_len) {
		unsigned i = s->fillq[s->fill_head];

		s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		s->fill_len--;
		ifb_engine_adc_done(&s->engine, i, -ECANCELED);
	}
	return 0;
}

static void copy_adc_stop(void *ctx)
{
	struct ifb_stream *s = ctx;
	int r;

	sd_event_source_set_enabled(s->iio_src, SD_EVENT_OFF);
	r = ifb_iio_buffer_enable(&s->iio, false);
	if (r < 0)
		log_error_errno(r, "%sCannot disable IIO buffer %s", s->logp, s->iio.bufdir);
	/* Not from inside the engine's call: give the blocks back from the loop. */
	sd_event_source_set_enabled(s->abort_src, SD_EVENT_ONESHOT);
}

/* Does the IIO buffer have a finished kernel block (poll's POLLIN)? */
static bool kblock_done(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * A kernel block the ADC failed comes back empty: the DMA buffer core's
 * abort sets its bytes_used to 0 and poll() counts it as finished; read()
 * takes it and gives nothing (EAGAIN with O_NONBLOCK). An EAGAIN while a
 * block is finished also happens when the one read() wants next is not
 * (the core takes its two blocks in turn, whatever finished first). The
 * two differ in what read() did: an empty block taken leaves either
 * nothing finished (poll() now says so) or the next block, which the next
 * read() returns. Our blocks are whole parts of a kernel block, so the
 * block being filled is empty at a kernel block's start, and the lost
 * samples are a gap where its data begins. Failed blocks that come back
 * to back can look like fewer: every gap is reported, the count of ADC
 * errors may be lower than the blocks lost.
 */
static void copy_block_failed(struct ifb_stream *s)
{
	struct ifb_block *k = &s->blk[s->fillq[s->fill_head]];

	if (s->discard) {
		log_debug("%sADC block failed while the stream's first blocks are dropped", s->logp);
		return;
	}
	log_warning("%sADC block failed (the kernel handed over an empty block): a gap in stream %u", s->logp,
		    s->engine.stream_id);
	k->filled = 0;
	ifb_engine_adc_lost(&s->engine, -EIO);
}

static int on_iio_readable(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ifb_stream *s = userdata;
	/* Whether a kernel block is finished, asked whenever a read begins
	 * one; the loop's wake-up answers it for the first read. */
	bool done = revents & EPOLLIN, first = true, suspect = false;

	while (s->fill_len && s->engine.run == IFB_STATE_STREAMING) {
		unsigned i = s->fillq[s->fill_head];
		struct ifb_block *k = &s->blk[i];
		size_t want = s->cfg.block_size - k->filled;
		ssize_t n;

		if (s->kpos == 0 && !first && !suspect)
			done = kblock_done(fd);
		first = false;

		/* Dropped bytes land in the block being filled and are overwritten. */
		if (s->discard)
			want = s->discard < s->cfg.block_size ? s->discard : s->cfg.block_size;
		n = read(fd, (char *)k->mem + (s->discard ? 0 : k->filled), want);

		if (n < 0) {
			if (errno == EAGAIN) {
				if (s->kpos != 0 || !done)
					return 0; /* nothing finished yet */
				if (!kblock_done(fd)) {
					copy_block_failed(s); /* it took the only finished one */
					return 0;
				}
				if (suspect)
					return 0; /* not the one read() wants next */
				suspect = true; /* read again: data means one was taken */
				continue;
			}
			n = neg_errno();
			log_error_errno((int)n, "%sread() from IIO buffer failed", s->logp);
			s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
			s->fill_len--;
			ifb_engine_adc_done(&s->engine, i, (int)n);
			ifb_engine_stop(&s->engine, IFB_STOP_ERROR);
			return 0;
		}
		if (n == 0)
			return 0;
		if (suspect) {
			suspect = false;
			if (k->filled == 0 && !s->discard)
				copy_block_failed(s); /* the data read is the next block's */
		}
		s->kpos = (s->kpos + (uint64_t)n) % s->kblock;
		if (s->discard) {
			s->discard -= (uint64_t)n;
			continue;
		}
		k->filled += (size_t)n;
		if (k->filled < s->cfg.block_size)
			continue;
		s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		s->fill_len--;
		ifb_engine_adc_done(&s->engine, i, 0);
	}
	if (!s->fill_len)
		sd_event_source_set_enabled(src, SD_EVENT_OFF);
	return 0;
}

int ifb_aio_on_event(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ifb_stream *s = userdata;
	struct io_event ev[IFB_ENGINE_MAX_BLOCKS + 1];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n;

	/* Callbacks return 0 (ep0.c): an error here ends the daemon instead
	 * of silently disabling the source and stalling the stream. */
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		ifb_bridge_fail(s->b, neg_errno(), "Reading the aio eventfd failed");
		return 0;
	}
	n = io_getevents(s->aio, 0, (long)ARRAY_SIZE(ev), ev, &zero);
	if (n < 0) {
		ifb_bridge_fail(s->b, n, "io_getevents failed");
		return 0;
	}
	for (int j = 0; j < n; j++) {
		struct iocb *cb = ev[j].obj;
		long res = (long)ev[j].res;

		if (cb == &s->zlp_iocb) {
			s->zlp_inflight = false;
			if (res < 0)
				log_debug("%sEnd-of-stream ZLP not delivered: %s", s->logp, strerror((int)-res));
			ifb_session_zlp_done(s);
			continue;
		}
		s->aio_inflight--;
		if (s->engine.out) {
			struct ifb_block *k = cb->data;
			unsigned i = ifb_block_index(s, k);
			int status = res < 0 ? (int)res : 0;

			if (status < 0 && s->engine.run == IFB_STATE_STREAMING)
				log_warning_errno(status, "%sUSB read of block %u failed", s->logp, i);
			ifb_engine_usb_received(&s->engine, i, status, res < 0 ? 0 : (uint32_t)res);
			continue;
		}
		{
			struct ifb_block *k = cb->data;
			unsigned i = ifb_block_index(s, k);
			int status = res == (long)s->engine.usb_bytes[i] ? 0 : res < 0 ? (int)res : -EIO;

			if (status < 0 && s->engine.run == IFB_STATE_STREAMING)
				log_warning_errno(status, "%sUSB write of block %u failed", s->logp, i);
			ifb_engine_usb_done(&s->engine, i, status);
		}
	}
	return 0;
}

const struct ifb_engine_ops ifb_copy_ops = {
	.adc_enqueue = copy_adc_enqueue,
	.adc_finished = copy_adc_finished,
	.usb_submit = copy_usb_submit,
	.adc_stop = copy_adc_stop,
	.stopped = ifb_session_engine_stopped,
	.pulled = ifb_session_pulled,
};

/* Output: receive into block i: an asynchronous read of a whole block;
 * the host's short transfer ends it early, and its result says so. */
static int copy_usb_receive(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	if (s->engine.run != IFB_STATE_STREAMING)
		return -ESHUTDOWN;
	return copy_aio_submit(s, i, true);
}

int ifb_copy_out_dac_enqueue(void *ctx, unsigned i, uint32_t len, bool cyclic)
{
	struct ifb_stream *s = ctx;

	/* write() hands the DAC a block once: only IIO DMABUF's cyclic flag
	 * repeats one (ep0.c refuses a cyclic START in these modes first) */
	if (cyclic)
		return log_error_errno(-EOPNOTSUPP, "%sA cyclic waveform needs zero-copy mode",
				       s->logp);

	s->blk[i].filled = 0;
	s->blk[i].want = len;
	s->fillq[(s->fill_head + s->fill_len) % IFB_ENGINE_MAX_BLOCKS] = (uint8_t)i;
	s->fill_len++;
	sd_event_source_set_enabled(s->iio_src, SD_EVENT_ON);
	return 0;
}

static bool copy_dac_finished(void *ctx, unsigned i)
{
	return false; /* write() hides the DAC's queue: underflows are not counted */
}

/* Report block i to the engine: written (status 0) or not. */
static void out_report(struct ifb_stream *s, unsigned i, int status)
{
	if (s->mode == IFB_MODE_HYBRID)
		ifb_hybrid_out_written(s, i);
	ifb_engine_adc_done(&s->engine, i, status);
}

/* The time the kernel's fileio blocks take to play: two full ones at
 * most (the part-filled one never plays), at the DAC's rate, and a
 * margin for the wake-ups. Without a rate: a second. */
static uint64_t out_drain_usec(const struct ifb_stream *s)
{
	uint64_t full = s->out_written / s->kblock, bytes = (full < 2 ? full : 2) * s->kblock;

	if (!s->out_rate)
		return 1000 * 1000ULL;
	return bytes * 1000000ULL / s->out_rate * 5 / 4 + 20 * 1000ULL;
}

static int on_out_drained(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;
	uint64_t part = s->kblock ? s->out_written % s->kblock : 0;
	int i = s->out_held;

	s->out_drain_src = sd_event_source_disable_unref(s->out_drain_src);
	if (s->fill_len || i < 0)
		return 0; /* more to write: the last write arms it again */
	if (part) {
		log_notice("%sThe stream's last %" PRIu64 " bytes were not played: write() hands the "
			   "DAC whole fileio blocks of %" PRIu64 " bytes only", s->logp, part, s->kblock);
		ifb_engine_not_played(&s->engine, part);
	}
	s->out_held = -1;
	out_report(s, (unsigned)i, 0);
	return 0;
}

/* A host's STOP, everything written: let the kernel play it, then end. */
static void out_drain(struct ifb_stream *s)
{
	uint64_t usec;

	if (s->engine.run != IFB_STATE_STOPPING || s->engine.reason != IFB_STOP_HOST || s->fill_len ||
	    s->out_held < 0)
		return;
	usec = out_drain_usec(s);
	s->out_drain_src = sd_event_source_disable_unref(s->out_drain_src);
	if (sd_event_add_time_relative(s->b->loop, &s->out_drain_src, CLOCK_MONOTONIC, usec,
				       IFB_GRACE_ACCURACY_USEC, on_out_drained, s) < 0) {
		log_warning("%sCannot wait for the DAC to play its last blocks", s->logp);
		on_out_drained(NULL, 0, s);
	}
}

/* Block i is written whole: it is held, the one held before is done. */
static void out_written(struct ifb_stream *s, unsigned i)
{
	int prev = s->out_held;

	s->out_held = (int)i;
	if (prev >= 0)
		out_report(s, (unsigned)prev, 0);
	out_drain(s);
}

static int on_iio_writable(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ifb_stream *s = userdata;

	while (s->fill_len) {
		unsigned i = s->fillq[s->fill_head];
		struct ifb_block *k = &s->blk[i];
		ssize_t n;

		if (s->engine.run != IFB_STATE_STREAMING && s->engine.reason != IFB_STOP_HOST)
			break; /* out_abort gives the blocks back */
		n = write(fd, (const char *)k->mem + k->filled, k->want - k->filled);
		if (n < 0 && errno == EAGAIN)
			return 0; /* the kernel's blocks are full: POLLOUT again */
		if (n <= 0) {
			int r = n < 0 ? neg_errno() : -EIO;

			log_error_errno(r, "%swrite() to IIO buffer failed", s->logp);
			s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
			s->fill_len--;
			out_report(s, i, r);
			ifb_engine_stop(&s->engine, IFB_STOP_ERROR);
			break;
		}
		k->filled += (size_t)n;
		s->out_written += (uint64_t)n;
		if (k->filled < k->want)
			continue;
		s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		s->fill_len--;
		out_written(s, i);
	}
	sd_event_source_set_enabled(src, SD_EVENT_OFF);
	return 0;
}

/* A stop that is not a host's STOP (disconnect, shutdown, error): what
 * waits to be written, and the block held, go back unplayed (the buffer
 * is disabled at teardown anyway). From the loop. */
static void out_abort(struct ifb_stream *s)
{
	int i = s->out_held;

	if (s->engine.run != IFB_STATE_STOPPING || s->engine.reason == IFB_STOP_HOST)
		return;
	sd_event_source_set_enabled(s->iio_src, SD_EVENT_OFF);
	s->out_drain_src = sd_event_source_disable_unref(s->out_drain_src);
	while (s->fill_len) {
		unsigned b = s->fillq[s->fill_head];

		s->fill_head = (s->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		s->fill_len--;
		out_report(s, b, -ECANCELED);
	}
	s->out_held = -1;
	if (i >= 0)
		out_report(s, (unsigned)i, -ECANCELED);
}

void ifb_copy_out_stop_writer(struct ifb_stream *s)
{
	if (s->engine.reason == IFB_STOP_HOST)
		out_drain(s); /* the DAC plays what it has; maybe all is written */
	else
		/* Not from inside the engine's call: from the loop. */
		sd_event_source_set_enabled(s->abort_src, SD_EVENT_ONESHOT);
}

/* Output: take back the reads still waiting for the host. One whose data
 * has arrived completes anyway (io_cancel fails for it) and is played. */
static void copy_usb_stop(void *ctx)
{
	struct ifb_stream *s = ctx;

	for (unsigned i = 0; i < s->nblocks; i++) {
		struct io_event ev;

		if (s->engine.state[i] == IFB_BLOCK_USB && !s->engine.done[i])
			(void)io_cancel(s->aio, &s->blk[i].iocb, &ev);
	}
	ifb_copy_out_stop_writer(s);
}

/* Never a cyclic block here (ifb_copy_out_dac_enqueue): nothing to stop. */
void ifb_copy_out_dac_stop(void *ctx)
{
}

const struct ifb_engine_ops ifb_copy_out_ops = {
	.dac_stop = ifb_copy_out_dac_stop,
	.usb_receive = copy_usb_receive,
	.dac_enqueue = ifb_copy_out_dac_enqueue,
	.dac_finished = copy_dac_finished,
	.usb_stop = copy_usb_stop,
	.stopped = ifb_session_engine_stopped,
	.received = ifb_session_received,
};

/*
 * Output: the kernel's fileio blocks, at most this big (see the top and
 * ifb_probe_out_fileio_block): two of them are what the DAC has queued.
 */
#define IFB_OUT_FILEIO_BLOCK_MAX (256u << 10)

static int copy_prepare_out(struct ifb_stream *s)
{
	uint32_t kb = ifb_probe_out_fileio_block(s->cfg.block_size, s->iio.scan_size,
						 IFB_OUT_FILEIO_BLOCK_MAX);
	uint64_t mhz = 0;
	int r;

	r = ifb_iio_set_length(&s->iio, 2 * (kb / s->iio.scan_size), kb / s->iio.scan_size);
	if (r < 0)
		return log_error_errno(r, "%sCannot set the length/watermark of %s", s->logp, s->iio.bufdir);
	s->kblock = kb;
	s->kpos = 0;
	s->discard = 0;
	s->fill_head = s->fill_len = 0;
	s->out_held = -1;
	s->out_written = 0;
	s->out_rate = ifb_iio_sampling_frequency_mhz(&s->iio, &mhz) == 0 ?
			      mhz / 1000 * s->iio.scan_size : 0;
	r = sd_event_add_io(s->b->loop, &s->iio_src, s->iio.buf_fd, EPOLLOUT, on_iio_writable, s);
	if (r < 0)
		return log_error_errno(r, "%sCannot watch the IIO buffer", s->logp);
	sd_event_source_set_enabled(s->iio_src, SD_EVENT_OFF);
	return 0;
}

/*
 * Copy mode cannot see the ADC run dry, so let the kernel buffer as much
 * as our pool, as zero-copy would. The DMA buffer's fileio splits the
 * length into two physically contiguous blocks: keep each within
 * IFB_FILEIO_BLOCK_MAX (or one of our blocks, if bigger), which the page
 * allocator can still provide. Wake us per block.
 */
#define IFB_FILEIO_BLOCK_MAX (4u << 20)

int ifb_copy_prepare(struct ifb_stream *s)
{
	unsigned scans = s->cfg.block_size / s->iio.scan_size;
	unsigned per = s->nblocks / 2 ? s->nblocks / 2 : 1;
	int r;

	if (s->iio.output)
		return copy_prepare_out(s);
	while (per > 1 && (uint64_t)per * s->cfg.block_size > IFB_FILEIO_BLOCK_MAX)
		per--;
	r = ifb_iio_set_length(&s->iio, 2 * per * scans, scans);
	if (r < 0)
		return log_error_errno(r, "%sCannot set the length/watermark of %s", s->logp, s->iio.bufdir);
	/*
	 * Linux 6.12's DMA buffer core never resets which of its two fileio
	 * blocks read() takes next when the buffer is enabled again: after a
	 * stream that used an odd number of them, the next stream's first two
	 * come out swapped. Nothing tells userspace which it is, so every
	 * stream drops those two blocks; from the third on the order is right.
	 */
	s->discard = 2ULL * per * s->cfg.block_size;
	s->kblock = (uint64_t)per * s->cfg.block_size;
	s->kpos = 0;
	r = sd_event_add_io(s->b->loop, &s->iio_src, s->iio.buf_fd, EPOLLIN, on_iio_readable, s);
	if (r < 0)
		return log_error_errno(r, "%sCannot watch the IIO buffer", s->logp);
	sd_event_source_set_enabled(s->iio_src, SD_EVENT_OFF);
	return 0;
}

void ifb_copy_release(struct ifb_stream *s)
{
	if (s->iio_src)
		sd_event_source_set_enabled(s->iio_src, SD_EVENT_OFF);
	s->iio_src = sd_event_source_disable_unref(s->iio_src);
	s->out_drain_src = sd_event_source_disable_unref(s->out_drain_src);
	s->out_held = -1;
	s->fill_len = 0;
}

static void copy_cancel_usb(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct io_event ev;

		if (s->engine.state[i] == IFB_BLOCK_USB)
			(void)io_cancel(s->aio, &s->blk[i].iocb, &ev);
	}
}

void ifb_usb_send_zlp(struct ifb_stream *s)
{
	struct iocb *cb = &s->zlp_iocb;
	static char nothing;
	int r;

	if (s->zlp_inflight || s->ep.fd < 0)
		return;
	io_prep_pwrite(cb, s->ep.fd, &nothing, 0, 0);
	io_set_eventfd(cb, s->aio_efd);
	r = io_submit(s->aio, 1, &cb);
	if (r == 1)
		s->zlp_inflight = true;
	else
		log_warning_errno(r < 0 ? r : -EIO, "%sCannot send the end-of-stream ZLP", s->logp);
}

static int copy_open(struct ifb_stream *s)
{
	if (!s->mode_final)
		log_info(s->iio.output ? "%sCopy mode: %u buffers of %u bytes, libaio from USB, write() to IIO" :
					 "%sCopy mode: %u buffers of %u bytes, read() from IIO, libaio to USB",
			 s->logp, s->nblocks, s->cfg.block_size);
	s->mode_final = true;
	return ifb_copy_prepare(s);
}

const struct ifb_backend ifb_backend_copy = {
	.mode = IFB_MODE_COPY,
	.ops = &ifb_copy_ops,
	.out_ops = &ifb_copy_out_ops,
	.count_starvation = false,
	.time_source = IFB_TIME_READ,
	.pool_alloc = ifb_pool_alloc_buffers,
	.open = copy_open,
	.cancel_usb = copy_cancel_usb,
};
