// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bridge ties the pieces together on one sd-event loop.
 *
 * Zero-copy: every block is a DMABUF attached to the IIO buffer and to the
 * bulk IN endpoint for the length of a stream. The engine hands a block to
 * the ADC (IIO enqueue) and we wait for POLLIN on its fd (the ADC's write
 * fence signalled); then to USB (FunctionFS transfer) and we wait for
 * POLLOUT (every fence signalled, the UDC is done with it). Before any
 * detach or close, every fence has signalled.
 *
 * Copy: blocks are user buffers; the ADC side is read() on the IIO buffer
 * fd (readable when a watermark's worth is there), the USB side asynchronous
 * writes with libaio, completions through an eventfd.
 *
 * A stream is a session: it opens the IIO buffer and the endpoint, attaches,
 * enables, runs, and on any stop drains, detaches and closes everything
 * again, so the next ENABLE or START begins from a clean state.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libaio.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/bridge.h"
#include "daemon/control.h"
#include "daemon/dmabuf.h"
#include "daemon/engine.h"
#include "daemon/ffs.h"
#include "daemon/iio.h"
#include "daemon/log.h"
#include "daemon/util.h"

/* After a shutdown request, how long USB may take to drain before we
 * cancel what is in flight, and how long cancelled transfers may take. */
#define DRAIN_GRACE_USEC (400 * 1000ULL)
#define CANCEL_GRACE_USEC (400 * 1000ULL)
#define STATUS_PERIOD_USEC (1000 * 1000ULL)

struct block {
	int fd;             /* zero-copy: the DMABUF */
	int sync_fd;        /* zero-copy: its fences as queued, for their status */
	bool cancelled;     /* zero-copy: its USB transfer was cancelled by detach */
	void *mem;          /* copy: the user buffer */
	size_t filled;      /* copy: bytes read into mem so far */
	sd_event_source *src; /* zero-copy: poll on the DMABUF fd */
	struct iocb iocb;   /* copy: the in-flight write */
	bool iio_attached, usb_attached;
};

struct ifb_bridge {
	struct ifb_config cfg;
	sd_event *loop;

	struct ifb_iio iio;
	struct ifb_ffs ffs;
	sd_event_source *ep0_src;
	struct ifb_allocator alloc;

	enum ifb_mode mode; /* what streams use */
	bool mode_final;    /* auto: settled by the first stream */
	unsigned nblocks;
	struct block blk[IFB_ENGINE_MAX_BLOCKS];
	struct ifb_engine engine;
	struct ifb_stream_desc desc;

	/* libaio: copy-mode writes and the end-of-stream ZLP, both modes. */
	io_context_t aio;
	int aio_efd;
	sd_event_source *aio_src;
	unsigned aio_inflight;
	struct iocb zlp_iocb;
	bool zlp_inflight;

	/* copy mode ADC side */
	sd_event_source *iio_src;
	uint8_t fillq[IFB_ENGINE_MAX_BLOCKS];
	unsigned fill_head, fill_len;
	uint64_t discard; /* bytes still to drop at the start of a stream */
	sd_event_source *abort_src;

	bool bound;           /* BIND seen, no UNBIND since */
	bool usb_enabled;     /* ENABLE seen, no DISABLE/UNBIND since */
	bool session;         /* a stream's resources are open */
	bool restart;         /* START arrived while stopping */
	bool shutting_down;
	sd_event_source *teardown_src, *grace_timer, *status_timer;
	enum ifb_stop_reason last_reason;

	uint64_t stream_t0, rate_t, rate_bytes;
	double rate_mib_s;

	struct ifb_config *pending; /* reloaded, applied when no stream runs */
};

static const struct ifb_engine_ops zc_ops, copy_ops;
static int describe_stream(struct ifb_bridge *b);
static void apply_pending(struct ifb_bridge *b);

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static const char *mode_name(enum ifb_mode m)
{
	return m == IFB_MODE_COPY ? "copy" : "zero-copy";
}

static const char *reason_name(enum ifb_stop_reason r)
{
	switch (r) {
	case IFB_STOP_HOST: return "host STOP";
	case IFB_STOP_DISCONNECT: return "host disconnected";
	case IFB_STOP_SHUTDOWN: return "shutdown";
	case IFB_STOP_ERROR: return "error";
	default: return "none";
	}
}

/* ---- pool ---------------------------------------------------------------- */

static void pool_free(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++) {
		struct block *k = &b->blk[i];

		k->src = sd_event_source_disable_unref(k->src);
		closep(&k->sync_fd);
		closep(&k->fd);
		free(k->mem);
		k->mem = NULL;
	}
}

static int on_dmabuf(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int pool_alloc_dmabufs(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++) {
		struct block *k = &b->blk[i];
		int r;

		k->fd = ifb_dmabuf_new(&b->alloc, b->cfg.block_size);
		if (k->fd < 0) {
			r = k->fd;
			k->fd = -1;
			return log_error_errno(r, "Cannot allocate DMABUF %u of %u (%u bytes) from %s",
					       i + 1, b->nblocks, b->cfg.block_size, b->alloc.name);
		}
		r = sd_event_add_io(b->loop, &k->src, k->fd, EPOLLIN, on_dmabuf, b);
		if (r < 0)
			return log_error_errno(r, "Cannot watch DMABUF %u", i);
		sd_event_source_set_enabled(k->src, SD_EVENT_OFF);
	}
	return 0;
}

static int pool_alloc_buffers(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++) {
		int r = posix_memalign(&b->blk[i].mem, 4096, b->cfg.block_size);

		if (r) {
			b->blk[i].mem = NULL;
			return log_error_errno(-r, "Cannot allocate buffer %u of %u (%u bytes)", i + 1,
					       b->nblocks, b->cfg.block_size);
		}
	}
	return 0;
}

/* ---- zero-copy backend --------------------------------------------------- */

static unsigned block_index(struct ifb_bridge *b, const struct block *k)
{
	return (unsigned)(k - b->blk);
}

