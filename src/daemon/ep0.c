// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The native front end: FunctionFS events on ep0 and the vendor control
 * protocol of docs/protocol.md. ENABLE/DISABLE/UNBIND/SUSPEND say whether
 * a host is there; SETUP carries GET_INFO (which agrees on the protocol
 * version), GET_STATS, GET_GAPS, START, STOP, SET_SAMPLE_RATE,
 * GET_STATUS, GET_STREAM, GET_TIMES and GET_CLOCK. Every
 * request is answered or stalled; what the host sends is bounds-checked by
 * control.c before it is acted on. Streams themselves are session.c's.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

/* A reply that did not reach the host costs that request only. */
static void reply_failed(int r, const char *what)
{
	if (r == -EIDRM)
		log_debug("%s: the host cancelled the request with a newer one", what);
	else if (r == -EOVERFLOW || r == -ECONNRESET)
		/* the UDC gave back the stale stage when the next SETUP came
		 * (dummy_hcd: EOVERFLOW; others dequeue it: ECONNRESET) */
		log_debug("%s: the host sent its next request without taking this one's stage", what);
	else if (r == -ESRCH)
		log_debug("%s: the request is no longer pending (the host gave up on it)", what);
	else if (r == -EINTR)
		log_notice("%s: the host did not take the reply within %d ms; abandoned", what,
			   IFB_FFS_STAGE_TIMEOUT_MS);
	else if (r < 0)
		log_warning_errno(r, "%s reply failed", what);
}

/*
 * Hand the pending SETUP's data or status stage to the stage thread
 * (ep0-stage.h): the loop goes on moving blocks while the host takes it
 * (or gave up on it). The setup stays pending, and ep0 unread, until
 * ifb_ep0_on_stage_done; then(b, data, n) takes the result, or
 * reply_failed logs it under what.
 */
static void stage(struct ifb_bridge *b, struct ifb_stream *s, enum ifb_ep0_stage_op op,
		  const void *data, size_t len, const char *what,
		  void (*then)(struct ifb_stream *, const uint8_t *, int))
{
	int r = ifb_ep0_stage_start(&b->stage, op, data, len);

	if (r < 0) { /* one setup at a time: cannot happen */
		reply_failed(r, what);
		return;
	}
	b->stage_what = what;
	b->stage_stream = s;
	b->stage_then = then;
}

void ifb_ep0_ack(struct ifb_bridge *b, const char *what)
{
	stage(b, NULL, IFB_EP0_ACK, NULL, 0, what, NULL);
}

/* Which part of a description a host reads the stream by changed from a
 * to b: into buf (", "-separated), and whether any did. Block size and
 * count, the mode and the state are not among them: the stream's bytes
 * read the same whatever the blocks they travel in. */
static bool desc_changes(const struct ifb_stream_desc *a, const struct ifb_stream_desc *b,
			 char *buf, size_t size)
{
	bool chans = a->num_channels != b->num_channels || a->scan_size != b->scan_size, iq = false;
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; !chans && i < a->num_channels; i++) {
		struct ifb_channel_info x = a->channels[i], y = b->channels[i];

		iq |= x.iq != y.iq || x.iq_partner != y.iq_partner;
		x.iq = y.iq = x.iq_partner = y.iq_partner = 0;
		chans |= memcmp(&x, &y, sizeof(x)) != 0;
	}
	if (chans && a->num_channels == b->num_channels && a->scan_size == b->scan_size)
		len += (size_t)snprintf(buf + len, size - len, "the channels' names or types");
	else if (chans)
		len += (size_t)snprintf(buf + len, size - len, "the channels (%u in %u-byte scans, now "
					"%u in %u-byte scans)", a->num_channels, a->scan_size,
					b->num_channels, b->scan_size);
	if (iq && !chans && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%sthe I/Q pairs", len ? ", " : "");
	if (a->sample_rate_mhz != b->sample_rate_mhz && len < size)
		len += (size_t)snprintf(buf + len, size - len,
					"%sthe sample rate (%llu.%03llu Hz, now %llu.%03llu Hz)",
					len ? ", " : "",
					(unsigned long long)(a->sample_rate_mhz / 1000),
					(unsigned long long)(a->sample_rate_mhz % 1000),
					(unsigned long long)(b->sample_rate_mhz / 1000),
					(unsigned long long)(b->sample_rate_mhz % 1000));
	return len > 0;
}

