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
 */
#include <errno.h>
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

static int copy_usb_submit(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	struct iocb *cb = &k->iocb;
	int r;

	io_prep_pwrite(cb, s->ep.fd, k->mem, s->engine.usb_bytes[i], 0);
	io_set_eventfd(cb, s->aio_efd);
	cb->data = k;
	r = io_submit(s->aio, 1, &cb);
	if (r != 1) {
		r = r < 0 ? r : -EIO;
		if (r == -ESHUTDOWN || r == -EAGAIN)
			log_info("%sUSB write refused (%s): host not connected", s->logp, strerror(-r));
		else
			log_error_errno(r, "%sAsynchronous USB write of block %u failed", s->logp, i);
		return r;
	}
	s->aio_inflight++;
	return 0;
}

int ifb_copy_on_abort_fill(sd_event_source *src, void *userdata)
{
	struct ifb_stream *s = userdata;

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
		log_info("%sCopy mode: %u buffers of %u bytes, read() from IIO, libaio to USB", s->logp,
			 s->nblocks, s->cfg.block_size);
	s->mode_final = true;
	return ifb_copy_prepare(s);
}

const struct ifb_backend ifb_backend_copy = {
	.mode = IFB_MODE_COPY,
	.ops = &ifb_copy_ops,
	.count_starvation = false,
	.pool_alloc = ifb_pool_alloc_buffers,
	.open = copy_open,
	.cancel_usb = copy_cancel_usb,
};
