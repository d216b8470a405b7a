// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: one stream (struct ifbh_stream). Many libusb bulk transfers
 * in flight on the IN endpoint, GET_STATS polled asynchronously (so a
 * control request never waits behind the stream), STOP sent
 * asynchronously, and the end of a stream: the device's zero-length
 * packet, a disconnect, a cancel, or a STOP not answered by the end of
 * the stream within DRAIN_TIMEOUT_S.
 *
 * The life of a transfer: submitted -> completed (bulk_cb) -> callback
 * mode: data handed to the data callback, resubmitted at once; pull mode:
 * queued in the pullq untouched, resubmitted when the reader has taken
 * all of it (release_cb).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/gaps.h"
#include "host/internal.h"
#include "host/proto.h"
#include "host/pullq.h"
#include "iio-ffs-bridge/protocol.h"

#define DEFAULT_TRANSFERS 16
#define DEFAULT_TRANSFER_SIZE (1u << 20)
#define MAX_TRANSFERS 1024
#define MAX_TRANSFER_SIZE (256u << 20)
#define DRAIN_TIMEOUT_S 2.0  /* STOP -> end-of-stream packet */
#define CANCEL_TIMEOUT_S 5.0 /* cancel -> every transfer back */
#define STATS_PERIOD_CB_S 1.0
#define STATS_PERIOD_PULL_S 0.05
#define CLOCK_PERIOD_S 1.0 /* GET_CLOCK while streaming */
#define STALE_READ_SIZE (64 * 1024)
#define STALE_POLL_MS 100
#define USBFS_OVERHEAD 4096 /* per transfer, generously: struct urb, async, ... */

struct ifbh_stream {
	struct ifbh_dev *dev;
	struct ifbh_ctx *ctx;

	struct libusb_transfer **xfer;
	unsigned int nxfer, inflight;
	size_t xfer_size;
	struct libusb_transfer *stats_xfer, *stop_xfer, *gaps_xfer, *times_xfer, *clock_xfer;
	bool stats_pending, stop_pending, gaps_pending, times_pending, clock_pending;
	double next_clock;  /* the next GET_CLOCK round trip (version 6) */
	int64_t clock_t0;   /* host CLOCK_MONOTONIC ns when the pending one was sent */

	ifbh_data_fn data_cb;
	void *data_user;
	ifbh_gap_fn gap_cb;
	void *gap_user;
	ifbh_stats_fn stats_cb;
	void *stats_user;

	double stats_period, next_stats, t_stop, t_cancel;
	bool began, cancelling;
	uint64_t stale;

	struct ifbh_gaps gaps;
	size_t gaps_told, lost_told; /* handed to gap_cb so far */
	/*
	 * Protocol version 2: a GET_STATS reply takes effect (settled, the
	 * stats callback) once GET_GAPS has fetched every gap it counts.
	 */
	bool use_gaps;
	bool have_pend;
	struct ifbh_stats pend;
	struct ifbh_gaps_reply *gaps_reply;
	uint64_t settled;            /* pull mode: bytes below this are settled */
	/*
	 * Protocol version 6: a GET_STATS reply whose gaps are in the book
	 * takes effect once GET_TIMES has fetched the marks up to its
	 * bytes_sent too (their gaps are all known by then), so that what a
	 * reader is handed has its board time.
	 */
	bool use_times;
	bool have_tpend;
	struct ifbh_stats tpend;
	struct ifbh_times_reply *times_reply;
	struct ifbh_timebook times;
	int ts_off;  /* the timestamp channel's offset in a scan; -1 none */
	bool ts_be, ts_oom;
	struct ifbh_pullq q;

	struct ifbh_stream_status st;
};

/* The first error wins, except that a disconnect explains the errors before it. */
static void set_error(struct ifbh_stream *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct ifbh_stream *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (err == -ENODEV)
		s->dev->gone = true;
	if (s->st.error && !(err == -ENODEV && s->st.error != -ENODEV))
		return;
	s->st.error = err;
	va_start(ap, fmt);
	vsnprintf(s->dev->err, IFBH_ERR_LEN, fmt, ap);
	va_end(ap);
}

uint64_t ifbh_usbfs_limit(void)
{
	FILE *f = fopen("/sys/module/usbcore/parameters/usbfs_memory_mb", "re");
	unsigned long long mb = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mb) != 1)
		mb = 0;
	fclose(f);
	return (uint64_t)mb << 20;
}

static void LIBUSB_CALL bulk_cb(struct libusb_transfer *t);

