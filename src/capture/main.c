// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture: capture the sample stream of an iio-ffs-bridge device to
 * a raw file or a SigMF pair, with a live rate line, gap accounting from
 * the device's statistics and an optional byte-exact check of the
 * simulated ADC's test pattern.
 *
 * The device, the stream and its gaps are libifbhost's (include/ifbhost.h,
 * src/host/): this file is options, output and reports. Errors from the
 * library are negative errno values, mapped to exit codes in exit_code().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/size.h"
#include "capture/json.h"
#include "capture/sigmf.h"
#include "capture/util.h"
#include "capture/verify.h"
#include "host/gaps.h"
#include "ifbhost.h"
#include "iio-ffs-bridge/protocol.h"

#define CAP_VERSION "0.1.0"

enum exit_code {
	EXIT_OK = 0,
	EXIT_VERIFY = 1,
	EXIT_USAGE = 2,
	EXIT_NODEV = 3,
	EXIT_ACCESS = 4,
	EXIT_PROTO = 5,
	EXIT_GONE = 6,
	EXIT_USB = 7,
	EXIT_OUTPUT = 8,
};

#define BOUNCE_SIZE (1u << 20)
#define LIVE_PERIOD_S 1.0
#define POLL_MS 100

struct opts {
	const char *output;
	const char *sigmf;
	const char *author;
	double duration;
	uint64_t bytes, samples;
	bool verify, quiet, live, json, info_only;
	bool transfers_set, transfer_size_set;
	enum ifbh_iq iq; /* --iq: SigMF complex datatype */
	unsigned int transfers;
	uint64_t transfer_size;
	struct ifbh_match sel;
};

enum end_reason { END_NONE, END_LIMIT, END_SIGNAL, END_DEVICE, END_ERROR };

struct cap {
	struct opts o;
	struct ifbh_ctx *ctx;
	struct ifbh_dev *dev;
	struct ifbh_stream *s;
	struct ifbh_device_desc desc;
	struct ifbh_info info;
	char hw[512];

	/* output */
	int out_fd; /* -1: data discarded */
	bool out_stdout;
	char *data_path, *meta_path;
	uint8_t *carry; /* partial scan not yet written */
	bool bounce;    /* write through bounce_buf (see emit()) */
	uint8_t *bounce_buf;
	size_t carry_len;
	uint64_t limit;   /* bytes to keep (whole scans), 0: no limit */
	uint64_t kept;    /* bytes taken from the stream (written or carried) */
	uint64_t written; /* bytes captured (whole scans), in the file if any */
	uint64_t received, discarded;

	/* state */
	enum end_reason reason;
	int fatal; /* exit code of the first fatal problem, 0 if none */
	char fatal_msg[512];
	int lib_error; /* the stream's error last seen */
	double t0, t_end;
	bool stuck; /* transfers still owned by libusb at exit */
	struct timespec start_wall;
	unsigned int host_errors;

	/*
	 * When each chunk of the stream arrived (SigMF: core:datetime of the
	 * segment after a gap, estimated from it).
	 */
	struct arrival {
		uint64_t end; /* stream offset just past the chunk */
		struct timespec t;
	} *arrivals;
	size_t narrivals, arrivals_cap;

	/* device statistics */
	const struct ifbh_gaps *gaps; /* the stream's */
	struct ifbh_stats stats;
	bool have_stats;

	bool verifying;
	struct cap_verify v;

	/* live line */
	bool live, live_tty;
	double live_t;
	uint64_t live_bytes;
	int live_width;
};

static volatile sig_atomic_t got_signals;

static void set_reason(struct cap *c, enum end_reason r)
{
	/* the first reason wins, except that a disconnect explains errors */
	if (c->reason == END_NONE || (r == END_DEVICE && c->reason == END_ERROR))
		c->reason = r;
}

