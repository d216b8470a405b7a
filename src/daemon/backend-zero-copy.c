// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Zero-copy: the life of a block.
 *
 * Every block is a DMABUF, attached to the IIO buffer and to the bulk IN
 * endpoint for the length of a stream (zc_attach, before the buffer is
 * enabled). Then, round and round:
 *
 *   1. IIO_BUFFER_DMABUF_ENQUEUE: the ADC's DMA will write it. We snapshot
 *      its write fence (for the error) and wait for POLLOUT on the DMABUF.
 *   2. POLLOUT: the ADC is done. The engine takes blocks in queue order and
 *      hands each to USB: FUNCTIONFS_DMABUF_TRANSFER, snapshot, POLLOUT.
 *   3. POLLOUT: every fence signalled, the UDC has sent it. Back to 1.
 *
 * The CPU never touches the samples. At the end of a stream every fence
 * has signalled before anything is detached or closed (ifb_zc_release).
 *
 * An output stream (host to DAC) goes round the other way:
 *
 *   1. FUNCTIONFS_DMABUF_TRANSFER on the bulk OUT endpoint: the UDC's DMA
 *      will write what the host sends into it. Snapshot, POLLOUT.
 *   2. POLLOUT: the transfer is done. FunctionFS does not say how many
 *      bytes arrived (f_fs.c signals the fence with the request's status
 *      only), so a block holds block_size bytes unless it holds the end
 *      the host announced with STOP (the engine cuts it there). The engine
 *      takes blocks in arrival order and hands each to the DAC:
 *      IIO_BUFFER_DMABUF_ENQUEUE with bytes_used, snapshot, POLLOUT.
 *   3. POLLOUT: the DAC has played it. Back to 1.
 *
 * Underflows are judged when a block goes to the DAC: if the block ahead
 * of it has already signalled (a poll() of its DMABUF), the DAC ran dry.
 *
 * What a block costs in the steady state, and why (`make bench` counts):
 *   - the IIO enqueue and the FunctionFS transfer: the work itself;
 *   - per side, a fence snapshot (DMA_BUF_IOCTL_EXPORT_SYNC_FILE), one
 *     SYNC_IOC_FILE_INFO and a close(): the only way to learn a fence's
 *     error (poll() says "signalled", never how). The ADC's FILE_INFO also
 *     gives the time its fence signalled, which answers the starvation
 *     question (did the block before finish before this one was queued?)
 *     without a poll() of its own;
 *   - a share of one epoll_wait. Every block's poll source keeps one
 *     interest, POLLOUT, for its whole life: dma_buf_poll() reports POLLOUT
 *     once every fence on the buffer has signalled, the ADC's write fence
 *     as much as FunctionFS's read fence (drivers/dma-buf/dma-buf.c), so a
 *     block passing from one side to the other needs no epoll_ctl. Sources
 *     are only switched off while their block waits (free, or done but
 *     behind an earlier block), where a signalled buffer would wake the
 *     loop for nothing. The sources are level-triggered on purpose:
 *     dma_buf_poll() installs its fence callback only while it is being
 *     polled, and epoll polls a level-triggered source again on the wait
 *     after it reported it, which is what arms the callback for the next
 *     fence. Edge-triggered, nothing would poll the buffer after a new
 *     fence was added and its completion would never wake us.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"
#include "iio-ffs-bridge/kernel-compat.h"

/* Snapshot the fences just added, so their error can be read later. */
static void zc_snapshot(struct ifb_block *k, bool writers_only)
{
	closep(&k->sync_fd);
	k->sync_fd = ifb_dmabuf_export_fences(k->fd, writers_only);
	if (k->sync_fd < 0) {
		log_debug("Cannot export the fences of a DMABUF: %s", strerror(-k->sync_fd));
		k->sync_fd = -1;
	}
}

/* The status of the snapshot taken when the block was queued; with
 * signalled_ns, also when its fences signalled (0 if not known). */
static int zc_take_status(struct ifb_block *k, uint64_t *signalled_ns)
{
	uint64_t when = 0;
	int status;

	if (signalled_ns)
		*signalled_ns = 0;
	if (k->cancelled) {
		k->cancelled = false;
		return -ECANCELED;
	}
	if (k->sync_fd < 0)
		return 0; /* no snapshot: nothing known beyond "signalled" */
	status = signalled_ns ? ifb_sync_file_status_at(k->sync_fd, &when)
			      : ifb_sync_file_status(k->sync_fd);
	closep(&k->sync_fd);
	if (signalled_ns && status != -EINPROGRESS)
		*signalled_ns = when;
	return status == -EINPROGRESS ? 0 : status;
}