static int alloc_transfers(struct ifbh_stream *s, unsigned int want, uint64_t size, bool asked)
{
	struct ifbh_dev *dev = s->dev;
	uint64_t mp = dev->desc.max_packet ? dev->desc.max_packet : 512;
	uint64_t limit = ifbh_usbfs_limit();
	/*
	 * Fit under usbfs's memory limit (16 MiB by default), which every
	 * program's transfers share: with the default options, half of it,
	 * so that a device's second stream (read by another program, or
	 * another stream here) fits beside; asked for more, all but a
	 * sixteenth, the room for control transfers.
	 */
	uint64_t room = asked ? limit - limit / 16 : limit / 2;

	size = (size + mp - 1) / mp * mp;
	if (limit && want * (size + USBFS_OVERHEAD) > room) {
		unsigned int n = (unsigned int)(room / (size + USBFS_OVERHEAD));

		if (n < 4) {
			n = want < 4 ? want : 4;
			size = (room / n - USBFS_OVERHEAD) / mp * mp;
			if (size < mp)
				size = mp;
		}
		if (n < want)
			want = n;
		ifbh_log(s->ctx, IFBH_LOG_INFO,
			 "usbfs allows %" PRIu64 " MiB in flight "
			 "(/sys/module/usbcore/parameters/usbfs_memory_mb; 0 lifts the limit): "
			 "using %u transfers of %" PRIu64 " bytes",
			 limit >> 20, want, size);
	}
	s->xfer_size = (size_t)size;
	s->xfer = calloc(want, sizeof(*s->xfer));
	if (!s->xfer)
		return -ENOMEM;
	for (unsigned int i = 0; i < want; i++) {
		struct libusb_transfer *t = libusb_alloc_transfer(0);
		uint8_t *buf;

		if (!t)
			return -ENOMEM;
		/* usbfs-mapped memory avoids a copy in the kernel when available */
		buf = libusb_dev_mem_alloc(dev->h, (size_t)size);
		if (buf) {
			t->flags = 0;
		} else {
			buf = malloc((size_t)size);
			if (!buf) {
				libusb_free_transfer(t);
				return -ENOMEM;
			}
			t->flags = LIBUSB_TRANSFER_FREE_BUFFER;
		}
		libusb_fill_bulk_transfer(t, dev->h, dev->desc.ep_in, buf, (int)size, bulk_cb, s, 0);
		s->xfer[s->nxfer++] = t;
	}
	s->stats_xfer = libusb_alloc_transfer(0);
	s->stop_xfer = libusb_alloc_transfer(0);
	s->gaps_xfer = libusb_alloc_transfer(0);
	s->times_xfer = libusb_alloc_transfer(0);
	s->clock_xfer = libusb_alloc_transfer(0);
	s->gaps_reply = malloc(sizeof(*s->gaps_reply));
	s->times_reply = malloc(sizeof(*s->times_reply));
	if (!s->stats_xfer || !s->stop_xfer || !s->gaps_xfer || !s->gaps_reply || !s->times_xfer ||
	    !s->times_reply || !s->clock_xfer)
		return -ENOMEM;
	s->clock_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + sizeof(struct ifb_clock));
	s->clock_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	if (!s->clock_xfer->buffer)
		return -ENOMEM;
	s->gaps_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + IFB_MAX_REPLY);
	s->gaps_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	s->times_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + IFB_MAX_REPLY);
	s->times_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	if (!s->gaps_xfer->buffer || !s->times_xfer->buffer)
		return -ENOMEM;
	s->stats_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + sizeof(struct ifb_stats));
	s->stats_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	s->stop_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE);
	s->stop_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	if (!s->stats_xfer->buffer || !s->stop_xfer->buffer)
		return -ENOMEM;
	return 0;
}

static void free_transfers(struct ifbh_stream *s)
{
	for (unsigned int i = 0; i < s->nxfer; i++) {
		struct libusb_transfer *t = s->xfer[i];

		if (!(t->flags & LIBUSB_TRANSFER_FREE_BUFFER)) {
			libusb_dev_mem_free(s->dev->h, t->buffer, (size_t)t->length);
			t->buffer = NULL;
		}
		libusb_free_transfer(t);
	}
	free(s->xfer);
	libusb_free_transfer(s->stats_xfer);
	libusb_free_transfer(s->stop_xfer);
	libusb_free_transfer(s->gaps_xfer);
	libusb_free_transfer(s->times_xfer);
	libusb_free_transfer(s->clock_xfer);
	free(s->gaps_reply);
	free(s->times_reply);
}

static void release_cb(void *user, void *token);

/* GET_CLOCK round trips at START: the tightest is kept. */
#define CLOCK_ROUNDS 8

int ifbh_stream_new(struct ifbh_dev *dev, const struct ifbh_stream_opts *opts,
		    struct ifbh_stream **ret_stream)
{
	static const struct ifbh_stream_opts defaults;
	struct ifbh_stream *s;
	unsigned int n;
	uint64_t size;
	int ret;

	if (dev->direction == IFBH_DIRECTION_OUT)
		return ifbh_fail(dev->err, -EINVAL,
				 "stream \"%s\" is an output stream (host to device): write to it "
				 "with ifbh_writer_new(), it cannot be read",
				 dev->stream_name);
	if (!opts)
		opts = &defaults;
	n = opts->transfers ? opts->transfers : DEFAULT_TRANSFERS;
	size = opts->transfer_size ? opts->transfer_size : DEFAULT_TRANSFER_SIZE;
	if (n > MAX_TRANSFERS || size > MAX_TRANSFER_SIZE || opts->stats_period < 0)
		return ifbh_fail(dev->err, -EINVAL,
				 "stream options out of range: %u transfers (1..%d) of %" PRIu64
				 " bytes (1..%u)",
				 n, MAX_TRANSFERS, size, MAX_TRANSFER_SIZE);
	s = calloc(1, sizeof(*s));
	if (!s)
		return ifbh_fail(dev->err, -ENOMEM, "out of memory");
	s->dev = dev;
	s->ctx = dev->ctx;
	s->stats_period = opts->stats_period;
	s->use_gaps = dev->info.version >= 2;
	s->use_times = dev->info.version >= 6;
	ifbh_gaps_init(&s->gaps);
	ret = ifbh_info_timestamp_channel(&dev->info);
	s->ts_off = ret >= 0 ? (int)dev->info.ch[ret].offset : -1;
	s->ts_be = ret >= 0 && dev->info.ch[ret].is_be;
	ifbh_timebook_init(&s->times, dev->info.scan_size, (double)dev->info.sample_rate_mhz / 1000.0,
			   s->use_times && s->ts_off >= 0);
	ret = alloc_transfers(s, n, size, opts->transfers || opts->transfer_size);
	if (ret == 0)
		ret = ifbh_pullq_init(&s->q, s->nxfer, release_cb, s);
	if (ret) {
		ifbh_stream_free(s);
		return ifbh_fail(dev->err, ret, "out of memory for %u transfers of %" PRIu64 " bytes",
				 n, size);
	}
	*ret_stream = s;
	return 0;
}

