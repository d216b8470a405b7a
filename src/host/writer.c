// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: the writer (struct ifbh_writer), which plays to an output
 * stream (protocol version 5): bulk OUT transfers in flight, filled by
 * ifbh_writer_write(); GET_STATS polled synchronously between writes (a
 * writer waits for free buffers anyway, and libusb completes transfers
 * while a control request waits), its gaps being the DAC's underflows;
 * the end: STOP with the stream offset where the data ends (the device
 * cannot see where a short packet ended its block: FunctionFS does not
 * report a DMABUF transfer's length), the last transfer (whole scans, a
 * zero-length packet when it is whole packets but not whole blocks),
 * every transfer back, GET_STATS until idle.
 *
 * A timed start (ifbh_writer_start_at, version 6) is a START whose data
 * stage carries the board time; the device holds its DAC until then. A
 * burst it could not start then is late: the device ends the stream
 * unplayed and GET_STATUS says -ETIME, which the writer reads when it
 * sees the stream idle (and cancels what it still has in flight: nothing
 * takes it any more).
 *
 * The life of a buffer: free -> filling (the one being written into,
 * w->cur) -> in flight (submitted) -> free again in ifbh_writer_done().
 * The USB side is a table of operations (writer.h): libusb's at the end
 * of this file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/gaps.h"
#include "host/internal.h"
#include "host/proto.h"
#include "host/writer.h"
#include "iio-ffs-bridge/protocol.h"

#define DEFAULT_TRANSFERS 8
#define DEFAULT_TRANSFER_SIZE (1u << 20)
#define MAX_TRANSFERS 1024
#define MAX_TRANSFER_SIZE (256u << 20)
#define STATS_PERIOD_S 0.5
#define END_POLL_MS 20      /* GET_STATS while the DAC plays the last blocks */
#define WAIT_SLICE_MS 100   /* longest single wait for events */
#define IDLE_WAIT_S 10.0    /* start: an earlier stream playing out */
#define CANCEL_TIMEOUT_S 5.0
#define END_STATS_TRIES 25  /* GET_STATS failing in a row: the end gives up */
#define USBFS_OVERHEAD 4096

struct ifbh_writer {
	struct ifbh_dev *dev;
	struct ifbh_ctx *ctx;
	const struct ifbh_wio_ops *ops;
	void *io;

	uint8_t *const *buf;
	bool *busy; /* in flight */
	unsigned int n, inflight;
	size_t size;
	int cur;     /* the buffer being filled, -1 none */
	size_t fill; /* its bytes */

	ifbh_gap_fn under_cb;
	void *under_user;
	ifbh_stats_fn stats_cb;
	void *stats_user;

	double stats_period, next_stats;
	int64_t at_ns; /* a timed start's board time; 0: none */
	bool began, last_submitted, stuck;

	struct ifbh_gaps gaps;
	size_t told, lost_told;
	struct ifbh_gaps_reply *scratch;

	struct ifbh_writer_status st;
};

/* --- pure rules ------------------------------------------------------------ */

size_t ifbh_writer_plan_size(uint32_t block_size, size_t asked)
{
	size_t blocks;

	if (!block_size)
		return 0;
	if (!asked) {
		/* the whole blocks closest to 1 MiB, at least one */
		blocks = (DEFAULT_TRANSFER_SIZE + block_size / 2) / block_size;
		return (blocks ? blocks : 1) * (size_t)block_size;
	}
	blocks = asked / block_size + (asked % block_size != 0);
	return blocks * (size_t)block_size;
}

bool ifbh_writer_needs_zlp(size_t len, unsigned int max_packet, uint32_t block_size)
{
	return len > 0 && max_packet > 0 && len % max_packet == 0 &&
	       (block_size == 0 || len % block_size != 0);
}

size_t ifbh_writer_whole_scans(size_t len, uint32_t scan_size)
{
	return scan_size ? len - len % scan_size : 0;
}

/* --- the writer ------------------------------------------------------------ */

/* The first error wins, except that a disconnect explains the errors before it. */
static void set_error(struct ifbh_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct ifbh_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (err == -ENODEV)
		w->dev->gone = true;
	if (w->st.error && !(err == -ENODEV && w->st.error != -ENODEV))
		return;
	w->st.error = err;
	va_start(ap, fmt);
	vsnprintf(w->dev->err, IFBH_ERR_LEN, fmt, ap);
	va_end(ap);
}