/* Snapshot the fences just added, so their error can be read later. */
static void zc_snapshot(struct block *k, bool writers_only)
{
	closep(&k->sync_fd);
	k->sync_fd = ifb_dmabuf_export_fences(k->fd, writers_only);
	if (k->sync_fd < 0) {
		log_debug("Cannot export the fences of a DMABUF: %s", strerror(-k->sync_fd));
		k->sync_fd = -1;
	}
}

/* The status of the snapshot taken when the block was queued. */
static int zc_take_status(struct block *k)
{
	int status;

	if (k->cancelled) {
		k->cancelled = false;
		return -ECANCELED;
	}
	if (k->sync_fd < 0)
		return 0; /* no snapshot: nothing known beyond "signalled" */
	status = ifb_sync_file_status(k->sync_fd);
	closep(&k->sync_fd);
	return status == -EINPROGRESS ? 0 : status;
}

static void zc_watch(struct block *k, uint32_t events)
{
	sd_event_source_set_io_events(k->src, events);
	sd_event_source_set_enabled(k->src, SD_EVENT_ON);
}

static int zc_adc_enqueue(void *ctx, unsigned i)
{
	struct ifb_bridge *b = ctx;
	struct block *k = &b->blk[i];
	int r;

	r = ifb_iio_dmabuf_enqueue(&b->iio, k->fd, b->cfg.block_size);
	if (r < 0)
		return log_error_errno(r, "IIO DMABUF enqueue of block %u failed", i);
	zc_snapshot(k, true);
	zc_watch(k, EPOLLIN);
	return 0;
}