/* The outcome of a request for GET_STATUS (protocol version 3), with the
 * rate read back from the device (0: unknown). */
static void set_status(struct ifb_stream *s, uint8_t request, int error)
{
	uint64_t now = 0;

	if (ifb_iio_sampling_frequency_mhz(&s->iio, &now) < 0)
		now = 0;
	s->status_request = request;
	s->status_error = error;
	s->status_rate_mhz = now;
}

/* The outcome of a START: a host whose START was stalled reads why there. */
static void start_outcome(struct ifb_stream *s, int error)
{
	set_status(s, IFB_REQ_START, error);
}

/*
 * What the host was told (GET_INFO) must be how its stream reads. The
 * description is read from the device again at START; if what the host
 * reads the stream by changed since the host's GET_INFO (a reload in
 * between, or another program set the rate), the START is refused
 * (GET_STATUS: -ESTALE) and the host reads GET_INFO again. A reload of
 * the block size or count alone changes nothing the host reads by, and
 * its START goes through. Never a stream in a layout the host was not
 * told.
 */
static bool desc_still_true(struct ifb_stream *s)
{
	struct ifb_stream_desc now;
	bool given = s->desc_given;
	char what[256];

	s->desc_given = false;
	if (!given)
		return true;
	ifb_stream_describe_into(s, &now);
	s->desc = now;
	if (!desc_changes(&s->given, &now, what, sizeof(what)))
		return true;
	log_warning("%sSTART refused: %s changed since the host read GET_INFO (a reload, or "
		    "another program); it must read GET_INFO again", s->logp, what);
	return false;
}

/*
 * SET_SAMPLE_RATE (protocol version 3): only the IIO device's own
 * sampling_frequency, only while no stream runs on either interface. What
 * can be refused before the data stage is stalled; after the data stage
 * FunctionFS has acknowledged the request, so a value refused then is
 * told by GET_STATUS only (which the host reads after every SET). Returns
 * true when the request was answered (data read), false to stall it.
 */
static void rate_received(struct ifb_stream *s, const uint8_t *bytes, int n);

static bool set_sample_rate(struct ifb_stream *s, uint16_t wlength)
{
	int r;

	s->status_request = IFB_REQ_SET_SAMPLE_RATE;
	if (ifb_session_device_busy(s))
		r = -EBUSY;
	else
		r = ifb_iio_sampling_frequency_writable(&s->iio);
	if (r < 0) {
		set_status(s, IFB_REQ_SET_SAMPLE_RATE, r);
		log_warning("%sHost: SET_SAMPLE_RATE refused: %s", s->logp,
			    r == -EBUSY    ? "a stream runs (stop it first)"
			    : r == -ENOENT ? "the IIO device has no sampling_frequency attribute"
			    : r == -EACCES ? "the IIO device's sampling_frequency is read-only"
					   : strerror(-r));
		return false;
	}
	/* the data stage, by the stage thread: rate_received goes on */
	stage(s->b, s, IFB_EP0_RECEIVE, NULL, wlength < sizeof(struct ifb_set_rate) ? wlength
								: sizeof(struct ifb_set_rate),
	      "SET_SAMPLE_RATE", rate_received);
	return true;
}

