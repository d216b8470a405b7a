// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stream's life. A front end (ep0.c) asks for a stream; the session opens
 * the IIO buffer and the endpoint, attaches the pool (zero-copy) or sizes
 * the kernel's fileio blocks (copy), enables the buffer and starts the
 * engine. However the stream stops (host STOP, disconnect, shutdown, an
 * error), the engine reports it once every block is back
 * (ifb_session_engine_stopped), and teardown runs from the loop: the
 * end-of-stream packet after a host STOP, the log line, every attachment
 * and fd released, and a new stream if one is wanted. The next stream
 * begins from a clean state.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

/*
 * Detach everything and close the stream's fds. Only called when every
 * block is FREE, i.e. every fence has signalled.
 */
void ifb_session_close(struct ifb_bridge *b)
{
	ifb_zc_release(b);
	ifb_hybrid_release(b);
	ifb_ffs_close_ep(&b->ffs);
	ifb_copy_release(b);
	if (b->iio.buf_fd >= 0 && ifb_iio_buffer_enabled(&b->iio) == 1)
		(void)ifb_iio_buffer_enable(&b->iio, false);
	ifb_iio_close(&b->iio);
	b->session = false;
}

/* A previous instance killed hard (or another program) can leave the
 * buffer enabled; a stream needs it off to set up. */
int ifb_session_disable_left_enabled(struct ifb_bridge *b)
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
	int r;

	/* A reload whose allocation failed leaves no complete pool. */
	if (!ifb_pool_complete(b))
		return log_error_errno(-ENOMEM, "No stream: the pool of %u blocks is incomplete "
				       "(fix the configuration and reload)", b->nblocks);
	r = ifb_iio_open(&b->iio);
	if (r < 0)
		return log_error_errno(r, "Cannot open IIO buffer %u of %s", b->iio.buffer,
				       b->iio.devnode);
	b->session = true;
	r = ifb_session_disable_left_enabled(b);
	if (r < 0)
		return r;
	r = ifb_iio_apply_channels(&b->iio);
	if (r < 0)
		return log_error_errno(r, "Cannot enable the channels in %s", b->iio.bufdir);
	r = ifb_ffs_open_ep(&b->ffs);
	/* EAGAIN: FunctionFS's mutex, which the ep0 stage thread holds while
	 * the host takes a reply (ep0-stage.h): wait for the stage a little,
	 * never for a host that abandoned it. */
	for (int i = 0; r == -EAGAIN && i < 50; i++) {
		ifb_ep0_stage_wait(&b->stage, 5);
		r = ifb_ffs_open_ep(&b->ffs);
	}
	if (r == -EAGAIN)
		return log_error_errno(r, "Cannot open %s/ep%u: FunctionFS is busy with a control "
				       "request the host has not taken (try again)",
				       b->ffs.dir, b->ffs.ep_num);
	if (r < 0)
		return log_error_errno(r, "Cannot open %s/ep%u", b->ffs.dir, b->ffs.ep_num);

	/* Auto mode fell back to another backend: that settles the mode
	 * (mode_final), so a backend falls back once at most. */
	r = ifb_backend(b)->open(b);
	if (r == IFB_BACKEND_FELL_BACK)
		return session_open(b);
	if (r < 0)
		return r;
	r = ifb_engine_init(&b->engine, b->nblocks, b->cfg.block_size,
			    ifb_backend(b)->count_starvation, ifb_backend(b)->ops, b);
	ifb_engine_set_pull(&b->engine, b->iiod_stream);
	return r;
}

int ifb_session_fall_back(struct ifb_bridge *b, enum ifb_mode mode)
{
	int r;

	/* Closing the buffer fd detaches from IIO for good: a DMA buffer must
	 * never be read() with DMABUFs attached. */
	ifb_session_close(b);
	r = mode == IFB_MODE_HYBRID ? ifb_pool_switch_to_hybrid(b) : ifb_pool_switch_to_copy(b);
	if (r < 0)
		return r;
	b->mode_final = true;
	return IFB_BACKEND_FELL_BACK;
}

const struct ifb_backend *ifb_backend(const struct ifb_bridge *b)
{
	switch (b->mode) {
	case IFB_MODE_HYBRID:
		return &ifb_backend_hybrid;
	case IFB_MODE_COPY:
		return &ifb_backend_copy;
	case IFB_MODE_ZERO_COPY:
	default:
		return &ifb_backend_zero_copy;
	}
}

/* The pool in the shape b->cfg.block_size x b->nblocks asks for. */
static int pool_reshape(struct ifb_bridge *b, uint32_t block_size, unsigned nblocks)
{
	if (block_size == b->cfg.block_size && nblocks == b->nblocks)
		return 0;
	ifb_pool_free(b); /* while nblocks still counts the old pool */
	b->cfg.block_size = block_size;
	b->nblocks = nblocks;
	return ifb_backend(b)->pool_alloc(b);
}