static bool zc_adc_finished(void *ctx, unsigned i)
{
	struct ifb_bridge *b = ctx;
	struct pollfd p = { .fd = b->blk[i].fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int on_ep0(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/*
 * Linux 6.12 oopses on FUNCTIONFS_DMABUF_TRANSFER once the function is
 * unbound (ffs_dmabuf_find_attachment() dereferences the gadget, NULL by
 * then). The DISABLE that comes before an unbind may be waiting on ep0:
 * handle pending events first, so the window is microseconds, not a loop
 * iteration. Returns false when the host is gone or the stream stopped.
 */
static bool zc_usb_still_there(struct ifb_bridge *b)
{
	struct pollfd p = { .fd = b->ffs.ep0, .events = POLLIN };

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		(void)on_ep0(NULL, b->ffs.ep0, EPOLLIN, b);
	return b->usb_enabled && b->bound && b->engine.run == IFB_STATE_STREAMING;
}

static int zc_usb_submit(void *ctx, unsigned i)
{
	struct ifb_bridge *b = ctx;
	struct block *k = &b->blk[i];
	int r;

	if (!zc_usb_still_there(b))
		return -ESHUTDOWN;
	r = ifb_ffs_dmabuf_transfer(&b->ffs, k->fd, b->cfg.block_size);
	if (r < 0) {
		if (r == -ESHUTDOWN || r == -EAGAIN)
			log_info("USB transfer refused (%s): host not connected", strerror(-r));
		else
			log_error_errno(r, "FunctionFS DMABUF transfer of block %u failed", i);
		return r;
	}
	zc_snapshot(k, false);
	zc_watch(k, EPOLLOUT);
	return 0;
}

static void zc_adc_stop(void *ctx)
{
	struct ifb_bridge *b = ctx;
	int r;

	/* Disabling aborts every block the ADC holds: their fences signal. */
	r = ifb_iio_buffer_enable(&b->iio, false);
	if (r < 0)
		log_error_errno(r, "Cannot disable IIO buffer %s", b->iio.bufdir);
}

/* Blocks that are free, or done but waiting for an earlier one, are not
 * polled: their fences have signalled and would wake the loop for ever. */
static void zc_quiet_idle(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++)
		if (b->engine.state[i] == IFB_BLOCK_FREE || b->engine.done[i])
			sd_event_source_set_enabled(b->blk[i].src, SD_EVENT_OFF);
}

static int on_dmabuf(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	unsigned i;
	int status;

	for (i = 0; i < b->nblocks && b->blk[i].src != s; i++)
		;
	if (i == b->nblocks)
		return 0;

	if (b->engine.state[i] == IFB_BLOCK_ADC && (revents & EPOLLIN)) {
		status = zc_take_status(&b->blk[i]);
		if (status < 0 && b->engine.run == IFB_STATE_STREAMING)
			log_warning_errno(status, "ADC block %u failed", i);
		ifb_engine_adc_done(&b->engine, i, status);
	} else if (b->engine.state[i] == IFB_BLOCK_USB && (revents & EPOLLOUT)) {
		status = zc_take_status(&b->blk[i]);
		if (status < 0 && b->engine.run == IFB_STATE_STREAMING)
			log_warning_errno(status, "USB transfer of block %u failed", i);
		ifb_engine_usb_done(&b->engine, i, status);
	}
	zc_quiet_idle(b);
	return 0;
}

/* ---- copy backend ------------------------------------------------------- */

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
	struct block *k = &b->blk[i];
	struct iocb *cb = &k->iocb;
	int r;

	io_prep_pwrite(cb, b->ffs.ep, k->mem, b->cfg.block_size, 0);
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

static int on_abort_fill(sd_event_source *s, void *userdata)
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

static int on_iio_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;

	while (b->fill_len && b->engine.run == IFB_STATE_STREAMING) {
		unsigned i = b->fillq[b->fill_head];
		struct block *k = &b->blk[i];
		size_t want = b->cfg.block_size - k->filled;
		ssize_t n;

		/* Dropped bytes land in the block being filled and are overwritten. */
		if (b->discard)
			want = b->discard < b->cfg.block_size ? b->discard : b->cfg.block_size;
		n = read(fd, (char *)k->mem + (b->discard ? 0 : k->filled), want);

		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
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

static int on_aio(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	struct io_event ev[IFB_ENGINE_MAX_BLOCKS + 1];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n;

	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return log_error_errno(neg_errno(), "Reading the aio eventfd failed");
	n = io_getevents(b->aio, 0, (long)ARRAY_SIZE(ev), ev, &zero);
	if (n < 0)
		return log_error_errno(n, "io_getevents failed");
	for (int j = 0; j < n; j++) {
		struct iocb *cb = ev[j].obj;
		long res = (long)ev[j].res;

		if (cb == &b->zlp_iocb) {
			b->zlp_inflight = false;
			if (res < 0)
				log_debug("End-of-stream ZLP not delivered: %s", strerror((int)-res));
			continue;
		}
		b->aio_inflight--;
		{
			struct block *k = cb->data;
			unsigned i = block_index(b, k);
			int status = res == (long)b->cfg.block_size ? 0 : res < 0 ? (int)res : -EIO;

			if (status < 0 && b->engine.run == IFB_STATE_STREAMING)
				log_warning_errno(status, "USB write of block %u failed", i);
			ifb_engine_usb_done(&b->engine, i, status);
		}
	}
	return 0;
}

/* ---- sessions ----------------------------------------------------------- */

static void send_zlp(struct ifb_bridge *b)
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

/*
 * Detach everything and close the stream's fds. Only called when every
 * block is FREE, i.e. every fence has signalled. The USB side is released
 * by closing the endpoint, never with FUNCTIONFS_DMABUF_DETACH: in Linux
 * 6.12 that ioctl dereferences the gadget, which is NULL once the function
 * is unbound (a disconnect), and oopses. Fence snapshots go first: IIO and
 * FunctionFS fences keep their lock in the attachment, so a snapshot that
 * outlives it points into freed memory.
 */
static void session_close(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nblocks; i++) {
		struct block *k = &b->blk[i];
		int r;

		if (k->src)
			sd_event_source_set_enabled(k->src, SD_EVENT_OFF);
		closep(&k->sync_fd);
		k->cancelled = false;
		k->usb_attached = false;
		if (k->iio_attached) {
			r = ifb_iio_dmabuf_detach(&b->iio, k->fd);
			if (r < 0)
				log_debug("IIO detach of block %u: %s", i, strerror(-r));
			k->iio_attached = false;
		}
	}
	ifb_ffs_close_ep(&b->ffs);
	if (b->iio_src)
		sd_event_source_set_enabled(b->iio_src, SD_EVENT_OFF);
	b->iio_src = sd_event_source_disable_unref(b->iio_src);
	b->fill_len = 0;
	if (b->iio.buf_fd >= 0 && ifb_iio_buffer_enabled(&b->iio) == 1)
		(void)ifb_iio_buffer_enable(&b->iio, false);
	ifb_iio_close(&b->iio);
	b->session = false;
}

/*
 * Attach every DMABUF to both sides. Returns 0, or -errno with *what set to
 * the side that refused (for the auto-mode message). USB first: a UDC
 * without scatter-gather is the usual refusal, and then the IIO buffer has
 * never had a DMABUF when copy mode read()s it (6.12's DMA buffer takes
 * its queue lock in both paths in an order lockdep objects to).
 */
static int zc_attach(struct ifb_bridge *b, const char **what)
{
	int r;

	for (unsigned i = 0; i < b->nblocks; i++) {
		r = ifb_ffs_dmabuf_attach(&b->ffs, b->blk[i].fd);
		if (r < 0) {
			*what = "FunctionFS DMABUF attach";
			return r;
		}
		b->blk[i].usb_attached = true;
	}
	for (unsigned i = 0; i < b->nblocks; i++) {
		r = ifb_iio_dmabuf_attach(&b->iio, b->blk[i].fd);
		if (r < 0) {
			*what = "IIO DMABUF attach";
			return r;
		}
		b->blk[i].iio_attached = true;
	}
	return 0;
}

static const char *attach_hint(int r)
{
	switch (r) {
	case -EPERM: return " (the UDC cannot do scatter-gather, or the gadget is not bound)";
	case -ENOTTY:
	case -EINVAL: return " (this kernel has no DMABUF interface here)";
	case -EBUSY: return " (the buffer is already enabled)";
	default: return "";
	}
}

/* Auto mode found zero-copy impossible: switch the pool to user buffers. */
static int fall_back_to_copy(struct ifb_bridge *b)
{
	pool_free(b);
	ifb_allocator_close(&b->alloc);
	b->mode = IFB_MODE_COPY;
	b->desc.mode = IFB_MODE_COPY;
	return pool_alloc_buffers(b);
}

/* A previous instance killed hard (or another program) can leave the
 * buffer enabled; a stream needs it off to set up. */
static int disable_left_enabled(struct ifb_bridge *b)
{
	int r;

	if (ifb_iio_buffer_enabled(&b->iio) != 1)
		return 0;
	log_notice("IIO buffer %s was left enabled (previous instance killed?); disabling it",
		   b->iio.bufdir);
	r = ifb_iio_buffer_enable(&b->iio, false);
	if (r < 0)
		return log_error_errno(r, "Cannot disable IIO buffer %s", b->iio.bufdir);
	return 0;
}

static int session_open(struct ifb_bridge *b)
{
	const char *what = NULL;
	int r;

	r = ifb_iio_open(&b->iio);
	if (r < 0)
		return log_error_errno(r, "Cannot open IIO buffer %u of %s", b->iio.buffer,
				       b->iio.devnode);
	b->session = true;
	r = disable_left_enabled(b);
	if (r < 0)
		return r;
	r = ifb_iio_apply_channels(&b->iio);
	if (r < 0)
		return log_error_errno(r, "Cannot enable the channels in %s", b->iio.bufdir);
	r = ifb_ffs_open_ep(&b->ffs);
	if (r < 0)
		return log_error_errno(r, "Cannot open %s/ep1", b->ffs.dir);

	if (b->mode == IFB_MODE_ZERO_COPY) {
		r = zc_attach(b, &what);
		if (r < 0 && (b->mode_final || b->cfg.mode == IFB_CFG_MODE_ZERO_COPY))
			return log_error_errno(r, "%s failed%s", what, attach_hint(r));
		if (r < 0) {
			log_warning("Zero-copy unavailable: %s failed: %s%s; using copy mode", what,
				    strerror(-r), attach_hint(r));
			/* Closing the buffer fd detaches from IIO for good: a DMA
			 * buffer must never be read() with DMABUFs attached. */
			session_close(b);
			r = fall_back_to_copy(b);
			if (r < 0)
				return r;
			b->mode_final = true;
			return session_open(b);
		}
		if (!b->mode_final)
			log_info("Zero-copy: %u DMABUFs of %u bytes from %s attached to IIO and USB",
				 b->nblocks, b->cfg.block_size, b->alloc.name);
		b->mode_final = true;
		r = ifb_engine_init(&b->engine, b->nblocks, b->cfg.block_size, true, &zc_ops, b);
	} else {
		unsigned scans = b->cfg.block_size / b->iio.scan_size;

		if (!b->mode_final)
			log_info("Copy mode: %u buffers of %u bytes, read() from IIO, libaio to USB",
				 b->nblocks, b->cfg.block_size);
		b->mode_final = true;
		/*
		 * Copy mode cannot see the ADC run dry, so let the kernel buffer
		 * as much as our pool, as zero-copy would. The DMA buffer's
		 * fileio splits the length into two physically contiguous
		 * blocks: keep each within 4 MiB (or one of our blocks, if
		 * bigger), which the page allocator can still provide. Wake us
		 * per block.
		 */
		unsigned per = b->nblocks / 2 ? b->nblocks / 2 : 1;

		while (per > 1 && (uint64_t)per * b->cfg.block_size > (4u << 20))
			per--;
		r = ifb_iio_set_length(&b->iio, 2 * per * scans, scans);
		/*
		 * Linux 6.12's DMA buffer core never resets which of its two
		 * fileio blocks read() takes next when the buffer is enabled
		 * again: after a stream that used an odd number of them, the
		 * next stream's first two come out swapped. Nothing tells
		 * userspace which it is, so every stream drops those two blocks;
		 * from the third on the order is right.
		 */
		b->discard = 2ULL * per * b->cfg.block_size;
		if (r < 0)
			return log_error_errno(r, "Cannot set the length/watermark of %s", b->iio.bufdir);
		r = sd_event_add_io(b->loop, &b->iio_src, b->iio.buf_fd, EPOLLIN, on_iio_readable, b);
		if (r < 0)
			return log_error_errno(r, "Cannot watch the IIO buffer");
		sd_event_source_set_enabled(b->iio_src, SD_EVENT_OFF);
		r = ifb_engine_init(&b->engine, b->nblocks, b->cfg.block_size, false, &copy_ops, b);
	}
	return r;
}

static int session_start(struct ifb_bridge *b)
{
	uint32_t id;
	int r;

	apply_pending(b);
	id = b->engine.stream_id;
	r = session_open(b);
	if (r < 0)
		goto fail;
	b->engine.stream_id = id;
	/* Every DMABUF is attached: now the buffer may be enabled, then fed. */
	r = ifb_iio_buffer_enable(&b->iio, true);
	if (r < 0) {
		log_error_errno(r, "Cannot enable IIO buffer %s", b->iio.bufdir);
		goto fail;
	}
	r = ifb_engine_start(&b->engine);
	if (r < 0)
		return r; /* the engine is stopping; teardown follows */
	b->stream_t0 = b->rate_t = now_usec();
	b->rate_bytes = 0;
	b->rate_mib_s = 0;
	log_info("Stream %u started (%s, %u x %u bytes, %u-byte scans)", b->engine.stream_id,
		 mode_name(b->mode), b->nblocks, b->cfg.block_size, b->iio.scan_size);
	return 0;
fail:
	session_close(b);
	return r;
}

static void log_stream_end(struct ifb_bridge *b, enum ifb_stop_reason reason)
{
	const struct ifb_engine_counters *c = &b->engine.c;
	double secs = (double)(now_usec() - b->stream_t0) / 1e6;

	log_info("Stream %u ended (%s): %" PRIu64 " bytes in %.1f s (%.1f MiB/s), %" PRIu64
		 " gaps, %" PRIu64 " starvations, %" PRIu64 " ADC errors, %" PRIu64 " USB errors",
		 b->engine.stream_id, reason_name(reason), c->bytes_sent, secs,
		 secs > 0 ? (double)c->bytes_sent / secs / 1048576.0 : 0.0, c->gaps_total,
		 c->starvations, c->adc_errors, c->usb_errors);
}

static bool want_stream(struct ifb_bridge *b)
{
	return b->usb_enabled && !b->shutting_down;
}

static void maybe_start(struct ifb_bridge *b)
{
	if (b->session || !want_stream(b))
		return;
	if (session_start(b) < 0)
		log_warning("Stream not started");
}

static int on_teardown(sd_event_source *s, void *userdata)
{
	struct ifb_bridge *b = userdata;

	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	if (b->last_reason == IFB_STOP_HOST)
		send_zlp(b);
	log_stream_end(b, b->last_reason);
	session_close(b);
	apply_pending(b);
	if (b->shutting_down) {
		sd_event_exit(b->loop, 0);
		return 0;
	}
	if (b->restart || (b->cfg.start == IFB_CFG_START_IMMEDIATE &&
			   b->last_reason != IFB_STOP_HOST && b->last_reason != IFB_STOP_ERROR)) {
		b->restart = false;
		maybe_start(b);
	}
	return 0;
}

static void engine_stopped(void *ctx, enum ifb_stop_reason reason)
{
	struct ifb_bridge *b = ctx;

	b->last_reason = reason;
	sd_event_source_set_enabled(b->teardown_src, SD_EVENT_ONESHOT);
}

static const struct ifb_engine_ops zc_ops = {
	.adc_enqueue = zc_adc_enqueue,
	.adc_finished = zc_adc_finished,
	.usb_submit = zc_usb_submit,
	.adc_stop = zc_adc_stop,
	.stopped = engine_stopped,
};

static const struct ifb_engine_ops copy_ops = {
	.adc_enqueue = copy_adc_enqueue,
	.adc_finished = copy_adc_finished,
	.usb_submit = copy_usb_submit,
	.adc_stop = copy_adc_stop,
	.stopped = engine_stopped,
};

/* Stop a stream, or (no stream) release what a failed start left. */
static void stop_stream(struct ifb_bridge *b, enum ifb_stop_reason reason)
{
	if (b->engine.run != IFB_STATE_IDLE)
		ifb_engine_stop(&b->engine, reason);
	else if (b->session && !sd_event_source_get_enabled(b->teardown_src, NULL))
		session_close(b);
}

/* ---- ep0 ---------------------------------------------------------------- */

static void handle_setup(struct ifb_bridge *b, const struct usb_ctrlrequest *setup)
{
	uint8_t reply[IFB_MAX_REPLY];
	uint16_t wlength = le16toh(setup->wLength);
	int req = ifb_control_decode(setup);
	int len, r;

	switch (req) {
	case IFB_REQ_GET_INFO:
		len = ifb_control_info(&b->desc, (uint8_t)b->engine.run, reply, sizeof(reply));
		if (len < 0)
			break;
		r = ifb_ffs_reply(&b->ffs, reply, (size_t)len < wlength ? (size_t)len : wlength);
		if (r < 0)
			log_warning_errno(r, "GET_INFO reply failed");
		return;
	case IFB_REQ_GET_STATS: {
		struct ifb_stats st;

		ifb_engine_stats(&b->engine, (uint8_t)b->mode, &st);
		r = ifb_ffs_reply(&b->ffs, &st, sizeof(st) < wlength ? sizeof(st) : wlength);
		if (r < 0)
			log_warning_errno(r, "GET_STATS reply failed");
		return;
	}
	case IFB_REQ_START:
		log_debug("Host: START");
		if (b->engine.run == IFB_STATE_STREAMING) {
			(void)ifb_ffs_ack(&b->ffs);
			return;
		}
		if (b->engine.run == IFB_STATE_STOPPING || b->session) {
			b->restart = true;
			(void)ifb_ffs_ack(&b->ffs);
			return;
		}
		if (session_start(b) < 0)
			break; /* stall: the host learns START failed */
		(void)ifb_ffs_ack(&b->ffs);
		return;
	case IFB_REQ_STOP:
		log_debug("Host: STOP");
		b->restart = false;
		(void)ifb_ffs_ack(&b->ffs);
		stop_stream(b, IFB_STOP_HOST);
		return;
	default:
		log_debug("Stalling request type 0x%02x request 0x%02x value %u index %u length %u",
			  setup->bRequestType, setup->bRequest, le16toh(setup->wValue),
			  le16toh(setup->wIndex), wlength);
		break;
	}
	r = ifb_ffs_stall(&b->ffs, setup);
	if (r < 0)
		log_warning_errno(r, "Stalling a control request failed");
}

/* DISABLE or UNBIND: no stream until the next ENABLE. */
static void host_gone(struct ifb_bridge *b)
{
	b->usb_enabled = false;
	b->restart = false;
	stop_stream(b, IFB_STOP_DISCONNECT);
}

static int on_ep0(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	struct usb_functionfs_event ev[4];
	int n;

	n = ifb_ffs_read_events(&b->ffs, ev, ARRAY_SIZE(ev));
	if (n < 0) {
		log_error_errno(n, "Reading FunctionFS events failed");
		return n;
	}
	for (int i = 0; i < n; i++) {
		switch (ev[i].type) {
		case FUNCTIONFS_BIND:
			log_info("USB: function bound to a UDC");
			b->bound = true;
			break;
		case FUNCTIONFS_UNBIND:
			log_info("USB: function unbound");
			b->bound = false;
			host_gone(b);
			break;
		case FUNCTIONFS_ENABLE:
			log_info("USB: host enabled the interface");
			b->usb_enabled = true;
			if (b->cfg.start == IFB_CFG_START_IMMEDIATE)
				maybe_start(b);
			break;
		case FUNCTIONFS_DISABLE:
			log_info("USB: interface disabled");
			host_gone(b);
			break;
		case FUNCTIONFS_SUSPEND:
			log_info("USB: bus suspended");
			stop_stream(b, IFB_STOP_DISCONNECT);
			break;
		case FUNCTIONFS_RESUME:
			log_info("USB: bus resumed");
			if (b->cfg.start == IFB_CFG_START_IMMEDIATE && b->engine.run == IFB_STATE_IDLE)
				maybe_start(b);
			break;
		case FUNCTIONFS_SETUP:
			handle_setup(b, &ev[i].u.setup);
			break;
		default:
			log_debug("USB: ignoring FunctionFS event %u", ev[i].type);
			break;
		}
	}
	return 0;
}

/* ---- status and shutdown ------------------------------------------------- */

void ifb_bridge_status(struct ifb_bridge *b, char *buf, size_t len)
{
	const struct ifb_engine_counters *c = &b->engine.c;

	switch (b->engine.run) {
	case IFB_STATE_STREAMING:
		snprintf(buf, len, "Streaming (%s): %.1f MiB/s, %" PRIu64 " MiB sent, %" PRIu64
			 " gaps, %" PRIu64 " errors", mode_name(b->mode), b->rate_mib_s,
			 c->bytes_sent >> 20, c->gaps_total, c->adc_errors + c->usb_errors);
		break;
	case IFB_STATE_STOPPING:
		snprintf(buf, len, "Stopping stream (%s)", mode_name(b->mode));
		break;
	default:
		snprintf(buf, len, "Idle (%s), %s", mode_name(b->mode),
			 b->usb_enabled ? "waiting for the host's START" : "waiting for a USB host");
		break;
	}
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	uint64_t t = now_usec();
	char status[160];

	if (b->engine.run == IFB_STATE_STREAMING && t > b->rate_t) {
		uint64_t bytes = b->engine.c.bytes_sent;

		b->rate_mib_s = (double)(bytes - b->rate_bytes) / 1048576.0 /
				((double)(t - b->rate_t) / 1e6);
		b->rate_bytes = bytes;
		b->rate_t = t;
	}
	ifb_bridge_status(b, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
	sd_event_source_set_time(s, usec + STATUS_PERIOD_USEC);
	return 0;
}

static int on_cancel_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;

	log_error("%u transfers still pending after cancelling; closing anyway",
		  ifb_engine_busy(&b->engine));
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	session_close(b);
	sd_event_exit(b->loop, 0);
	return 0;
}

static int on_drain_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	int r;

	log_notice("Host is not reading: cancelling %u transfers in flight", b->engine.usb.len);
	for (unsigned i = 0; i < b->nblocks; i++) {
		struct block *k = &b->blk[i];

		if (b->engine.state[i] != IFB_BLOCK_USB)
			continue;
		if (b->mode == IFB_MODE_ZERO_COPY && k->usb_attached && b->bound) {
			/* Detaching dequeues the request; its fence then signals.
			 * Only while bound: see session_close(). The fence's lock
			 * lives in the attachment detach frees, so its snapshot
			 * must be gone before, and it can no longer be asked. */
			closep(&k->sync_fd);
			k->cancelled = true;
			r = ifb_ffs_dmabuf_detach(&b->ffs, k->fd);
			if (r == 0)
				k->usb_attached = false;
		} else if (b->mode == IFB_MODE_COPY) {
			struct io_event ev;

			(void)io_cancel(b->aio, &k->iocb, &ev);
		}
	}
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	r = sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC, CANCEL_GRACE_USEC,
				       0, on_cancel_grace, b);
	if (r < 0)
		return on_cancel_grace(s, usec, b);
	return 0;
}