/* The block's source polls for POLLOUT all along (see the top); this only
 * turns it on, which costs an epoll_ctl only if it was off. */
static void zc_watch(struct ifb_block *k)
{
	sd_event_source_set_enabled(k->src, SD_EVENT_ON);
}

static int zc_adc_enqueue(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	uint64_t begin = ifb_now_ns();
	int r;

	r = ifb_iio_dmabuf_enqueue(&s->iio, k->fd, s->cfg.block_size, 0);
	if (r < 0)
		return log_error_errno(r, "%sIIO DMABUF enqueue of block %u failed", s->logp, i);
	k->queued_ns = ifb_now_ns();
	k->queue_begin_ns = begin;
	/* an idle ADC began the block within the ioctl: a run's first
	 * block's time mark says so */
	ifb_engine_adc_queued_at(&s->engine, i, begin, k->queued_ns);
	k->behind = -1;
	zc_snapshot(k, true);
	k->snapshot_ns = ifb_now_ns(); /* the ADC side's only: a stub fence's bound */
	zc_watch(k);
	return 0;
}

/*
 * Asked right after block n was queued behind block i. The answer comes
 * with i's completion, from the FILE_INFO that reads i's status anyway: i
 * ran dry before n if its fence signalled no later than n was queued
 * (zc_judge_behind). Counting from the time after the enqueue returned
 * keeps the engine's rule: a gap may be reported that did not happen,
 * never one missed.
 */
static bool zc_adc_finished(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;
	const struct ifb_fifo *q = &s->engine.adc;

	if (q->len)
		s->blk[i].behind = q->idx[(q->head + q->len - 1) % IFB_ENGINE_MAX_BLOCKS];
	return false;
}

static void zc_judge_behind(struct ifb_stream *s, struct ifb_block *k, uint64_t signalled_ns)
{
	int n = k->behind;

	k->behind = -1;
	if (n < 0 || (unsigned)n >= s->nblocks)
		return;
	/* No time (no snapshot, or an error reading it): assume dry. */
	if (signalled_ns == 0 || signalled_ns <= s->blk[n].queued_ns)
		ifb_engine_adc_ran_dry(&s->engine, (unsigned)n);
}

/* Block i's FunctionFS DMABUF transfer of len bytes, either direction
 * (the endpoint's), behind the one guard before FunctionFS DMABUF ioctls
 * (ep0.c); its fences snapshotted and watched. */
static int zc_transfer(struct ifb_stream *s, unsigned i, uint64_t len)
{
	struct ifb_block *k = &s->blk[i];
	int r;

	if (!ifb_ep0_usb_ready(s) || s->engine.run != IFB_STATE_STREAMING)
		return -ESHUTDOWN;
	r = ifb_ffs_dmabuf_transfer(&s->ep, k->fd, len);
	if (r < 0) {
		if (r == -ESHUTDOWN || r == -EAGAIN)
			log_info("%sUSB transfer refused (%s): host not connected", s->logp, strerror(-r));
		else
			log_error_errno(r, "%sFunctionFS DMABUF transfer of block %u failed", s->logp, i);
		return r;
	}
	zc_snapshot(k, false);
	zc_watch(k);
	return 0;
}

static int zc_usb_submit(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	return zc_transfer(s, i, s->engine.usb_bytes[i]);
}

static void zc_adc_stop(void *ctx)
{
	struct ifb_stream *s = ctx;
	int r;

	/*
	 * Disabling aborts every block the ADC holds: their fences signal. But
	 * blocks queued after someone else disabled the buffer wait in the DMA
	 * core's incoming list, where nothing ever signals them: enable the
	 * buffer for a moment so that they are submitted, then aborted too.
	 */
	if (s->engine.adc.len && ifb_iio_buffer_enabled(&s->iio) == 0) {
		r = ifb_iio_buffer_enable(&s->iio, true);
		if (r < 0)
			log_error_errno(r, "%sCannot flush the blocks queued on the disabled IIO buffer %s", s->logp,
					s->iio.bufdir);
	}
	r = ifb_iio_buffer_enable(&s->iio, false);
	if (r < 0)
		log_error_errno(r, "%sCannot disable IIO buffer %s", s->logp, s->iio.bufdir);
}