unsigned int ifbh_stream_transfers(const struct ifbh_stream *s)
{
	return s->nxfer;
}

size_t ifbh_stream_transfer_size(const struct ifbh_stream *s)
{
	return s->xfer_size;
}

void ifbh_stream_set_data_cb(struct ifbh_stream *s, ifbh_data_fn fn, void *user)
{
	s->data_cb = fn;
	s->data_user = user;
}

void ifbh_stream_set_gap_cb(struct ifbh_stream *s, ifbh_gap_fn fn, void *user)
{
	s->gap_cb = fn;
	s->gap_user = user;
}

void ifbh_stream_set_stats_cb(struct ifbh_stream *s, ifbh_stats_fn fn, void *user)
{
	s->stats_cb = fn;
	s->stats_user = user;
}

const struct ifbh_stream_status *ifbh_stream_status(const struct ifbh_stream *s)
{
	return &s->st;
}

uint64_t ifbh_stream_stale_bytes(const struct ifbh_stream *s)
{
	return s->stale;
}

size_t ifbh_stream_gap_offsets(const struct ifbh_stream *s, const uint64_t **ret_offsets)
{
	*ret_offsets = s->gaps.off;
	return s->gaps.n;
}

size_t ifbh_stream_unlisted_gaps(const struct ifbh_stream *s)
{
	return s->gaps.nlost;
}

int ifbh_stream_unlisted_gap(const struct ifbh_stream *s, size_t i, struct ifbh_gap *ret_gap)
{
	const struct ifbh_lost_gaps *l;

	if (i >= s->gaps.nlost)
		return -ERANGE;
	l = &s->gaps.lost[i];
	*ret_gap = (struct ifbh_gap){
		.offset = l->lo, .exact = false, .count = l->count, .lo = l->lo, .hi = l->hi
	};
	return 0;
}

/* --- gaps and statistics ------------------------------------------------ */

static void tell_gaps(struct ifbh_stream *s)
{
	for (; s->lost_told < s->gaps.nlost; s->lost_told++) {
		const struct ifbh_lost_gaps *l = &s->gaps.lost[s->lost_told];
		struct ifbh_gap g = { .offset = l->lo, .exact = false, .count = l->count,
				      .lo = l->lo, .hi = l->hi };

		if (s->gap_cb)
			s->gap_cb(s->gap_user, &g);
	}
	for (; s->gaps_told < s->gaps.n; s->gaps_told++) {
		uint64_t off = s->gaps.off[s->gaps_told];
		struct ifbh_gap g = { .offset = off, .exact = true, .count = 1, .lo = off, .hi = off };

		if (s->gap_cb)
			s->gap_cb(s->gap_user, &g);
	}
}

/* A GET_STATS reply whose gaps and marks are all in the books takes effect. */
static void settle_stats(struct ifbh_stream *s, const struct ifbh_stats *st)
{
	uint64_t unlisted = 0;

	for (size_t i = 0; i < s->gaps.nlost; i++)
		unlisted += s->gaps.lost[i].count;
	s->st.gaps = ifbh_gaps_count(&s->gaps);
	s->st.gaps_unlisted = unlisted;
	s->st.stats = *st;
	s->st.have_stats = true;
	if (st->bytes_sent > s->settled)
		s->settled = st->bytes_sent;
	tell_gaps(s);
	if (s->stats_cb)
		s->stats_cb(s->stats_user, st);
}

static void request_times(struct ifbh_stream *s);

/* The marks up to the final GET_STATS, synchronously: from finish() only,
 * never from a libusb callback. */
static void final_times(struct ifbh_stream *s)
{
	char msg[256];

	if (ifbh_timebook_fetch(&s->times, s->tpend.bytes_sent, &s->gaps, ifbh_dev_times_get, s->dev,
				false, s->times_reply, msg, sizeof(msg)) < 0 &&
	    !s->st.proto_errors++)
		ifbh_log(s->ctx, IFBH_LOG_WARNING, "final %s", msg);
}

static void apply_stats(struct ifbh_stream *s, const struct ifbh_stats *st)
{
	/* cancelling: this may be a libusb callback, where no synchronous
	 * request may be sent; finish() fetches the last marks */
	if (!s->use_times || s->dev->gone || s->cancelling) {
		settle_stats(s, st);
		return;
	}
	/* a later reply while marks are being fetched: it settles instead */
	s->tpend = *st;
	s->have_tpend = true;
	request_times(s);
}