void ifb_bridge_shutdown(struct ifb_bridge *b)
{
	int r;

	if (b->shutting_down)
		return;
	b->shutting_down = true;
	b->restart = false;
	sd_notify(0, "STOPPING=1");
	if (b->engine.run == IFB_STATE_IDLE) {
		if (b->session)
			session_close(b);
		sd_event_exit(b->loop, 0);
		return;
	}
	log_info("Stopping: draining the stream");
	ifb_engine_stop(&b->engine, IFB_STOP_SHUTDOWN);
	if (b->engine.run == IFB_STATE_IDLE)
		return; /* stopped at once; teardown exits */
	r = sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC, DRAIN_GRACE_USEC, 0,
				       on_drain_grace, b);
	if (r < 0)
		log_warning_errno(r, "Cannot arm the drain timer");
}

/* ---- setup and release --------------------------------------------------- */

static int describe_stream(struct ifb_bridge *b)
{
	struct ifb_stream_desc *d = &b->desc;
	unsigned k = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->device_name, sizeof(d->device_name), "%s", b->iio.name);
	d->mode = (uint8_t)b->mode;
	d->block_size = b->cfg.block_size;
	d->block_count = b->nblocks;
	d->scan_size = b->iio.scan_size;
	if (ifb_iio_sampling_frequency_mhz(&b->iio, &d->sample_rate_mhz) < 0)
		d->sample_rate_mhz = 0;
	for (unsigned i = 0; i < b->iio.num_channels; i++) {
		const struct ifb_iio_channel *c = &b->iio.ch[i];
		struct ifb_channel_info *o;

		if (!c->selected)
			continue;
		o = &d->channels[k++];
		snprintf(o->name, sizeof(o->name), "%s", c->name);
		o->scan_index = (uint16_t)c->index;
		o->offset = c->offset;
		o->is_signed = c->type.is_signed;
		o->is_be = c->type.is_be;
		o->bits = c->type.bits;
		o->storage_bits = c->type.storage_bits;
		o->shift = c->type.shift;
		o->repeat = c->type.repeat;
	}
	d->num_channels = (uint16_t)k;
	return 0;
}