/*
 * Only blocks whose fences are pending are polled: with the ADC (zero-copy;
 * in hybrid mode the ADC side is read()) or with USB, and not yet reported.
 * Any other block (free, filled and waiting for a pull, done but behind an
 * earlier one) has signalled fences that would wake the loop for ever, and
 * a wake-up left over from such a time must not be taken, after the block
 * moved on, for the completion of its next step.
 */
static void zc_quiet_idle(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		enum ifb_block_state st = s->engine.state[i];
		bool pending = !s->engine.done[i] &&
			       ((st == IFB_BLOCK_ADC && s->mode == IFB_MODE_ZERO_COPY) ||
				st == IFB_BLOCK_USB);

		if (!pending)
			sd_event_source_set_enabled(s->blk[i].src, SD_EVENT_OFF);
	}
}

int ifb_zc_on_dmabuf(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ifb_stream *s = userdata;
	struct ifb_block *k;
	uint64_t when;
	unsigned i;
	int status;

	for (i = 0; i < s->nblocks && s->blk[i].src != src; i++)
		;
	if (i == s->nblocks)
		return 0;
	k = &s->blk[i];

	/* (hybrid: the DAC side is write(), its blocks are not polled) */
	if (s->engine.out && (revents & EPOLLOUT) &&
	    ((s->engine.state[i] == IFB_BLOCK_ADC && s->mode == IFB_MODE_ZERO_COPY) ||
	     s->engine.state[i] == IFB_BLOCK_USB)) {
		bool dac = s->engine.state[i] == IFB_BLOCK_ADC;

		status = zc_take_status(k, NULL);
		if (status < 0 && s->engine.run == IFB_STATE_STREAMING)
			log_warning_errno(status, "%s%s of block %u failed", s->logp,
					  dac ? "DAC" : "USB transfer", i);
		if (dac)
			ifb_engine_adc_done(&s->engine, i, status);
		else
			ifb_engine_usb_received(&s->engine, i, status, s->engine.usb_bytes[i]);
	} else if (s->engine.out) {
		/* a hybrid block with the DAC: nothing to do */
	} else if (s->engine.state[i] == IFB_BLOCK_ADC && s->mode == IFB_MODE_ZERO_COPY &&
	    (revents & EPOLLOUT)) {
		uint64_t snapshot = k->snapshot_ns;

		status = zc_take_status(k, &when);
		if (status < 0 && s->engine.run == IFB_STATE_STREAMING)
			log_warning_errno(status, "%sADC block %u failed", s->logp, i);
		/*
		 * A fence that had signalled before the export comes back as
		 * the kernel's stub (dma_fence_get_stub), timestamped long
		 * before this block was queued: the block finished no later
		 * than the export, the time its mark gets (a bound, late as
		 * fences are, never early).
		 */
		if (when && when < k->queue_begin_ns)
			when = snapshot;
		zc_judge_behind(s, k, when);
		ifb_engine_adc_done_at(&s->engine, i, status, when); /* its time mark's */
	} else if (s->engine.state[i] == IFB_BLOCK_USB && (revents & EPOLLOUT)) {
		status = zc_take_status(k, NULL);
		if (status < 0 && s->engine.run == IFB_STATE_STREAMING)
			log_warning_errno(status, "%sUSB transfer of block %u failed", s->logp, i);
		ifb_engine_usb_done(&s->engine, i, status);
	}
	zc_quiet_idle(s);
	return 0;
}

/* Output: receive into block i from the host. */
static int zc_usb_receive(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	/* the engine's length: the block, or what an IIOD WRITEBUF announced */
	return zc_transfer(s, i, s->engine.usb_bytes[i]);
}

/* Output: block i's first len bytes to the DAC; a cyclic block repeats
 * until the buffer is disabled (zc_dac_stop). */
static int zc_dac_enqueue(void *ctx, unsigned i, uint32_t len, bool cyclic)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	int r;

	r = ifb_iio_dmabuf_enqueue(&s->iio, k->fd, len, cyclic ? IIO_BUFFER_DMABUF_CYCLIC : 0);
	if (r < 0)
		return log_error_errno(r, "%sIIO DMABUF enqueue of block %u (%u bytes%s) failed", s->logp, i,
				       len, cyclic ? ", cyclic" : "");
	if (cyclic)
		log_info("%sCyclic: %u bytes (%u scans) repeating at the DAC", s->logp, len,
			 len / s->iio.scan_size);
	zc_snapshot(k, false); /* the DAC's fence is a reader's */
	zc_watch(k);
	return 0;
}

