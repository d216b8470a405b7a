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
void ifb_session_close(struct ifb_stream *s)
{
	s->at_timer = sd_event_source_disable_unref(s->at_timer);
	ifb_zc_release(s);
	ifb_hybrid_release(s);
	ifb_ffs_close_ep(&s->ep);
	ifb_copy_release(s);
	if (s->iio.buf_fd >= 0 && ifb_iio_buffer_enabled(&s->iio) == 1)
		(void)ifb_iio_buffer_enable(&s->iio, false);
	ifb_iio_close(&s->iio);
	s->session = false;
}

/* A previous instance killed hard (or another program) can leave the
 * buffer enabled; a stream needs it off to set up. */
int ifb_session_disable_left_enabled(struct ifb_stream *s)
{
	int r;

	if (ifb_iio_buffer_enabled(&s->iio) != 1)
		return 0;
	log_notice("%sIIO buffer %s was left enabled (previous instance killed?); disabling it", s->logp,
		   s->iio.bufdir);
	r = ifb_iio_buffer_enable(&s->iio, false);
	if (r < 0)
		return log_error_errno(r, "%sCannot disable IIO buffer %s", s->logp, s->iio.bufdir);
	return 0;
}

/* The engine for s's backend and direction. */
static int session_engine_init(struct ifb_stream *s)
{
	const struct ifb_backend *be = ifb_backend(s);
	int r;

	if (s->iio.output && !be->out_ops)
		return log_error_errno(-EOPNOTSUPP, "%s%s mode cannot stream to a DAC yet", s->logp,
				       ifb_mode_name(s->mode));
	r = ifb_engine_init(&s->engine, s->nblocks, s->cfg.block_size, be->count_starvation,
			    s->iio.output ? be->out_ops : be->ops, s);
	if (r == 0 && s->iio.output)
		r = ifb_engine_set_output(&s->engine, s->iio.scan_size);
	ifb_engine_set_pull(&s->engine, s->iiod_stream);
	ifb_engine_set_time_source(&s->engine, s->iio.output ? IFB_TIME_NONE : be->time_source);
	return r;
}

static int session_open(struct ifb_stream *s)
{
	int r;

	/* A reload whose allocation failed leaves no complete pool. */
	if (!ifb_pool_complete(s))
		return log_error_errno(-ENOMEM, "%sNo stream: the pool of %u blocks is incomplete "
				       "(fix the configuration and reload)", s->logp, s->nblocks);
	r = ifb_iio_open(&s->iio);
	if (r < 0)
		return log_error_errno(r, "%sCannot open IIO buffer %u of %s", s->logp, s->iio.buffer,
				       s->iio.devnode);
	s->session = true;
	/* a device of no configured stream: its enabled buffer is another
	 * program's, not one a killed instance of ours left */
	if (s->iiod_only && ifb_iio_buffer_enabled(&s->iio) == 1)
		return log_error_errno(-EBUSY, "%sIIO buffer %s is enabled by another program",
				       s->logp, s->iio.bufdir);
	r = ifb_session_disable_left_enabled(s);
	if (r < 0)
		return r;
	r = ifb_iio_apply_channels(&s->iio);
	if (r < 0)
		return log_error_errno(r, "%sCannot enable the channels in %s", s->logp, s->iio.bufdir);
	r = ifb_stream_open_ep(s);
	if (r < 0)
		return r;

	/* Auto mode fell back to another backend: that settles the mode
	 * (mode_final), so a backend falls back once at most. */
	r = ifb_backend(s)->open(s);
	if (r == IFB_BACKEND_FELL_BACK)
		return session_open(s);
	if (r < 0)
		return r;
	return session_engine_init(s);
}

int ifb_session_fall_back(struct ifb_stream *s, enum ifb_mode mode)
{
	int r;

	/* Closing the buffer fd detaches from IIO for good: a DMA buffer must
	 * never be read() with DMABUFs attached. */
	ifb_session_close(s);
	r = mode == IFB_MODE_HYBRID ? ifb_pool_switch_to_hybrid(s) : ifb_pool_switch_to_copy(s);
	if (r < 0)
		return r;
	s->mode_final = true;
	return IFB_BACKEND_FELL_BACK;
}