/* Take a GET_TIMES reply; true when more marks are to be fetched now. */
static bool learn_times(struct ifbh_stream *s, const uint8_t *buf, size_t len)
{
	char msg[256];
	int ret;

	if (ifbh_parse_times(buf, len, s->times_reply, msg, sizeof(msg))) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "%s", msg);
		return false;
	}
	ret = ifbh_timebook_feed(&s->times, s->times_reply, s->tpend.bytes_sent, &s->gaps);
	if (ret < 0 && !s->st.proto_errors++)
		ifbh_log(s->ctx, IFBH_LOG_WARNING,
			 "GET_TIMES contradicts an earlier reply (stream %" PRIu32 ", mark %" PRIu64
			 "): %s",
			 s->times_reply->stream_id, s->times.seq, strerror(-ret));
	return ret == 1;
}

/* A GET_CLOCK round trip while streaming: one more point of the estimate
 * (the callback's own latency only lengthens the trip: a looser bound,
 * never a wrong one). */
static void LIBUSB_CALL clock_done(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;
	struct ifbh_clock_reply c;
	int64_t t1 = ifbh_now_ns();
	char msg[256];

	s->clock_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_error(s, -ENODEV, "the device disconnected");
		return;
	}
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		if (!s->cancelling)
			s->st.proto_errors++;
		return;
	}
	if (ifbh_parse_clock(libusb_control_transfer_get_data(t), (size_t)t->actual_length, &c, msg,
			     sizeof(msg))) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "%s", msg);
		return;
	}
	ifbh_clock_est_add(&s->dev->clk, s->clock_t0, t1, &c);
}

static void LIBUSB_CALL times_done(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;

	s->times_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_error(s, -ENODEV, "the device disconnected");
		return;
	}
	if (t->status == LIBUSB_TRANSFER_COMPLETED &&
	    learn_times(s, libusb_control_transfer_get_data(t), (size_t)t->actual_length)) {
		request_times(s);
		if (s->times_pending)
			return;
	} else if (t->status != LIBUSB_TRANSFER_COMPLETED && !s->cancelling) {
		s->st.proto_errors++;
	}
	/* the marks are in, or cannot be had: the stats take effect anyway */
	if (s->have_tpend) {
		s->have_tpend = false;
		settle_stats(s, &s->tpend);
	}
}

static void request_gaps(struct ifbh_stream *s);

static void learn_stats(struct ifbh_stream *s, const struct ifbh_stats *st)
{
	if (s->use_gaps) {
		if (s->gaps.stream_id && st->stream_id != s->gaps.stream_id) {
			if (!s->st.proto_errors++)
				ifbh_log(s->ctx, IFBH_LOG_WARNING,
					 "GET_STATS names stream %" PRIu32 ", GET_GAPS %" PRIu32,
					 st->stream_id, s->gaps.stream_id);
			return;
		}
		s->pend = *st;
		s->have_pend = true;
		if (ifbh_gaps_count(&s->gaps) >= st->gaps_total) {
			s->have_pend = false;
			apply_stats(s, st);
		} else {
			request_gaps(s);
		}
		return;
	}
	if (ifbh_gaps_merge(&s->gaps, st) < 0) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "GET_STATS contradicts an earlier reply (stream %" PRIu32
				 " vs %" PRIu32 ", gaps %" PRIu64 " vs %" PRIu64 ")",
				 st->stream_id, s->gaps.stream_id, st->gaps_total, s->gaps.total);
		return;
	}
	apply_stats(s, st);
}

/* A GET_GAPS reply: into the book; more, or the pending stats take effect. */
static void learn_gaps(struct ifbh_stream *s, const uint8_t *buf, size_t len, bool *ret_more)
{
	char msg[256];

	*ret_more = false;
	if (ifbh_parse_gaps(buf, len, s->gaps_reply, msg, sizeof(msg))) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "%s", msg);
		return;
	}
	if (ifbh_gaps_add_seq(&s->gaps, s->gaps_reply) < 0) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "GET_GAPS contradicts an earlier reply (stream %" PRIu32
				 " vs %" PRIu32 ")",
				 s->gaps_reply->stream_id, s->gaps.stream_id);
		return;
	}
	if (!s->have_pend)
		return;
	if (ifbh_gaps_count(&s->gaps) < s->pend.gaps_total && s->gaps_reply->count) {
		*ret_more = true;
		return;
	}
	s->have_pend = false;
	apply_stats(s, &s->pend);
}

static void LIBUSB_CALL stats_done(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;
	struct ifbh_stats st;
	char msg[256];

	s->stats_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_error(s, -ENODEV, "the device disconnected");
		return;
	}
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		s->st.proto_errors++;
		return;
	}
	if (ifbh_parse_stats(libusb_control_transfer_get_data(t), (size_t)t->actual_length, &st, msg,
			     sizeof(msg))) {
		if (!s->st.proto_errors++)
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "%s", msg);
		return;
	}
	/*
	 * Idle without our STOP: the device ended the stream (an error, a
	 * buffer disabled under it, a shutdown). Where the link works an
	 * end-of-stream packet comes too, but this is what a host can always
	 * read (issue 9, finding 3).
	 */
	if (st.state == IFB_STATE_IDLE && !s->st.stop_sent && !s->st.eos)
		set_error(s, -ECONNRESET,
			  "the device ended stream %" PRIu32 " on its own after %" PRIu64 " bytes",
			  st.stream_id, s->st.received);
	learn_stats(s, &st);
}

static void LIBUSB_CALL stop_done(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;

	s->stop_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE)
		set_error(s, -ENODEV, "the device disconnected");
	else if (t->status != LIBUSB_TRANSFER_COMPLETED)
		ifbh_log(s->ctx, IFBH_LOG_WARNING,
			 "STOP request failed (transfer status %d): waiting for the stream to end "
			 "anyway",
			 t->status);
}

