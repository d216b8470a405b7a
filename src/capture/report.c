// SPDX-License-Identifier: GPL-2.0-or-later
/* iio-ffs-capture's reports: --info, the live line, the summaries. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "capture/cap.h"
#include "capture/json.h"

/* The board's clock state, in words. */
static const char *clock_state(unsigned int flags)
{
	if (!(flags & IFBH_CLOCK_STATE_KNOWN))
		return "unknown";
	return flags & IFBH_CLOCK_SYNCED ? "synchronised" : "free-running";
}

/* The model of the device's current or last stream, from the marks the
 * board holds (ifbh_dev_time_model), in one line. */
static void report_model_info(const struct ifbh_time_model *m, const struct ifbh_mark_ring *r,
			      FILE *f)
{
	if (!r->stream_id) {
		fprintf(f, "board time:  no stream since the daemon started\n");
		return;
	}
	fprintf(f, "board time:  %s stream %" PRIu32 " (%s): ",
		r->state == IFBH_STATE_IDLE ? "last" : "current", r->stream_id,
		ifbh_state_name((unsigned int)r->state));
	if (!m->marks) {
		fprintf(f, "no time marks\n");
		return;
	}
	if (m->rate_hz > 0)
		fprintf(f, "%.1f Hz, %+.1f ppm against %.0f Hz nominal, ", m->rate_hz, m->ppm,
			m->nominal_hz);
	else
		fprintf(f, "too few marks for a rate, ");
	fprintf(f, "%" PRIu64 " %s mark%s in %" PRIu64 " run%s", m->marks,
		cap_time_source_name(m->source), m->marks == 1 ? "" : "s", m->runs,
		m->runs == 1 ? "" : "s");
	if (m->timestamp_clock)
		fprintf(f, " (the stream's timestamp channel: %s)",
			ifbh_ts_clock_name((unsigned int)m->timestamp_clock));
	if (r->marks_lost)
		fprintf(f, " (the newest of %" PRIu64 ")", r->marks_total);
	if (m->rate_hz > 0)
		fprintf(f, ", jitter %.0f us", m->jitter_ns / 1e3);
	if (m->clock_known)
		fprintf(f, ", newest mark %.1f s ago", (double)r->newest_age_ns / 1e9);
	fputc('\n', f);
}

/* --info's board time (protocol version 6): the model of the current or
 * last stream, and the board's clock (GET_CLOCK round trips). */