const struct ifb_backend *ifb_backend(const struct ifb_stream *s)
{
	switch (s->mode) {
	case IFB_MODE_HYBRID:
		return &ifb_backend_hybrid;
	case IFB_MODE_COPY:
		return &ifb_backend_copy;
	case IFB_MODE_ZERO_COPY:
	default:
		return &ifb_backend_zero_copy;
	}
}

/* The pool in the shape s->cfg.block_size x s->nblocks asks for. */
static int pool_reshape(struct ifb_stream *s, uint32_t block_size, unsigned nblocks)
{
	if (block_size == s->cfg.block_size && nblocks == s->nblocks)
		return 0;
	ifb_pool_free(s); /* while nblocks still counts the old pool */
	s->cfg.block_size = block_size;
	s->nblocks = nblocks;
	return ifb_backend(s)->pool_alloc(s);
}

void ifb_session_select_config_channels(struct ifb_stream *s)
{
	(void)ifb_iio_select(&s->iio, s->cfg.all_channels, s->cfg.channels, s->cfg.num_channels,
			     NULL);
}

bool ifb_session_teardown_pending(const struct ifb_stream *s)
{
	return sd_event_source_get_enabled(s->teardown_src, NULL) > 0;
}

/* After an IIOD stream: the native front end's pool and channels again. */
static void restore_native(struct ifb_stream *s)
{
	if (!s->iiod_stream)
		return;
	s->iiod_stream = false;
	s->start_cyclic = 0; /* a waveform is its client's */
	s->start_at_ns = 0;
	s->ep.num = s->native_ep;
	/* a stream made for the client is released next: nothing to give back */
	if (s->iiod_only)
		return;
	if (pool_reshape(s, s->native_block_size, s->native_nblocks) < 0)
		log_error("%sCannot give the native interface its pool back: its streams will fail "
			  "until a reload", s->logp);
	ifb_session_select_config_channels(s);
}

int ifb_session_start_iiod(struct ifb_stream *s, uint32_t bytes, unsigned count,
			   const char (*names)[IFB_CHANNEL_NAME_LEN], unsigned n, unsigned ep,
			   bool cyclic)
{
	unsigned bad = 0;
	int r;

	if (ifb_session_owner(s) != IFB_OWNER_NONE || s->b->shutting_down)
		return -EBUSY;
	if (cyclic && (!s->iio.output || s->mode != IFB_MODE_ZERO_COPY)) {
		log_warning("%sCyclic buffer refused: %s", s->logp,
			    !s->iio.output ? "not an output device"
					   : "a cyclic waveform needs zero-copy mode (IIO DMABUF's cyclic "
					     "flag); this stream runs in another mode");
		return s->iio.output ? -EOPNOTSUPP : -EINVAL;
	}
	ifb_reload_apply_pending(s->b);
	r = ifb_iio_select(&s->iio, false, names, n, &bad);
	if (r < 0 || bytes == 0 || bytes % s->iio.scan_size) {
		ifb_session_select_config_channels(s);
		return -EINVAL;
	}
	s->native_block_size = s->cfg.block_size;
	s->native_nblocks = s->nblocks;
	s->iiod_stream = true;
	s->ep.num = ep;
	s->start_cyclic = cyclic ? bytes : 0;
	s->start_at_ns = 0;
	r = pool_reshape(s, bytes, count);
	if (r < 0) {
		restore_native(s);
		return r;
	}
	/* (a fall-back to another mode at this open refuses the cyclic
	 * buffer there: ifb_session_start) */
	r = ifb_session_start(s);
	if (r < 0 && !s->session)
		restore_native(s);
	return r;
}

int ifb_session_receive(struct ifb_stream *s, uint32_t len)
{
	return ifb_engine_receive(&s->engine, len);
}