int ifbh_writer_new_io(struct ifbh_dev *dev, double stats_period, const struct ifbh_wio_ops *ops,
		       void *io, uint8_t *const *bufs, unsigned int n, size_t size,
		       struct ifbh_writer **ret_writer)
{
	struct ifbh_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return ifbh_fail(dev->err, -ENOMEM, "out of memory");
	w->busy = calloc(n ? n : 1, sizeof(*w->busy));
	w->scratch = malloc(sizeof(*w->scratch));
	if (!w->busy || !w->scratch) {
		free(w->busy);
		free(w->scratch);
		free(w);
		return ifbh_fail(dev->err, -ENOMEM, "out of memory");
	}
	w->dev = dev;
	w->ctx = dev->ctx;
	w->ops = ops;
	w->io = io;
	w->buf = bufs;
	w->n = n;
	w->size = size;
	w->cur = -1;
	w->stats_period = stats_period > 0 ? stats_period : STATS_PERIOD_S;
	ifbh_gaps_init(&w->gaps);
	*ret_writer = w;
	return 0;
}

void ifbh_writer_done(struct ifbh_writer *w, unsigned int i, int err, size_t actual)
{
	if (i >= w->n || !w->busy[i])
		return;
	w->busy[i] = false;
	w->inflight--;
	w->st.sent += actual;
	if (err == 0 || err == -ECANCELED)
		return;
	if (err == -ENODEV) {
		set_error(w, -ENODEV, "the device disconnected after %" PRIu64 " bytes", w->st.sent);
		return;
	}
	if (w->dev->gone)
		return; /* the usual noise of a disconnect */
	w->st.host_errors++;
	set_error(w, err, "bulk OUT transfer failed (%s) after %" PRIu64 " bytes", strerror(-err),
		  w->st.sent);
}

unsigned int ifbh_writer_transfers(const struct ifbh_writer *w)
{
	return w->n;
}

size_t ifbh_writer_transfer_size(const struct ifbh_writer *w)
{
	return w->size;
}

void ifbh_writer_set_underflow_cb(struct ifbh_writer *w, ifbh_gap_fn fn, void *user)
{
	w->under_cb = fn;
	w->under_user = user;
}

void ifbh_writer_set_stats_cb(struct ifbh_writer *w, ifbh_stats_fn fn, void *user)
{
	w->stats_cb = fn;
	w->stats_user = user;
}

const struct ifbh_writer_status *ifbh_writer_status(const struct ifbh_writer *w)
{
	return &w->st;
}

size_t ifbh_writer_underflow_offsets(const struct ifbh_writer *w, const uint64_t **ret_offsets)
{
	*ret_offsets = w->gaps.off;
	return w->gaps.n;
}

/* New underflows to the callback, oldest first. */
static void tell_underflows(struct ifbh_writer *w)
{
	for (; w->lost_told < w->gaps.nlost; w->lost_told++) {
		const struct ifbh_lost_gaps *l = &w->gaps.lost[w->lost_told];
		struct ifbh_gap g = { .offset = l->lo, .exact = false, .count = l->count,
				      .lo = l->lo, .hi = l->hi };

		if (w->under_cb)
			w->under_cb(w->under_user, &g);
	}
	for (; w->told < w->gaps.n; w->told++) {
		uint64_t off = w->gaps.off[w->told];
		struct ifbh_gap g = { .offset = off, .exact = true, .count = 1, .lo = off, .hi = off };

		if (w->under_cb)
			w->under_cb(w->under_user, &g);
	}
}

/* A timed stream seen idle: was it late (GET_STATUS: START, -ETIME)? */
static void timed_outcome(struct ifbh_writer *w)
{
	if (w->st.error || !w->ops->start_status || w->ops->start_status(w->io) != -ETIME)
		return;
	set_error(w, -ETIME,
		  "the burst was late: the device could not start it at board time %" PRId64
		  " ns (nothing had arrived by then, or it was already past); nothing of it was "
		  "played",
		  w->at_ns);
}

