// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture's output: whole scans to the file (or standard output),
 * through a bounce buffer where usbfs memory cannot be written from, and
 * the SigMF metadata at the end (segments at the gaps, each with a
 * datetime estimated from when its data arrived).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/cap.h"
#include "capture/sigmf.h"
#include "iio-ffs-bridge/protocol.h"

/* A recording passes 2 GiB in seconds. On a 32-bit host, without the
 * Makefile's -D_FILE_OFFSET_BITS=64 the data file is opened without
 * O_LARGEFILE (its writes stop at 2 GiB with EFBIG), fstat() fails with
 * EOVERFLOW past that and ftruncate() takes a 32-bit length. */
_Static_assert(sizeof(off_t) == 8, "build with -D_FILE_OFFSET_BITS=64");

/* Writes len bytes; *done says how many went out, also on error. */
static int write_all(int fd, const uint8_t *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t w = write(fd, p + *done, len - *done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*done += (size_t)w;
	}
	return 0;
}

const struct ifbh_info *cap_sigmf_info(const struct cap *c)
{
	return c->split.active ? &c->split.data : &c->info;
}

/*
 * Whole scans with a timestamp channel, to SigMF: their samples to the
 * data file, their timestamps to the timestamp recording's. `written`
 * counts the scans (as streamed) that are in both.
 */
static void emit_split(struct cap *c, const uint8_t *p, size_t len)
{
	const struct cap_sigmf_split *s = &c->split;
	size_t scans = len / s->scan_size, per = BOUNCE_SIZE / s->scan_size, done;

	if (!per)
		per = 1;
	while (scans) {
		size_t n = scans < per ? scans : per;
		const char *path = c->data_path;
		int ret;

		cap_sigmf_split_scans(s, p, n, c->split_buf, c->ts_buf);
		ret = write_all(c->out_fd, c->split_buf, n * s->data.scan_size, &done);
		if (!ret) {
			path = c->ts_data_path;
			ret = write_all(c->ts_fd, c->ts_buf, n * 8, &done);
		}
		if (ret) {
			c->data_failed = true;
			cap_set_fatal(c, EXIT_OUTPUT, "writing %s failed: %s", path, strerror(-ret));
			return;
		}
		c->written += n * s->scan_size;
		p += n * s->scan_size;
		scans -= n;
	}
}

static void emit(struct cap *c, const uint8_t *p, size_t len)
{
	size_t done = 0;
	int ret = 0;

	if (c->fatal == EXIT_OUTPUT || c->data_failed)
		return; /* the file holds `written` bytes, whole samples: keep it so */
	if (c->out_fd < 0) {
		c->written += len; /* captured, discarded as asked */
		return;
	}
	if (c->split.active) {
		emit_split(c, p, len);
		return;
	}
	if (!c->bounce) {
		ret = write_all(c->out_fd, p, len, &done);
		/*
		 * usbfs-mapped transfer memory cannot be pinned by some file
		 * systems (9p, FUSE direct I/O): EFAULT. From then on, copy
		 * through ordinary memory, starting where the write stopped.
		 */
		if (ret == -EFAULT && !c->bounce_buf) {
			c->bounce_buf = malloc(BOUNCE_SIZE);
			if (c->bounce_buf)
				c->bounce = true;
		}
	}
	if (c->bounce) {
		ret = 0;
		while (done < len && !ret) {
			size_t n = len - done < BOUNCE_SIZE ? len - done : BOUNCE_SIZE, w;

			memcpy(c->bounce_buf, p + done, n);
			ret = write_all(c->out_fd, c->bounce_buf, n, &w);
			done += w;
		}
	}
	if (ret) {
		c->data_failed = true;
		cap_set_fatal(c, EXIT_OUTPUT, "writing %s failed: %s",
			  c->out_stdout ? "standard output" : c->data_path, strerror(-ret));
		return;
	}
	c->written += len;
}

/* Keep stream bytes: whole scans go out at once, a partial scan waits. */
void cap_keep(struct cap *c, const uint8_t *p, size_t len)
{
	size_t scan = c->info.scan_size;

	if (c->verifying)
		cap_verify_feed(&c->v, p, len);
	c->kept += len;
	if (c->carry_len) {
		size_t take = scan - c->carry_len;

		if (take > len)
			take = len;
		memcpy(c->carry + c->carry_len, p, take);
		c->carry_len += take;
		p += take;
		len -= take;
		if (c->carry_len < scan)
			return;
		emit(c, c->carry, scan);
		c->carry_len = 0;
	}
	if (len >= scan) {
		size_t whole = len - len % scan;

		emit(c, p, whole);
		p += whole;
		len -= whole;
	}
	if (len)
		memcpy(c->carry, p, len);
	c->carry_len = len;
}