/* Has the DMABUF's every fence signalled (dma_buf_poll: POLLOUT)? */
static bool zc_signalled(const struct ifb_block *k)
{
	struct pollfd p = { .fd = k->fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

static bool zc_dac_finished(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	return zc_signalled(&s->blk[i]);
}

/*
 * Output: take back the blocks USB holds. A block whose transfer has
 * already completed (its data arrived before the stop) keeps it: it is
 * reported and played. The others are dequeued by detaching them (only
 * while bound: see ifb_zc_release; a DISABLE dequeues them itself).
 */
static void zc_usb_stop(void *ctx)
{
	struct ifb_stream *s = ctx;

	if (!ifb_ep0_usb_ready(s))
		return;
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];

		if (s->engine.state[i] != IFB_BLOCK_USB || s->engine.done[i] || !k->usb_attached ||
		    zc_signalled(k))
			continue;
		closep(&k->sync_fd);
		k->cancelled = true;
		if (ifb_ffs_dmabuf_detach(&s->ep, k->fd) == 0)
			k->usb_attached = false;
	}
}

/* Output: a cyclic block never ends on its own; disabling the buffer
 * aborts it (its fence signals). */
static void zc_dac_stop(void *ctx)
{
	struct ifb_stream *s = ctx;
	int r = ifb_iio_buffer_enable(&s->iio, false);

	if (r < 0)
		log_error_errno(r, "%sCannot disable IIO buffer %s", s->logp, s->iio.bufdir);
}

const struct ifb_engine_ops ifb_zc_out_ops = {
	.usb_receive = zc_usb_receive,
	.dac_enqueue = zc_dac_enqueue,
	.dac_stop = zc_dac_stop,
	.dac_finished = zc_dac_finished,
	.usb_stop = zc_usb_stop,
	.stopped = ifb_session_engine_stopped,
	.received = ifb_session_received,
};

const struct ifb_engine_ops ifb_zc_ops = {
	.adc_enqueue = zc_adc_enqueue,
	.adc_finished = zc_adc_finished,
	.usb_submit = zc_usb_submit,
	.adc_stop = zc_adc_stop,
	.stopped = ifb_session_engine_stopped,
	.pulled = ifb_session_pulled,
};

/*
 * Attach every DMABUF to the bulk IN endpoint (zero-copy, hybrid). Returns
 * -ENOTCONN when the host is gone: issue 9's one guard before FunctionFS
 * DMABUF ioctls (ep0.c); not bound (EPERM then) is no reason to give up on
 * DMABUFs.
 */
int ifb_zc_attach_usb(struct ifb_stream *s)
{
	if (!ifb_ep0_usb_ready(s))
		return -ENOTCONN;
	for (unsigned i = 0; i < s->nblocks; i++) {
		int r = ifb_ffs_dmabuf_attach(&s->ep, s->blk[i].fd);

		if (r < 0)
			return r;
		s->blk[i].usb_attached = true;
		/* One interest for the source's whole life: see the top. */
		r = sd_event_source_set_io_events(s->blk[i].src, EPOLLOUT);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Attach every DMABUF to both sides. Returns 0, or -errno with *what set to
 * the side that refused (for the auto-mode message). USB first: a UDC
 * without scatter-gather is the usual refusal, and then the IIO buffer has
 * never had a DMABUF when copy mode read()s it (6.12's DMA buffer takes
 * its queue lock in both paths in an order lockdep objects to).
 */
/* Attach every DMABUF to both sides; on failure *what names the side
 * and *usb says whether it was the USB one (-ENOTCONN: host gone). */
static int zc_attach(struct ifb_stream *s, const char **what, bool *usb)
{
	int r;

	r = ifb_zc_attach_usb(s);
	if (r == -ENOTCONN) {
		*what = "USB (host gone)";
		return r;
	}
	if (r < 0) {
		*what = "FunctionFS DMABUF attach";
		*usb = true;
		return r;
	}
	for (unsigned i = 0; i < s->nblocks; i++) {
		r = ifb_iio_dmabuf_attach(&s->iio, s->blk[i].fd);
		if (r < 0) {
			*what = "IIO DMABUF attach";
			*usb = false;
			return r;
		}
		s->blk[i].iio_attached = true;
	}
	return 0;
}

/*
 * The side matters: EPERM from IIO is a buffer without DMABUF ops, from
 * FunctionFS a UDC without scatter-gather (or no UDC). ENOTTY is a kernel
 * without the interface. A real attach's EINVAL or EAGAIN is about this
 * DMABUF or this moment, never taken for a missing interface (probe.h).
 */
const char *ifb_zc_attach_hint(const struct ifb_stream *s, bool usb, int r)
{
	switch (r) {
	case -EPERM:
		if (!usb)
			return " (IIO: the buffer has no DMABUF support: it is not on the IIO DMA buffer core)";
		return s->b->bound ? " (USB: the UDC cannot do scatter-gather, which FunctionFS DMABUF needs)" :
				  " (USB: the function is not bound to a UDC)";
	case -ENOTTY:
		return usb ? " (USB: this kernel's FunctionFS has no DMABUF interface; Linux 6.9+ has it)" :
			     " (IIO: this kernel's IIO buffers have no DMABUF interface; Linux 6.11+ has it)";
	case -EBUSY: return " (the buffer is already enabled)";
	default: return "";
	}
}

/*
 * Only called when every block is FREE, i.e. every fence has signalled.
 * The USB side is released by closing the endpoint (the session does),
 * never with FUNCTIONFS_DMABUF_DETACH: in Linux 6.12 that ioctl
 * dereferences the gadget, which is NULL once the function is unbound (a
 * disconnect), and oopses. Fence snapshots go first: IIO and FunctionFS
 * fences keep their lock in the attachment, so a snapshot that outlives it
 * points into freed memory.
 */
void ifb_zc_release(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];
		int r;

		if (k->src)
			sd_event_source_set_enabled(k->src, SD_EVENT_OFF);
		closep(&k->sync_fd);
		k->cancelled = false;
		k->usb_attached = false;
		if (k->iio_attached) {
			r = ifb_iio_dmabuf_detach(&s->iio, k->fd);
			if (r < 0)
				log_debug("%sIIO detach of block %u: %s", s->logp, i, strerror(-r));
			k->iio_attached = false;
		}
	}
}