/* One GET_STATS and the GET_GAPS it calls for; *ret_state its state. */
static int poll_stats(struct ifbh_writer *w, unsigned int *ret_state)
{
	struct ifbh_stats st;
	char msg[256];
	uint64_t unlisted = 0;
	int ret;

	w->next_stats = ifbh_now() + w->stats_period;
	ret = w->ops->stats(w->io, &st);
	if (ret == -ENODEV) {
		set_error(w, -ENODEV, "the device disconnected");
		return ret;
	}
	if (ret) {
		if (!w->st.proto_errors++)
			ifbh_log(w->ctx, IFBH_LOG_WARNING, "%s", w->dev->err);
		return ret;
	}
	if (w->gaps.stream_id && st.stream_id != w->gaps.stream_id) {
		if (!w->st.proto_errors++)
			ifbh_log(w->ctx, IFBH_LOG_WARNING,
				 "GET_STATS names stream %" PRIu32 ", GET_GAPS %" PRIu32,
				 st.stream_id, w->gaps.stream_id);
		return -EBADMSG;
	}
	if (ifbh_gaps_count(&w->gaps) < st.gaps_total &&
	    ifbh_gaps_fetch(&w->gaps, st.gaps_total, w->ops->gaps, w->io, w->scratch, msg,
			    sizeof(msg)) < 0 &&
	    !w->st.proto_errors++)
		ifbh_log(w->ctx, IFBH_LOG_WARNING, "%s", msg);
	for (size_t i = 0; i < w->gaps.nlost; i++)
		unlisted += w->gaps.lost[i].count;
	w->st.stats = st;
	w->st.have_stats = true;
	w->st.underflows = ifbh_gaps_count(&w->gaps);
	if (st.starvations > w->st.underflows)
		w->st.underflows = st.starvations;
	w->st.underflows_unlisted = unlisted;
	/* a timed burst the device found late: it ended the stream */
	if (st.state == IFB_STATE_IDLE && w->st.started && w->at_ns)
		timed_outcome(w);
	/* the device stopped taking data without being asked (shutdown) */
	if (st.state == IFB_STATE_IDLE && w->st.started && !w->st.stop_sent)
		set_error(w, -ECONNRESET,
			  "the device ended output stream %" PRIu32 " on its own after %" PRIu64
			  " bytes",
			  st.stream_id, st.bytes_sent);
	tell_underflows(w);
	if (w->stats_cb)
		w->stats_cb(w->stats_user, &st);
	if (ret_state)
		*ret_state = st.state;
	return 0;
}

/* Events for up to timeout_ms; GET_STATS when due. */
static void run(struct ifbh_writer *w, int timeout_ms)
{
	int ret = w->ops->events(w->io, timeout_ms < 0 ? 0 : timeout_ms);

	if (ret && ret != -EINTR && ret != -ETIMEDOUT)
		set_error(w, ret, "libusb event handling failed: %s", strerror(-ret));
	/* (a timed burst after STOP too: it may still turn out late) */
	if (w->st.started && (!w->st.stop_sent || (w->at_ns && !w->st.error)) && !w->dev->gone &&
	    ifbh_now() >= w->next_stats)
		poll_stats(w, NULL);
}

/* Milliseconds left until deadline (0: none set, -1 returned), at most a slice. */
static int slice(double deadline)
{
	double left;

	if (!deadline)
		return WAIT_SLICE_MS;
	left = (deadline - ifbh_now()) * 1000;
	if (left <= 0)
		return 0;
	return left < WAIT_SLICE_MS ? (int)left + 1 : WAIT_SLICE_MS;
}

static double deadline_of(int timeout_ms)
{
	return timeout_ms >= 0 ? ifbh_now() + timeout_ms / 1000.0 : 0;
}

static bool expired(double deadline)
{
	return deadline && ifbh_now() >= deadline;
}

/* A device still busy with an earlier output stream: STOP it, wait idle. */
static int writer_device_idle(struct ifbh_writer *w)
{
	double until;
	unsigned int state = w->dev->info.state;
	int ret;

	if (state != IFB_STATE_IDLE) {
		ifbh_log(w->ctx, IFBH_LOG_WARNING,
			 "the device is %s an output stream already (an earlier host that did not "
			 "end it?): stopping it",
			 state == IFB_STATE_STREAMING ? "taking" : "playing out");
		if (state == IFB_STATE_STREAMING) {
			ret = w->ops->request(w->io, IFB_REQ_STOP);
			if (ret)
				return ret;
		}
		until = ifbh_now() + IDLE_WAIT_S;
		for (;;) {
			struct ifbh_stats st;

			ret = w->ops->stats(w->io, &st);
			if (ret)
				return ret;
			if (st.state == IFB_STATE_IDLE)
				break;
			if (ifbh_now() > until)
				return ifbh_fail(w->dev->err, -EBUSY,
						 "the device's earlier output stream did not end "
						 "within %.0f s of STOP",
						 IDLE_WAIT_S);
			w->ops->events(w->io, END_POLL_MS);
		}
	}
	return 0;
}