void ifb_session_received(void *ctx, unsigned blk, uint32_t len)
{
	struct ifb_stream *s = ctx;

	if (s->b->iiod)
		ifb_iiod_received(s->b->iiod, s, len);
}

enum ifb_stream_owner ifb_session_owner(const struct ifb_stream *s)
{
	if (!s->session && s->engine.run == IFB_STATE_IDLE)
		return IFB_OWNER_NONE;
	return s->iiod_stream ? IFB_OWNER_IIOD : IFB_OWNER_NATIVE;
}

bool ifb_session_device_busy(const struct ifb_stream *s)
{
	const struct ifb_bridge *b = s->b;

	for (unsigned i = 0; i < b->nall; i++)
		if (!strcmp(b->st[i]->iio.sysdir, s->iio.sysdir) &&
		    ifb_session_owner(b->st[i]) != IFB_OWNER_NONE)
			return true;
	return false;
}

void ifb_session_pulled(void *ctx, unsigned blk)
{
	struct ifb_stream *s = ctx;

	if (s->b->iiod)
		ifb_iiod_pulled(s->b->iiod, s);
}

/*
 * A timed burst's moment (protocol.h, IFB_START_AT): what the engine has
 * held goes to the DAC now, or, when nothing has arrived or the loop woke
 * too late, none of it ever does: the burst is late, never shifted. The
 * first enqueue is the DMA's start on a DAC that idles with its buffer
 * enabled (the simulated DAC plays from the enqueue: tests/vm/cases/
 * time-tx.sh measures how far from at_ns that is).
 */
static int on_start_at(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;
	uint64_t at = s->at_ns, now = ifb_now_ns(), queued;
	int r = -ETIME;

	s->at_timer = sd_event_source_disable_unref(s->at_timer);
	if (!s->engine.held)
		return 0; /* a stop dropped what it held */
	if (now <= at + IFB_START_AT_LATE_NS)
		r = ifb_engine_release(&s->engine);
	queued = ifb_now_ns();
	if (r == 0) {
		log_info("%sTimed start: queued to the DAC %+.1f us from board time %" PRIu64
			 " ns (woken %+.1f us)", s->logp, ((double)queued - (double)at) / 1e3, at,
			 ((double)now - (double)at) / 1e3);
		return 0;
	}
	s->status_request = IFB_REQ_START;
	s->status_error = -ETIME;
	if (r == -EAGAIN)
		log_warning("%sTimed start late: nothing to play at board time %" PRIu64 " ns (%s); "
			    "stream %u ends unplayed", s->logp, at,
			    s->engine.cyclic ? "the waveform had not all arrived"
					     : "no block had arrived",
			    s->engine.stream_id);
	else
		log_warning("%sTimed start late: woken %.1f us after board time %" PRIu64 " ns, more "
			    "than %llu us; stream %u ends unplayed", s->logp,
			    ((double)now - (double)at) / 1e3, at,
			    (unsigned long long)(IFB_START_AT_LATE_NS / 1000), s->engine.stream_id);
	ifb_engine_late(&s->engine);
	return 0;
}

/* Hold the DAC of a stream just started until start_at_ns. */
static int session_start_at(struct ifb_stream *s)
{
	int r = ifb_engine_hold(&s->engine);

	s->at_ns = s->start_at_ns;
	if (r == 0)
		/* accuracy 1 us: the loop's wake-up is the burst's start */
		r = sd_event_add_time(s->b->loop, &s->at_timer, CLOCK_MONOTONIC,
				      (s->start_at_ns + 999) / 1000, 1, on_start_at, s); /* never before */
	if (r < 0) {
		log_error_errno(r, "%sCannot hold stream %u for board time %" PRIu64 " ns", s->logp,
				s->engine.stream_id, s->start_at_ns);
		s->engine.c.last_error = r;
		ifb_engine_stop(&s->engine, IFB_STOP_ERROR);
		return r;
	}
	log_info("%sStream %u holds the DAC until board time %" PRIu64 " ns (%+.3f s)", s->logp,
		 s->engine.stream_id, s->start_at_ns,
		 ((double)s->start_at_ns - (double)ifb_now_ns()) / 1e9);
	return 0;
}