static int setup_iio(struct ifb_bridge *b, bool *config_error)
{
	const struct ifb_config *cfg = &b->cfg;
	char where[PATH_MAX + 64];
	unsigned bad = 0;
	int r;

	r = ifb_iio_find(&b->iio, cfg->device, cfg->buffer, NULL);
	if (r == -ENODEV || r == -ENOENT) {
		*config_error = true;
		ifb_config_where(cfg, r == -ENODEV ? IFB_KEY_IIO_DEVICE : IFB_KEY_IIO_BUFFER, where,
				 sizeof(where));
		if (r == -ENODEV)
			log_error("%s: no IIO device named '%s' (expected a name, label or iio:deviceN "
				  "listed in /sys/bus/iio/devices)", where, cfg->device);
		else
			log_error("%s: IIO device '%s' has no buffer %u with scan elements", where,
				  cfg->device, cfg->buffer);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Cannot read IIO device '%s' from sysfs", cfg->device);

	r = ifb_iio_select(&b->iio, cfg->all_channels, cfg->channels, cfg->num_channels, &bad);
	if (r < 0) {
		char list[512] = "";

		*config_error = true;
		for (unsigned i = 0; i < b->iio.num_channels; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", b->iio.ch[i].name);
		}
		ifb_config_where(cfg, IFB_KEY_IIO_CHANNELS, where, sizeof(where));
		if (r == -ENOENT)
			log_error("%s: %s has no channel '%s' (expected some of: %s)", where,
				  b->iio.name, cfg->channels[bad], list);
		else
			log_error("%s: cannot lay out a scan of these channels", where);
		return r;
	}
	if (cfg->block_size % b->iio.scan_size) {
		*config_error = true;
		ifb_config_where(cfg, IFB_KEY_STREAM_BLOCK_SIZE, where, sizeof(where));
		log_error("%s: %u is not a multiple of the scan size (%u bytes for the selected "
			  "channels); expected e.g. %u", where, cfg->block_size, b->iio.scan_size,
			  cfg->block_size / (b->iio.scan_size * 4096) * (b->iio.scan_size * 4096) ?:
				  b->iio.scan_size * 4096);
		return -EINVAL;
	}
	if (cfg->sampling_frequency[0]) {
		r = ifb_iio_set_sampling_frequency(&b->iio, cfg->sampling_frequency);
		if (r < 0) {
			*config_error = r == -EINVAL;
			ifb_config_where(cfg, IFB_KEY_IIO_SAMPLING_FREQUENCY, where, sizeof(where));
			return log_error_errno(r, "%s: %s refused sampling frequency %s", where,
					       b->iio.name, cfg->sampling_frequency);
		}
	}
	/* Channels cannot change while the buffer is enabled. */
	return disable_left_enabled(b);
}

static int setup_pool(struct ifb_bridge *b)
{
	const struct ifb_config *cfg = &b->cfg;
	int r;

	b->nblocks = cfg->block_count;
	b->alloc.fd = -1;
	if (cfg->mode == IFB_CFG_MODE_COPY) {
		b->mode = IFB_MODE_COPY;
		b->mode_final = true;
		return pool_alloc_buffers(b);
	}
	r = ifb_allocator_open(&b->alloc, cfg->allocator, cfg->heap);
	if (r < 0) {
		if (cfg->mode == IFB_CFG_MODE_ZERO_COPY)
			return log_error_errno(r, "Cannot open DMABUF allocator %s", b->alloc.name);
		log_warning("No DMABUF allocator (%s: %s); using copy mode", b->alloc.name,
			    strerror(-r));
		b->mode = IFB_MODE_COPY;
		b->mode_final = true;
		return pool_alloc_buffers(b);
	}
	log_info("DMABUF allocator: %s", b->alloc.name);
	b->mode = IFB_MODE_ZERO_COPY;
	return pool_alloc_dmabufs(b);
}

int ifb_bridge_new(struct ifb_bridge **ret, sd_event *loop, const struct ifb_config *cfg,
		   bool *config_error)
{
	struct ifb_bridge *b;
	int r;

	*config_error = false;
	b = calloc(1, sizeof(*b));
	if (!b)
		return log_error_errno(-ENOMEM, "Out of memory");
	b->cfg = *cfg;
	b->loop = sd_event_ref(loop);
	b->iio.dev_fd = b->iio.buf_fd = -1;
	b->ffs.ep0 = b->ffs.ep = -1;
	b->aio_efd = -1;
	b->alloc.fd = -1;
	for (unsigned i = 0; i < IFB_ENGINE_MAX_BLOCKS; i++)
		b->blk[i].fd = b->blk[i].sync_fd = -1;

	r = setup_iio(b, config_error);
	if (r < 0)
		goto fail;
	r = setup_pool(b);
	if (r < 0)
		goto fail;
	describe_stream(b);
	/* Placeholder engine until the first stream picks its backend. */
	r = ifb_engine_init(&b->engine, b->nblocks, cfg->block_size, false, &copy_ops, b);
	if (r < 0)
		goto fail;

	/* Room for the largest pool a reload may ask for, plus the ZLP. */
	r = io_setup(IFB_ENGINE_MAX_BLOCKS + 1, &b->aio);
	if (r < 0) {
		log_error_errno(r, "io_setup failed");
		goto fail;
	}
	b->aio_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->aio_efd < 0) {
		r = log_error_errno(neg_errno(), "eventfd failed");
		goto fail;
	}
	r = sd_event_add_io(loop, &b->aio_src, b->aio_efd, EPOLLIN, on_aio, b);
	if (r < 0)
		goto fail_loop;
	r = sd_event_add_defer(loop, &b->teardown_src, on_teardown, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->teardown_src, SD_EVENT_OFF);
	r = sd_event_add_defer(loop, &b->abort_src, on_abort_fill, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->abort_src, SD_EVENT_OFF);
	r = sd_event_add_time_relative(loop, &b->status_timer, CLOCK_MONOTONIC, STATUS_PERIOD_USEC, 0,
				       on_status_timer, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->status_timer, SD_EVENT_ON);

	r = ifb_ffs_open(&b->ffs, cfg->functionfs, cfg->interface,
			 cfg->ms_os_descriptors ? cfg->interface_guid : NULL);
	if (r < 0) {
		char where[PATH_MAX + 64];

		ifb_config_where(cfg, IFB_KEY_USB_FUNCTIONFS, where, sizeof(where));
		log_error_errno(r, "%s: cannot set up FunctionFS at %s%s", where, cfg->functionfs,
				r == -ENOENT ? " (is functionfs mounted there?)" :
				r == -EBUSY ? " (another process owns it)" : "");
		goto fail;
	}
	r = sd_event_add_io(loop, &b->ep0_src, b->ffs.ep0, EPOLLIN, on_ep0, b);
	if (r < 0)
		goto fail_loop;
	/* ep0 before blocks: a DISABLE must be seen before the next transfer. */
	sd_event_source_set_priority(b->ep0_src, SD_EVENT_PRIORITY_IMPORTANT);
	log_info("USB descriptors written to %s; %s, %u channels, %u-byte scans, %s mode%s",
		 cfg->functionfs, b->iio.name, b->desc.num_channels, b->iio.scan_size,
		 mode_name(b->mode), b->mode_final ? "" : " (if the UDC allows)");
	*ret = b;
	return 0;

fail_loop:
	log_error_errno(r, "Cannot set up the event loop");
fail:
	ifb_bridge_free(b);
	return r;
}