static void submit_ctrl_value(struct ifbh_stream *s, struct libusb_transfer *t, uint8_t req,
			      bool in, uint16_t value, uint16_t len, libusb_transfer_cb_fn cb,
			      bool *pending)
{
	int ret;

	libusb_fill_control_setup(t->buffer, ifbh_req_type(in), req, value, s->dev->desc.iface,
				  len);
	libusb_fill_control_transfer(t, s->dev->h, t->buffer, cb, s, IFBH_CTRL_TIMEOUT_MS);
	ret = libusb_submit_transfer(t);
	if (ret == 0)
		*pending = true;
	else if (ret == LIBUSB_ERROR_NO_DEVICE)
		set_error(s, -ENODEV, "the device disconnected");
	else
		s->st.proto_errors++;
}

static void submit_ctrl(struct ifbh_stream *s, struct libusb_transfer *t, uint8_t req, bool in,
			uint16_t len, libusb_transfer_cb_fn cb, bool *pending)
{
	submit_ctrl_value(s, t, req, in, 0, len, cb, pending);
}

static void LIBUSB_CALL gaps_done(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;
	bool more;

	s->gaps_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_error(s, -ENODEV, "the device disconnected");
		return;
	}
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		s->st.proto_errors++;
		return;
	}
	learn_gaps(s, libusb_control_transfer_get_data(t), (size_t)t->actual_length, &more);
	if (more)
		request_gaps(s);
}

/* GET_TIMES from the first mark the book does not hold (asynchronous). */
static void request_times(struct ifbh_stream *s)
{
	if (s->times_pending || s->cancelling || s->dev->gone)
		return;
	submit_ctrl_value(s, s->times_xfer, IFB_REQ_GET_TIMES, true, (uint16_t)s->times.seq,
			  IFB_MAX_REPLY, times_done, &s->times_pending);
	if (!s->times_pending && s->have_tpend) {
		s->have_tpend = false;
		settle_stats(s, &s->tpend);
	}
}

/* GET_GAPS from the first gap the book does not hold (asynchronous). */
static void request_gaps(struct ifbh_stream *s)
{
	if (s->gaps_pending || s->cancelling || s->dev->gone)
		return;
	submit_ctrl_value(s, s->gaps_xfer, IFB_REQ_GET_GAPS, true,
			  (uint16_t)ifbh_gaps_count(&s->gaps), IFB_MAX_REPLY, gaps_done,
			  &s->gaps_pending);
}

/* --- the stream --------------------------------------------------------- */

static void cancel_all(struct ifbh_stream *s)
{
	if (s->cancelling)
		return;
	s->cancelling = true;
	for (unsigned int i = 0; i < s->nxfer; i++)
		libusb_cancel_transfer(s->xfer[i]); /* not-pending ones just fail */
	if (s->stats_pending)
		libusb_cancel_transfer(s->stats_xfer);
	if (s->gaps_pending)
		libusb_cancel_transfer(s->gaps_xfer);
	if (s->times_pending)
		libusb_cancel_transfer(s->times_xfer);
	if (s->clock_pending)
		libusb_cancel_transfer(s->clock_xfer);
}

int ifbh_stream_stop(struct ifbh_stream *s)
{
	if (s->st.stop_sent || !s->began)
		return 0;
	s->st.stop_sent = true;
	s->t_stop = ifbh_now();
	if (s->dev->gone)
		return 0;
	submit_ctrl(s, s->stop_xfer, IFB_REQ_STOP, false, 0, stop_done, &s->stop_pending);
	return 0;
}

void ifbh_stream_cancel(struct ifbh_stream *s)
{
	if (!s->st.t_end)
		s->st.t_end = ifbh_now();
	cancel_all(s);
}

static void resubmit(struct ifbh_stream *s, struct libusb_transfer *t)
{
	int ret;

	if (s->cancelling || s->st.eos || s->st.ended)
		return;
	ret = libusb_submit_transfer(t);
	if (ret == 0) {
		s->inflight++;
	} else if (ret == LIBUSB_ERROR_NO_DEVICE) {
		set_error(s, -ENODEV, "the device disconnected during the capture");
	} else {
		s->st.host_errors++;
		set_error(s, ifbh_errno_from_usb(ret), "resubmitting a bulk transfer failed: %s",
			  libusb_strerror(ret));
		ifbh_stream_stop(s);
	}
}

static void release_cb(void *user, void *token)
{
	resubmit(user, token);
}

/* The device's timestamp of a transfer's first whole scan, for the model. */
static void take_timestamp(struct ifbh_stream *s, const uint8_t *buf, size_t len, uint64_t offset)
{
	uint64_t first;
	int64_t ns;

	if (!ifbh_ts_first(buf, len, offset, s->dev->info.scan_size, (uint32_t)s->ts_off, s->ts_be,
			   &first, &ns))
		return;
	if (ifbh_timebook_timestamp(&s->times, first, ns, &s->gaps) < 0 && !s->ts_oom) {
		s->ts_oom = true;
		ifbh_log(s->ctx, IFBH_LOG_WARNING, "out of memory for the time model's timestamps");
	}
}