int ifb_session_start(struct ifb_stream *s)
{
	uint32_t id;
	int r;

	ifb_reload_apply_pending(s->b);
	id = s->engine.stream_id;
	r = session_open(s);
	if (r < 0)
		goto fail;
	/* auto mode may have fallen back at this open: a waveform the DAC
	 * repeats needs IIO DMABUF (ep0.c and the IIOD front end asked
	 * before; GET_STATUS tells the host) */
	if ((s->start_cyclic || s->start_at_ns) && s->mode != IFB_MODE_ZERO_COPY) {
		r = log_warning_errno(-EOPNOTSUPP, "%s%s refused: the stream fell back to %s mode, "
				      "which write()s to the DAC", s->logp,
				      s->start_cyclic ? "Cyclic waveform" : "Timed burst",
				      ifb_mode_name(s->mode));
		goto fail;
	}
	s->engine.stream_id = id;
	/* Every DMABUF is attached: now the buffer may be enabled, then fed. */
	r = ifb_iio_buffer_enable(&s->iio, true);
	if (r < 0) {
		log_error_errno(r, "%sCannot enable IIO buffer %s", s->logp, s->iio.bufdir);
		goto fail;
	}
	r = s->start_cyclic ? ifb_engine_start_cyclic(&s->engine, s->start_cyclic)
			    : ifb_engine_start(&s->engine);
	/* the new stream's, if one began (GET_TIMES): enabled, the device's
	 * timestamp clock cannot change under it */
	if (s->engine.stream_id != id)
		ifb_engine_set_ts_clock(&s->engine, ifb_iio_timestamp_clock(&s->iio));
	if (r < 0)
		return r; /* the engine is stopping; teardown follows */
	if (s->start_at_ns) {
		r = session_start_at(s);
		if (r < 0)
			return r; /* the engine is stopping; teardown follows */
	}
	s->stream_t0 = s->rate_t = ifb_now_usec();
	s->rate_bytes = 0;
	s->rate_mib_s = 0;
	log_info("%sStream %u started (%s, %u x %u bytes, %u-byte scans)", s->logp, s->engine.stream_id,
		 ifb_mode_name(s->mode), s->nblocks, s->cfg.block_size, s->iio.scan_size);
	return 0;
fail:
	ifb_session_close(s);
	return r;
}

static void log_stream_end(struct ifb_stream *s, enum ifb_stop_reason reason)
{
	const struct ifb_engine_counters *c = &s->engine.c;
	double secs = (double)(ifb_now_usec() - s->stream_t0) / 1e6;

	log_info("%sStream %u ended (%s): %" PRIu64 " bytes in %.1f s (%.1f MiB/s), %" PRIu64
		 " gaps, %" PRIu64 " starvations, %" PRIu64 " ADC errors, %" PRIu64 " USB errors",
		 s->logp, s->engine.stream_id, ifb_stop_reason_name(reason), c->bytes_sent, secs,
		 secs > 0 ? (double)c->bytes_sent / secs / 1048576.0 : 0.0, c->gaps_total,
		 c->starvations, c->adc_errors, c->usb_errors);
}

static bool want_stream(struct ifb_stream *s)
{
	return s->b->usb_enabled && !s->b->shutting_down;
}

void ifb_session_maybe_start(struct ifb_stream *s)
{
	if (s->session || !want_stream(s))
		return;
	if (ifb_session_start(s) < 0)
		log_warning("%sStream not started", s->logp);
}

/* A shutdown is done with s: the daemon exits once every stream is. */
static void stream_finished(struct ifb_stream *s)
{
	struct ifb_bridge *b = s->b;

	s->finished = true;
	for (unsigned i = 0; i < b->nall; i++)
		if (!b->st[i]->finished)
			return;
	sd_event_exit(b->loop, b->exit_code);
}