/* SET_SAMPLE_RATE's data stage is done: n bytes (or -errno) in bytes. */
static void rate_received(struct ifb_stream *s, const uint8_t *bytes, int n)
{
	struct ifb_set_rate data;
	char text[32] = "";
	uint64_t mhz = 0, now = 0;
	int r;

	memset(&data, 0, sizeof(data));
	if (n > 0)
		memcpy(&data, bytes, (size_t)n < sizeof(data) ? (size_t)n : sizeof(data));
	if (n < 0) {
		set_status(s, IFB_REQ_SET_SAMPLE_RATE, n);
		reply_failed(n, "SET_SAMPLE_RATE");
		return;
	}
	/* a stream of the device may have started during the data stage */
	if (ifb_session_device_busy(s))
		r = -EBUSY;
	else
		r = ifb_control_rate(&data, (size_t)n, &mhz);
	if (r == 0)
		r = ifb_control_rate_text(mhz, text, sizeof(text));
	if (r >= 0)
		r = ifb_iio_set_sampling_frequency(&s->iio, text);
	set_status(s, IFB_REQ_SET_SAMPLE_RATE, r < 0 ? r : 0);
	now = s->status_rate_mhz;
	/* malformed host input: the host reads why in GET_STATUS; debug, so
	 * that a hostile host cannot flood the journal */
	if (r == -ERANGE)
		log_debug("%sHost: SET_SAMPLE_RATE refused: expected 1 mHz to 1 THz, got %llu mHz", s->logp,
			  (unsigned long long)le64toh(data.rate_mhz));
	else if (r == -EINVAL && n != (int)sizeof(data))
		log_debug("%sHost: SET_SAMPLE_RATE refused: expected 8 bytes of data, got %d", s->logp, n);
	else if (r == -EBUSY) {
		log_warning("%sHost: SET_SAMPLE_RATE refused: a stream started during its data stage", s->logp);
		return; /* s->desc is the running stream's */
	}
	else if (r < 0)
		log_warning("%sHost: SET_SAMPLE_RATE: %s refused sampling_frequency %s: %s", s->logp,
			    s->iio.name, text, strerror(-r));
	else
		log_info("%sHost: sampling_frequency %s Hz set; %s reads back %llu.%03llu Hz", s->logp,
			 text, s->iio.name, (unsigned long long)(now / 1000),
			 (unsigned long long)(now % 1000));
	ifb_stream_describe(s); /* GET_INFO tells what the device took */
}

/*
 * A START: a new stream (cyclic: an output stream's waveform of that
 * many bytes; 0: a plain stream; at_ns: an output stream's board time to
 * start at, 0: at once). 0 when taken, or -errno, which GET_STATUS tells
 * (and a START without data is stalled).
 */
static int start_stream(struct ifb_stream *s, uint64_t cyclic, uint64_t at_ns)
{
	int r;

	if (ifb_session_owner(s) == IFB_OWNER_IIOD) {
		log_warning("%sHost: START refused: busy, a libiio client is streaming", s->logp);
		start_outcome(s, -EBUSY);
		return -EBUSY; /* one stream at a time */
	}
	s->start_cyclic = cyclic;
	s->start_at_ns = at_ns;
	/* An output stream's START begins a new stream even while one runs:
	 * the host that started it may be gone mid-block (killed), and its
	 * half block must not be played as the new host's; a new waveform
	 * replaces a cyclic one. The old one ends as after a STOP (what it
	 * received whole is played), then the new one starts. */
	if (ifb_session_state(s) == IFB_STATE_STREAMING && s->iio.output) {
		log_info("%sHost: START while stream %u runs: ending it for a new one", s->logp,
			 s->engine.stream_id);
		ifb_session_stop(s, IFB_STOP_HOST);
		s->restart = true;
		start_outcome(s, 0);
		return 0;
	}
	if (ifb_session_state(s) == IFB_STATE_STREAMING) {
		start_outcome(s, 0);
		return 0;
	}
	if (ifb_session_state(s) == IFB_STATE_STOPPING || s->session) {
		s->restart = true;
		start_outcome(s, 0);
		return 0;
	}
	if (!desc_still_true(s)) {
		start_outcome(s, -ESTALE);
		return -ESTALE; /* the host must read GET_INFO again */
	}
	r = ifb_session_start(s);
	start_outcome(s, r < 0 ? r : 0);
	return r < 0 ? r : 0;
}

/* An output stream's START with its data stage (struct ifb_start): a
 * cyclic waveform, a burst at a board time (version 6), or both. */