struct ifb_bridge *ifb_bridge_free(struct ifb_bridge *b)
{
	if (!b)
		return NULL;
	if (b->session)
		session_close(b);
	b->ep0_src = sd_event_source_disable_unref(b->ep0_src);
	b->teardown_src = sd_event_source_disable_unref(b->teardown_src);
	b->abort_src = sd_event_source_disable_unref(b->abort_src);
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	b->status_timer = sd_event_source_disable_unref(b->status_timer);
	b->aio_src = sd_event_source_disable_unref(b->aio_src);
	/* io_destroy cancels and waits for what is still in flight (the ZLP). */
	if (b->aio)
		io_destroy(b->aio);
	closep(&b->aio_efd);
	ifb_ffs_close(&b->ffs);
	ifb_iio_close(&b->iio);
	pool_free(b);
	ifb_allocator_close(&b->alloc);
	free(b->pending);
	sd_event_unref(b->loop);
	free(b);
	return NULL;
}

/* ---- reload -------------------------------------------------------------- */

/* Keys a running daemon cannot change: they name the hardware, the USB
 * function and its identity, or how memory was chosen at start. */
static void keep_fixed(const struct ifb_config *old, struct ifb_config *new)
{
#define KEEP(key, field, differ)                                                         \
	do {                                                                             \
		if (differ) {                                                            \
			char where_[PATH_MAX + 64];                                      \
			ifb_config_where(new, key, where_, sizeof(where_));              \
			log_warning("%s: changed; takes effect after a restart", where_); \
			memcpy(&new->field, &old->field, sizeof(new->field));            \
		}                                                                        \
	} while (0)
#define KEEP_STR(key, field) KEEP(key, field, strcmp(old->field, new->field) != 0)
#define KEEP_VAL(key, field) KEEP(key, field, old->field != new->field)
	KEEP_STR(IFB_KEY_IIO_DEVICE, device);
	KEEP_VAL(IFB_KEY_IIO_BUFFER, buffer);
	KEEP_VAL(IFB_KEY_STREAM_MODE, mode);
	KEEP(IFB_KEY_STREAM_ALLOCATOR, allocator,
	     old->allocator != new->allocator || strcmp(old->heap, new->heap) != 0);
	if (old->allocator == new->allocator)
		memcpy(new->heap, old->heap, sizeof(new->heap));
	KEEP_STR(IFB_KEY_USB_FUNCTIONFS, functionfs);
	KEEP_VAL(IFB_KEY_USB_VENDOR_ID, vendor_id);
	KEEP_VAL(IFB_KEY_USB_PRODUCT_ID, product_id);
	KEEP_STR(IFB_KEY_USB_MANUFACTURER, manufacturer);
	KEEP_STR(IFB_KEY_USB_PRODUCT, product);
	KEEP_STR(IFB_KEY_USB_SERIAL, serial);
	KEEP_STR(IFB_KEY_USB_INTERFACE, interface);
	KEEP_VAL(IFB_KEY_USB_MS_OS_DESCRIPTORS, ms_os_descriptors);
	KEEP_STR(IFB_KEY_USB_INTERFACE_GUID, interface_guid);
	KEEP_STR(IFB_KEY_GADGET_NAME, gadget_name);
	KEEP_STR(IFB_KEY_GADGET_UDC, udc);
	KEEP_VAL(IFB_KEY_GADGET_MAX_POWER, max_power);
	KEEP_VAL(IFB_KEY_GADGET_MS_VENDOR_CODE, ms_vendor_code);
	if (old->compose_gadget != new->compose_gadget) {
		log_warning("%s: [gadget] section %s; takes effect after a restart", new->path,
			    new->compose_gadget ? "added" : "removed");
		new->compose_gadget = old->compose_gadget;
	}
#undef KEEP_VAL
#undef KEEP_STR
#undef KEEP
}