/* Can the end-of-stream packet still reach a host? */
static bool link_works(struct ifb_stream *s)
{
	return s->b->bound && s->b->usb_enabled && s->b->ep0q_leaving == 0 && s->ep.fd >= 0 && !s->cancelled;
}

/* After a shutdown: exit once the end-of-stream packet is out. */
static int on_zlp_grace(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;

	log_debug("%sEnd-of-stream packet not read by the host; exiting anyway", s->logp);
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	stream_finished(s);
	return 0;
}

void ifb_session_zlp_done(struct ifb_stream *s)
{
	if (s->b->shutting_down && !s->session && s->grace_timer) {
		s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
		stream_finished(s);
	}
}

/* A stream's resources released, its IIOD front end told (the one end
 * of a session, with or without a stream run in it). */
static void session_release(struct ifb_stream *s, enum ifb_stop_reason reason)
{
	bool iiod = s->iiod_stream;

	ifb_session_close(s);
	restore_native(s);
	if (iiod && s->b->iiod)
		ifb_iiod_stream_ended(s->b->iiod, s, reason);
}

/*
 * Every stream ends here, whatever ended it (see enum ifb_stop_reason):
 * the end-of-stream packet where the link still works, one log line,
 * everything released, then the next stream or the exit.
 */
int ifb_session_on_teardown(sd_event_source *src, void *userdata)
{
	struct ifb_stream *s = userdata;
	bool iiod = s->iiod_stream;
	/* The IIOD protocol has no end-of-stream marker: a client reads what
	 * it asked for and nothing more. */
	bool eos = !iiod && !s->iio.output && ifb_stop_sends_eos(s->last_reason) && link_works(s);

	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	if (eos)
		ifb_usb_send_zlp(s);
	log_stream_end(s, s->last_reason);
	s->cancelled = false;
	session_release(s, s->last_reason);
	ifb_reload_apply_pending(s->b);
	if (s->b->shutting_down) {
		/* Give the end-of-stream packet a moment to reach the host. */
		if (!s->zlp_inflight ||
		    sd_event_add_time_relative(s->b->loop, &s->grace_timer, CLOCK_MONOTONIC,
					       IFB_ZLP_GRACE_USEC, IFB_GRACE_ACCURACY_USEC, on_zlp_grace, s) < 0)
			stream_finished(s);
		return 0;
	}
	if (iiod) {
		s->restart = false;
		return 0;
	}
	if (!s->restart) {
		/* a waveform or a time is its host's: not for an immediate start */
		s->start_cyclic = 0;
		s->start_at_ns = 0;
	}
	if (s->restart || (s->cfg.start == IFB_CFG_START_IMMEDIATE &&
			   s->last_reason != IFB_STOP_HOST && s->last_reason != IFB_STOP_ERROR &&
			   s->last_reason != IFB_STOP_LATE)) {
		s->restart = false;
		ifb_session_maybe_start(s);
	}
	return 0;
}

void ifb_session_engine_stopped(void *ctx, enum ifb_stop_reason reason)
{
	struct ifb_stream *s = ctx;

	s->last_reason = reason;
	sd_event_source_set_enabled(s->teardown_src, SD_EVENT_ONESHOT);
}

static void ifb_session_check(struct ifb_stream *s)
{
	if (s->engine.run != IFB_STATE_STREAMING || ifb_iio_buffer_enabled(&s->iio) != 0)
		return;
	log_error("%sIIO buffer %s was disabled by another program: ending stream %u", s->logp, s->iio.bufdir,
		  s->engine.stream_id);
	ifb_engine_adc_failed(&s->engine, -ESTALE);
}

void ifb_session_cancel_usb(struct ifb_stream *s)
{
	s->cancelled = true;
	ifb_backend(s)->cancel_usb(s);
}

/* The host asked to stop and has not read what was in flight since. */
static int on_stop_drain(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;

	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	if (s->engine.run != IFB_STATE_STOPPING || s->b->shutting_down)
		return 0;
	log_notice("%sHost stopped reading after STOP: cancelling %u transfers in flight",
		   s->logp, s->engine.usb.len);
	ifb_session_cancel_usb(s);
	return 0;
}