void cap_note_arrival(struct cap *c, uint64_t end)
{
	if (c->narrivals == c->arrivals_cap) {
		size_t ncap = c->arrivals_cap ? 2 * c->arrivals_cap : 1024;
		struct arrival *n = realloc(c->arrivals, ncap * sizeof(*n));

		if (!n)
			return; /* only the segments' datetimes suffer */
		c->arrivals = n;
		c->arrivals_cap = ncap;
	}
	c->arrivals[c->narrivals].end = end;
	clock_gettime(CLOCK_REALTIME, &c->arrivals[c->narrivals].t);
	c->narrivals++;
}

/*
 * When the sample at stream offset off was taken, estimated: the chunk
 * holding it arrived at t, and the bytes after it in that chunk took
 * their time at the sample rate. false if unknown.
 */
static bool sample_time(const struct cap *c, uint64_t off, struct timespec *ret)
{
	size_t lo = 0, hi = c->narrivals;
	double rate = (double)c->info.sample_rate_mhz / 1000.0 * c->info.scan_size, back;
	struct timespec t;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->arrivals[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->narrivals || rate <= 0)
		return false;
	t = c->arrivals[lo].t;
	back = (double)(c->arrivals[lo].end - off) / rate;
	t.tv_sec -= (time_t)back;
	t.tv_nsec -= (long)((back - (double)(time_t)back) * 1e9);
	if (t.tv_nsec < 0) {
		t.tv_nsec += 1000000000L;
		t.tv_sec--;
	}
	*ret = t;
	return true;
}

/* --- SigMF --------------------------------------------------------------- */

/*
 * The board's time (protocol version 6) of the sample at stream offset
 * off, on its CLOCK_REALTIME, as RFC 3339 to the nanosecond; false when
 * the device has none (or none yet: at START).
 */
static bool board_datetime(const struct cap *c, uint64_t off, char *out, size_t len)
{
	struct timespec ts;
	int64_t ns;

	if (!c->s || ifbh_stream_realtime(c->s, off, &ns) < 0 || ns < 0)
		return false;
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return cap_rfc3339_ns(&ts, out, len) == 0;
}

/* The SigMF "time" annotation: where the datetimes come from, the rate the
 * board's marks show, and the board clock's state. false: no board time. */
static bool time_comment(const struct cap *c, char *out, size_t len)
{
	struct ifbh_time_model tm = { .size = sizeof(tm) };

	if (!c->s || ifbh_stream_time_model(c->s, &tm) < 0 || !tm.marks || !tm.clock_known)
		return false;
	snprintf(out, len,
		 "core:datetime of every capture segment is the board's CLOCK_REALTIME when that "
		 "segment's first sample was taken, from %s (%" PRIu64 " marks, jitter %.1f us); "
		 "measured sample rate %.6f Hz (%+.3f ppm against the nominal %.3f Hz); the board's "
		 "clock is %s",
		 cap_time_source_text(&tm),
		 tm.marks, tm.jitter_ns / 1e3, tm.rate_hz, tm.ppm, tm.nominal_hz,
		 !(tm.clock_flags & IFBH_CLOCK_STATE_KNOWN) ? "of unknown discipline"
		 : tm.clock_flags & IFBH_CLOCK_SYNCED       ? "synchronised (NTP, PTP or GNSS)"
							    : "not synchronised (free-running)");
	return true;
}

