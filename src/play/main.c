// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-play: play a raw file of scans, or the simulated converters'
 * counter pattern, to an output stream (protocol version 5, host to DAC)
 * of an iio-ffs-bridge device, with a live rate line, the underflows the
 * device reports, and an end that waits until the DAC has played the last
 * sample. The USB side is libifbhost's writer (ifbh_writer_*); args.c
 * parses the options, pattern.c makes the pattern.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/json.h"
#include "iio-ffs-bridge/protocol.h"
#include "play/play.h"

#define WRITE_WAIT_MS 100
#define END_SLICE_MS 200
#define LIVE_PERIOD_S 1.0
#define TOLD_MAX 10         /* underflows told one by one on stderr */
#define JSON_OFFSETS_MAX 1000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("iio-ffs-play: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exit_code(int err)
{
	switch (-err) {
	case ENODEV:
	case ECONNRESET:
		return PLAY_EXIT_GONE;
	case EACCES:
	case EBUSY:
		return PLAY_EXIT_ACCESS;
	case EPIPE:
	case ESTALE:
	case EPROTO:
	case EBADMSG:
	case EPROTONOSUPPORT:
	case EOPNOTSUPP: /* a request refused: a cyclic START in copy mode */
	case EINVAL:     /* ... a waveform the device will not take */
	case ERANGE:     /* ... a board time too far ahead */
		return PLAY_EXIT_PROTO;
	case ETIME:      /* a timed burst the device could not start in time */
		return PLAY_EXIT_LATE;
	default:
		return PLAY_EXIT_USB;
	}
}

enum end_reason { END_DONE, END_SIGNAL, END_DEVICE, END_ERROR };

struct play {
	struct play_opts o;
	struct ifbh_ctx *ctx;
	struct ifbh_dev *dev;
	struct ifbh_writer *w;
	const struct ifbh_info *info;

	/* the source */
	int fd;
	char sigmf_data[4096], sigmf_meta[4096]; /* a SigMF recording's files */
	bool regular;
	uint64_t pass_bytes; /* a regular file's whole scans */
	uint64_t pass_pos, passes;
	uint64_t next_scan;  /* the pattern's */
	uint64_t limit;      /* --bytes in whole scans; 0: none */
	uint64_t read_total;

	/* reports */
	bool live, live_tty;
	int live_width;
	double live_t;
	uint64_t live_bytes;
	unsigned int told;
	enum end_reason reason;
	int64_t at_ns; /* --at: the board time asked for; 0: none */
	int fatal;
	char fatal_msg[640];
};