/* The device idle, then START (cyclic: a waveform of that many bytes). */
static int writer_begin(struct ifbh_writer *w, size_t cyclic)
{
	int ret = writer_device_idle(w);

	if (ret)
		return ret;
	w->began = true;
	ret = cyclic || w->at_ns ? w->ops->start_with(w->io, cyclic, (uint64_t)w->at_ns)
				 : w->ops->request(w->io, IFB_REQ_START);
	if (ret) {
		w->st.error = ret;
		w->st.ended = true;
		return ret;
	}
	w->st.started = true;
	w->st.t_start = ifbh_now();
	w->next_stats = w->st.t_start + w->stats_period;
	return 0;
}

int ifbh_writer_start(struct ifbh_writer *w)
{
	if (w->began)
		return ifbh_fail(w->dev->err, -EINVAL, "the writer was started already");
	return writer_begin(w, 0);
}

int ifbh_writer_start_at(struct ifbh_writer *w, int64_t board_ns)
{
	if (w->began)
		return ifbh_fail(w->dev->err, -EINVAL, "the writer was started already");
	if (board_ns <= 0)
		return ifbh_fail(w->dev->err, -EINVAL,
				 "board time %" PRId64 " ns: expected a time of the board's "
				 "CLOCK_MONOTONIC (ifbh_dev_clock)",
				 board_ns);
	w->at_ns = board_ns;
	return writer_begin(w, 0);
}


/* A free buffer, or -1. */
static int take_free(struct ifbh_writer *w)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (!w->busy[i] && (int)i != w->cur)
			return (int)i;
	return -1;
}

/* Submits the buffer being filled, its first len bytes. */
static void submit_cur(struct ifbh_writer *w, size_t len, bool zlp)
{
	unsigned int i = (unsigned int)w->cur;
	int ret;

	w->cur = -1;
	w->fill = 0;
	if (!len)
		return;
	ret = w->ops->submit(w->io, i, len, zlp);
	if (ret == -ENODEV) {
		set_error(w, ret, "the device disconnected");
		return;
	}
	if (ret) {
		w->st.host_errors++;
		set_error(w, ret, "submitting a bulk OUT transfer failed: %s", strerror(-ret));
		return;
	}
	w->busy[i] = true;
	w->inflight++;
	w->st.submitted += len;
}

ssize_t ifbh_writer_write(struct ifbh_writer *w, const void *buf, size_t len, int timeout_ms)
{
	double deadline = deadline_of(timeout_ms);
	const uint8_t *src = buf;
	size_t taken = 0;

	if (!w->st.started || w->last_submitted || w->st.ended)
		return ifbh_fail(w->dev->err, -EINVAL,
				 w->st.started ? "the writer has ended" : "the writer was not started");
	run(w, 0);
	while (taken < len && !w->st.error) {
		size_t k;

		if (w->cur < 0) {
			w->cur = take_free(w);
			w->fill = 0;
			if (w->cur < 0) {
				int ms = slice(deadline);

				if (timeout_ms == 0 || (deadline && ms == 0))
					break;
				run(w, ms);
				continue;
			}
		}
		k = len - taken < w->size - w->fill ? len - taken : w->size - w->fill;
		memcpy(w->buf[w->cur] + w->fill, src + taken, k);
		w->fill += k;
		taken += k;
		w->st.queued += k;
		if (w->fill == w->size)
			submit_cur(w, w->size, false); /* whole blocks: ends its own */
	}
	if (taken)
		return (ssize_t)taken;
	if (w->st.error)
		return w->st.error;
	return -EAGAIN;
}