static void on_signal(int sig)
{
	(void)sig;
	if (got_signals < 100)
		got_signals++;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("iio-ffs-capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void set_fatal(struct cap *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_fatal(struct cap *c, int code, const char *fmt, ...)
{
	va_list ap;

	/* a disconnect explains the transfer errors that may come first */
	if (c->fatal && !(code == EXIT_GONE && c->fatal == EXIT_USB))
		return;
	c->fatal = code;
	va_start(ap, fmt);
	vsnprintf(c->fatal_msg, sizeof(c->fatal_msg), fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: iio-ffs-capture [OPTION]...\n"
		"Capture the sample stream of an iio-ffs-bridge USB device.\n"
		"\n"
		"Output (without one, the data is received and discarded):\n"
		"  -o, --output FILE        raw stream to FILE ('-': standard output)\n"
		"  -S, --sigmf NAME         SigMF: NAME.sigmf-data and NAME.sigmf-meta\n"
		"      --author TEXT        core:author of the SigMF metadata\n"
		"      --iq[=PAIRING]       SigMF complex datatype (ci16_le...): channels X_i, X_q\n"
		"                           pair (PAIRING name, the default), or every two\n"
		"                           neighbours (PAIRING adjacent)\n"
		"Limits (the first reached ends the capture; none: until Ctrl-C):\n"
		"  -t, --duration SEC       stop after SEC seconds\n"
		"  -b, --bytes N            stop after N bytes (K, M, G, T suffixes: 1024^n)\n"
		"  -n, --samples N          stop after N scans (one sample of every channel)\n"
		"Checks and reports:\n"
		"      --verify             check the simulated ADC's counter pattern\n"
		"  -q, --quiet              no live line, no summary on stderr\n"
		"      --live               live line even when stderr is not a terminal\n"
		"      --json               one-line JSON summary at the end on stdout\n"
		"                           (on stderr when the data goes to stdout)\n"
		"      --info               print what the device streams, then exit\n"
		"Device:\n"
		"  -d, --device VID:PID     only devices with this vendor:product id (hex)\n"
		"  -s, --serial SERIAL      only the device with this serial number\n"
		"  -p, --path BUS-PORT[.PORT]...  only the device at this bus path\n"
		"USB transfers:\n"
		"      --transfers N        bulk transfers in flight (default 16)\n"
		"      --transfer-size N    bytes per transfer (default 1M; rounded up to\n"
		"                           a multiple of the endpoint's packet size)\n"
		"\n"
		"  -h, --help               this help\n"
		"  -V, --version            version\n"
		"\n"
		"Exit status: 0 success (also when ended by SIGINT/SIGTERM), 1 --verify found\n"
		"a mismatch, 2 usage error, 3 no device, 4 permission denied or interface busy,\n"
		"5 protocol error, 6 device gone or stream ended by the device, 7 USB error,\n"
		"8 output error. See iio-ffs-capture(1).\n");
}

enum {
	OPT_AUTHOR = 256,
	OPT_IQ,
	OPT_VERIFY,
	OPT_LIVE,
	OPT_JSON,
	OPT_INFO,
	OPT_TRANSFERS,
	OPT_TRANSFER_SIZE,
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "sigmf", required_argument, NULL, 'S' },
		{ "author", required_argument, NULL, OPT_AUTHOR },
		{ "iq", optional_argument, NULL, OPT_IQ },
		{ "duration", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "samples", required_argument, NULL, 'n' },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "device", required_argument, NULL, 'd' },
		{ "serial", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ "transfers", required_argument, NULL, OPT_TRANSFERS },
		{ "transfer-size", required_argument, NULL, OPT_TRANSFER_SIZE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->transfers = 16;
	o->transfer_size = 1 << 20;
	while ((opt = getopt_long(argc, argv, "o:S:t:b:n:qd:s:p:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o->output = optarg;
			break;
		case 'S':
			o->sigmf = optarg;
			break;
		case OPT_AUTHOR:
			o->author = optarg;
			break;
		case OPT_IQ:
			if (!optarg || !strcmp(optarg, "name")) {
				o->iq = IFBH_IQ_BY_NAME;
			} else if (!strcmp(optarg, "adjacent")) {
				o->iq = IFBH_IQ_ADJACENT;
			} else {
				msg("--iq: '%s' is not a pairing (name or adjacent)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (cap_parse_seconds(optarg, &o->duration)) {
				msg("--duration: '%s' is not a number of seconds > 0", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (ifb_parse_size(optarg, &o->bytes) || o->bytes == 0) {
				msg("--bytes: '%s' is not a size > 0 (e.g. 4096, 16K, 1M, 2G)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (ifb_parse_size(optarg, &o->samples) || o->samples == 0) {
				msg("--samples: '%s' is not a count > 0", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_LIVE:
			o->live = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_INFO:
			o->info_only = true;
			break;
		case 'd':
			if (cap_parse_vidpid(optarg, &o->sel.vid, &o->sel.pid)) {
				msg("--device: '%s' is not VID:PID in hex (e.g. 1d6b:0104)", optarg);
				return EXIT_USAGE;
			}
			o->sel.have_vidpid = true;
			break;
		case 's':
			o->sel.serial = optarg;
			break;
		case 'p':
			o->sel.path = optarg;
			break;
		case OPT_TRANSFERS:
			if (ifb_parse_size(optarg, &v) || v == 0 || v > 1024) {
				msg("--transfers: '%s' is not a count in 1..1024", optarg);
				return EXIT_USAGE;
			}
			o->transfers = (unsigned int)v;
			o->transfers_set = true;
			break;
		case OPT_TRANSFER_SIZE:
			if (ifb_parse_size(optarg, &v) || v == 0 || v > (256u << 20)) {
				msg("--transfer-size: '%s' is not a size in 1..256M", optarg);
				return EXIT_USAGE;
			}
			o->transfer_size = v;
			o->transfer_size_set = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("iio-ffs-capture %s (wire protocol version %d)\n", CAP_VERSION,
			       IFB_PROTOCOL_VERSION);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		msg("unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->output && o->sigmf) {
		msg("choose one of -o and --sigmf");
		return EXIT_USAGE;
	}
	if (o->sigmf && !*o->sigmf) {
		msg("--sigmf needs a name");
		return EXIT_USAGE;
	}
	if (o->iq && !o->sigmf) {
		msg("--iq describes SigMF data: use it with --sigmf");
		return EXIT_USAGE;
	}
	return 0;
}

/* --- device ----------------------------------------------------------------- */

/* A library error (negative errno) as the exit status iio-ffs-capture(1) lists. */
static int exit_code(int err)
{
	switch (-err) {
	case ENODEV:
	case ECONNRESET:
		return EXIT_GONE;
	case EACCES:
	case EBUSY:
		return EXIT_ACCESS;
	case EPIPE:
	case EPROTO:
	case EBADMSG:
	case EPROTONOSUPPORT:
		return EXIT_PROTO;
	default:
		return EXIT_USB;
	}
}

static void on_log(void *user, enum ifbh_log_level level, const char *text)
{
	const struct cap *c = user;

	if (level == IFBH_LOG_WARNING || !c->o.quiet)
		msg("%s", text);
}

/* Find the device (asking which one on a terminal when several match) and open it. */
static int choose_device(struct cap *c)
{
	struct ifbh_list *list;
	size_t n, denied, pick = 0;
	char line[512];
	int ret;

	ret = ifbh_find(c->ctx, &c->o.sel, &list);
	if (ret) {
		msg("%s", ifbh_ctx_error(c->ctx));
		return EXIT_USB;
	}
	n = ifbh_list_count(list);
	denied = ifbh_list_denied(list);
	if (n == 0) {
		if (denied) {
			msg("%zu device(s) with the iio-ffs-bridge interface could not be opened to "
			    "read their serial number: permission denied.\n"
			    "Hint: install conf/60-iio-ffs-bridge.rules into /etc/udev/rules.d/, run "
			    "'udevadm control --reload' and replug the device (or run as root).",
			    denied);
			ifbh_list_free(list);
			return EXIT_ACCESS;
		}
		msg("no iio-ffs-bridge device found (USB interface class ff, subclass %02x, "
		    "protocol %02x%s)",
		    IFB_USB_SUBCLASS, IFB_USB_PROTOCOL,
		    c->o.sel.have_vidpid || c->o.sel.serial || c->o.sel.path
			    ? ", matching --device/--serial/--path"
			    : "");
		ifbh_list_free(list);
		return EXIT_NODEV;
	}
	if (n > 1) {
		bool ask = isatty(STDIN_FILENO);

		fprintf(stderr, "iio-ffs-capture: %zu iio-ffs-bridge devices found:\n", n);
		for (size_t i = 0; i < n; i++) {
			ifbh_device_describe(ifbh_list_get(list, i), line, sizeof(line));
			fprintf(stderr, "  %zu) %s\n", i + 1, line);
		}
		if (!ask) {
			msg("several devices match: choose one with --serial, --path or --device");
			ifbh_list_free(list);
			return EXIT_NODEV;
		}
		for (;;) {
			char *end;
			unsigned long k;

			fprintf(stderr, "Which one [1-%zu]? ", n);
			if (!fgets(line, sizeof(line), stdin)) {
				fputc('\n', stderr);
				msg("no device chosen");
				ifbh_list_free(list);
				return EXIT_NODEV;
			}
			k = strtoul(line, &end, 10);
			if (end != line && (*end == '\n' || !*end) && k >= 1 && k <= n) {
				pick = k - 1;
				break;
			}
		}
	}
	ret = ifbh_dev_open(c->ctx, list, pick, &c->dev);
	ifbh_list_free(list);
	if (ret) {
		msg("%s", ifbh_ctx_error(c->ctx));
		return exit_code(ret);
	}
	c->desc = *ifbh_dev_desc(c->dev);
	c->info = *ifbh_dev_info(c->dev);
	return 0;
}

static void print_info(const struct cap *c, FILE *f)
{
	const struct ifbh_info *i = &c->info;

	fprintf(f, "device:      %s\n", c->hw);
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

		fprintf(f, "channel %-3u %-24s index %-3u offset %-4u %s:%c%u/%u", k, ch->name,
			ch->scan_index, ch->offset, ch->is_be ? "be" : "le",
			ch->is_signed ? 's' : 'u', ch->bits, ch->storage_bits);
		if (ch->repeat > 1)
			fprintf(f, "X%u", ch->repeat);
		if (ch->shift)
			fprintf(f, ">>%u", ch->shift);
		fputc('\n', f);
	}
}

/*
 * Before START: make sure no stale data (or the end-of-stream ZLP of an
 * earlier, interrupted capture) waits in the endpoint, and that the
 * device is idle.
 */
/* --- output --------------------------------------------------------------- */

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

static void emit(struct cap *c, const uint8_t *p, size_t len)
{
	size_t done = 0;
	int ret;

	if (c->fatal == EXIT_OUTPUT)
		return;
	if (c->out_fd < 0) {
		c->written += len; /* captured, discarded as asked */
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
		set_fatal(c, EXIT_OUTPUT, "writing %s failed: %s",
			  c->out_stdout ? "standard output" : c->data_path, strerror(-ret));
		return;
	}
	c->written += len;
}

/* Keep stream bytes: whole scans go out at once, a partial scan waits. */
static void keep(struct cap *c, const uint8_t *p, size_t len)
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

/* --- the capture loop ------------------------------------------------------ */

static void request_stop(struct cap *c, enum end_reason why)
{
	if (ifbh_stream_status(c->s)->stop_sent)
		return;
	set_reason(c, why);
	ifbh_stream_stop(c->s);
}

static void note_arrival(struct cap *c, uint64_t end)
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

/* Stream bytes from the library, in order: keep up to the limit. */
static int on_data(void *user, const void *data, size_t len, uint64_t offset)
{
	struct cap *c = user;
	size_t take = len;

	if (c->meta_path)
		note_arrival(c, offset + len);
	if (c->limit && c->kept + take > c->limit)
		take = (size_t)(c->limit - c->kept);
	c->received = offset + len;
	if (take)
		keep(c, data, take);
	c->discarded += len - take;
	if (c->limit && c->kept >= c->limit)
		request_stop(c, END_LIMIT);
	return 0;
}

static void on_stats(void *user, const struct ifbh_stats *st)
{
	struct cap *c = user;

	/*
	 * Judge suspects up to what the device had sent one poll earlier: the
	 * gap list of this reply certainly covers that part of the stream.
	 */
	if (c->verifying && c->have_stats)
		cap_verify_settle(&c->v, c->gaps, c->stats.bytes_sent);
	c->stats = *st;
	c->have_stats = true;
}

/* The stream's error, once it appears (a disconnect may replace another). */
static void take_lib_error(struct cap *c)
{
	const struct ifbh_stream_status *st = ifbh_stream_status(c->s);

	if (!st->error || st->error == c->lib_error)
		return;
	c->lib_error = st->error;
	if (exit_code(st->error) == EXIT_GONE)
		set_reason(c, END_DEVICE);
	else
		set_reason(c, END_ERROR);
	set_fatal(c, exit_code(st->error), "%s", ifbh_dev_error(c->dev));
}

static uint64_t device_errors(const struct cap *c)
{
	return c->have_stats ? c->stats.adc_errors + c->stats.usb_errors : 0;
}

static void live_line(struct cap *c, double now, bool final)
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
		     "%8.2f MiB/s %8.3f Msps  total %10.1f MiB  gaps %" PRIu64
		     "  errors %" PRIu64 "%s",
		     rate / 1048576.0, rate / c->info.scan_size / 1e6,
		     (double)c->received / 1048576.0, ifbh_gaps_count(c->gaps),
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

static void run_loop(struct cap *c)
{
	double deadline = 0;
	int ret;

	c->t0 = ifbh_stream_status(c->s)->t_start;
	c->live_t = c->t0;
	if (c->o.duration > 0)
		deadline = c->t0 + c->o.duration;
	while ((ret = ifbh_stream_poll(c->s, POLL_MS)) == 0) {
		double now = now_mono();

		take_lib_error(c);
		if (got_signals)
			request_stop(c, END_SIGNAL);
		if (deadline && now >= deadline)
			request_stop(c, END_LIMIT);
		if (c->fatal)
			request_stop(c, END_ERROR);
		if (got_signals > 1) /* a second Ctrl-C does not wait for the end of the stream */
			ifbh_stream_cancel(c->s);
		if (now - c->live_t >= LIVE_PERIOD_S)
			live_line(c, now, false);
	}
	take_lib_error(c);
	if (ret < 0)
		set_fatal(c, EXIT_USB, "%s", ifbh_dev_error(c->dev));
	c->received = ifbh_stream_status(c->s)->received;
	c->t_end = ifbh_stream_status(c->s)->t_end;
	c->stuck = ifbh_stream_status(c->s)->stuck;
	c->host_errors = ifbh_stream_status(c->s)->host_errors;
}

/* --- summary ----------------------------------------------------------- */

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

static void json_summary(struct cap *c, FILE *f, double secs)
{
	struct cap_json j;
	const char *doc;
	uint64_t scans = c->written / c->info.scan_size;

	cap_json_init(&j, 0);
	cap_json_begin_object(&j);
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
	cap_json_u64(&j, ifbh_gaps_count(c->gaps));
	cap_json_key(&j, "gap_offsets"); /* the listed ones, stream order */
	cap_json_begin_array(&j);
	for (size_t i = 0; i < c->gaps->n && i < 1000; i++)
		cap_json_u64(&j, c->gaps->off[i]);
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

static void human_summary(struct cap *c, double secs)
{
	uint64_t scans = c->written / c->info.scan_size;

	fprintf(stderr,
		"iio-ffs-capture: %" PRIu64 " bytes (%" PRIu64 " scans) in %.2f s: %.2f MiB/s, "
		"%.3f Msps; gaps %" PRIu64 ", errors %" PRIu64 "; ended by %s\n",
		c->written, scans, secs,
		secs > 0 ? (double)c->received / 1048576.0 / secs : 0.0,
		secs > 0 ? (double)c->received / c->info.scan_size / secs / 1e6 : 0.0,
		ifbh_gaps_count(c->gaps), device_errors(c) + c->host_errors,
		reason_name(c->reason));
	if (c->discarded)
		fprintf(stderr, "iio-ffs-capture: %" PRIu64 " bytes beyond the limit discarded\n",
			c->discarded);
	if (c->carry_len)
		fprintf(stderr,
			"iio-ffs-capture: last %zu bytes dropped: a partial scan (scans are %" PRIu32
			" bytes)\n",
			c->carry_len, c->info.scan_size);
	if (!c->verifying)
		return;
	if (!c->v.failed) {
		fprintf(stderr,
			"iio-ffs-capture: verify OK: %" PRIu64 " bytes match the pattern from "
			"counter %" PRIu32 " on (%" PRIu64 " jumps at reported gaps%s)\n",
			cap_verify_checked(&c->v), c->v.first_n, (uint64_t)c->v.njumps,
			c->v.unlisted ? ", some at gaps the device did not list" : "");
	} else if (c->v.overflow) {
		fprintf(stderr,
			"iio-ffs-capture: verify FAILED: more than %d unexplained discontinuities, "
			"the first at stream byte %" PRIu64 "\n",
			CAP_VERIFY_MAX_PENDING, c->v.fail.byte_off);
	} else {
		fprintf(stderr,
			"iio-ffs-capture: verify FAILED at stream byte %" PRIu64
			" (channel %s of the scan at %" PRIu64 "): expected 0x%04" PRIx32
			", got 0x%04" PRIx32 "; %" PRIu64 " break(s) of the count where no gap "
			"was reported\n",
			c->v.fail.byte_off, c->info.ch[c->v.fail.chan].name, c->v.fail.scan_off,
			c->v.fail.expected, c->v.fail.got, c->v.unexplained);
	}
}

/* --- SigMF --------------------------------------------------------------- */

static int write_meta(struct cap *c)
{
	struct cap_sigmf_gap *g = NULL;
	char (*when_gap)[40] = NULL;
	struct cap_sigmf_meta m = { 0 };
	char when[40], recorder[64], note[512] = "", err[256];
	uint64_t lost = 0;
	size_t ng = 0;
	char *doc;
	int ret;

	if (c->gaps->n) {
		g = calloc(c->gaps->n, sizeof(*g));
		when_gap = calloc(c->gaps->n, sizeof(*when_gap));
		if (!g || !when_gap) {
			free(g);
			free(when_gap);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < c->gaps->n; i++) {
		uint64_t missing = 0;
		struct timespec ts;

		g[ng].stream_offset = c->gaps->off[i];
		if (sample_time(c, c->gaps->off[i], &ts) &&
		    cap_rfc3339(&ts, when_gap[ng], sizeof(when_gap[ng])) == 0)
			g[ng].datetime = when_gap[ng];
		if (c->verifying && cap_verify_missing_at(&c->v, c->gaps->off[i], &missing)) {
			g[ng].missing_known = true;
			g[ng].missing = missing;
		}
		ng++;
	}
	for (size_t i = 0; i < c->gaps->nlost; i++)
		lost += c->gaps->lost[i].count;
	if (lost)
		snprintf(note, sizeof(note),
			 "The device reported %" PRIu64 " further gap(s) whose stream offsets it "
			 "could not give (a protocol-version-1 device lists the %d most recent, "
			 "a newer one keeps %d); they have no capture segment",
			 lost, IFB_STATS_MAX_GAPS, IFB_GAPS_RING);
	cap_rfc3339(&c->start_wall, when, sizeof(when));
	snprintf(recorder, sizeof(recorder), "iio-ffs-capture %s", CAP_VERSION);
	m.info = &c->info;
	m.hw = c->hw;
	m.recorder = recorder;
	m.author = c->o.author;
	m.datetime = when;
	m.samples = c->written / c->info.scan_size;
	m.gaps = g;
	m.ngaps = ng;
	m.note = lost ? note : NULL;
	m.iq = c->o.iq;
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	free(g);
	free(when_gap);
	if (!doc) {
		msg("%s", err);
		return -EINVAL;
	}
	ret = cap_sigmf_write_file(c->meta_path, doc);
	free(doc);
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

static int open_output(struct cap *c)
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
		msg("cannot create %s: %s", c->data_path, strerror(errno));
		return EXIT_OUTPUT;
	}
	return 0;
}

static int close_output(struct cap *c)
{
	int ret = 0;

	if (c->out_fd >= 0 && !c->out_stdout) {
		if (fsync(c->out_fd) < 0 && errno != EINVAL)
			ret = -errno;
		if (close(c->out_fd) < 0 && !ret)
			ret = -errno;
		if (ret)
			set_fatal(c, EXIT_OUTPUT, "closing %s failed: %s", c->data_path,
				  strerror(-ret));
	}
	c->out_fd = -1;
	if (c->meta_path) {
		ret = write_meta(c);
		if (ret)
			set_fatal(c, EXIT_OUTPUT, "writing %s failed: %s", c->meta_path,
				  strerror(-ret));
	}
	return ret;
}

/* --- main ------------------------------------------------------------------ */

static int capture(struct cap *c)
{
	struct ifbh_stream_opts so = { 0 };
	struct sigaction sa;
	char err[256];
	uint64_t scan;
	int ret;
	double secs;

	if (c->o.sigmf) {
		char dt[CAP_SIGMF_DATATYPE_LEN];
		unsigned int nch;

		if (cap_sigmf_datatype_iq(&c->info, c->o.iq, dt, sizeof(dt), &nch, err,
					  sizeof(err))) {
			msg("%s", err);
			return EXIT_USAGE;
		}
	}
	scan = c->info.scan_size;
	if (c->o.bytes)
		c->limit = c->o.bytes - c->o.bytes % scan;
	if (c->o.bytes && c->limit == 0) {
		msg("--bytes %" PRIu64 " is less than one %" PRIu64 "-byte scan", c->o.bytes, scan);
		return EXIT_USAGE;
	}
	if (c->o.samples) {
		if (c->o.samples > UINT64_MAX / scan) {
			msg("--samples too large");
			return EXIT_USAGE;
		}
		if (!c->limit || c->o.samples * scan < c->limit)
			c->limit = c->o.samples * scan;
	}
	if (c->o.verify) {
		if (cap_verify_init(&c->v, &c->info, err, sizeof(err))) {
			msg("%s", err);
			return EXIT_USAGE;
		}
		c->verifying = true;
	}
	c->carry = malloc(scan);
	if (!c->carry) {
		msg("out of memory");
		return EXIT_USB;
	}
	so.transfers = c->o.transfers;
	so.transfer_size = (size_t)c->o.transfer_size;
	ret = ifbh_stream_new(c->dev, &so, &c->s);
	if (ret) {
		msg("%s", ifbh_dev_error(c->dev));
		return EXIT_USB;
	}
	c->gaps = ifbh_stream_gaps(c->s);
	ifbh_stream_set_data_cb(c->s, on_data, c);
	ifbh_stream_set_stats_cb(c->s, on_stats, c);
	/* from here on a signal ends the capture cleanly */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = open_output(c);
	if (ret)
		return ret;
	ret = ifbh_stream_start(c->s);
	c->start_wall = ifbh_stream_status(c->s)->start_wall;
	if (ret) {
		msg("%s", ifbh_dev_error(c->dev));
		set_fatal(c, exit_code(ret), "no capture");
		close_output(c);
		return c->fatal;
	}
	run_loop(c);
	live_line(c, now_mono(), true);
	if (c->verifying)
		cap_verify_settle(&c->v, c->gaps, UINT64_MAX);
	close_output(c);

	secs = c->t_end - c->t0;
	if (!c->o.quiet)
		human_summary(c, secs);
	if (c->fatal)
		msg("%s", c->fatal_msg);
	if (c->o.json)
		json_summary(c, c->out_stdout ? stderr : stdout, secs);
	if (c->fatal)
		return c->fatal;
	return c->verifying && c->v.failed ? EXIT_VERIFY : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cap c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.out_fd = -1;
	ret = parse_args(argc, argv, &c.o);
	if (ret)
		return ret;
	ret = ifbh_ctx_new(&c.ctx);
	if (ret) {
		msg("cannot start libusb: %s", strerror(-ret));
		return EXIT_USB;
	}
	ifbh_ctx_set_log(c.ctx, on_log, &c);
	ret = choose_device(&c);
	if (ret)
		goto out;
	snprintf(c.hw, sizeof(c.hw),
		 "%s via iio-ffs-bridge (%s mode), USB %04x:%04x \"%s\" \"%s\" serial \"%s\", %s",
		 c.info.device_name, ifbh_mode_name(c.info.mode), c.desc.vid, c.desc.pid,
		 c.desc.manufacturer, c.desc.product, c.desc.serial, ifbh_speed_name(c.desc.speed));
	if (c.o.info_only) {
		print_info(&c, stdout);
		goto out;
	}
	c.live = c.o.live || (!c.o.quiet && isatty(STDERR_FILENO));
	c.live_tty = isatty(STDERR_FILENO);
	if (!c.o.quiet)
		msg("capturing from %s", c.hw);
	ret = capture(&c);

out:
	if (c.out_fd >= 0 && !c.out_stdout)
		close(c.out_fd);
	/* transfers libusb never gave back must outlive us: leave them */
	if (!c.stuck) {
		ifbh_stream_free(c.s);
		ifbh_dev_close(c.dev);
		ifbh_ctx_free(c.ctx);
	}
	if (c.verifying)
		cap_verify_free(&c.v);
	free(c.carry);
	free(c.arrivals);
	free(c.bounce_buf);
	free(c.data_path);
	free(c.meta_path);
	return ret;
}