static void LIBUSB_CALL bulk_cb(struct libusb_transfer *t)
{
	struct ifbh_stream *s = t->user_data;
	size_t len = (size_t)t->actual_length;
	uint64_t offset;

	s->inflight--;
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		set_error(s, -ENODEV, "the device disconnected during the capture");
		return;
	case LIBUSB_TRANSFER_TIMED_OUT:
		break; /* no timeout is set; keep what arrived */
	default:
		/* stall, error, overflow: the stream is no longer contiguous */
		if (s->dev->gone || s->cancelling)
			return; /* the usual noise of a disconnect */
		s->st.host_errors++;
		set_error(s, -EIO, "bulk transfer failed (status %d) after %" PRIu64 " bytes",
			  t->status, s->st.received);
		ifbh_stream_stop(s);
		return;
	}
	if (s->st.eos)
		return;
	if (len == 0 && t->status == LIBUSB_TRANSFER_COMPLETED) {
		/* zero-length packet: the end of the stream */
		s->st.eos = true;
		s->st.t_end = ifbh_now();
		if (!s->st.stop_sent)
			set_error(s, -ECONNRESET,
				  "the device ended the stream on its own after %" PRIu64 " bytes",
				  s->st.received);
		return;
	}
	/*
	 * Blocks are whole packets, so a short transfer only comes from the
	 * end-of-stream ZLP ending a partly filled transfer.
	 */
	if (len && s->st.stop_sent && t->actual_length < t->length) {
		s->st.eos = true;
		s->st.t_end = ifbh_now();
	}
	offset = s->st.received;
	s->st.received += len;
	if (s->ts_off >= 0 && s->use_times)
		take_timestamp(s, t->buffer, len, offset);
	if (!s->data_cb) {
		if (len && ifbh_pullq_push(&s->q, t->buffer, len, offset, t) == 0)
			return; /* resubmitted once read */
	} else if (len) {
		int ret = s->data_cb(s->data_user, t->buffer, len, offset);

		if (ret < 0) {
			set_error(s, ret, "the data callback failed: %s", strerror(-ret));
			ifbh_stream_stop(s);
		}
	}
	resubmit(s, t);
}

/* Before START: no stale data (or the end-of-stream ZLP of an earlier,
 * interrupted stream) may wait in the endpoint, and the device is idle. */
static int drain_before_start(struct ifbh_stream *s)
{
	struct ifbh_dev *dev = s->dev;
	int got, ret;
	uint8_t *buf;
	double deadline;

	if (dev->info.state != IFB_STATE_IDLE) {
		ifbh_log(s->ctx, IFBH_LOG_WARNING,
			 "the device is %s a stream already (an earlier capture that did not end "
			 "cleanly?): stopping it",
			 dev->info.state == IFB_STATE_STREAMING ? "sending" : "ending");
		ret = ifbh_dev_stop(dev);
		if (ret)
			return ret;
	}
	buf = malloc(STALE_READ_SIZE);
	if (!buf)
		return ifbh_fail(dev->err, -ENOMEM, "out of memory");
	deadline = ifbh_now() + DRAIN_TIMEOUT_S;
	for (;;) {
		got = 0;
		ret = libusb_bulk_transfer(dev->h, dev->desc.ep_in, buf, STALE_READ_SIZE, &got,
					   STALE_POLL_MS);
		s->stale += (uint64_t)got;
		if (ret == LIBUSB_ERROR_TIMEOUT && got == 0)
			break;
		if (ret && ret != LIBUSB_ERROR_TIMEOUT) {
			free(buf);
			if (ret == LIBUSB_ERROR_NO_DEVICE)
				dev->gone = true;
			return ifbh_fail(dev->err, ifbh_errno_from_usb(ret),
					 "reading the endpoint before START failed: %s",
					 libusb_strerror(ret));
		}
		if (ifbh_now() > deadline) {
			free(buf);
			return ifbh_fail(dev->err, -EPROTO,
					 "the device keeps sending data although it was asked to stop");
		}
	}
	free(buf);
	if (s->stale)
		ifbh_log(s->ctx, IFBH_LOG_INFO, "discarded %" PRIu64 " stale bytes left in the endpoint",
			 s->stale);
	return 0;
}

/*
 * Cancel what was submitted and wait for it (a start that failed): the
 * stream has ended, with no STOP or final GET_STATS to send.
 */
static void unwind_start(struct ifbh_stream *s)
{
	cancel_all(s);
	while (s->inflight)
		libusb_handle_events(s->ctx->usb);
	s->st.ended = true;
	s->settled = UINT64_MAX;
}

int ifbh_stream_start(struct ifbh_stream *s)
{
	int ret;

	if (s->began)
		return ifbh_fail(s->dev->err, -EINVAL, "the stream was started already");
	if (!s->stats_period)
		s->stats_period = s->data_cb ? STATS_PERIOD_CB_S : STATS_PERIOD_PULL_S;
	ret = drain_before_start(s);
	if (ret)
		return ret;
	s->began = true;
	for (unsigned int i = 0; i < s->nxfer; i++) {
		ret = libusb_submit_transfer(s->xfer[i]);
		if (ret == LIBUSB_ERROR_NO_MEM && i >= 2) {
			/* usbfs memory shared with other programs: go on with fewer */
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "usbfs memory limit reached: %u of %u transfers in flight", i,
				 s->nxfer);
			break;
		}
		if (ret == LIBUSB_ERROR_NO_MEM) {
			/* Linux caps what all usbfs users have in flight together
			 * (usbcore's usbfs_memory_mb, 16 MiB by default): another
			 * capture, of this device's other stream say, may hold it. */
			unwind_start(s);
			return ifbh_fail(s->dev->err, -ENOMEM,
					 "submitting bulk transfers failed: the kernel's usbfs memory "
					 "limit (/sys/module/usbcore/parameters/usbfs_memory_mb, shared by "
					 "every program reading USB devices) is taken by other transfers "
					 "in flight; ask for fewer or smaller transfers, or raise the limit");
		}
		if (ret) {
			unwind_start(s);
			return ifbh_fail(s->dev->err, ifbh_errno_from_usb(ret),
					 "submitting bulk transfers failed: %s", libusb_strerror(ret));
		}
		s->inflight++;
	}
	if (s->use_times) {
		/* the host's clock against the board's, before the data flows
		 * (the tightest of a few round trips) */
		ret = ifbh_dev_clock_sync(s->dev, CLOCK_ROUNDS);
		if (ret < 0 && ret != -ENODEV)
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "GET_CLOCK failed (%s): board times only, no host times", strerror(-ret));
		ifbh_timebook_set_clock(&s->times, &s->dev->clk);
	}
	clock_gettime(CLOCK_REALTIME, &s->st.start_wall);
	ret = ifbh_dev_start(s->dev);
	if (ret) {
		unwind_start(s);
		s->st.error = ret;
		return ret;
	}
	s->st.started = true;
	s->st.t_start = ifbh_now();
	s->next_stats = s->st.t_start + s->stats_period;
	s->next_clock = s->st.t_start + CLOCK_PERIOD_S;
	return 0;
}