/* After an IIOD stream: the native front end's pool and channels again. */
static void restore_native(struct ifb_bridge *b)
{
	if (!b->iiod_stream)
		return;
	b->iiod_stream = false;
	b->ffs.ep_num = IFB_USB_EP_NATIVE;
	if (pool_reshape(b, b->native_block_size, b->native_nblocks) < 0)
		log_error("Cannot give the native interface its pool back: its streams will fail "
			  "until a reload");
	(void)ifb_iio_select(&b->iio, b->cfg.all_channels, b->cfg.channels, b->cfg.num_channels, NULL);
}

int ifb_session_start_iiod(struct ifb_bridge *b, uint32_t bytes, unsigned count,
			   const char (*names)[IFB_CHANNEL_NAME_LEN], unsigned n, unsigned ep)
{
	unsigned bad = 0;
	int r;

	if (ifb_session_owner(b) != IFB_OWNER_NONE || b->shutting_down)
		return -EBUSY;
	ifb_reload_apply_pending(b);
	r = ifb_iio_select(&b->iio, false, names, n, &bad);
	if (r < 0 || bytes == 0 || bytes % b->iio.scan_size) {
		(void)ifb_iio_select(&b->iio, b->cfg.all_channels, b->cfg.channels,
				     b->cfg.num_channels, NULL);
		return -EINVAL;
	}
	b->native_block_size = b->cfg.block_size;
	b->native_nblocks = b->nblocks;
	b->iiod_stream = true;
	b->ffs.ep_num = ep;
	r = pool_reshape(b, bytes, count);
	if (r < 0) {
		restore_native(b);
		return r;
	}
	r = ifb_session_start(b);
	if (r < 0 && !b->session)
		restore_native(b);
	return r;
}

enum ifb_stream_owner ifb_session_owner(const struct ifb_bridge *b)
{
	if (!b->session && b->engine.run == IFB_STATE_IDLE)
		return IFB_OWNER_NONE;
	return b->iiod_stream ? IFB_OWNER_IIOD : IFB_OWNER_NATIVE;
}

void ifb_session_pulled(void *ctx, unsigned blk)
{
	struct ifb_bridge *b = ctx;

	if (b->iiod)
		ifb_iiod_pulled(b->iiod);
}

int ifb_session_start(struct ifb_bridge *b)
{
	uint32_t id;
	int r;

	ifb_reload_apply_pending(b);
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
	b->stream_t0 = b->rate_t = ifb_now_usec();
	b->rate_bytes = 0;
	b->rate_mib_s = 0;
	log_info("Stream %u started (%s, %u x %u bytes, %u-byte scans)", b->engine.stream_id,
		 ifb_mode_name(b->mode), b->nblocks, b->cfg.block_size, b->iio.scan_size);
	return 0;
fail:
	ifb_session_close(b);
	return r;
}

static void log_stream_end(struct ifb_bridge *b, enum ifb_stop_reason reason)
{
	const struct ifb_engine_counters *c = &b->engine.c;
	double secs = (double)(ifb_now_usec() - b->stream_t0) / 1e6;

	log_info("Stream %u ended (%s): %" PRIu64 " bytes in %.1f s (%.1f MiB/s), %" PRIu64
		 " gaps, %" PRIu64 " starvations, %" PRIu64 " ADC errors, %" PRIu64 " USB errors",
		 b->engine.stream_id, ifb_stop_reason_name(reason), c->bytes_sent, secs,
		 secs > 0 ? (double)c->bytes_sent / secs / 1048576.0 : 0.0, c->gaps_total,
		 c->starvations, c->adc_errors, c->usb_errors);
}

static bool want_stream(struct ifb_bridge *b)
{
	return b->usb_enabled && !b->shutting_down;
}

void ifb_session_maybe_start(struct ifb_bridge *b)
{
	if (b->session || !want_stream(b))
		return;
	if (ifb_session_start(b) < 0)
		log_warning("Stream not started");
}

/* Can the end-of-stream packet still reach a host? */
static bool link_works(struct ifb_bridge *b)
{
	return b->bound && b->usb_enabled && b->ep0q_leaving == 0 && b->ffs.ep >= 0 && !b->cancelled;
}

/* After a shutdown: exit once the end-of-stream packet is out. */
static int on_zlp_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;

	log_debug("End-of-stream packet not read by the host; exiting anyway");
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	sd_event_exit(b->loop, b->exit_code);
	return 0;
}

void ifb_session_zlp_done(struct ifb_bridge *b)
{
	if (b->shutting_down && !b->session && b->grace_timer) {
		b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
		sd_event_exit(b->loop, b->exit_code);
	}
}

/*
 * Every stream ends here, whatever ended it (see enum ifb_stop_reason):
 * the end-of-stream packet where the link still works, one log line,
 * everything released, then the next stream or the exit.
 */