static void start_received(struct ifb_stream *s, const uint8_t *bytes, int n)
{
	struct ifb_start data;
	uint64_t len, now;
	int r;

	if (n < 0) {
		reply_failed(n, "START");
		return;
	}
	r = ifb_control_start(bytes, (size_t)n, s->proto_version, &data);
	/* malformed host input: debug, the host reads the refusal in GET_STATUS */
	if (r < 0) {
		log_debug("%sHost: START refused: expected the 16 bytes of struct ifb_start (or 24, "
			  "version 6) with known flags, got %d bytes from a host of version %u",
			  s->logp, n, s->proto_version);
		start_outcome(s, r);
		return;
	}
	len = data.length;
	if ((data.flags & IFB_START_CYCLIC) &&
	    (len == 0 || len > (uint64_t)s->nblocks * s->cfg.block_size || len % s->iio.scan_size)) {
		log_debug("%sHost: cyclic START refused: a waveform of %" PRIu64 " bytes; expected "
			    "whole %u-byte scans, at most the pool (%u x %u bytes)", s->logp, len,
			    s->iio.scan_size, s->nblocks, s->cfg.block_size);
		start_outcome(s, -EINVAL);
		return;
	}
	now = ifb_now_ns();
	if ((data.flags & IFB_START_AT) && data.at_ns > now + IFB_START_AT_MAX_AHEAD_NS) {
		log_debug("%sHost: timed START refused: at %" PRIu64 " ns, more than an hour after "
			  "the board's clock (%" PRIu64 " ns)", s->logp, data.at_ns, now);
		start_outcome(s, -ERANGE);
		return;
	}
	if ((data.flags & (IFB_START_CYCLIC | IFB_START_AT)) && s->mode != IFB_MODE_ZERO_COPY) {
		log_warning("%sHost: %s START refused: %s mode write()s to the DAC, %s; %s needs "
			    "zero-copy (IIO DMABUF)", s->logp,
			    data.flags & IFB_START_CYCLIC ? "cyclic" : "timed", ifb_mode_name(s->mode),
			    data.flags & IFB_START_CYCLIC ? "which plays a block once"
							  : "whose queue hides when the DAC starts",
			    data.flags & IFB_START_CYCLIC ? "a waveform the DAC repeats"
							  : "a burst at a board time");
		start_outcome(s, -EOPNOTSUPP);
		return;
	}
	(void)start_stream(s, data.flags & IFB_START_CYCLIC ? len : 0,
			   data.flags & IFB_START_AT ? data.at_ns : 0);
}

/* An output stream's STOP with its data stage (struct ifb_stop): the
 * end of the host's data. FunctionFS has acknowledged the request by now:
 * a refused end is told in the log and by GET_STATS (the stream goes on
 * until a STOP without data, or the host goes away). */
static void stop_received(struct ifb_stream *s, const uint8_t *bytes, int n)
{
	struct ifb_stop data;
	uint64_t end;
	int r;

	if (n < 0) {
		reply_failed(n, "STOP");
		return;
	}
	s->restart = false;
	if (n != (int)sizeof(data)) {
		log_debug("%sHost: STOP refused: expected 8 bytes of data, got %d", s->logp, n);
		return;
	}
	memcpy(&data, bytes, sizeof(data));
	end = le64toh(data.end);
	r = ifb_session_end_at(s, end);
	/* malformed host input: debug (GET_STATS shows the stream going on) */
	if (r == -EINVAL)
		log_debug("%sHost: STOP at stream offset %" PRIu64 " refused: %s", s->logp, end,
			  s->engine.cyclic ? "a cyclic stream's end is its waveform's"
					   : "more has been received already");
	else if (r == 0)
		log_debug("%sHost: STOP, the data ends at stream offset %" PRIu64, s->logp, end);
}

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The board's clocks for GET_CLOCK: REALTIME, TAI and BOOTTIME between two
 * MONOTONIC reads, and the kernel's discipline state (adjtimex(2), modes
 * 0: a read; the unit file allows it, see ProtectClock there). */