/* NAME of --sigmf NAME without its directory: how the two recordings of
 * a split scan name each other (they lie side by side). */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int write_meta(struct cap *c)
{
	struct cap_sigmf_gap *g = NULL;
	char (*when_gap)[40] = NULL;
	double prev_t, byte_rate;
	uint64_t prev_off;
	struct cap_sigmf_meta m = { 0 };
	char when[40], recorder[64], note[512] = "", err[256], tcomment[512];
	char ts_name[512];
	struct ifbh_time_model tm = { .size = sizeof(tm) };
	bool board;
	uint64_t lost = 0;
	size_t ng = 0;
	char *doc;
	int ret;

	if (c->gaps.n) {
		g = calloc(c->gaps.n, sizeof(*g));
		when_gap = calloc(c->gaps.n, sizeof(*when_gap));
		if (!g || !when_gap) {
			free(g);
			free(when_gap);
			return -ENOMEM;
		}
	}
	/* segment datetimes: from the first sample (START) on, in order */
	prev_t = (double)c->start_wall.tv_sec + (double)c->start_wall.tv_nsec / 1e9;
	prev_off = 0;
	byte_rate = (double)c->info.sample_rate_mhz / 1000.0 * c->info.scan_size;
	for (size_t i = 0; i < c->gaps.n; i++) {
		uint64_t missing = 0;
		struct timespec ts;

		g[ng].stream_offset = c->gaps.off[i];
		if (board_datetime(c, c->gaps.off[i], when_gap[ng], sizeof(when_gap[ng]))) {
			g[ng].datetime = when_gap[ng];
		} else if (sample_time(c, c->gaps.off[i], &ts)) {
			/*
			 * Samples are taken in order, at least the samples in
			 * between apart: no earlier than the last segment's
			 * time plus them (arrival times jitter).
			 */
			double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
			double floor_t = prev_t + (double)(c->gaps.off[i] - prev_off) / byte_rate;

			if (t < floor_t)
				t = floor_t;
			ts.tv_sec = (time_t)t;
			ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
			prev_t = t;
			prev_off = c->gaps.off[i];
			if (cap_rfc3339(&ts, when_gap[ng], sizeof(when_gap[ng])) == 0)
				g[ng].datetime = when_gap[ng];
		}
		if (c->verifying && cap_verify_missing_at(&c->v, c->gaps.off[i], &missing)) {
			g[ng].missing_known = true;
			g[ng].missing = missing;
		}
		ng++;
	}
	lost = c->gaps.unlisted_count;
	if (lost)
		snprintf(note, sizeof(note),
			 "The device reported %" PRIu64 " further gap(s) whose stream offsets it "
			 "could not give (a protocol-version-1 device lists the %d most recent, "
			 "a newer one keeps %d); they have no capture segment",
			 lost, IFB_STATS_MAX_GAPS, IFB_GAPS_RING);
	board = board_datetime(c, 0, when, sizeof(when));
	if (!board)
		cap_rfc3339(&c->start_wall, when, sizeof(when));
	snprintf(recorder, sizeof(recorder), "iio-ffs-capture %s", IFB_VERSION);
	m.info = cap_sigmf_info(c);
	m.stream_scan_size = c->info.scan_size;
	if (c->split.active) {
		snprintf(ts_name, sizeof(ts_name), "%s" CAP_SIGMF_TS_SUFFIX, base_name(c->o.sigmf));
		m.ts_recording = ts_name;
	}
	m.hw = c->hw;
	m.recorder = recorder;
	m.author = c->o.author;
	m.datetime = when;
	m.samples = c->written / c->info.scan_size;
	m.gaps = g;
	m.ngaps = ng;
	m.note = lost ? note : NULL;
	m.iq = c->o.iq;
	m.time_comment = board && time_comment(c, tcomment, sizeof(tcomment)) ? tcomment : NULL;
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	if (doc) {
		ret = cap_sigmf_write_file(c->meta_path, doc);
		free(doc);
	}
	if (doc && !ret && c->split.active) {
		/* the timestamps: same samples, segments and times */
		m.info = &c->split.ts;
		m.iq = IFBH_IQ_NONE;
		m.ts_recording = NULL;
		m.ts_of = base_name(c->o.sigmf);
		m.ts_clock = c->s && ifbh_stream_time_model(c->s, &tm) == 0 ? tm.timestamp_clock : 0;
		doc = cap_sigmf_meta_json(&m, err, sizeof(err));
		if (doc) {
			ret = cap_sigmf_write_file(c->ts_meta_path, doc);
			free(doc);
		}
	}
	free(g);
	free(when_gap);
	if (!doc) {
		cap_msg("%s", err);
		return -EINVAL;
	}
	return ret;
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 1);

	if (r) {
		memcpy(r, a, la);
		memcpy(r + la, b, lb + 1);
	}
	return r;
}