int ifb_bridge_reload(struct ifb_bridge *b, const struct ifb_config *cfg)
{
	struct ifb_config *next;
	struct ifb_iio *probe;
	char where[PATH_MAX + 64];
	unsigned bad = 0;
	int r;

	next = malloc(sizeof(*next));
	probe = malloc(sizeof(*probe));
	if (!next || !probe) {
		free(next);
		free(probe);
		return log_error_errno(-ENOMEM, "Reload");
	}
	*next = *cfg;
	keep_fixed(&b->cfg, next);

	/* Channels and block size must fit the device before anything changes. */
	*probe = b->iio;
	r = ifb_iio_select(probe, next->all_channels, next->channels, next->num_channels, &bad);
	if (r < 0) {
		ifb_config_where(next, IFB_KEY_IIO_CHANNELS, where, sizeof(where));
		log_error("%s: %s has no channel '%s'; configuration not reloaded", where, b->iio.name,
			  next->all_channels ? "?" : next->channels[bad]);
	} else if (next->block_size % probe->scan_size) {
		ifb_config_where(next, IFB_KEY_STREAM_BLOCK_SIZE, where, sizeof(where));
		log_error("%s: %u is not a multiple of the scan size (%u bytes); configuration not reloaded",
			  where, next->block_size, probe->scan_size);
		r = -EINVAL;
	}
	free(probe);
	if (r < 0) {
		free(next);
		return r;
	}
	free(b->pending);
	b->pending = next;
	ifb_log_set_level(next->log_level);
	if (b->session)
		log_info("Configuration reloaded from %s; applies when this stream ends", next->path);
	else
		apply_pending(b);
	return 0;
}