int ifb_session_on_teardown(sd_event_source *s, void *userdata)
{
	struct ifb_bridge *b = userdata;
	bool iiod = b->iiod_stream;
	/* The IIOD protocol has no end-of-stream marker: a client reads what
	 * it asked for and nothing more. */
	bool eos = !iiod && ifb_stop_sends_eos(b->last_reason) && link_works(b);

	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	if (eos)
		ifb_usb_send_zlp(b);
	log_stream_end(b, b->last_reason);
	ifb_session_close(b);
	b->cancelled = false;
	restore_native(b);
	if (iiod && b->iiod)
		ifb_iiod_stream_ended(b->iiod, b->last_reason);
	ifb_reload_apply_pending(b);
	if (b->shutting_down) {
		/* Give the end-of-stream packet a moment to reach the host. */
		if (!b->zlp_inflight ||
		    sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC,
					       IFB_ZLP_GRACE_USEC, IFB_GRACE_ACCURACY_USEC, on_zlp_grace, b) < 0)
			sd_event_exit(b->loop, b->exit_code);
		return 0;
	}
	if (iiod) {
		b->restart = false;
		return 0;
	}
	if (b->restart || (b->cfg.start == IFB_CFG_START_IMMEDIATE &&
			   b->last_reason != IFB_STOP_HOST && b->last_reason != IFB_STOP_ERROR)) {
		b->restart = false;
		ifb_session_maybe_start(b);
	}
	return 0;
}

void ifb_session_engine_stopped(void *ctx, enum ifb_stop_reason reason)
{
	struct ifb_bridge *b = ctx;

	b->last_reason = reason;
	sd_event_source_set_enabled(b->teardown_src, SD_EVENT_ONESHOT);
}

void ifb_session_check(struct ifb_bridge *b)
{
	if (b->engine.run != IFB_STATE_STREAMING || ifb_iio_buffer_enabled(&b->iio) != 0)
		return;
	log_error("IIO buffer %s was disabled by another program: ending stream %u", b->iio.bufdir,
		  b->engine.stream_id);
	ifb_engine_adc_failed(&b->engine, -ESTALE);
}

void ifb_session_cancel_usb(struct ifb_bridge *b)
{
	b->cancelled = true;
	ifb_backend(b)->cancel_usb(b);
}

/* The host asked to stop and has not read what was in flight since. */
static int on_stop_drain(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;

	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	if (b->engine.run != IFB_STATE_STOPPING || b->shutting_down)
		return 0;
	log_notice("Host stopped reading after STOP: cancelling %u transfers in flight",
		   b->engine.usb.len);
	ifb_session_cancel_usb(b);
	return 0;
}

void ifb_session_stop(struct ifb_bridge *b, enum ifb_stop_reason reason)
{
	if (b->engine.run != IFB_STATE_IDLE) {
		ifb_engine_stop(&b->engine, reason);
		if (reason == IFB_STOP_HOST && b->engine.run == IFB_STATE_STOPPING &&
		    !b->grace_timer && !b->shutting_down &&
		    sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC,
					       IFB_STOP_DRAIN_USEC, IFB_GRACE_ACCURACY_USEC,
					       on_stop_drain, b) < 0)
			log_warning("Cannot arm the timer for a host that stops reading");
	} else if (b->session && !sd_event_source_get_enabled(b->teardown_src, NULL)) {
		bool iiod = b->iiod_stream;

		ifb_session_close(b);
		restore_native(b);
		if (iiod && b->iiod)
			ifb_iiod_stream_ended(b->iiod, reason);
	}
}

static int on_cancel_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;

	log_error("%u transfers still pending after cancelling; closing anyway",
		  ifb_engine_busy(&b->engine));
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	ifb_session_close(b);
	sd_event_exit(b->loop, b->exit_code);
	return 0;
}

static int on_drain_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	int r;

	log_notice("Host is not reading: cancelling %u transfers in flight", b->engine.usb.len);
	ifb_session_cancel_usb(b);
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	r = sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC, IFB_CANCEL_GRACE_USEC,
				       IFB_GRACE_ACCURACY_USEC, on_cancel_grace, b);
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
		if (b->session && !sd_event_source_get_enabled(b->teardown_src, NULL))
			ifb_session_close(b);
		if (!sd_event_source_get_enabled(b->teardown_src, NULL))
			sd_event_exit(b->loop, b->exit_code);
		return; /* else the pending teardown exits */
	}
	log_info("Stopping: draining the stream");
	ifb_engine_stop(&b->engine, IFB_STOP_SHUTDOWN);
	if (b->engine.run == IFB_STATE_IDLE)
		return; /* stopped at once; teardown exits */
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer); /* a STOP's drain */
	r = sd_event_add_time_relative(b->loop, &b->grace_timer, CLOCK_MONOTONIC, IFB_DRAIN_GRACE_USEC,
				       IFB_GRACE_ACCURACY_USEC, on_drain_grace, b);
	if (r < 0)
		log_warning_errno(r, "Cannot arm the drain timer");
}


void ifb_bridge_fail(struct ifb_bridge *b, int r, const char *what)
{
	log_error_errno(r, "%s; stopping (exit status 1)", what);
	b->exit_code = 1;
	ifb_bridge_shutdown(b);
}