static void clock_read(struct ifb_clock_reading *c)
{
	struct timex tx = { .modes = 0 };
	uint64_t before, after;

	memset(c, 0, sizeof(*c));
	before = ifb_clock_ns(CLOCK_MONOTONIC);
	c->realtime_ns = (int64_t)ifb_clock_ns(CLOCK_REALTIME);
	c->tai_ns = (int64_t)ifb_clock_ns(CLOCK_TAI);
	c->boottime_ns = ifb_clock_ns(CLOCK_BOOTTIME);
	after = ifb_clock_ns(CLOCK_MONOTONIC);
	c->monotonic_ns = before + (after - before) / 2;
	c->read_ns = after - before > UINT32_MAX ? UINT32_MAX : (uint32_t)(after - before);
	if (adjtimex(&tx) < 0)
		return; /* a sandbox that forbids it: the state stays unknown */
	c->flags = IFB_CLOCK_STATE_KNOWN;
	if (!(tx.status & STA_UNSYNC))
		c->flags |= IFB_CLOCK_SYNCED;
	if (tx.status & STA_PPSSIGNAL)
		c->flags |= IFB_CLOCK_PPS;
	if (tx.tai != 0)
		c->flags |= IFB_CLOCK_TAI_SET;
	c->esterror_us = clamp_u32((int64_t)tx.esterror);
	c->maxerror_us = clamp_u32((int64_t)tx.maxerror);
}

/* Version 6's requests reply in the agreed version, 6 at least. */
static uint16_t version_at_least(const struct ifb_stream *s, uint16_t v)
{
	return s->proto_version > v ? s->proto_version : v;
}