ssize_t ifbh_writer_write_scans(struct ifbh_writer *w, const void *buf, size_t nscans,
				int timeout_ms)
{
	size_t scan = w->dev->info.scan_size;
	ssize_t n;

	if (!scan || w->st.queued % scan)
		return ifbh_fail(w->dev->err, -EINVAL,
				 "%" PRIu64 " bytes written so far: not whole %zu-byte scans",
				 w->st.queued, scan);
	if (nscans > SIZE_MAX / scan)
		return ifbh_fail(w->dev->err, -EINVAL, "%zu scans do not fit memory", nscans);
	/* transfers are whole blocks, blocks whole scans: a wait that ends
	 * the write comes between two transfers, i.e. two scans */
	n = ifbh_writer_write(w, buf, nscans * scan, timeout_ms);
	return n > 0 ? n / (ssize_t)scan : n;
}

int ifbh_writer_poll(struct ifbh_writer *w, int timeout_ms)
{
	if (!w->began)
		return ifbh_fail(w->dev->err, -EINVAL, "the writer was not started");
	if (!w->st.ended)
		run(w, timeout_ms);
	return w->st.error;
}

/* Waits for every transfer until deadline: true when all are back. */
static bool wait_transfers(struct ifbh_writer *w, double deadline)
{
	bool cancelled = false;

	while (w->inflight) {
		int ms = slice(deadline);

		/* a late burst's stream is over: nothing takes what is in flight */
		if (w->st.error == -ETIME && !cancelled) {
			cancelled = true;
			for (unsigned int i = 0; i < w->n; i++)
				if (w->busy[i])
					w->ops->cancel(w->io, i);
		}

		if (deadline && ms == 0)
			return false;
		run(w, ms);
	}
	return true;
}

int ifbh_writer_start_cyclic(struct ifbh_writer *w, const void *wave, size_t len, int timeout_ms)
{
	size_t scan = w->dev->info.scan_size, block = w->dev->info.block_size;
	uint64_t pool = (uint64_t)block * w->dev->info.block_count;
	double deadline = deadline_of(timeout_ms);
	ssize_t n;
	int ret;

	if (w->began)
		return ifbh_fail(w->dev->err, -EINVAL, "the writer was started already");
	if (!len || !scan || len % scan || len > pool)
		return ifbh_fail(w->dev->err, -EINVAL,
				 "a cyclic waveform of %zu bytes: expected whole %zu-byte scans, at "
				 "most the device's pool (%" PRIu64 " bytes)",
				 len, scan, pool);
	ret = writer_begin(w, len);
	if (ret)
		return ret;
	/* the waveform is the whole stream: its end is known (START said
	 * it), no STOP@; whole transfers, then the rest */
	for (size_t off = 0; off < len; off += (size_t)n) {
		n = ifbh_writer_write(w, (const uint8_t *)wave + off, len - off,
				      deadline ? slice(deadline) : -1);
		if (n == -EAGAIN && !expired(deadline))
			n = 0;
		else if (n < 0)
			return n == -EAGAIN ? ifbh_fail(w->dev->err, -ETIMEDOUT,
							 "the device did not take the waveform")
					    : (int)n;
	}
	w->last_submitted = true;
	if (w->cur >= 0)
		submit_cur(w, w->fill,
			   ifbh_writer_needs_zlp(w->fill, w->dev->desc.max_packet, (uint32_t)block));
	if (!wait_transfers(w, deadline))
		return ifbh_fail(w->dev->err, -ETIMEDOUT, "the device did not take the waveform");
	return w->st.error;
}

