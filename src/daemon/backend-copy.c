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
	struct ifb_bridge *b = ctx;

	b->blk[i].filled = 0;
	b->fillq[(b->fill_head + b->fill_len) % IFB_ENGINE_MAX_BLOCKS] = (uint8_t)i;
	b->fill_len++;
	sd_event_source_set_enabled(b->iio_src, SD_EVENT_ON);
	return 0;
}

static bool copy_adc_finished(void *ctx, unsigned i)
{
	return false; /* copy mode does not count starvations */
}

static int copy_usb_submit(void *ctx, unsigned i)
{
	struct ifb_bridge *b = ctx;
	struct ifb_block *k = &b->blk[i];
	struct iocb *cb = &k->iocb;
	int r;

	io_prep_pwrite(cb, b->ffs.ep, k->mem, b->engine.usb_bytes[i], 0);
	io_set_eventfd(cb, b->aio_efd);
	cb->data = k;
	r = io_submit(b->aio, 1, &cb);
	if (r != 1) {
		r = r < 0 ? r : -EIO;
		if (r == -ESHUTDOWN || r == -EAGAIN)
			log_info("USB write refused (%s): host not connected", strerror(-r));
		else
			log_error_errno(r, "Asynchronous USB write of block %u failed", i);
		return r;
	}
	b->aio_inflight++;
	return 0;
}