/* After the final GET_STATS (version 2): every gap it counts, synchronously. */
static void final_gaps(struct ifbh_stream *s)
{
	char msg[256];

	if (!s->use_gaps || !s->have_pend)
		return;
	if (ifbh_gaps_fetch(&s->gaps, s->pend.gaps_total, ifbh_dev_gaps_get, s->dev, s->gaps_reply,
			    msg, sizeof(msg)) < 0) {
		s->st.proto_errors++;
		ifbh_log(s->ctx, IFBH_LOG_WARNING, "final %s", msg);
	}
	/* what could be fetched counts; the rest stays unknown */
	s->have_pend = false;
	apply_stats(s, &s->pend);
}

/* Every transfer is back: STOP if not done, the final GET_STATS. */
static void finish(struct ifbh_stream *s)
{
	struct ifbh_stats st;
	int ret;

	if (!s->st.t_end)
		s->st.t_end = ifbh_now();
	if (!s->dev->gone && !s->st.stop_sent && !s->st.eos)
		ifbh_dev_ctrl(s->dev, IFB_REQ_STOP, false, NULL, 0);
	if (!s->dev->gone) {
		uint8_t buf[sizeof(struct ifb_stats)];
		char msg[256];

		ret = ifbh_dev_ctrl(s->dev, IFB_REQ_GET_STATS, true, buf, sizeof(buf));
		if (ret == LIBUSB_ERROR_NO_DEVICE) {
			set_error(s, -ENODEV, "the device disconnected");
		} else if (ret < 0) {
			s->st.proto_errors++;
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "final GET_STATS failed: %s",
				 libusb_strerror(ret));
		} else if (ifbh_parse_stats(buf, (size_t)ret, &st, msg, sizeof(msg))) {
			s->st.proto_errors++;
			ifbh_log(s->ctx, IFBH_LOG_WARNING, "final GET_STATS: %s", msg);
		} else {
			learn_stats(s, &st);
			final_gaps(s);
			/* the marks up to the end (outside event handling) */
			if (s->use_times && !s->dev->gone) {
				s->tpend = st;
				final_times(s);
			}
		}
		if (!s->st.eos && !s->dev->gone && s->st.stop_sent)
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "no end-of-stream packet within %.0f s of STOP; the stream ends "
				 "anyway",
				 DRAIN_TIMEOUT_S);
	}
	s->settled = UINT64_MAX;
	s->st.ended = true;
}

int ifbh_stream_poll(struct ifbh_stream *s, int timeout_ms)
{
	struct timeval tv;
	double now;
	int ret;

	if (!s->began)
		return ifbh_fail(s->dev->err, -EINVAL, "the stream was not started");
	if (s->st.ended)
		return 1;
	if (timeout_ms < 0)
		timeout_ms = 0;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	ret = libusb_handle_events_timeout_completed(s->ctx->usb, &tv, NULL);
	if (ret && ret != LIBUSB_ERROR_INTERRUPTED && ret != LIBUSB_ERROR_TIMEOUT)
		set_error(s, ifbh_errno_from_usb(ret), "libusb event handling failed: %s",
			  libusb_strerror(ret));
	now = ifbh_now();
	if (s->st.error && !s->st.stop_sent)
		ifbh_stream_stop(s);
	if (s->dev->gone || s->st.eos ||
	    (s->st.stop_sent && now - s->t_stop > DRAIN_TIMEOUT_S)) {
		if (!s->st.eos && !s->st.t_end)
			s->st.t_end = now;
		cancel_all(s);
	}
	if (s->cancelling) {
		if (!s->t_cancel)
			s->t_cancel = now;
		if (s->inflight == 0 && !s->stats_pending && !s->stop_pending &&
		    !s->gaps_pending && !s->times_pending && !s->clock_pending) {
			finish(s);
			return 1;
		}
		if (now - s->t_cancel > CANCEL_TIMEOUT_S) {
			/* libusb never gave them back: they must not be freed */
			ifbh_log(s->ctx, IFBH_LOG_WARNING,
				 "%u transfers did not complete after cancellation",
				 s->inflight + s->stats_pending + s->stop_pending +
					 s->gaps_pending + s->times_pending + s->clock_pending);
			s->st.stuck = true;
			set_error(s, -ETIMEDOUT, "USB transfers stuck");
			s->settled = UINT64_MAX;
			s->st.ended = true;
			return 1;
		}
		return 0;
	}
	if (now >= s->next_stats && !s->stats_pending && !s->st.stop_sent) {
		submit_ctrl(s, s->stats_xfer, IFB_REQ_GET_STATS, true, sizeof(struct ifb_stats),
			    stats_done, &s->stats_pending);
		s->next_stats = now + s->stats_period;
	}
	if (s->use_times && now >= s->next_clock && !s->clock_pending && !s->st.stop_sent) {
		/* host against board again: the two clocks drift apart */
		s->clock_t0 = ifbh_now_ns();
		submit_ctrl(s, s->clock_xfer, IFB_REQ_GET_CLOCK, true, sizeof(struct ifb_clock),
			    clock_done, &s->clock_pending);
		s->next_clock = now + CLOCK_PERIOD_S;
	}
	return 0;
}