void ifb_zc_cancel_usb(struct ifb_stream *s)
{
	/* The same guard as before a transfer; no host, nothing to cancel:
	 * a DISABLE dequeues every request itself. */
	if (!ifb_ep0_usb_ready(s))
		return;
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];

		if (s->engine.state[i] != IFB_BLOCK_USB || !k->usb_attached)
			continue;
		/* Detaching dequeues the request; its fence then signals. Only
		 * while bound: see ifb_zc_release(). The fence's lock lives in
		 * the attachment detach frees, so its snapshot must be gone
		 * before, and it can no longer be asked. */
		closep(&k->sync_fd);
		k->cancelled = true;
		if (ifb_ffs_dmabuf_detach(&s->ep, k->fd) == 0)
			k->usb_attached = false;
	}
}

/* A stream's set-up: every DMABUF attached to IIO and USB. Auto mode
 * falls back where a side refuses: to hybrid when only IIO did (USB took
 * every DMABUF), to copy otherwise. */
static int zc_open(struct ifb_stream *s)
{
	const char *what = NULL;
	bool usb = false, hybrid;
	int r;

	r = zc_attach(s, &what, &usb);
	if (r == -ENOTCONN)
		return log_error_errno(r, "%sNo stream: the host went away", s->logp);
	if (r < 0 && (s->mode_final || s->cfg.mode == IFB_CFG_MODE_ZERO_COPY))
		return log_error_errno(r, "%s%s failed%s", s->logp, what, ifb_zc_attach_hint(s, usb, r));
	if (r < 0) {
		hybrid = !usb;
		log_warning("%sZero-copy unavailable: %s failed: %s%s; using %s", s->logp, what, strerror(-r),
			    ifb_zc_attach_hint(s, usb, r),
			    !hybrid ? "copy mode" :
			    s->iio.output ? "hybrid mode (DMABUF transfers from USB, write() from the DMABUFs)" :
					    "hybrid mode (read() into the DMABUFs, DMABUF transfers to USB)");
		return ifb_session_fall_back(s, hybrid ? IFB_MODE_HYBRID : IFB_MODE_COPY);
	}
	if (!s->mode_final)
		log_info("%sZero-copy: %u DMABUFs of %u bytes from %s attached to IIO and USB", s->logp,
			 s->nblocks, s->cfg.block_size, s->alloc.name);
	s->mode_final = true; /* both sides took the DMABUFs: no fallback from here */
	return 0;
}

const struct ifb_backend ifb_backend_zero_copy = {
	.mode = IFB_MODE_ZERO_COPY,
	.ops = &ifb_zc_ops,
	.out_ops = &ifb_zc_out_ops,
	.count_starvation = true,
	.time_source = IFB_TIME_FENCE,
	.pool_alloc = ifb_pool_alloc_dmabufs,
	.open = zc_open,
	.cancel_usb = ifb_zc_cancel_usb,
};