int ifb_copy_on_abort_fill(sd_event_source *s, void *userdata)
{
	struct ifb_bridge *b = userdata;

	/* Blocks still waiting for data will not get it now. */
	while (b->fill_len) {
		unsigned i = b->fillq[b->fill_head];

		b->fill_head = (b->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		b->fill_len--;
		ifb_engine_adc_done(&b->engine, i, -ECANCELED);
	}
	return 0;
}

static void copy_adc_stop(void *ctx)
{
	struct ifb_bridge *b = ctx;
	int r;

	sd_event_source_set_enabled(b->iio_src, SD_EVENT_OFF);
	r = ifb_iio_buffer_enable(&b->iio, false);
	if (r < 0)
		log_error_errno(r, "Cannot disable IIO buffer %s", b->iio.bufdir);
	/* Not from inside the engine's call: give the blocks back from the loop. */
	sd_event_source_set_enabled(b->abort_src, SD_EVENT_ONESHOT);
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
static void copy_block_failed(struct ifb_bridge *b)
{
	struct ifb_block *k = &b->blk[b->fillq[b->fill_head]];

	if (b->discard) {
		log_debug("ADC block failed while the stream's first blocks are dropped");
		return;
	}
	log_warning("ADC block failed (the kernel handed over an empty block): a gap in stream %u",
		    b->engine.stream_id);
	k->filled = 0;
	ifb_engine_adc_lost(&b->engine, -EIO);
}

static int on_iio_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	/* Whether a kernel block is finished, asked whenever a read begins
	 * one; the loop's wake-up answers it for the first read. */
	bool done = revents & EPOLLIN, first = true, suspect = false;

	while (b->fill_len && b->engine.run == IFB_STATE_STREAMING) {
		unsigned i = b->fillq[b->fill_head];
		struct ifb_block *k = &b->blk[i];
		size_t want = b->cfg.block_size - k->filled;
		ssize_t n;

		if (b->kpos == 0 && !first && !suspect)
			done = kblock_done(fd);
		first = false;

		/* Dropped bytes land in the block being filled and are overwritten. */
		if (b->discard)
			want = b->discard < b->cfg.block_size ? b->discard : b->cfg.block_size;
		n = read(fd, (char *)k->mem + (b->discard ? 0 : k->filled), want);

		if (n < 0) {
			if (errno == EAGAIN) {
				if (b->kpos != 0 || !done)
					return 0; /* nothing finished yet */
				if (!kblock_done(fd)) {
					copy_block_failed(b); /* it took the only finished one */
					return 0;
				}
				if (suspect)
					return 0; /* not the one read() wants next */
				suspect = true; /* read again: data means one was taken */
				continue;
			}
			n = neg_errno();
			log_error_errno((int)n, "read() from IIO buffer failed");
			b->fill_head = (b->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
			b->fill_len--;
			ifb_engine_adc_done(&b->engine, i, (int)n);
			ifb_engine_stop(&b->engine, IFB_STOP_ERROR);
			return 0;
		}
		if (n == 0)
			return 0;
		if (suspect) {
			suspect = false;
			if (k->filled == 0 && !b->discard)
				copy_block_failed(b); /* the data read is the next block's */
		}
		b->kpos = (b->kpos + (uint64_t)n) % b->kblock;
		if (b->discard) {
			b->discard -= (uint64_t)n;
			continue;
		}
		k->filled += (size_t)n;
		if (k->filled < b->cfg.block_size)
			continue;
		b->fill_head = (b->fill_head + 1) % IFB_ENGINE_MAX_BLOCKS;
		b->fill_len--;
		ifb_engine_adc_done(&b->engine, i, 0);
	}
	if (!b->fill_len)
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return 0;
}

int ifb_aio_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	struct io_event ev[IFB_ENGINE_MAX_BLOCKS + 1];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n;

	/* Callbacks return 0 (ep0.c): an error here ends the daemon instead
	 * of silently disabling the source and stalling the stream. */
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		ifb_bridge_fail(b, neg_errno(), "Reading the aio eventfd failed");
		return 0;
	}
	n = io_getevents(b->aio, 0, (long)ARRAY_SIZE(ev), ev, &zero);
	if (n < 0) {
		ifb_bridge_fail(b, n, "io_getevents failed");
		return 0;
	}
	for (int j = 0; j < n; j++) {
		struct iocb *cb = ev[j].obj;
		long res = (long)ev[j].res;

		if (cb == &b->zlp_iocb) {
			b->zlp_inflight = false;
			if (res < 0)
				log_debug("End-of-stream ZLP not delivered: %s", strerror((int)-res));
			ifb_session_zlp_done(b);
			continue;
		}
		b->aio_inflight--;
		{
			struct ifb_block *k = cb->data;
			unsigned i = ifb_block_index(b, k);
			int status = res == (long)b->engine.usb_bytes[i] ? 0 : res < 0 ? (int)res : -EIO;

			if (status < 0 && b->engine.run == IFB_STATE_STREAMING)
				log_warning_errno(status, "USB write of block %u failed", i);
			ifb_engine_usb_done(&b->engine, i, status);
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

int ifb_copy_prepare(struct ifb_bridge *b)
{
	unsigned scans = b->cfg.block_size / b->iio.scan_size;
	unsigned per = b->nblocks / 2 ? b->nblocks / 2 : 1;
	int r;

	while (per > 1 && (uint64_t)per * b->cfg.block_size > IFB_FILEIO_BLOCK_MAX)
		per--;
	r = ifb_iio_set_length(&b->iio, 2 * per * scans, scans);
	if (r < 0)
		return log_error_errno(r, "Cannot set the length/watermark of %s", b->iio.bufdir);
	/*
	 * Linux 6.12's DMA buffer core never resets which of its two fileio
	 * blocks read() takes next when the buffer is enabled again: after a
	 * stream that used an odd number of them, the next stream's first two
	 * come out swapped. Nothing tells userspace which it is, so every
	 * stream drops those two blocks; from the third on the order is right.
	 */
	b->discard = 2ULL * per * b->cfg.block_size;
	b->kblock = (uint64_t)per * b->cfg.block_size;
	b->kpos = 0;
	r = sd_event_add_io(b->loop, &b->iio_src, b->iio.buf_fd, EPOLLIN, on_iio_readable, b);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the IIO buffer");
	sd_event_source_set_enabled(b->iio_src, SD_EVENT_OFF);
	return 0;
}

void ifb_copy_release(struct ifb_bridge *b)
{
	if (b->iio_src)
		sd_event_source_set_enabled(b->iio_src, SD_EVENT_OFF);
	b->iio_src = sd_event_source_disable_unref(b->iio_src);
	b->fill_len = 0;
}

static void copy_cancel_usb(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++) {
		struct io_event ev;

		if (b->engine.state[i] == IFB_BLOCK_USB)
			(void)io_cancel(b->aio, &b->blk[i].iocb, &ev);
	}
}

void ifb_usb_send_zlp(struct ifb_bridge *b)
{
	struct iocb *cb = &b->zlp_iocb;
	static char nothing;
	int r;

	if (b->zlp_inflight || b->ffs.ep < 0)
		return;
	io_prep_pwrite(cb, b->ffs.ep, &nothing, 0, 0);
	io_set_eventfd(cb, b->aio_efd);
	r = io_submit(b->aio, 1, &cb);
	if (r == 1)
		b->zlp_inflight = true;
	else
		log_warning_errno(r < 0 ? r : -EIO, "Cannot send the end-of-stream ZLP");
}

static int copy_open(struct ifb_bridge *b)
{
	if (!b->mode_final)
		log_info("Copy mode: %u buffers of %u bytes, read() from IIO, libaio to USB",
			 b->nblocks, b->cfg.block_size);
	b->mode_final = true;
	return ifb_copy_prepare(b);
}

const struct ifb_backend ifb_backend_copy = {
	.mode = IFB_MODE_COPY,
	.ops = &ifb_copy_ops,
	.count_starvation = false,
	.pool_alloc = ifb_pool_alloc_buffers,
	.open = copy_open,
	.cancel_usb = copy_cancel_usb,
};