int ifbh_writer_end(struct ifbh_writer *w, int timeout_ms)
{
	double deadline = deadline_of(timeout_ms);
	unsigned int state = IFB_STATE_STOPPING, failed = 0;
	int ret;

	if (!w->began)
		return ifbh_fail(w->dev->err, -EINVAL, "the writer was not started");
	if (w->st.ended)
		return w->st.error;
	if (!w->last_submitted) {
		size_t whole = 0;

		w->last_submitted = true;
		if (w->cur >= 0) {
			whole = ifbh_writer_whole_scans(w->fill, w->dev->info.scan_size);
			w->st.dropped = w->fill - whole;
			if (w->st.dropped)
				ifbh_log(w->ctx, IFBH_LOG_WARNING,
					 "the stream ends in a partial scan: its last %" PRIu64
					 " bytes are not sent",
					 w->st.dropped);
		}
		/* The end first, then the block that holds it: the device
		 * learns from STOP where the data ends (protocol.h). */
		if (!w->st.error && !w->dev->gone) {
			struct ifbh_stats ack;

			w->st.stop_sent = true;
			ret = w->ops->stop_at(w->io, w->st.submitted + whole);
			if (ret)
				set_error(w, ret, "STOP failed: %s", strerror(-ret));
			/* One more request before the last block: the device
			 * answers it only once it has taken STOP's end (its ep0
			 * requests are handled in order), so the block cannot
			 * arrive first and count as a whole one (protocol.h). */
			else
				(void)w->ops->stats(w->io, &ack);
		}
		if (w->cur >= 0) {
			if (!w->st.error)
				submit_cur(w, whole,
					   ifbh_writer_needs_zlp(whole, w->dev->desc.max_packet,
								 w->dev->info.block_size));
			else
				submit_cur(w, 0, false);
		}
	}
	if (!wait_transfers(w, deadline))
		return ifbh_fail(w->dev->err, -ETIMEDOUT,
				 "%u transfers still in flight: the device takes no data", w->inflight);
	if (!w->st.stop_sent) {
		/* after an error: the device plays what it has whole */
		w->st.stop_sent = true;
		if (!w->dev->gone) {
			ret = w->ops->request(w->io, IFB_REQ_STOP);
			if (ret)
				set_error(w, ret, "STOP failed: %s", strerror(-ret));
		}
	}
	/* STOPPING until the DAC has played the last block, then IDLE */
	while (!w->dev->gone && !w->st.played) {
		ret = poll_stats(w, &state);
		if (ret == -ENODEV)
			break;
		if (ret == 0 && state == IFB_STATE_IDLE) {
			/* (a late burst's idle is not "played": poll_stats read why) */
			w->st.played = w->st.error != -ETIME;
			break;
		}
		failed = ret ? failed + 1 : 0;
		if (failed >= END_STATS_TRIES) {
			char why[IFBH_ERR_LEN];

			/* not knowing when the DAC is done, the end is no longer ours to wait */
			snprintf(why, sizeof(why), "%s", w->dev->err);
			set_error(w, ret, "GET_STATS failed %u times in a row after STOP: %.400s",
				  failed, why);
			break;
		}
		if (expired(deadline))
			return ifbh_fail(w->dev->err, -ETIMEDOUT,
					 "the device is still playing the stream (%s; %" PRIu64
					 " of %" PRIu64 " bytes given to the DAC)",
					 ifbh_state_name(state), w->st.stats.bytes_sent, w->st.sent);
		w->ops->events(w->io, END_POLL_MS);
	}
	w->st.t_end = ifbh_now();
	w->st.ended = true;
	if (w->st.error)
		return w->st.error;
	if (w->dev->gone)
		return -ENODEV;
	return 0;
}

void ifbh_writer_cancel(struct ifbh_writer *w)
{
	double until;

	if (!w->began || w->st.ended)
		return;
	w->last_submitted = true;
	w->cur = -1;
	for (unsigned int i = 0; i < w->n; i++)
		if (w->busy[i])
			w->ops->cancel(w->io, i);
	until = ifbh_now() + CANCEL_TIMEOUT_S;
	while (w->inflight && ifbh_now() < until)
		w->ops->events(w->io, WAIT_SLICE_MS);
	if (w->inflight) {
		ifbh_log(w->ctx, IFBH_LOG_WARNING, "%u transfers did not complete after cancellation",
			 w->inflight);
		w->stuck = true;
		set_error(w, -ETIMEDOUT, "USB transfers stuck");
	}
	if (!w->st.stop_sent && !w->dev->gone && w->st.started) {
		w->st.stop_sent = true;
		w->ops->request(w->io, IFB_REQ_STOP);
	}
	w->st.t_end = ifbh_now();
	w->st.ended = true;
}

void ifbh_writer_free(struct ifbh_writer *w)
{
	if (!w)
		return;
	ifbh_writer_cancel(w);
	if (!w->stuck && w->ops->free)
		w->ops->free(w->io);
	ifbh_gaps_free(&w->gaps);
	free(w->busy);
	free(w->scratch);
	free(w);
}

/* --- libusb ------------------------------------------------------------------ */