static void handle_setup(struct ifb_stream *s, const struct usb_ctrlrequest *setup)
{
	uint8_t reply[IFB_MAX_REPLY];
	uint16_t wlength = le16toh(setup->wLength);
	int req = ifb_control_decode(setup);
	int len, r;

	switch (req) {
	case IFB_REQ_GET_INFO:
		/* Between streams, the device as it is now: a libiio client on
		 * the IIOD interface (or another program) may have set the
		 * rate since the last description, and START compares with a
		 * fresh one. During a stream, the stream's. */
		if (!s->session)
			ifb_stream_describe(s);
		/* an output stream is version 5's: an older host has no business
		 * with it (it never finds its interface protocol) */
		if (s->iio.output && ifb_control_version(le16toh(setup->wValue)) < 5) {
			log_debug("%sHost: GET_INFO of an output stream offering version %u: expected 5 "
				  "or later", s->logp, le16toh(setup->wValue));
			break;
		}
		s->proto_version = ifb_control_version(le16toh(setup->wValue));
		len = ifb_control_info(&s->desc, (uint8_t)ifb_session_state(s), s->proto_version, reply,
				       sizeof(reply));
		if (len < 0)
			break;
		s->given = s->desc;
		s->desc_given = true;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len < wlength ? (size_t)len : wlength,
		      "GET_INFO", NULL);
		return;
	case IFB_REQ_GET_STATS: {
		struct ifb_stats st;

		ifb_session_stats(s, s->proto_version ? s->proto_version : IFB_PROTOCOL_VERSION_MIN,
				  &st);
		stage(s->b, s, IFB_EP0_REPLY, &st, sizeof(st) < wlength ? sizeof(st) : wlength, "GET_STATS",
		      NULL);
		return;
	}
	case IFB_REQ_GET_GAPS:
		len = ifb_session_gaps(s, le16toh(setup->wValue), reply, sizeof(reply), wlength);
		if (len < 0)
			break;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len, "GET_GAPS", NULL);
		return;
	case IFB_REQ_GET_TIMES:
		len = ifb_session_times(s, le16toh(setup->wValue), version_at_least(s, 6), reply,
					sizeof(reply), wlength);
		if (len < 0)
			break;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len, "GET_TIMES", NULL);
		return;
	case IFB_REQ_GET_CLOCK: {
		struct ifb_clock_reading c;

		clock_read(&c);
		len = ifb_control_clock(&c, version_at_least(s, 6), reply, sizeof(reply));
		if (len < 0)
			break;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len < wlength ? (size_t)len : wlength,
		      "GET_CLOCK", NULL);
		return;
	}
	case IFB_REQ_SET_SAMPLE_RATE:
		if (set_sample_rate(s, wlength))
			return;
		break; /* stall; GET_STATUS says why */
	case IFB_REQ_GET_STREAM:
		/* a version-4 request: in the agreed version, 4 at least */
		len = ifb_control_stream(s->index, s->b->nstreams, s->cfg.name, s->iio.output,
					 s->proto_version > 4 ? s->proto_version : 4, reply,
					 sizeof(reply));
		if (len < 0)
			break;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len < wlength ? (size_t)len : wlength,
		      "GET_STREAM", NULL);
		return;
	case IFB_REQ_GET_STATUS:
		/* a version-3 request: its reply is version 3's, whatever the
		 * host last agreed in GET_INFO (or after a DISABLE) */
		len = ifb_control_status(s->status_request, s->status_error, s->status_rate_mhz,
					 IFB_STATUS_VERSION, reply, sizeof(reply));
		if (len < 0)
			break;
		stage(s->b, s, IFB_EP0_REPLY, reply, (size_t)len < wlength ? (size_t)len : wlength,
		      "GET_STATUS", NULL);
		return;
	case IFB_REQ_START:
		log_debug("%sHost: START", s->logp);
		/* an output stream is version 5's: a host must have agreed on it */
		if (s->iio.output && s->proto_version < 5) {
			start_outcome(s, -EPROTONOSUPPORT);
			break;
		}
		if (wlength) {
			if (s->iio.output && ifb_session_owner(s) == IFB_OWNER_IIOD)
				start_outcome(s, -EBUSY); /* GET_STATUS says why */
			if (!s->iio.output || ifb_session_owner(s) == IFB_OWNER_IIOD)
				break; /* stall: only an output stream's START has data */
			stage(s->b, s, IFB_EP0_RECEIVE, NULL, wlength, "START", start_received);
			return;
		}
		if (start_stream(s, 0, 0) < 0)
			break; /* stall: GET_STATUS says why */
		ifb_ep0_ack(s->b, "START");
		return;
	case IFB_REQ_STOP:
		log_debug("%sHost: STOP", s->logp);
		if (s->iio.output && s->proto_version < 5)
			break; /* stall: version 5's stream, and no host agreed on it */
		if (wlength) {
			if (!s->iio.output || ifb_session_owner(s) == IFB_OWNER_IIOD)
				break; /* stall: an input stream's STOP has no data */
			stage(s->b, s, IFB_EP0_RECEIVE, NULL, wlength, "STOP", stop_received);
			return;
		}
		s->restart = false;
		ifb_ep0_ack(s->b, "STOP");
		if (ifb_session_owner(s) != IFB_OWNER_IIOD) /* not the native one's to stop */
			ifb_session_stop(s, IFB_STOP_HOST);
		return;
	default:
		/* A malformed SET_SAMPLE_RATE (direction, wValue, wIndex or
		 * wLength): GET_STATUS must not tell an older request's outcome. */
		if ((setup->bRequestType & USB_TYPE_MASK) == USB_TYPE_VENDOR &&
		    setup->bRequest == IFB_REQ_SET_SAMPLE_RATE)
			set_status(s, IFB_REQ_SET_SAMPLE_RATE, -EINVAL);
		log_debug("%sStalling request type 0x%02x request 0x%02x value %u index %u length %u", s->logp,
			  setup->bRequestType, setup->bRequest, le16toh(setup->wValue),
			  le16toh(setup->wIndex), wlength);
		break;
	}
	r = ifb_ffs_stall(&s->b->ffs, setup);
	reply_failed(r, "Stall");
}

/* DISABLE or UNBIND: no stream until the next ENABLE. */
static void host_gone(struct ifb_bridge *b)
{
	b->usb_enabled = false;
	for (unsigned i = 0; i < b->nstreams; i++) {
		struct ifb_stream *s = b->st[i];

		s->restart = false;
		s->desc_given = false;
		s->proto_version = IFB_PROTOCOL_VERSION_MIN; /* the next host agrees anew */
		s->status_request = 0;
		s->status_error = 0;
		s->status_rate_mhz = 0;
		ifb_session_stop(s, IFB_STOP_DISCONNECT);
	}
	if (b->iiod)
		ifb_iiod_host_gone(b->iiod);
}