void ifb_session_stop(struct ifb_stream *s, enum ifb_stop_reason reason)
{
	if (s->engine.run != IFB_STATE_IDLE) {
		ifb_engine_stop(&s->engine, reason);
		/* (an output stream's STOP waits for its DAC, not a host) */
		if (reason == IFB_STOP_HOST && s->engine.run == IFB_STATE_STOPPING &&
		    !s->iio.output && !s->grace_timer && !s->b->shutting_down &&
		    sd_event_add_time_relative(s->b->loop, &s->grace_timer, CLOCK_MONOTONIC,
					       IFB_STOP_DRAIN_USEC, IFB_GRACE_ACCURACY_USEC,
					       on_stop_drain, s) < 0)
			log_warning("%sCannot arm the timer for a host that stops reading", s->logp);
	} else if (s->session && !ifb_session_teardown_pending(s)) {
		session_release(s, reason);
	}
}

static int on_cancel_grace(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;

	log_error("%s%u transfers still pending after cancelling; closing anyway", s->logp,
		  ifb_engine_busy(&s->engine));
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	ifb_session_close(s);
	stream_finished(s);
	return 0;
}

static int on_drain_grace(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_stream *s = userdata;
	int r;

	if (s->iio.output) {
		/* A shutdown does not wait for a DAC to play a whole pool:
		 * disabling the buffer aborts what it holds (their fences
		 * signal), and the stream ends. */
		log_notice("%sShutting down: the DAC still holds %u blocks; aborting them", s->logp,
			   s->engine.adc.len);
		if (ifb_iio_buffer_enable(&s->iio, false) < 0)
			log_warning("%sCannot disable IIO buffer %s", s->logp, s->iio.bufdir);
	} else {
		log_notice("%sHost is not reading: cancelling %u transfers in flight", s->logp,
			   s->engine.usb.len);
	}
	ifb_session_cancel_usb(s);
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	r = sd_event_add_time_relative(s->b->loop, &s->grace_timer, CLOCK_MONOTONIC, IFB_CANCEL_GRACE_USEC,
				       IFB_GRACE_ACCURACY_USEC, on_cancel_grace, s);
	if (r < 0)
		return on_cancel_grace(src, usec, s);
	return 0;
}

static void stream_shutdown(struct ifb_stream *s)
{
	int r;

	s->restart = false;
	if (s->engine.run == IFB_STATE_IDLE) {
		if (s->session && !ifb_session_teardown_pending(s))
			ifb_session_close(s);
		if (!ifb_session_teardown_pending(s))
			stream_finished(s);
		return; /* else the pending teardown finishes it */
	}
	log_info("%sStopping: draining the stream", s->logp);
	ifb_engine_stop(&s->engine, IFB_STOP_SHUTDOWN);
	if (s->engine.run == IFB_STATE_IDLE)
		return; /* stopped at once; teardown finishes it */
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer); /* a STOP's drain */
	r = sd_event_add_time_relative(s->b->loop, &s->grace_timer, CLOCK_MONOTONIC, IFB_DRAIN_GRACE_USEC,
				       IFB_GRACE_ACCURACY_USEC, on_drain_grace, s);
	if (r < 0)
		log_warning_errno(r, "%sCannot arm the drain timer", s->logp);
}

void ifb_bridge_shutdown(struct ifb_bridge *b)
{
	if (b->shutting_down)
		return;
	b->shutting_down = true;
	sd_notify(0, "STOPPING=1");
	/* Every stream drains at once, each on its own graces. */
	for (unsigned i = 0; i < b->nall; i++)
		stream_shutdown(b->st[i]);
}

void ifb_bridge_fail(struct ifb_bridge *b, int r, const char *what)
{
	log_error_errno(r, "%s; stopping (exit status 1)", what);
	b->exit_code = 1;
	ifb_bridge_shutdown(b);
}