int cap_open_output(struct cap *c)
{
	c->out_fd = -1;
	if (c->o.sigmf) {
		c->data_path = concat(c->o.sigmf, ".sigmf-data");
		c->meta_path = concat(c->o.sigmf, ".sigmf-meta");
		if (!c->data_path || !c->meta_path)
			return EXIT_OUTPUT;
	} else if (c->o.output && strcmp(c->o.output, "-")) {
		c->data_path = strdup(c->o.output);
		if (!c->data_path)
			return EXIT_OUTPUT;
	} else if (c->o.output) {
		c->out_fd = STDOUT_FILENO;
		c->out_stdout = true;
		return 0;
	} else {
		return 0;
	}
	c->out_fd = open(c->data_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->out_fd < 0) {
		cap_msg("cannot create %s: %s", c->data_path, strerror(errno));
		return EXIT_OUTPUT;
	}
	if (!c->split.active)
		return 0;
	c->ts_data_path = concat(c->o.sigmf, CAP_SIGMF_TS_SUFFIX ".sigmf-data");
	c->ts_meta_path = concat(c->o.sigmf, CAP_SIGMF_TS_SUFFIX ".sigmf-meta");
	c->split_buf = malloc(BOUNCE_SIZE);
	c->ts_buf = malloc(BOUNCE_SIZE);
	if (!c->ts_data_path || !c->ts_meta_path || !c->split_buf || !c->ts_buf) {
		cap_msg("out of memory");
		cap_abandon_output(c);
		return EXIT_OUTPUT;
	}
	c->ts_fd = open(c->ts_data_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->ts_fd < 0) {
		cap_msg("cannot create %s: %s", c->ts_data_path, strerror(errno));
		cap_abandon_output(c);
		return EXIT_OUTPUT;
	}
	return 0;
}

/* A failure of one output: the capture's first is its exit message
 * (printed by main), every later one is printed here, so none is lost. */
static void output_failed(struct cap *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void output_failed(struct cap *c, const char *fmt, ...)
{
	char msg[sizeof(c->fatal_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->fatal)
		cap_msg("%s", msg);
	else
		cap_set_fatal(c, EXIT_OUTPUT, "%s", msg);
}

int cap_output_started(struct cap *c)
{
	int ret;

	if (!c->meta_path)
		return 0;
	/* Before any data: a recording cut short by a full disk or a crash
	 * is still readable (datatype, rate, start time). The end rewrites
	 * it with the capture segments at gaps. */
	ret = write_meta(c);
	if (ret) {
		output_failed(c, "writing %s failed: %s", c->meta_path, strerror(-ret));
		return ret;
	}
	c->meta_early = true;
	return 0;
}

void cap_abandon_output(struct cap *c)
{
	if (c->out_fd >= 0 && !c->out_stdout) {
		close(c->out_fd);
		if (c->data_path)
			unlink(c->data_path);
	}
	c->out_fd = -1;
	if (c->meta_path)
		unlink(c->meta_path);
	if (c->ts_fd >= 0) {
		close(c->ts_fd);
		unlink(c->ts_data_path);
	}
	c->ts_fd = -1;
	if (c->ts_meta_path)
		unlink(c->ts_meta_path);
}

/* A file of the output closed: cut back to its first `keep` bytes after a
 * write error, synced. 0 or -errno. */
static int close_file(struct cap *c, int fd, const char *path, uint64_t keep)
{
	struct stat st;
	int ret = 0;

	/* whole scans only: a failed write may have left part of one */
	if (c->data_failed && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(fd, (off_t)keep) < 0)
		cap_msg("cannot cut %s back to its last whole sample: %s", path, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int cap_close_output(struct cap *c)
{
	int ret = 0;

	uint64_t scans = c->info.scan_size ? c->written / c->info.scan_size : 0;
	uint64_t data_bytes = c->split.active ? scans * c->split.data.scan_size : c->written;

	if (c->out_fd >= 0 && !c->out_stdout) {
		ret = close_file(c, c->out_fd, c->data_path, data_bytes);
		if (ret) {
			c->data_failed = true;
			output_failed(c, "closing %s failed: %s", c->data_path, strerror(-ret));
		}
	}
	c->out_fd = -1;
	if (c->ts_fd >= 0) {
		int r = close_file(c, c->ts_fd, c->ts_data_path, scans * 8);

		if (r) {
			c->data_failed = true;
			output_failed(c, "closing %s failed: %s", c->ts_data_path, strerror(-r));
			ret = r;
		}
	}
	c->ts_fd = -1;
	if (c->data_failed && c->data_path)
		cap_msg("%s is incomplete: it holds the first %" PRIu64 " samples (%" PRIu64
			" bytes), those before the write error", c->data_path, scans, data_bytes);
	if (c->data_failed && c->ts_data_path)
		cap_msg("%s is incomplete: it holds the first %" PRIu64 " timestamps (%" PRIu64
			" bytes), those before the write error", c->ts_data_path, scans, scans * 8);
	if (c->meta_path) {
		int r = write_meta(c);

		if (r && c->meta_early)
			output_failed(c, "writing %s failed: %s; the one written at the start is "
				      "kept (datatype, rate, start time), without the capture "
				      "segments at gaps", c->meta_path, strerror(-r));
		else if (r)
			output_failed(c, "writing %s failed: %s", c->meta_path, strerror(-r));
		if (r && !ret)
			ret = r;
	}
	return ret;
}