/* Every stream whose start policy is immediate, if idle. */
static void start_immediate(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nstreams; i++) {
		struct ifb_stream *s = b->st[i];

		if (s->cfg.start == IFB_CFG_START_IMMEDIATE && ifb_session_state(s) == IFB_STATE_IDLE)
			ifb_session_maybe_start(s);
	}
}

static bool is_leaving(uint8_t type)
{
	return type == FUNCTIONFS_DISABLE || type == FUNCTIONFS_UNBIND || type == FUNCTIONFS_SUSPEND;
}

/*
 * Read what ep0 has into the queue (as much as fits). Returns how many
 * events were read, 0 when none, or -errno.
 */
static int ep0_fill(struct ifb_bridge *b)
{
	struct usb_functionfs_event ev[ARRAY_SIZE(b->ep0q)];
	size_t room = ARRAY_SIZE(b->ep0q) - b->ep0q_len;
	int n;

	/*
	 * While a SETUP is queued or being answered, read(ep0) is its data or
	 * status stage, not an event read: FunctionFS would acknowledge an OUT
	 * request with it, or stall an IN one (the hostile-host case caught
	 * the transfer guard doing so). Events wait until the answer.
	 */
	/* A stage the thread has finished is over for FunctionFS too: its
	 * events (a DISABLE that ended it) may be read, and wait in the queue
	 * until the loop has taken the stage back. */
	if (room == 0 || b->ep0q_setups || (b->setup_pending && !ifb_ep0_stage_done(&b->stage)))
		return 0;
	n = ifb_ffs_read_events(&b->ffs, ev, room);
	for (int i = 0; i < n; i++) {
		b->ep0q[(b->ep0q_head + b->ep0q_len) % ARRAY_SIZE(b->ep0q)] = ev[i];
		b->ep0q_len++;
		if (is_leaving(ev[i].type))
			b->ep0q_leaving++;
		if (ev[i].type == FUNCTIONFS_SETUP)
			b->ep0q_setups++; /* no more reads until it is answered */
	}
	return n;
}

static void handle_event(struct ifb_bridge *b, const struct usb_functionfs_event *ev)
{
	switch (ev->type) {
	case FUNCTIONFS_BIND:
		log_info("USB: function bound to a UDC");
		b->bound = true;
		ifb_bridge_on_bind(b);
		break;
	case FUNCTIONFS_UNBIND:
		log_info("USB: function unbound");
		b->bound = false;
		host_gone(b);
		break;
	case FUNCTIONFS_ENABLE:
		/*
		 * FunctionFS keeps at most four events: queueing BIND, UNBIND,
		 * ENABLE or DISABLE discards every pending event but SUSPEND
		 * and RESUME (f_fs.c, __ffs_event_add()). A BIND not read
		 * before the host enables the interface is gone, and the
		 * ENABLE says it all: the function is bound.
		 */
		if (!b->bound) {
			log_info("USB: function bound to a UDC (its BIND folded into ENABLE)");
			b->bound = true;
			ifb_bridge_on_bind(b);
		}
		log_info("USB: host enabled the interface");
		b->usb_enabled = true;
		start_immediate(b);
		break;
	case FUNCTIONFS_DISABLE:
		log_info("USB: interface disabled");
		host_gone(b);
		break;
	case FUNCTIONFS_SUSPEND:
		log_info("USB: bus suspended");
		for (unsigned i = 0; i < b->nall; i++)
			ifb_session_stop(b->st[i], IFB_STOP_DISCONNECT);
		break;
	case FUNCTIONFS_RESUME:
		log_info("USB: bus resumed");
		start_immediate(b);
		break;
	case FUNCTIONFS_SETUP: {
		/* wIndex: FunctionFS's own interface index (no stream's above 0xff) */
		int k = ifb_usb_interface_stream(&b->layout, le16toh(ev->u.setup.wIndex));

		b->setup_pending = true;
		if (b->iiod && ifb_iiod_setup(b->iiod, &ev->u.setup))
			; /* the IIOD interface's: answered or stalled */
		else if (k >= 0)
			handle_setup(b->st[k], &ev->u.setup); /* stream k's interface */
		else {
			log_debug("Stalling request 0x%02x for interface %u: no stream's",
				  ev->u.setup.bRequest, le16toh(ev->u.setup.wIndex));
			reply_failed(ifb_ffs_stall(&b->ffs, &ev->u.setup), "SETUP");
		}
		/* A stage handed to the stage thread: the setup stays pending,
		 * ep0 unread (it polls readable meanwhile, and a read would be
		 * the stage itself), until ifb_ep0_on_stage_done. */
		if (ifb_ep0_stage_pending(&b->stage))
			sd_event_source_set_enabled(b->ep0_src, SD_EVENT_OFF);
		else
			b->setup_pending = false;
		break;
	}
	default:
		log_debug("USB: ignoring FunctionFS event %u", ev->type);
		break;
	}
}