enum ifb_state ifb_session_state(const struct ifb_stream *s)
{
	return s->engine.run;
}

void ifb_session_stats(const struct ifb_stream *s, uint16_t version, struct ifb_stats *out)
{
	ifb_engine_stats(&s->engine, (uint8_t)s->mode, version, out);
}

int ifb_session_gaps(const struct ifb_stream *s, uint16_t seq_lo, uint8_t *buf, size_t size,
		     size_t want)
{
	/* cut to want by building no more than it asks for; a header that
	 * does not fit it is built whole and cut */
	int len = ifb_engine_gaps(&s->engine, seq_lo, buf, want < size ? want : size);

	if (len == -ENOSPC) {
		len = ifb_engine_gaps(&s->engine, seq_lo, buf, size);
		if (len > (int)want)
			len = (int)want;
	}
	return len;
}

int ifb_session_times(const struct ifb_stream *s, uint16_t seq_lo, uint16_t version, uint8_t *buf,
		      size_t size, size_t want)
{
	/* cut to want as GET_GAPS is */
	int len = ifb_engine_times(&s->engine, seq_lo, version, buf, want < size ? want : size);

	if (len == -ENOSPC) {
		len = ifb_engine_times(&s->engine, seq_lo, version, buf, size);
		if (len > (int)want)
			len = (int)want;
	}
	return len;
}

int ifb_session_end_at(struct ifb_stream *s, uint64_t end)
{
	if (s->engine.run != IFB_STATE_STREAMING)
		return 0; /* already ending: the announced end changes nothing */
	return ifb_engine_end_at(&s->engine, end);
}

int ifb_session_pull(struct ifb_stream *s, uint32_t len)
{
	return ifb_engine_pull(&s->engine, len);
}

void ifb_session_abandoned(struct ifb_stream *s)
{
	ifb_session_stop(s, IFB_STOP_DISCONNECT);
	/* The endpoint stays enabled (an IIOD pipe closed, not the
	 * interface): a block still queued on it will never be read. */
	if (s->engine.usb.len)
		ifb_session_cancel_usb(s);
}

void ifb_session_status(const struct ifb_stream *s, char *buf, size_t len)
{
	const struct ifb_engine_counters *c = &s->engine.c;

	switch (s->engine.run) {
	case IFB_STATE_STREAMING:
		snprintf(buf, len, "%sStreaming (%s): %.1f MiB/s, %" PRIu64 " MiB sent, %" PRIu64
			 " gaps, %" PRIu64 " errors", s->logp, ifb_mode_name(s->mode), s->rate_mib_s,
			 c->bytes_sent >> 20, c->gaps_total, c->adc_errors + c->usb_errors);
		break;
	case IFB_STATE_STOPPING:
		snprintf(buf, len, "%sStopping stream (%s)", s->logp, ifb_mode_name(s->mode));
		break;
	default:
		snprintf(buf, len, "%sIdle (%s), %s", s->logp, ifb_mode_name(s->mode),
			 s->b->usb_enabled ? "waiting for the host's START" : "waiting for a USB host");
		break;
	}
}

void ifb_session_tick(struct ifb_stream *s, uint64_t now_usec)
{
	if (s->engine.run == IFB_STATE_STREAMING && now_usec > s->rate_t) {
		uint64_t bytes = s->engine.c.bytes_sent;

		s->rate_mib_s = (double)(bytes - s->rate_bytes) / 1048576.0 /
				((double)(now_usec - s->rate_t) / 1e6);
		s->rate_bytes = bytes;
		s->rate_t = now_usec;
	}
	ifb_session_check(s);
}

int ifb_session_init(struct ifb_stream *s)
{
	/* Placeholder engine until the first stream picks its backend. */
	return ifb_engine_init(&s->engine, s->nblocks, s->cfg.block_size, false,
			       s->iio.output && ifb_backend(s)->out_ops ? ifb_backend(s)->out_ops
								     : ifb_backend(s)->ops, s);
}