static void set_fatal(struct play *p, int code, enum end_reason r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_fatal(struct play *p, int code, enum end_reason r, const char *fmt, ...)
{
	va_list ap;

	if (p->fatal)
		return;
	p->fatal = code;
	p->reason = r;
	va_start(ap, fmt);
	vsnprintf(p->fatal_msg, sizeof(p->fatal_msg), fmt, ap);
	va_end(ap);
}

/* --- finding the stream ---------------------------------------------------- */

static int find(struct play *p, unsigned int dirs, struct ifbh_list **ret_list)
{
	int ret = ifbh_find_streams(p->ctx, &p->o.sel, dirs, ret_list);

	if (ret) {
		msg("%s", ifbh_ctx_error(p->ctx));
		return PLAY_EXIT_USB;
	}
	return 0;
}

static void no_output_stream(const struct play *p, const struct ifbh_list *list)
{
	if (ifbh_list_denied(list))
		msg("%zu device(s) with the iio-ffs-bridge interface could not be opened to read "
		    "their serial number: permission denied (see iio-ffs-play(1), PERMISSIONS)",
		    ifbh_list_denied(list));
	else
		msg("no output stream found (an iio-ffs-bridge interface of protocol %02x with a "
		    "bulk OUT endpoint, protocol version 5%s)",
		    IFB_USB_PROTOCOL_OUT,
		    p->o.sel.have_vidpid || p->o.sel.serial || p->o.sel.path
			    ? ", matching --device/--serial/--path"
			    : "");
}

static int list_streams(struct play *p)
{
	struct ifbh_list *list;
	int ret = find(p, IFBH_FIND_OUT, &list);

	if (ret)
		return ret;
	if (!ifbh_list_count(list)) {
		no_output_stream(p, list);
		ifbh_list_free(list);
		return PLAY_EXIT_NODEV;
	}
	for (size_t i = 0; i < ifbh_list_count(list); i++) {
		struct ifbh_dev *dev;
		char line[512];

		ifbh_device_describe(ifbh_list_get(list, i), line, sizeof(line));
		ret = ifbh_dev_open(p->ctx, list, i, &dev);
		if (ret) {
			printf("%zu) %s, stream %d: cannot open it (%s)\n", i + 1, line,
			       ifbh_list_stream_index(list, i), strerror(-ret));
			continue;
		}
		{
			const struct ifbh_info *in = ifbh_dev_info(dev);

			printf("%zu) %s, output stream \"%s\" (%u of %u): %s, %u channel(s) in "
			       "%" PRIu32 "-byte scans, %" PRIu32 " blocks of %" PRIu32 " bytes\n",
			       i + 1, line, ifbh_dev_stream_name(dev),
			       ifbh_dev_stream_index(dev) + 1, ifbh_dev_stream_count(dev),
			       in->device_name, in->num_channels, in->scan_size, in->block_count,
			       in->block_size);
		}
		ifbh_dev_close(dev);
	}
	ifbh_list_free(list);
	return fflush(stdout) ? PLAY_EXIT_INPUT : PLAY_EXIT_OK;
}

/* Is name an input stream? Then say so: iio-ffs-capture reads it. */
static bool refuse_input(struct play *p, const char *name)
{
	struct ifbh_list *list;
	struct ifbh_dev *dev;
	bool found = false;

	if (ifbh_find_streams(p->ctx, &p->o.sel, IFBH_FIND_IN, &list))
		return false;
	if (ifbh_list_count(list) && ifbh_list_open_stream(p->ctx, list, name, &dev) == 0) {
		found = true;
		msg("--stream %s: stream \"%s\" of the device at %s is an input stream (device to "
		    "host, an ADC's): iio-ffs-play plays to output streams; iio-ffs-capture reads "
		    "it",
		    name, name, ifbh_dev_desc(dev)->path);
		ifbh_dev_close(dev);
	}
	ifbh_list_free(list);
	return found;
}

static int open_stream(struct play *p)
{
	struct ifbh_list *list;
	int ret = find(p, IFBH_FIND_OUT, &list), err;

	if (ret)
		return ret;
	if (p->o.stream) {
		err = ifbh_list_open_stream(p->ctx, list, p->o.stream, &p->dev);
		ifbh_list_free(list);
		if (!err)
			return 0;
		if (err == -ENOENT && refuse_input(p, p->o.stream))
			return PLAY_EXIT_NODEV;
		msg("--stream %s: %s", p->o.stream, ifbh_ctx_error(p->ctx));
		return err == -ENOENT || err == -ENOTUNIQ ? PLAY_EXIT_NODEV : exit_code(err);
	}
	if (!ifbh_list_count(list)) {
		no_output_stream(p, list);
		ifbh_list_free(list);
		return PLAY_EXIT_NODEV;
	}
	/* the first output stream (the only one, usually) */
	err = ifbh_dev_open(p->ctx, list, 0, &p->dev);
	if (!err && ifbh_list_count(list) > 1 && !p->o.quiet)
		msg("%zu output streams found: playing to the first, \"%s\" (--list shows them, "
		    "--stream chooses)",
		    ifbh_list_count(list), ifbh_dev_stream_name(p->dev));
	ifbh_list_free(list);
	if (err) {
		msg("%s", ifbh_ctx_error(p->ctx));
		return exit_code(err);
	}
	return 0;
}

/* --- the source -------------------------------------------------------------- */

static int open_source(struct play *p)
{
	uint32_t scan = p->info->scan_size;
	struct stat stbuf;
	char err[256];

	p->limit = p->o.bytes - p->o.bytes % scan;
	if (p->o.bytes && !p->limit) {
		msg("--bytes %" PRIu64 ": less than one %" PRIu32 "-byte scan", p->o.bytes, scan);
		return PLAY_EXIT_USAGE;
	}
	if (p->o.src == PLAY_SRC_PATTERN) {
		if (play_counter_check(p->info, err, sizeof(err))) {
			msg("--pattern counter: %s", err);
			return PLAY_EXIT_USAGE;
		}
		return 0;
	}
	if (play_sigmf_paths(p->o.file, p->sigmf_data, sizeof(p->sigmf_data), p->sigmf_meta,
			     sizeof(p->sigmf_meta))) {
		char dt[64];
		double rate = 0;

		if (play_sigmf_read_meta(p->sigmf_meta, dt, sizeof(dt), &rate, err, sizeof(err))) {
			msg("%s", err);
			return PLAY_EXIT_INPUT;
		}
		if (play_sigmf_check(p->info, dt, err, sizeof(err))) {
			msg("%s: %s", p->sigmf_meta, err);
			return PLAY_EXIT_USAGE;
		}
		if (rate > 0 && p->info->sample_rate_mhz &&
		    fabs(rate - (double)p->info->sample_rate_mhz / 1000.0) > rate * 1e-9 && !p->o.quiet)
			msg("warning: %s was recorded at %.3f Hz; stream \"%s\" plays at %.3f Hz",
			    p->sigmf_meta, rate, ifbh_dev_stream_name(p->dev),
			    (double)p->info->sample_rate_mhz / 1000.0);
		p->o.file = p->sigmf_data;
	}
	if (!strcmp(p->o.file, "-")) {
		p->fd = STDIN_FILENO;
	} else {
		p->fd = open(p->o.file, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0) {
			msg("cannot open %s: %s", p->o.file, strerror(errno));
			return PLAY_EXIT_INPUT;
		}
	}
	if (fstat(p->fd, &stbuf) == 0 && S_ISREG(stbuf.st_mode)) {
		p->regular = true;
		p->pass_bytes = (uint64_t)stbuf.st_size - (uint64_t)stbuf.st_size % scan;
		if (!p->pass_bytes) {
			msg("%s holds no whole %" PRIu32 "-byte scan", p->o.file, scan);
			return PLAY_EXIT_INPUT;
		}
		if ((uint64_t)stbuf.st_size != p->pass_bytes && !p->o.quiet)
			msg("%s ends in a partial scan: its last %" PRIu64 " bytes are not played",
			    p->o.file, (uint64_t)stbuf.st_size - p->pass_bytes);
	} else if (p->o.repeat != 1) {
		msg("--repeat: %s cannot be read again (not a regular file)", p->o.file);
		return PLAY_EXIT_USAGE;
	}
	return 0;
}

/* Up to cap bytes of the source into buf (whole scans but at its very
 * end); *ret_len 0: the source is done. 0 or an exit code. */
static int fill(struct play *p, uint8_t *buf, size_t cap, size_t *ret_len)
{
	uint32_t scan = p->info->scan_size;
	size_t len = 0;

	if (p->limit && cap > p->limit - p->read_total)
		cap = (size_t)(p->limit - p->read_total);
	if (p->o.src == PLAY_SRC_PATTERN) {
		size_t n = cap / scan;

		play_counter_fill(p->info, buf, n, p->next_scan);
		p->next_scan += n;
		len = n * scan;
	}
	while (p->o.src == PLAY_SRC_FILE && len < cap) {
		size_t want = cap - len;
		ssize_t got;

		if (p->regular && want > p->pass_bytes - p->pass_pos)
			want = (size_t)(p->pass_bytes - p->pass_pos);
		got = want ? read(p->fd, buf + len, want) : 0;
		if (got < 0 && errno == EINTR) {
			if (got_signal)
				break;
			continue;
		}
		if (got < 0) {
			msg("reading %s: %s", p->o.file, strerror(errno));
			return PLAY_EXIT_INPUT;
		}
		if (got > 0) {
			len += (size_t)got;
			p->pass_pos += (uint64_t)got;
			continue;
		}
		/* the end of a pass */
		p->passes++;
		if (!p->regular || (p->o.repeat && p->passes >= p->o.repeat))
			break;
		if (lseek(p->fd, 0, SEEK_SET) < 0) {
			msg("rewinding %s: %s", p->o.file, strerror(errno));
			return PLAY_EXIT_INPUT;
		}
		p->pass_pos = 0;
	}
	p->read_total += len;
	*ret_len = len;
	return 0;
}

/* --- reports ------------------------------------------------------------------ */

static uint64_t errors(const struct ifbh_writer_status *st)
{
	return st->host_errors + (st->have_stats ? st->stats.adc_errors + st->stats.usb_errors : 0);
}

static void live_line(struct play *p, bool final)
{
	const struct ifbh_writer_status *st = ifbh_writer_status(p->w);
	double now = now_s(), dt = now - p->live_t, rate;
	char line[256];
	int n;

	if (!p->live || (!final && dt < LIVE_PERIOD_S))
		return;
	rate = dt > 0 ? (double)(st->sent - p->live_bytes) / dt : 0;
	if (final) {
		double total = (st->t_end > st->t_start ? st->t_end : now) - st->t_start;

		rate = total > 0 ? (double)st->sent / total : 0;
	}
	n = snprintf(line, sizeof(line),
		     "%8.2f MiB/s %8.3f Msps  total %10.1f MiB  underflows %" PRIu64
		     "  errors %" PRIu64,
		     rate / 1048576.0, rate / p->info->scan_size / 1e6,
		     (double)st->sent / 1048576.0, st->underflows, errors(st));
	if (p->live_tty) {
		fprintf(stderr, "\r%s%*s", line, p->live_width > n ? p->live_width - n : 0, "");
		if (final)
			fputc('\n', stderr);
		p->live_width = n;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
	p->live_t = now;
	p->live_bytes = st->sent;
}

static void on_underflow(void *user, const struct ifbh_gap *g)
{
	struct play *p = user;

	if (p->o.quiet || p->told > TOLD_MAX)
		return;
	if (p->live_tty && p->live_width)
		fputc('\n', stderr);
	p->live_width = 0;
	if (p->told++ == TOLD_MAX)
		msg("more underflows: the summary counts them");
	else if (g->exact)
		msg("underflow: the DAC ran dry before stream offset %" PRIu64, g->offset);
	else
		msg("%" PRIu64 " underflows between stream offsets %" PRIu64 " and %" PRIu64
		    " (their offsets are lost)",
		    g->count, g->lo, g->hi);
}

static const char *reason_name(enum end_reason r)
{
	switch (r) {
	case END_DONE:
		return "done";
	case END_SIGNAL:
		return "signal";
	case END_DEVICE:
		return "device";
	default:
		return "error";
	}
}

static double seconds(const struct ifbh_writer_status *st)
{
	double end = st->t_end ? st->t_end : now_s();

	return st->t_start && end > st->t_start ? end - st->t_start : 0;
}

static void report_json(struct play *p, int status)
{
	const struct ifbh_writer_status *st = ifbh_writer_status(p->w);
	const uint64_t *off;
	size_t noff = ifbh_writer_underflow_offsets(p->w, &off);
	double secs = seconds(st);
	struct cap_json j;
	const char *doc;

	cap_json_init(&j, 0);
	cap_json_begin_object(&j);
	cap_json_key(&j, "stream");
	cap_json_string(&j, ifbh_dev_stream_name(p->dev));
	cap_json_key(&j, "bytes");
	cap_json_u64(&j, st->sent);
	cap_json_key(&j, "scans");
	cap_json_u64(&j, st->sent / p->info->scan_size);
	cap_json_key(&j, "seconds");
	cap_json_double(&j, secs);
	cap_json_key(&j, "mib_s");
	cap_json_double(&j, secs > 0 ? (double)st->sent / secs / 1048576.0 : 0);
	cap_json_key(&j, "played");
	cap_json_bool(&j, st->played);
	if (p->at_ns) {
		cap_json_key(&j, "at_board_ns");
		cap_json_u64(&j, (uint64_t)p->at_ns);
		cap_json_key(&j, "late");
		cap_json_bool(&j, st->error == -ETIME);
	}
	cap_json_key(&j, "underflows");
	cap_json_u64(&j, st->underflows);
	cap_json_key(&j, "underflows_unlisted");
	cap_json_u64(&j, st->underflows_unlisted);
	cap_json_key(&j, "underflow_offsets");
	cap_json_begin_array(&j);
	for (size_t i = 0; i < noff && i < JSON_OFFSETS_MAX; i++)
		cap_json_u64(&j, off[i]);
	cap_json_end_array(&j);
	cap_json_key(&j, "dropped_bytes");
	cap_json_u64(&j, st->dropped);
	cap_json_key(&j, "errors");
	cap_json_u64(&j, errors(st));
	cap_json_key(&j, "end");
	cap_json_string(&j, reason_name(p->reason));
	cap_json_key(&j, "exit_status");
	cap_json_i64(&j, status);
	cap_json_key(&j, "device");
	if (st->have_stats) {
		cap_json_begin_object(&j);
		cap_json_key(&j, "mode");
		cap_json_string(&j, ifbh_mode_name(st->stats.mode));
		cap_json_key(&j, "stream_id");
		cap_json_u64(&j, st->stats.stream_id);
		cap_json_key(&j, "bytes_sent");
		cap_json_u64(&j, st->stats.bytes_sent);
		cap_json_key(&j, "blocks_sent");
		cap_json_u64(&j, st->stats.blocks_sent);
		cap_json_key(&j, "starvations");
		cap_json_u64(&j, st->stats.starvations);
		cap_json_key(&j, "adc_errors");
		cap_json_u64(&j, st->stats.adc_errors);
		cap_json_key(&j, "usb_errors");
		cap_json_u64(&j, st->stats.usb_errors);
		cap_json_key(&j, "gaps_total");
		cap_json_u64(&j, st->stats.gaps_total);
		cap_json_end_object(&j);
	} else {
		cap_json_null(&j);
	}
	cap_json_end_object(&j);
	doc = cap_json_finish(&j);
	if (doc)
		printf("%s\n", doc);
	cap_json_free(&j);
	fflush(stdout);
}

static void report_human(struct play *p)
{
	const struct ifbh_writer_status *st = ifbh_writer_status(p->w);
	const uint64_t *off;
	size_t noff = ifbh_writer_underflow_offsets(p->w, &off);
	double secs = seconds(st);

	msg("%s %.1f MiB (%" PRIu64 " scans) to stream \"%s\" at %s in %.3f s (%.2f MiB/s), "
	    "%" PRIu64 " underflow(s)%s",
	    st->played ? "played" : "sent", (double)st->sent / 1048576.0,
	    st->sent / p->info->scan_size, ifbh_dev_stream_name(p->dev), ifbh_dev_desc(p->dev)->path,
	    secs, secs > 0 ? (double)st->sent / secs / 1048576.0 : 0, st->underflows,
	    st->played ? "" : " (not every sample is known to have been played)");
	if (noff) {
		char line[256];
		size_t used = 0;

		for (size_t i = 0; i < noff && i < 8 && used < sizeof(line); i++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%" PRIu64,
						 i ? ", " : "", off[i]);
		msg("underflows at stream offsets %s%s", line, noff > 8 ? ", ..." : "");
	}
}

/* --- playing ------------------------------------------------------------------- */

/* The writer's error, as the play's end. */
static void writer_failed(struct play *p, int err)
{
	set_fatal(p, exit_code(err), err == -ENODEV || err == -ECONNRESET ? END_DEVICE : END_ERROR,
		  "%s", ifbh_dev_error(p->dev));
}

/*
 * --cyclic: the waveform (at most the device's pool) sent once with a
 * cyclic START; the DAC repeats it until --duration has passed or a
 * signal, then STOP and the wait until the DAC has stopped.
 */
static int run_cyclic(struct play *p)
{
	size_t cap = (size_t)p->info->block_size * p->info->block_count, len = 0, more = 0;
	uint8_t *buf = malloc(cap + p->info->scan_size);
	double until;
	int ret;

	if (!buf) {
		set_fatal(p, PLAY_EXIT_USB, END_ERROR, "out of memory");
		return -1;
	}
	ret = fill(p, buf, cap, &len);
	if (!ret && p->o.src == PLAY_SRC_FILE)
		ret = fill(p, buf + len, p->info->scan_size, &more);
	else if (p->limit > cap)
		more = 1; /* --bytes asked for more of the pattern than the pool holds */
	if (ret) {
		set_fatal(p, ret, END_ERROR, "the input failed");
		free(buf);
		return -1;
	}
	if (more || !len) {
		set_fatal(p, PLAY_EXIT_USAGE, END_ERROR,
			  "--cyclic: the waveform must be 1 to %zu bytes of whole scans (the device's "
			  "pool of blocks); %s",
			  cap, !len ? "there is nothing to play" :
			  p->o.src == PLAY_SRC_FILE ? "the file is longer" : "--bytes asks for more");
		free(buf);
		return -1;
	}
	ifbh_writer_set_underflow_cb(p->w, on_underflow, p);
	ret = ifbh_writer_start_cyclic(p->w, buf, len, -1);
	free(buf);
	if (ret) {
		writer_failed(p, ret);
		return -1;
	}
	p->live_t = now_s();
	until = p->o.duration ? now_s() + p->o.duration : 0;
	while (!got_signal && (!until || now_s() < until)) {
		double left = until ? until - now_s() : 1.0;

		ret = ifbh_writer_poll(p->w, left > 0.2 ? 200 : (int)(left * 1000) + 1);
		if (ret) {
			writer_failed(p, ret);
			return 0;
		}
		live_line(p, false);
	}
	do {
		ret = ifbh_writer_end(p->w, END_SLICE_MS);
		live_line(p, false);
	} while (ret == -ETIMEDOUT && !got_signal);
	if (got_signal && p->o.duration)
		p->reason = END_SIGNAL;
	if (ret == -ETIMEDOUT)
		ifbh_writer_cancel(p->w);
	else if (ret)
		writer_failed(p, ret);
	return 0;
}

/* START, at a board time with --at (+S: from the board's clock now,
 * through GET_CLOCK round trips). */
static int start(struct play *p)
{
	struct ifbh_time_model m = { .size = sizeof(m) };
	struct timespec ts;
	int64_t host_now;
	int ret;

	if (!p->o.at_rel && !p->o.at_ns)
		return ifbh_writer_start(p->w);
	p->at_ns = (int64_t)p->o.at_ns;
	if (p->o.at_rel) {
		ret = ifbh_dev_clock(p->dev, 0, &m);
		if (ret)
			return ret;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		host_now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		p->at_ns = host_now - m.host_offset_ns + (int64_t)(p->o.at_rel * 1e9);
	}
	return ifbh_writer_start_at(p->w, p->at_ns);
}

static int run(struct play *p)
{
	size_t chunk = ifbh_writer_transfer_size(p->w);
	uint8_t *buf = malloc(chunk);
	int ret;

	if (!buf) {
		set_fatal(p, PLAY_EXIT_USB, END_ERROR, "out of memory");
		return -1;
	}
	ifbh_writer_set_underflow_cb(p->w, on_underflow, p);
	ret = start(p);
	if (ret) {
		writer_failed(p, ret);
		free(buf);
		return -1;
	}
	p->live_t = now_s();
	while (!got_signal && !p->fatal) {
		size_t len, off = 0;

		ret = fill(p, buf, chunk, &len);
		if (ret) {
			set_fatal(p, ret, END_ERROR, "the input failed");
			break;
		}
		if (!len)
			break;
		while (off < len && !got_signal) {
			ssize_t n = ifbh_writer_write(p->w, buf + off, len - off, WRITE_WAIT_MS);

			if (n == -EAGAIN) {
				live_line(p, false);
				continue;
			}
			if (n < 0) {
				writer_failed(p, (int)n);
				break;
			}
			off += (size_t)n;
			live_line(p, false);
		}
		if (p->fatal)
			break;
	}
	free(buf);
	if (got_signal) {
		p->reason = END_SIGNAL;
		ifbh_writer_cancel(p->w);
		return 0;
	}
	/* the rest, STOP, and the DAC playing out what it holds */
	do {
		ret = ifbh_writer_end(p->w, END_SLICE_MS);
		live_line(p, false);
	} while (ret == -ETIMEDOUT && !got_signal);
	if (ret == -ETIMEDOUT) {
		p->reason = END_SIGNAL;
		ifbh_writer_cancel(p->w);
	} else if (ret) {
		writer_failed(p, ret);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct play p = { .fd = -1 };
	struct ifbh_writer_opts wo = { 0 };
	char err[512];
	int ret, status;

	switch (play_parse_args(argc, argv, &p.o, stdout, err, sizeof(err))) {
	case PLAY_ARGS_DONE:
		return fflush(stdout) ? PLAY_EXIT_INPUT : PLAY_EXIT_OK;
	case PLAY_ARGS_USAGE:
		msg("%s", err);
		return PLAY_EXIT_USAGE;
	case PLAY_ARGS_RUN:
		break;
	}
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ret = ifbh_ctx_new(&p.ctx);
	if (ret) {
		msg("cannot start libusb: %s", strerror(-ret));
		return PLAY_EXIT_USB;
	}
	if (p.o.list_only) {
		status = list_streams(&p);
		ifbh_ctx_free(p.ctx);
		return status;
	}
	status = open_stream(&p);
	if (status)
		goto out_ctx;
	p.info = ifbh_dev_info(p.dev);
	status = open_source(&p);
	if (status)
		goto out_dev;
	wo.transfers = p.o.transfers;
	wo.transfer_size = (size_t)p.o.transfer_size;
	ret = ifbh_writer_new(p.dev, &wo, &p.w);
	if (ret) {
		msg("%s", ifbh_dev_error(p.dev));
		status = ret == -EINVAL ? PLAY_EXIT_USAGE : exit_code(ret);
		goto out_dev;
	}
	p.live = !p.o.quiet && (p.o.live || isatty(STDERR_FILENO));
	p.live_tty = isatty(STDERR_FILENO);
	if (p.o.cyclic)
		run_cyclic(&p);
	else
		run(&p);
	if (p.live && ifbh_writer_status(p.w)->started)
		live_line(&p, true);
	status = p.fatal;
	if (!status && p.o.strict && ifbh_writer_status(p.w)->underflows)
		status = PLAY_EXIT_UNDERFLOW;
	if (p.fatal)
		msg("%s", p.fatal_msg);
	if (!p.o.quiet && ifbh_writer_status(p.w)->started)
		report_human(&p);
	if (p.o.json)
		report_json(&p, status);
	ifbh_writer_free(p.w);
out_dev:
	if (p.fd > STDIN_FILENO)
		close(p.fd);
	ifbh_dev_close(p.dev);
out_ctx:
	ifbh_ctx_free(p.ctx);
	return status;
}