/* Handle the queued events in the order they came. */
static void ep0_dispatch(struct ifb_bridge *b)
{
	/* an event after a SETUP whose stage is in flight waits for it */
	while (b->ep0q_len && !b->setup_pending) {
		struct usb_functionfs_event ev = b->ep0q[b->ep0q_head];

		b->ep0q_head = (b->ep0q_head + 1) % ARRAY_SIZE(b->ep0q);
		b->ep0q_len--;
		if (is_leaving(ev.type))
			b->ep0q_leaving--;
		if (ev.type == FUNCTIONFS_SETUP)
			b->ep0q_setups--;
		handle_event(b, &ev);
	}
}

/*
 * Event callbacks follow one rule (style guide, sd-event): they return 0.
 * A negative return would disable the source for good and leave the
 * daemon alive but deaf. An error is handled where it happens: a cancelled
 * setup (EIDRM) is read again (ifb_ffs_read_events), a failed reply costs
 * that request only, and a source that cannot work any more ends the
 * daemon through ifb_bridge_fail (exit 1, systemd restarts it).
 */
int ifb_ep0_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	int n;

	do {
		ep0_dispatch(b);
		n = ep0_fill(b);
	} while (n > 0);
	ep0_dispatch(b);
	if (n < 0)
		ifb_bridge_fail(b, n, "Reading FunctionFS events failed");
	return 0;
}

int ifb_ep0_on_stage_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	void (*then)(struct ifb_stream *, const uint8_t *, int) = b->stage_then;
	uint8_t data[IFB_MAX_REPLY];
	enum ifb_ep0_stage_op op;
	int r;

	if (!ifb_ep0_stage_finish(&b->stage, &op, &r, data, sizeof(data)))
		return 0;
	b->stage_then = NULL;
	if (then && b->stage_stream)
		then(b->stage_stream, data, r);
	else
		reply_failed(r, b->stage_what);
	b->setup_pending = false;
	sd_event_source_set_enabled(b->ep0_src, SD_EVENT_ON);
	/* what waited behind the setup: queued events, then ep0 itself */
	return ifb_ep0_on_event(b->ep0_src, b->ffs.ep0, EPOLLIN, b);
}

int ifb_ep0_on_deferred(sd_event_source *s, void *userdata)
{
	ep0_dispatch(userdata);
	return 0;
}

bool ifb_ep0_usb_ready(struct ifb_stream *s)
{
	struct ifb_bridge *b = s->b;
	int n = ep0_fill(b);

	if (n < 0)
		log_debug("Reading FunctionFS events before a transfer: %s", strerror(-n));
	if (b->ep0q_len && b->ep0_defer_src)
		(void)sd_event_source_set_enabled(b->ep0_defer_src, SD_EVENT_ONESHOT);
	return b->bound && b->usb_enabled && b->ep0q_leaving == 0 && n >= 0;
}