/* Put a reloaded configuration in place; only with no stream open. */
static void apply_pending(struct ifb_bridge *b)
{
	struct ifb_config *next = b->pending;
	bool resize;
	int r;

	if (!next || b->session)
		return;
	b->pending = NULL;
	resize = next->block_size != b->cfg.block_size || next->block_count != b->cfg.block_count;
	if (resize)
		pool_free(b); /* while nblocks still counts the old pool */
	b->cfg = *next;
	b->nblocks = b->cfg.block_count;
	if (resize) {
		/* Same memory source as before: DMABUFs unless in copy mode. */
		r = b->mode == IFB_MODE_COPY ? pool_alloc_buffers(b) : pool_alloc_dmabufs(b);
		if (r < 0)
			log_error("Keeping no pool after a failed reload: streams will fail until the "
				  "configuration is fixed and reloaded");
	}
	(void)ifb_iio_select(&b->iio, b->cfg.all_channels, b->cfg.channels, b->cfg.num_channels, NULL);
	if (b->cfg.sampling_frequency[0]) {
		r = ifb_iio_set_sampling_frequency(&b->iio, b->cfg.sampling_frequency);
		if (r < 0)
			log_warning_errno(r, "%s refused sampling frequency %s", b->iio.name,
					  b->cfg.sampling_frequency);
	}
	describe_stream(b);
	log_info("Configuration reloaded from %s: %u x %u bytes, %u-byte scans, start %s", b->cfg.path,
		 b->nblocks, b->cfg.block_size, b->iio.scan_size,
		 b->cfg.start == IFB_CFG_START_HOST ? "on host request" : "immediately");
	free(next);
}