struct usb_io;
struct usb_slot {
	struct usb_io *u;
	unsigned int i;
};
struct usb_io {
	struct ifbh_dev *dev;
	struct ifbh_writer *w;
	struct libusb_transfer **xfer;
	uint8_t **bufs;
	struct usb_slot *slot;
	unsigned int n;
	size_t size;
};

static void LIBUSB_CALL out_cb(struct libusb_transfer *t)
{
	struct usb_slot *sl = t->user_data;
	int err;

	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		err = 0;
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		err = -ECANCELED;
		break;
	case LIBUSB_TRANSFER_NO_DEVICE:
		err = -ENODEV;
		break;
	case LIBUSB_TRANSFER_STALL:
		err = -EPIPE;
		break;
	case LIBUSB_TRANSFER_TIMED_OUT:
		err = -ETIMEDOUT;
		break;
	default:
		err = -EIO;
		break;
	}
	ifbh_writer_done(sl->u->w, sl->i, err, (size_t)t->actual_length);
}

static int usb_submit(void *io, unsigned int i, size_t len, bool zlp)
{
	struct usb_io *u = io;
	struct libusb_transfer *t = u->xfer[i];
	uint8_t keep = t->flags & LIBUSB_TRANSFER_FREE_BUFFER;
	int ret;

	libusb_fill_bulk_transfer(t, u->dev->h, u->dev->desc.ep_in, u->bufs[i], (int)len, out_cb,
				  &u->slot[i], 0);
	t->flags = keep | (zlp ? LIBUSB_TRANSFER_ADD_ZERO_PACKET : 0);
	ret = libusb_submit_transfer(t);
	return ret ? ifbh_errno_from_usb(ret) : 0;
}

static int usb_events(void *io, int timeout_ms)
{
	struct usb_io *u = io;
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int ret = libusb_handle_events_timeout_completed(u->dev->ctx->usb, &tv, NULL);

	return ret && ret != LIBUSB_ERROR_TIMEOUT ? ifbh_errno_from_usb(ret) : 0;
}

static void usb_cancel(void *io, unsigned int i)
{
	struct usb_io *u = io;

	libusb_cancel_transfer(u->xfer[i]);
}

static int usb_request(void *io, uint8_t req)
{
	struct usb_io *u = io;

	return req == IFB_REQ_START ? ifbh_dev_start(u->dev) : ifbh_dev_stop(u->dev);
}

static int usb_start_with(void *io, uint64_t cyclic, uint64_t at_ns)
{
	struct usb_io *u = io;

	return ifbh_dev_start_with(u->dev, cyclic, at_ns);
}

static int usb_start_status(void *io)
{
	struct usb_io *u = io;

	return ifbh_dev_start_status(u->dev);
}

static int usb_stop_at(void *io, uint64_t end)
{
	struct usb_io *u = io;

	return ifbh_dev_stop_at(u->dev, end);
}

static int usb_stats(void *io, struct ifbh_stats *st)
{
	struct usb_io *u = io;

	return ifbh_dev_get_stats(u->dev, st);
}

static int usb_gaps(void *io, uint16_t seq, uint8_t *buf, uint16_t len)
{
	struct usb_io *u = io;

	return ifbh_dev_gaps_get(u->dev, seq, buf, len);
}

static void usb_free(void *io)
{
	struct usb_io *u = io;

	for (unsigned int i = 0; i < u->n; i++) {
		struct libusb_transfer *t = u->xfer[i];

		if (!t)
			continue;
		if (!(t->flags & LIBUSB_TRANSFER_FREE_BUFFER) && u->bufs[i])
			libusb_dev_mem_free(u->dev->h, u->bufs[i], u->size);
		t->buffer = (t->flags & LIBUSB_TRANSFER_FREE_BUFFER) ? u->bufs[i] : NULL;
		libusb_free_transfer(t);
	}
	free(u->xfer);
	free(u->bufs);
	free(u->slot);
	free(u);
}

static const struct ifbh_wio_ops usb_ops = {
	.submit = usb_submit,
	.events = usb_events,
	.cancel = usb_cancel,
	.request = usb_request,
	.stop_at = usb_stop_at,
	.start_with = usb_start_with,
	.start_status = usb_start_status,
	.stats = usb_stats,
	.gaps = usb_gaps,
	.free = usb_free,
};