static void report_clock_info(const struct cap *c, FILE *f)
{
	struct ifbh_time_model m = { .size = sizeof(m) };
	struct ifbh_mark_ring r = { .size = sizeof(r) };
	struct timespec now;
	int64_t host, off;
	double board_rt;

	if (ifbh_dev_info(c->dev)->version < 6) {
		fprintf(f, "board time:  none (protocol version %u; board time needs 6)\n",
			ifbh_dev_info(c->dev)->version);
		return;
	}
	if (ifbh_dev_time_model(c->dev, &m, &r) == 0) {
		report_model_info(&m, &r, f);
	} else {
		fprintf(f, "board time:  no model: %s\n", ifbh_dev_error(c->dev));
		/* the clock alone */
		m = (struct ifbh_time_model){ .size = sizeof(m) };
		if (ifbh_dev_clock(c->dev, 0, &m) < 0)
			m.clock_known = 0;
	}
	if (!m.clock_known) {
		fprintf(f, "board clock: %s\n", ifbh_dev_error(c->dev));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	host = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (ifbh_time_model_offset(&m, host, &off, NULL) < 0)
		off = m.host_offset_ns;
	/* the board's REALTIME now, through the host's MONOTONIC */
	board_rt = ((double)host - (double)off + (double)m.realtime_offset_ns) / 1e9;
	fprintf(f, "board clock: host MONOTONIC - board MONOTONIC %+.6f s (+/- %.1f us)\n",
		(double)m.host_offset_ns / 1e9, (double)m.host_offset_unc_ns / 1e3);
	fprintf(f, "board REALTIME: %.6f s since 1970, %s", board_rt, clock_state(m.clock_flags));
	if ((m.clock_flags & IFBH_CLOCK_STATE_KNOWN) && (m.clock_flags & IFBH_CLOCK_SYNCED))
		fprintf(f, " (estimated error %u us)", m.esterror_us);
	if (m.clock_flags & IFBH_CLOCK_PPS)
		fprintf(f, ", PPS present");
	fputc('\n', f);
}

void cap_report_info(const struct cap *c, FILE *f)
{
	const struct ifbh_info *i = &c->info;

	fprintf(f, "device:      %s\n", c->hw);
	if (*ifbh_dev_stream_name(c->dev))
		fprintf(f, "stream:      %s (%u of %u)\n", ifbh_dev_stream_name(c->dev),
			ifbh_dev_stream_index(c->dev) + 1, ifbh_dev_stream_count(c->dev));
	fprintf(f, "IIO device:  %s\n", i->device_name);
	fprintf(f, "mode:        %s\nstate:       %s\n", ifbh_mode_name(i->mode),
		ifbh_state_name(i->state));
	if (i->sample_rate_mhz)
		fprintf(f, "sample rate: %.3f Hz (scans per second)\n",
			(double)i->sample_rate_mhz / 1000.0);
	else
		fprintf(f, "sample rate: unknown\n");
	fprintf(f, "scan:        %" PRIu32 " bytes\nblocks:      %" PRIu32 " x %" PRIu32 " bytes\n",
		i->scan_size, i->block_count, i->block_size);
	fprintf(f, "endpoint:    0x%02x, %u-byte packets, interface %u\n", c->desc.ep_in,
		c->desc.max_packet, c->desc.iface);
	for (unsigned int k = 0; k < i->num_channels; k++) {
		const struct ifbh_channel *ch = &i->ch[k];
		/* the kernel's letter: 'S' (ADI's sign-extended samples) and 'U' too */
		int sign = ifbh_dev_channel_sign(c->dev, k);

		fprintf(f, "channel %-3u %-24s index %-3u offset %-4u %s:%c%u/%u", k, ch->name,
			ch->scan_index, ch->offset, ch->is_be ? "be" : "le",
			sign > 0 ? sign : ch->is_signed ? 's' : 'u', ch->bits, ch->storage_bits);
		if (ch->repeat > 1)
			fprintf(f, "X%u", ch->repeat);
		if (ch->shift)
			fprintf(f, ">>%u", ch->shift);
		if (ch->iq)
			fprintf(f, "  %s of I/Q with %s", ch->iq == IFBH_IQ_ROLE_I ? "I" : "Q",
				i->ch[ch->iq_partner].name);
		fputc('\n', f);
	}
	report_clock_info(c, f);
}

/*
 * Before START: make sure no stale data (or the end-of-stream ZLP of an
 * earlier, interrupted capture) waits in the endpoint, and that the
 * device is idle.
 */
static uint64_t device_errors(const struct cap *c)
{
	return c->have_stats ? c->stats.adc_errors + c->stats.usb_errors : 0;
}

void cap_report_live(struct cap *c, double now, bool final)
{
	double dt = now - c->live_t;
	double rate = dt > 0 ? (double)(c->received - c->live_bytes) / dt : 0;
	char line[256];
	int n;

	if (!c->live)
		return;
	if (final) {
		/* the whole capture's average for the last line */
		double total = (c->t_end > c->t0 ? c->t_end : now) - c->t0;

		rate = total > 0 ? (double)c->received / total : 0;
	}
	n = snprintf(line, sizeof(line),
		     "%s%s%8.2f MiB/s %8.3f Msps  total %10.1f MiB  gaps %" PRIu64
		     "  errors %" PRIu64 "%s",
		     c->several ? c->stream : "", c->several ? ": " : "", rate / 1048576.0,
		     rate / c->info.scan_size / 1e6,
		     (double)c->received / 1048576.0, (c->gaps.n + c->gaps.unlisted_count),
		     device_errors(c) + c->host_errors,
		     !c->verifying ? ""
		     : c->v.failed ? "  verify FAILED"
				   : "  verify ok");
	if (c->live_tty) {
		fprintf(stderr, "\r%s%*s", line, c->live_width > n ? c->live_width - n : 0, "");
		if (final)
			fputc('\n', stderr);
		c->live_width = n;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
	c->live_t = now;
	c->live_bytes = c->received;
}

static const char *reason_name(enum end_reason r)
{
	switch (r) {
	case END_LIMIT:
		return "limit";
	case END_SIGNAL:
		return "signal";
	case END_DEVICE:
		return "device";
	case END_ERROR:
		return "error";
	default:
		return "none";
	}
}

const char *cap_time_source_name(int source)
{
	switch (source) {
	case IFBH_TIME_FENCE: return "fence";
	case IFBH_TIME_READ: return "read";
	case IFBH_TIME_TIMESTAMP: return "timestamp";
	default: return "none";
	}
}

const char *cap_time_source_text(const struct ifbh_time_model *m)
{
	switch (m->source) {
	case IFBH_TIME_FENCE: return "the converter's DMABUF fence times";
	case IFBH_TIME_TIMESTAMP: return "the device's own timestamp channel";
	default: return "the times the daemon's read() returned (up to a block late)";
	}
}

/* "time": the stream's time model (protocol version 6), or null. */
static void report_time_json(const struct cap *c, struct cap_json *j)
{
	struct ifbh_time_model m = { .size = sizeof(m) };

	if (!c->s || ifbh_stream_time_model(c->s, &m) < 0) {
		cap_json_null(j);
		return;
	}
	cap_json_begin_object(j);
	cap_json_key(j, "source");
	cap_json_string(j, cap_time_source_name(m.source));
	cap_json_key(j, "timestamp_clock");
	if (m.timestamp_clock)
		cap_json_string(j, ifbh_ts_clock_name((unsigned int)m.timestamp_clock));
	else
		cap_json_null(j);
	cap_json_key(j, "marks");
	cap_json_u64(j, m.marks);
	cap_json_key(j, "runs");
	cap_json_u64(j, m.runs);
	cap_json_key(j, "rate_hz");
	cap_json_double(j, m.rate_hz);
	cap_json_key(j, "ppm");
	cap_json_double(j, round(m.ppm * 1000) / 1000);
	cap_json_key(j, "jitter_ns");
	cap_json_double(j, round(m.jitter_ns));
	cap_json_key(j, "host_offset_ns");
	if (m.clock_known)
		cap_json_i64(j, m.host_offset_ns);
	else
		cap_json_null(j);
	cap_json_key(j, "host_offset_unc_ns");
	if (m.clock_known)
		cap_json_i64(j, m.host_offset_unc_ns);
	else
		cap_json_null(j);
	cap_json_key(j, "clock_drift_ppm");
	if (m.clock_known && m.clock_drift_known)
		cap_json_double(j, round(m.clock_drift_ppm * 1000) / 1000);
	else
		cap_json_null(j);
	cap_json_key(j, "clock_drift_unc_ppm");
	if (m.clock_known)
		cap_json_double(j, round(m.clock_drift_unc_ppm * 1000) / 1000);
	else
		cap_json_null(j);
	cap_json_key(j, "board_clock");
	cap_json_string(j, m.clock_known ? clock_state(m.clock_flags) : "unknown");
	cap_json_end_object(j);
}

void cap_report_json(struct cap *c, FILE *f, double secs)
{
	struct cap_json j;
	const char *doc;
	uint64_t scans = c->written / c->info.scan_size;

	cap_json_init(&j, 0);
	cap_json_begin_object(&j);
	if (*c->stream) { /* --stream: which one this line is of */
		cap_json_key(&j, "stream");
		cap_json_string(&j, c->stream);
	}
	cap_json_key(&j, "bytes");
	cap_json_u64(&j, c->written);
	cap_json_key(&j, "received_bytes");
	cap_json_u64(&j, c->received);
	cap_json_key(&j, "seconds");
	cap_json_double(&j, round(secs * 1000) / 1000);
	cap_json_key(&j, "mib_s");
	cap_json_double(&j, secs > 0 ? round((double)c->received / 1048576.0 / secs * 100) / 100
				     : 0);
	cap_json_key(&j, "scans");
	cap_json_u64(&j, scans);
	cap_json_key(&j, "gaps");
	cap_json_u64(&j, (c->gaps.n + c->gaps.unlisted_count));
	cap_json_key(&j, "gap_offsets"); /* the listed ones, stream order */
	cap_json_begin_array(&j);
	for (size_t i = 0; i < c->gaps.n && i < 1000; i++)
		cap_json_u64(&j, c->gaps.off[i]);
	cap_json_end_array(&j);
	cap_json_key(&j, "errors");
	cap_json_u64(&j, device_errors(c) + c->host_errors);
	cap_json_key(&j, "verified_bytes");
	if (c->verifying)
		cap_json_u64(&j, c->v.failed ? c->v.fail.scan_off : cap_verify_checked(&c->v));
	else
		cap_json_null(&j);
	cap_json_key(&j, "verify_ok");
	if (c->verifying)
		cap_json_bool(&j, !c->v.failed);
	else
		cap_json_null(&j);
	cap_json_key(&j, "mismatch_offset");
	if (c->verifying && c->v.failed)
		cap_json_u64(&j, c->v.fail.byte_off);
	else
		cap_json_null(&j);
	cap_json_key(&j, "unexplained_jumps");
	if (c->verifying)
		cap_json_u64(&j, c->v.unexplained);
	else
		cap_json_null(&j);
	cap_json_key(&j, "first_counter");
	if (c->verifying && c->v.synced)
		cap_json_u64(&j, c->v.first_n);
	else
		cap_json_null(&j);
	cap_json_key(&j, "end");
	cap_json_string(&j, reason_name(c->reason));
	cap_json_key(&j, "exit_status");
	cap_json_i64(&j, c->fatal ? c->fatal : (c->verifying && c->v.failed) ? EXIT_VERIFY : 0);
	cap_json_key(&j, "time");
	report_time_json(c, &j);
	cap_json_key(&j, "device");
	if (c->have_stats) {
		cap_json_begin_object(&j);
		cap_json_key(&j, "mode");
		cap_json_string(&j, ifbh_mode_name(c->stats.mode));
		cap_json_key(&j, "stream_id");
		cap_json_u64(&j, c->stats.stream_id);
		cap_json_key(&j, "bytes_sent");
		cap_json_u64(&j, c->stats.bytes_sent);
		cap_json_key(&j, "blocks_sent");
		cap_json_u64(&j, c->stats.blocks_sent);
		cap_json_key(&j, "starvations");
		cap_json_u64(&j, c->stats.starvations);
		cap_json_key(&j, "adc_errors");
		cap_json_u64(&j, c->stats.adc_errors);
		cap_json_key(&j, "usb_errors");
		cap_json_u64(&j, c->stats.usb_errors);
		cap_json_key(&j, "gaps_total");
		cap_json_u64(&j, c->stats.gaps_total);
		cap_json_end_object(&j);
	} else {
		cap_json_null(&j);
	}
	cap_json_end_object(&j);
	doc = cap_json_finish(&j);
	if (doc) {
		fprintf(f, "%s\n", doc);
		fflush(f);
	}
	cap_json_free(&j);
}

static void say(const struct cap *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The time model's line of the summary (protocol version 6). */
static void report_time_human(const struct cap *c)
{
	struct ifbh_time_model m = { .size = sizeof(m) };

	if (!c->s || ifbh_stream_time_model(c->s, &m) < 0 || !m.marks)
		return;
	if (m.rate_hz > 0)
		say(c, "board time: %.3f Hz measured (%+.3f ppm) from %" PRIu64 " %s marks in %" PRIu64
		       " run(s), jitter %.1f us\n",
		    m.rate_hz, m.ppm, m.marks, cap_time_source_name(m.source), m.runs,
		    m.jitter_ns / 1e3);
	if (m.clock_known && m.clock_drift_known)
		say(c, "board clock: host - board %+.6f s (+/- %.1f us), drifting %+.2f ppm "
		       "(+/- %.2f) over %" PRIu64 " round trips, board REALTIME %s\n",
		    (double)m.host_offset_ns / 1e9, (double)m.host_offset_unc_ns / 1e3,
		    m.clock_drift_ppm, m.clock_drift_unc_ppm, m.clock_rounds,
		    clock_state(m.clock_flags));
	else if (m.clock_known)
		say(c, "board clock: host - board %+.6f s (+/- %.1f us), board REALTIME %s\n",
		    (double)m.host_offset_ns / 1e9, (double)m.host_offset_unc_ns / 1e3,
		    clock_state(m.clock_flags));
}

/* A line of the summary: "iio-ffs-capture: ", the stream's name when
 * several are captured, then the text. */
static void say(const struct cap *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct cap *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iio-ffs-capture: %s%s", c->several ? c->stream : "",
		c->several ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void cap_report_human(struct cap *c, double secs)
{
	uint64_t scans = c->written / c->info.scan_size;

	say(c,
		"%" PRIu64 " bytes (%" PRIu64 " scans) in %.2f s: %.2f MiB/s, "
		"%.3f Msps; gaps %" PRIu64 ", errors %" PRIu64 "; ended by %s\n",
		c->written, scans, secs,
		secs > 0 ? (double)c->received / 1048576.0 / secs : 0.0,
		secs > 0 ? (double)c->received / c->info.scan_size / secs / 1e6 : 0.0,
		(c->gaps.n + c->gaps.unlisted_count), device_errors(c) + c->host_errors,
		reason_name(c->reason));
	if (c->discarded)
		say(c, "%" PRIu64 " bytes beyond the limit discarded\n",
			c->discarded);
	report_time_human(c);
	if (c->carry_len)
		say(c,
			"last %zu bytes dropped: a partial scan (scans are %" PRIu32
			" bytes)\n",
			c->carry_len, c->info.scan_size);
	if (!c->verifying)
		return;
	if (!c->v.failed) {
		say(c,
			"verify OK: %" PRIu64 " bytes match the pattern from "
			"counter %" PRIu32 " on (%" PRIu64 " jumps at reported gaps%s)\n",
			cap_verify_checked(&c->v), c->v.first_n, (uint64_t)c->v.njumps,
			c->v.unlisted ? ", some at gaps the device did not list" : "");
	} else if (c->v.overflow) {
		say(c,
			"verify FAILED: more than %d unexplained discontinuities, "
			"the first at stream byte %" PRIu64 "\n",
			CAP_VERIFY_MAX_PENDING, c->v.fail.byte_off);
	} else {
		say(c,
			"verify FAILED at stream byte %" PRIu64
			" (channel %s of the scan at %" PRIu64 "): expected 0x%04" PRIx32
			", got 0x%04" PRIx32 "; %" PRIu64 " break(s) of the count where no gap "
			"was reported\n",
			c->v.fail.byte_off, c->info.ch[c->v.fail.chan].name, c->v.fail.scan_off,
			c->v.fail.expected, c->v.fail.got, c->v.unexplained);
	}
}