static ssize_t read_units(struct ifbh_stream *s, void *buf, size_t len, size_t unit,
			  struct ifbh_read_info *info, int timeout_ms)
{
	double deadline = timeout_ms >= 0 ? ifbh_now() + timeout_ms / 1000.0 : 0;
	struct ifbh_read_info dummy;

	if (s->data_cb)
		return ifbh_fail(s->dev->err, -EINVAL, "a data callback is set: no pull reads");
	if (!s->began)
		return ifbh_fail(s->dev->err, -EINVAL, "the stream was not started");
	if (!info)
		info = &dummy;
	for (;;) {
		size_t n;
		int wait_ms = 50, ret;

		/*
		 * A reader that always finds data must still poll GET_STATS on
		 * time: the device lists only its most recent gaps.
		 */
		if (!s->st.ended && ifbh_now() >= s->next_stats) {
			ret = ifbh_stream_poll(s, 0);
			if (ret < 0)
				return ret;
		}
		n = ifbh_pullq_take(&s->q, buf, len, unit, s->settled, &s->gaps, info);

		if (n)
			return (ssize_t)n;
		if (s->st.ended)
			return s->st.error && s->st.error != -ECONNRESET ? s->st.error : 0;
		if (timeout_ms >= 0) {
			double left = deadline - ifbh_now();

			if (left <= 0)
				return -EAGAIN;
			if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		ret = ifbh_stream_poll(s, wait_ms);
		if (ret < 0)
			return ret;
	}
}

ssize_t ifbh_stream_read(struct ifbh_stream *s, void *buf, size_t len,
			 struct ifbh_read_info *info, int timeout_ms)
{
	return read_units(s, buf, len, 1, info, timeout_ms);
}

ssize_t ifbh_stream_read_scans(struct ifbh_stream *s, void *buf, size_t max_scans,
			       struct ifbh_read_info *info, int timeout_ms)
{
	size_t scan = s->dev->info.scan_size;
	ssize_t n;

	if (max_scans > SIZE_MAX / scan)
		return ifbh_fail(s->dev->err, -EINVAL, "%zu scans do not fit memory", max_scans);
	n = read_units(s, buf, max_scans * scan, scan, info, timeout_ms);
	return n > 0 ? n / (ssize_t)scan : n;
}

void ifbh_stream_free(struct ifbh_stream *s)
{
	if (!s)
		return;
	if (s->began && !s->st.ended) {
		ifbh_stream_cancel(s);
		while (ifbh_stream_poll(s, 100) == 0)
			;
	}
	ifbh_pullq_free(&s->q);
	if (!s->st.stuck)
		free_transfers(s);
	ifbh_gaps_free(&s->gaps);
	ifbh_timebook_free(&s->times);
	free(s);
}

/* --- board time (1.4) ---------------------------------------------------- */

int ifbh_stream_time_model(const struct ifbh_stream *s, struct ifbh_time_model *ret)
{
	if (!ret || ret->size == 0)
		return -EINVAL;
	if (!s->use_times)
		return -EOPNOTSUPP;
	ifbh_timebook_model(&s->times, (double)s->dev->info.sample_rate_mhz / 1000.0, &s->dev->clk,
			    ret);
	return 0;
}

int ifbh_stream_board_time(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns)
{
	if (!s->use_times)
		return -EOPNOTSUPP;
	return ifbh_tm_time(&s->times.tm, off, ret_ns);
}

/* The board time of off, moved by an offset the clock estimate holds. */
static int time_through_clock(const struct ifbh_stream *s, uint64_t off, bool realtime,
			      int64_t *ret_ns)
{
	const struct ifbh_clock_est *c = &s->dev->clk;
	int64_t t, shift;
	int ret = ifbh_stream_board_time(s, off, &t);

	if (ret < 0)
		return ret;
	if (!c->valid)
		return -EAGAIN;
	/* host MONOTONIC = board + (host - board) then (it drifts);
	 * REALTIME = board + (RT - board) */
	if (realtime)
		shift = c->realtime_ns;
	else if ((ret = ifbh_clock_est_offset(c, (int64_t)((double)t + (double)c->host_offset_ns),
					      &shift, NULL)) < 0)
		return ret;
	if (__builtin_add_overflow(t, shift, ret_ns))
		return -ERANGE;
	return 0;
}

int ifbh_stream_host_time(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns)
{
	return time_through_clock(s, off, false, ret_ns);
}

int ifbh_stream_realtime(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns)
{
	return time_through_clock(s, off, true, ret_ns);
}