static int usb_io_new(struct ifbh_dev *dev, unsigned int n, size_t size, struct usb_io **ret)
{
	struct usb_io *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->dev = dev;
	u->size = size;
	u->xfer = calloc(n, sizeof(*u->xfer));
	u->bufs = calloc(n, sizeof(*u->bufs));
	u->slot = calloc(n, sizeof(*u->slot));
	if (!u->xfer || !u->bufs || !u->slot) {
		usb_free(u);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct libusb_transfer *t = libusb_alloc_transfer(0);

		if (!t) {
			usb_free(u);
			return -ENOMEM;
		}
		u->xfer[i] = t;
		u->n = i + 1;
		u->slot[i] = (struct usb_slot){ .u = u, .i = i };
		/* usbfs-mapped memory avoids a copy in the kernel when available */
		u->bufs[i] = libusb_dev_mem_alloc(dev->h, size);
		if (u->bufs[i]) {
			t->flags = 0;
		} else {
			u->bufs[i] = malloc(size);
			t->flags = LIBUSB_TRANSFER_FREE_BUFFER;
			if (!u->bufs[i]) {
				usb_free(u);
				return -ENOMEM;
			}
		}
	}
	*ret = u;
	return 0;
}

int ifbh_writer_new(struct ifbh_dev *dev, const struct ifbh_writer_opts *opts,
		    struct ifbh_writer **ret_writer)
{
	static const struct ifbh_writer_opts defaults;
	const struct ifbh_info *info = &dev->info;
	uint64_t limit = ifbh_usbfs_limit(), room;
	unsigned int n;
	size_t size;
	struct usb_io *u;
	int ret;

	if (dev->direction != IFBH_DIRECTION_OUT)
		return ifbh_fail(dev->err, -EINVAL,
				 "stream \"%s\" is an input stream (device to host): read it with "
				 "ifbh_stream_new(), it cannot be written to",
				 dev->stream_name);
	if (!opts)
		opts = &defaults;
	n = opts->transfers ? opts->transfers : DEFAULT_TRANSFERS;
	if (!info->block_size || !info->scan_size || info->block_size % info->scan_size)
		return ifbh_fail(dev->err, -EPROTO,
				 "the device's blocks (%" PRIu32 " bytes) are not whole %" PRIu32
				 "-byte scans",
				 info->block_size, info->scan_size);
	if (n > MAX_TRANSFERS || opts->transfer_size > MAX_TRANSFER_SIZE ||
	    opts->stats_period < 0)
		return ifbh_fail(dev->err, -EINVAL,
				 "writer options out of range: %u transfers (1..%d) of %zu bytes "
				 "(1..%u)",
				 n, MAX_TRANSFERS, opts->transfer_size, MAX_TRANSFER_SIZE);
	size = ifbh_writer_plan_size(info->block_size, opts->transfer_size);
	if (size > MAX_TRANSFER_SIZE)
		return ifbh_fail(dev->err, -EINVAL,
				 "the device's %" PRIu32 "-byte blocks make transfers of %zu bytes, "
				 "more than %u",
				 info->block_size, size, MAX_TRANSFER_SIZE);
	/* half of usbfs's limit, as a stream takes by default: the device's
	 * other streams fit beside */
	room = limit / 2;
	if (limit && n * (size + (uint64_t)USBFS_OVERHEAD) > room) {
		unsigned int fit = (unsigned int)(room / (size + USBFS_OVERHEAD));

		fit = fit < 2 ? 2 : fit;
		if (fit < n) {
			ifbh_log(dev->ctx, IFBH_LOG_INFO,
				 "usbfs allows %" PRIu64 " MiB in flight "
				 "(/sys/module/usbcore/parameters/usbfs_memory_mb; 0 lifts the limit): "
				 "using %u transfers of %zu bytes",
				 limit >> 20, fit, size);
			n = fit;
		}
	}
	ret = usb_io_new(dev, n, size, &u);
	if (ret)
		return ifbh_fail(dev->err, ret, "out of memory for %u transfers of %zu bytes", n,
				 size);
	ret = ifbh_writer_new_io(dev, opts->stats_period, &usb_ops, u, u->bufs, n, size,
				 ret_writer);
	if (ret) {
		usb_free(u);
		return ret;
	}
	u->w = *ret_writer;
	return 0;
}
