// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture: capture the sample stream of an iio-ffs-bridge device to
 * a raw file or a SigMF pair, with a live rate line, gap accounting from
 * the device's statistics and an optional byte-exact check of the
 * simulated ADC's test pattern.
 *
 * One thread, libusb asynchronous transfers for everything during the
 * capture (bulk IN stream, GET_STATS polls, STOP), so a control request
 * never waits behind the stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libusb.h>
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
#include "capture/gaps.h"
#include "capture/json.h"
#include "capture/proto.h"
#include "capture/sigmf.h"
#include "capture/usbdev.h"
#include "capture/util.h"
#include "capture/verify.h"
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

#define CTRL_TIMEOUT_MS 2000
#define BOUNCE_SIZE (1u << 20)
#define CANCEL_TIMEOUT_S 5.0
#define DRAIN_TIMEOUT_S 2.0
#define STATS_PERIOD_S 1.0
#define LIVE_PERIOD_S 1.0

struct opts {
	const char *output;
	const char *sigmf;
	const char *author;
	double duration;
	uint64_t bytes, samples;
	bool verify, quiet, live, json, info_only;
	bool transfers_set, transfer_size_set;
	unsigned int transfers;
	uint64_t transfer_size;
	struct cap_devsel sel;
};

enum end_reason { END_NONE, END_LIMIT, END_SIGNAL, END_DEVICE, END_ERROR };

struct cap {
	struct opts o;
	libusb_context *ctx;
	libusb_device_handle *h;
	struct cap_candidate dev;
	struct cap_info info;
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

	/* transfers */
	struct libusb_transfer **xfer;
	unsigned int nxfer, inflight;
	struct libusb_transfer *stats_xfer, *stop_xfer;
	bool stats_pending, stop_pending;

	/* state */
	bool started, stop_sent, stop_acked, eos, cancelling, unexpected_eos;
	bool device_ended; /* GET_STATS said idle before we asked for a stop */
	enum end_reason reason;
	int fatal; /* exit code of the first fatal problem, 0 if none */
	char fatal_msg[512];
	double t0, t_stop, t_end, t_cancel;
	bool stuck; /* transfers still owned by libusb at exit */
	struct timespec start_wall;
	unsigned int host_errors;

	/* device statistics */
	struct cap_gaps gaps;
	struct cap_stats stats;
	bool have_stats;
	unsigned int proto_errors;

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
	return 0;
}

/* --- device selection ------------------------------------------------- */

static int choose_device(struct cap *c)
{
	struct cap_candidate *list;
	size_t n, denied, pick = 0;
	char line[512];
	int ret;

	ret = cap_find_devices(c->ctx, &c->o.sel, &list, &n, &denied);
	if (ret) {
		msg("listing USB devices failed: %s", libusb_strerror(ret));
		return EXIT_USB;
	}
	if (n == 0) {
		if (denied) {
			msg("%zu device(s) with the iio-ffs-bridge interface could not be opened to "
			    "read their serial number: permission denied.\n"
			    "Hint: install conf/60-iio-ffs-bridge.rules into /etc/udev/rules.d/, run "
			    "'udevadm control --reload' and replug the device (or run as root).",
			    denied);
			cap_free_candidates(list, n);
			return EXIT_ACCESS;
		}
		msg("no iio-ffs-bridge device found (USB interface class ff, subclass %02x, "
		    "protocol %02x%s)",
		    IFB_USB_SUBCLASS, IFB_USB_PROTOCOL,
		    c->o.sel.have_vidpid || c->o.sel.serial || c->o.sel.path
			    ? ", matching --device/--serial/--path"
			    : "");
		cap_free_candidates(list, n);
		return EXIT_NODEV;
	}
	if (n > 1) {
		bool ask = isatty(STDIN_FILENO);

		fprintf(stderr, "iio-ffs-capture: %zu iio-ffs-bridge devices found:\n", n);
		for (size_t i = 0; i < n; i++) {
			cap_describe_candidate(&list[i], line, sizeof(line));
			fprintf(stderr, "  %zu) %s\n", i + 1, line);
		}
		if (!ask) {
			msg("several devices match: choose one with --serial, --path or --device");
			cap_free_candidates(list, n);
			return EXIT_NODEV;
		}
		for (;;) {
			char *end;
			unsigned long k;

			fprintf(stderr, "Which one [1-%zu]? ", n);
			if (!fgets(line, sizeof(line), stdin)) {
				fputc('\n', stderr);
				msg("no device chosen");
				cap_free_candidates(list, n);
				return EXIT_NODEV;
			}
			k = strtoul(line, &end, 10);
			if (end != line && (*end == '\n' || !*end) && k >= 1 && k <= n) {
				pick = k - 1;
				break;
			}
		}
	}
	c->dev = list[pick];
	c->dev.dev = libusb_ref_device(list[pick].dev);
	cap_free_candidates(list, n);
	return 0;
}

static int open_device(struct cap *c)
{
	int ret = libusb_open(c->dev.dev, &c->h);

	if (ret == LIBUSB_ERROR_ACCESS) {
		msg("permission denied opening the device at %s (%04x:%04x).\n"
		    "Hint: install conf/60-iio-ffs-bridge.rules into /etc/udev/rules.d/, run "
		    "'udevadm control --reload' and replug the device (or run as root).",
		    c->dev.path, c->dev.vid, c->dev.pid);
		return EXIT_ACCESS;
	}
	if (ret) {
		msg("cannot open the device at %s: %s", c->dev.path, libusb_strerror(ret));
		return ret == LIBUSB_ERROR_NO_DEVICE ? EXIT_GONE : EXIT_USB;
	}
	libusb_set_auto_detach_kernel_driver(c->h, 1);
	ret = libusb_claim_interface(c->h, c->dev.iface);
	if (ret == LIBUSB_ERROR_BUSY) {
		msg("interface %u of the device at %s is in use by another program",
		    c->dev.iface, c->dev.path);
		return EXIT_ACCESS;
	}
	if (ret == LIBUSB_ERROR_ACCESS) {
		msg("permission denied claiming interface %u (see the udev rule hint in "
		    "iio-ffs-capture(1))",
		    c->dev.iface);
		return EXIT_ACCESS;
	}
	if (ret) {
		msg("cannot claim interface %u: %s", c->dev.iface, libusb_strerror(ret));
		return ret == LIBUSB_ERROR_NO_DEVICE ? EXIT_GONE : EXIT_USB;
	}
	if (c->dev.alt) {
		ret = libusb_set_interface_alt_setting(c->h, c->dev.iface, c->dev.alt);
		if (ret) {
			msg("cannot select alternate setting %u: %s", c->dev.alt,
			    libusb_strerror(ret));
			return EXIT_USB;
		}
	}
	return 0;
}

static uint8_t req_type(bool in)
{
	return LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_INTERFACE |
	       (in ? LIBUSB_ENDPOINT_IN : LIBUSB_ENDPOINT_OUT);
}

static int usb_exit_code(int err)
{
	return err == LIBUSB_ERROR_NO_DEVICE ? EXIT_GONE : err == LIBUSB_ERROR_PIPE ? EXIT_PROTO
											 : EXIT_USB;
}

/* Synchronous control request, only used when no bulk transfer is pending. */
static int ctrl_sync(struct cap *c, uint8_t req, bool in, uint8_t *buf, uint16_t len)
{
	return libusb_control_transfer(c->h, req_type(in), req, 0, c->dev.iface, buf, len,
				       CTRL_TIMEOUT_MS);
}

static int get_info(struct cap *c)
{
	uint8_t *buf = malloc(IFB_MAX_REPLY);
	char err[256];
	int ret;

	if (!buf) {
		msg("out of memory");
		return EXIT_USB;
	}
	ret = ctrl_sync(c, IFB_REQ_GET_INFO, true, buf, IFB_MAX_REPLY);
	if (ret < 0) {
		msg("GET_INFO failed: %s%s", libusb_strerror(ret),
		    ret == LIBUSB_ERROR_PIPE ? " (the device refused the request: is the "
					       "iio-ffs-bridge daemon running?)"
					     : "");
		free(buf);
		return usb_exit_code(ret);
	}
	ret = cap_parse_info(buf, (size_t)ret, &c->info, err, sizeof(err));
	free(buf);
	if (ret) {
		msg("%s", err);
		return EXIT_PROTO;
	}
	return 0;
}

static int get_stats_sync(struct cap *c, struct cap_stats *st)
{
	uint8_t buf[sizeof(struct ifb_stats)];
	char err[256];
	int ret = ctrl_sync(c, IFB_REQ_GET_STATS, true, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	if (cap_parse_stats(buf, (size_t)ret, st, err, sizeof(err))) {
		msg("%s", err);
		return LIBUSB_ERROR_OTHER;
	}
	return 0;
}

static void print_info(const struct cap *c, FILE *f)
{
	const struct cap_info *i = &c->info;

	fprintf(f, "device:      %s\n", c->hw);
	fprintf(f, "IIO device:  %s\n", i->device_name);
	fprintf(f, "mode:        %s\nstate:       %s\n", cap_mode_name(i->mode),
		cap_state_name(i->state));
	if (i->sample_rate_mhz)
		fprintf(f, "sample rate: %.3f Hz (scans per second)\n",
			(double)i->sample_rate_mhz / 1000.0);
	else
		fprintf(f, "sample rate: unknown\n");
	fprintf(f, "scan:        %" PRIu32 " bytes\nblocks:      %" PRIu32 " x %" PRIu32 " bytes\n",
		i->scan_size, i->block_count, i->block_size);
	fprintf(f, "endpoint:    0x%02x, %u-byte packets, interface %u\n", c->dev.ep_in,
		c->dev.max_packet, c->dev.iface);
	for (unsigned int k = 0; k < i->num_channels; k++) {
		const struct cap_channel *ch = &i->ch[k];

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
static int drain_before_start(struct cap *c)
{
	int len = 64 * 1024, got, ret;
	uint8_t *buf;
	uint64_t stale = 0;
	double deadline;

	if (c->info.state != IFB_STATE_IDLE) {
		msg("the device is %s a stream already (an earlier capture that did not end "
		    "cleanly?): stopping it",
		    c->info.state == IFB_STATE_STREAMING ? "sending" : "ending");
		ret = ctrl_sync(c, IFB_REQ_STOP, false, NULL, 0);
		if (ret < 0) {
			msg("STOP failed: %s", libusb_strerror(ret));
			return usb_exit_code(ret);
		}
	}
	buf = malloc((size_t)len);
	if (!buf)
		return EXIT_USB;
	deadline = now_mono() + DRAIN_TIMEOUT_S;
	for (;;) {
		got = 0;
		ret = libusb_bulk_transfer(c->h, c->dev.ep_in, buf, len, &got, 100);
		stale += (uint64_t)got;
		if (ret == LIBUSB_ERROR_TIMEOUT && got == 0)
			break;
		if (ret && ret != LIBUSB_ERROR_TIMEOUT) {
			msg("reading the endpoint before START failed: %s", libusb_strerror(ret));
			free(buf);
			return usb_exit_code(ret);
		}
		if (now_mono() > deadline) {
			msg("the device keeps sending data although it was asked to stop");
			free(buf);
			return EXIT_PROTO;
		}
	}
	free(buf);
	if (stale && !c->o.quiet)
		msg("discarded %" PRIu64 " stale bytes left in the endpoint", stale);
	return 0;
}

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

static void begin_stop(struct cap *c, enum end_reason why);

static void LIBUSB_CALL stop_cb(struct libusb_transfer *t)
{
	struct cap *c = t->user_data;

	c->stop_pending = false;
	if (t->status == LIBUSB_TRANSFER_COMPLETED) {
		c->stop_acked = true;
	} else if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device disconnected");
	} else {
		msg("STOP request failed (transfer status %d): waiting for the stream to end "
		    "anyway",
		    t->status);
	}
}

static void LIBUSB_CALL stats_cb(struct libusb_transfer *t)
{
	struct cap *c = t->user_data;
	struct cap_stats st;
	char err[256];
	int ret;

	c->stats_pending = false;
	if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device disconnected");
		return;
	}
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		c->proto_errors++;
		return;
	}
	ret = cap_parse_stats(libusb_control_transfer_get_data(t), (size_t)t->actual_length, &st,
			      err, sizeof(err));
	if (ret) {
		if (!c->proto_errors++)
			msg("%s", err);
		return;
	}
	ret = cap_gaps_merge(&c->gaps, &st);
	if (ret < 0) {
		if (!c->proto_errors++)
			msg("GET_STATS contradicts an earlier reply (stream %" PRIu32
			    " vs %" PRIu32 ", gaps %" PRIu64 " vs %" PRIu64 ")",
			    st.stream_id, c->gaps.stream_id, st.gaps_total, c->gaps.total);
		return;
	}
	/*
	 * Judge suspects up to what the device had sent one poll earlier: the
	 * gap list of this reply certainly covers that part of the stream.
	 */
	if (c->verifying && c->have_stats)
		cap_verify_settle(&c->v, &c->gaps, c->stats.bytes_sent);
	c->stats = st;
	c->have_stats = true;
	/*
	 * Idle without our STOP: the device ended the stream (an error, a
	 * shutdown). Where the link still works an end-of-stream packet comes
	 * too, but this is what a host can always read.
	 */
	if (st.state == IFB_STATE_IDLE && !c->stop_sent && !c->eos) {
		c->device_ended = true;
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device ended the stream on its own after %" PRIu64 " bytes",
			  c->received);
	}
}

static void submit_ctrl(struct cap *c, struct libusb_transfer *t, uint8_t req, bool in,
			uint16_t len, libusb_transfer_cb_fn cb, bool *pending)
{
	int ret;

	libusb_fill_control_setup(t->buffer, req_type(in), req, 0, c->dev.iface, len);
	libusb_fill_control_transfer(t, c->h, t->buffer, cb, c, CTRL_TIMEOUT_MS);
	ret = libusb_submit_transfer(t);
	if (ret == 0) {
		*pending = true;
	} else if (ret == LIBUSB_ERROR_NO_DEVICE) {
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device disconnected");
	} else {
		c->proto_errors++;
	}
}

static void cancel_all(struct cap *c)
{
	if (c->cancelling)
		return;
	c->cancelling = true;
	for (unsigned int i = 0; i < c->nxfer; i++)
		libusb_cancel_transfer(c->xfer[i]); /* not-pending ones just fail */
	if (c->stats_pending)
		libusb_cancel_transfer(c->stats_xfer);
}

static void begin_stop(struct cap *c, enum end_reason why)
{
	if (c->stop_sent)
		return;
	set_reason(c, why);
	c->stop_sent = true;
	c->t_stop = now_mono();
	if (c->fatal == EXIT_GONE)
		return;
	submit_ctrl(c, c->stop_xfer, IFB_REQ_STOP, false, 0, stop_cb, &c->stop_pending);
}

static void LIBUSB_CALL bulk_cb(struct libusb_transfer *t)
{
	struct cap *c = t->user_data;
	int ret;

	c->inflight--;
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device disconnected during the capture");
		return;
	case LIBUSB_TRANSFER_TIMED_OUT:
		break; /* no timeout is set; keep what arrived */
	default:
		/* stall, error, overflow: the stream is no longer contiguous */
		if (c->fatal == EXIT_GONE || c->cancelling)
			return; /* the usual noise of a disconnect */
		c->host_errors++;
		set_fatal(c, EXIT_USB, "bulk transfer failed (status %d) after %" PRIu64 " bytes",
			  t->status, c->received);
		begin_stop(c, END_ERROR);
		return;
	}
	if (c->eos)
		return;
	if (t->actual_length == 0 && t->status == LIBUSB_TRANSFER_COMPLETED) {
		/* zero-length packet: the end of the stream */
		c->eos = true;
		c->t_end = now_mono();
		if (!c->stop_sent) {
			c->unexpected_eos = true;
			set_reason(c, END_DEVICE);
			set_fatal(c, EXIT_GONE, "the device ended the stream on its own after %" PRIu64
						" bytes",
				  c->received);
		}
		return;
	}
	if (t->actual_length > 0) {
		size_t len = (size_t)t->actual_length;

		/*
		 * Blocks are whole packets, so a short transfer only comes from
		 * the end-of-stream ZLP ending a partly filled transfer.
		 */
		if (c->stop_sent && t->actual_length < t->length) {
			c->eos = true;
			c->t_end = now_mono();
		}
		size_t take = len;

		if (c->limit && c->kept + take > c->limit)
			take = (size_t)(c->limit - c->kept);
		c->received += len;
		if (take)
			keep(c, t->buffer, take);
		c->discarded += len - take;
		if (c->limit && c->kept >= c->limit)
			begin_stop(c, END_LIMIT);
	}
	if (c->cancelling || c->eos)
		return;
	ret = libusb_submit_transfer(t);
	if (ret == 0) {
		c->inflight++;
	} else if (ret == LIBUSB_ERROR_NO_DEVICE) {
		set_reason(c, END_DEVICE);
		set_fatal(c, EXIT_GONE, "the device disconnected during the capture");
	} else {
		c->host_errors++;
		set_fatal(c, EXIT_USB, "resubmitting a bulk transfer failed: %s",
			  libusb_strerror(ret));
		begin_stop(c, END_ERROR);
	}
}

/* usbfs's limit on memory in flight for all its users (0: none/unknown). */
static uint64_t usbfs_limit(void)
{
	FILE *f = fopen("/sys/module/usbcore/parameters/usbfs_memory_mb", "r");
	unsigned long long mb = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mb) != 1)
		mb = 0;
	fclose(f);
	return (uint64_t)mb << 20;
}

#define USBFS_OVERHEAD 4096 /* per transfer, generously: struct urb, async, ... */

static int alloc_transfers(struct cap *c)
{
	uint64_t mp = c->dev.max_packet ? c->dev.max_packet : 512;
	uint64_t size = (c->o.transfer_size + mp - 1) / mp * mp;
	uint64_t limit = usbfs_limit();

	/*
	 * Fit under usbfs's memory limit (16 MiB by default), leaving some
	 * room for control transfers and other programs.
	 */
	if (limit && c->o.transfers * (size + USBFS_OVERHEAD) > limit - limit / 16) {
		uint64_t room = limit - limit / 16;
		unsigned int n = (unsigned int)(room / (size + USBFS_OVERHEAD));

		if (n < 4) {
			n = c->o.transfers < 4 ? c->o.transfers : 4;
			size = (room / n - USBFS_OVERHEAD) / mp * mp;
			if (size < mp)
				size = mp;
		}
		if (c->o.transfers_set || c->o.transfer_size_set)
			msg("usbfs allows %" PRIu64 " MiB in flight "
			    "(/sys/module/usbcore/parameters/usbfs_memory_mb; 0 lifts the limit): "
			    "using %u transfers of %" PRIu64 " bytes",
			    limit >> 20, n < c->o.transfers ? n : c->o.transfers, size);
		if (n < c->o.transfers)
			c->o.transfers = n;
	}

	c->xfer = calloc(c->o.transfers, sizeof(*c->xfer));
	if (!c->xfer)
		return -ENOMEM;
	for (unsigned int i = 0; i < c->o.transfers; i++) {
		struct libusb_transfer *t = libusb_alloc_transfer(0);
		uint8_t *buf;

		if (!t)
			return -ENOMEM;
		/* usbfs-mapped memory avoids a copy in the kernel when available */
		buf = libusb_dev_mem_alloc(c->h, (size_t)size);
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
		libusb_fill_bulk_transfer(t, c->h, c->dev.ep_in, buf, (int)size, bulk_cb, c, 0);
		c->xfer[c->nxfer++] = t;
	}
	c->stats_xfer = libusb_alloc_transfer(0);
	c->stop_xfer = libusb_alloc_transfer(0);
	if (!c->stats_xfer || !c->stop_xfer)
		return -ENOMEM;
	c->stats_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE + sizeof(struct ifb_stats));
	c->stats_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	c->stop_xfer->buffer = calloc(1, LIBUSB_CONTROL_SETUP_SIZE);
	c->stop_xfer->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	if (!c->stats_xfer->buffer || !c->stop_xfer->buffer)
		return -ENOMEM;
	return 0;
}

static void free_transfers(struct cap *c)
{
	for (unsigned int i = 0; i < c->nxfer; i++) {
		struct libusb_transfer *t = c->xfer[i];

		if (!(t->flags & LIBUSB_TRANSFER_FREE_BUFFER)) {
			libusb_dev_mem_free(c->h, t->buffer, (size_t)t->length);
			t->buffer = NULL;
		}
		libusb_free_transfer(t);
	}
	free(c->xfer);
	libusb_free_transfer(c->stats_xfer);
	libusb_free_transfer(c->stop_xfer);
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
		     (double)c->received / 1048576.0, cap_gaps_count(&c->gaps),
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
	double next_stats, deadline = 0;

	c->t0 = now_mono();
	c->live_t = c->t0;
	next_stats = c->t0 + STATS_PERIOD_S;
	if (c->o.duration > 0)
		deadline = c->t0 + c->o.duration;

	for (;;) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
		double now;
		int ret;

		ret = libusb_handle_events_timeout_completed(c->ctx, &tv, NULL);
		if (ret && ret != LIBUSB_ERROR_INTERRUPTED && ret != LIBUSB_ERROR_TIMEOUT) {
			set_fatal(c, EXIT_USB, "libusb event handling failed: %s",
				  libusb_strerror(ret));
			set_reason(c, END_ERROR);
		}
		now = now_mono();
		if (got_signals && !c->stop_sent)
			begin_stop(c, END_SIGNAL);
		if (deadline && now >= deadline && !c->stop_sent)
			begin_stop(c, END_LIMIT);
		if (c->fatal && !c->stop_sent)
			begin_stop(c, END_ERROR);
		if (c->fatal == EXIT_GONE || c->eos ||
		    (c->stop_sent && now - c->t_stop > DRAIN_TIMEOUT_S) || got_signals > 1) {
			/* a second Ctrl-C does not wait for the end of the stream */
			if (!c->eos && !c->t_end)
				c->t_end = now;
			cancel_all(c);
		}
		if (c->cancelling) {
			if (!c->t_cancel)
				c->t_cancel = now;
			if (c->inflight == 0 && !c->stats_pending && !c->stop_pending)
				break;
			if (now - c->t_cancel > CANCEL_TIMEOUT_S) {
				/* libusb never gave them back: do not free them */
				msg("%u transfers did not complete after cancellation",
				    c->inflight + c->stats_pending + c->stop_pending);
				c->stuck = true;
				set_fatal(c, EXIT_USB, "USB transfers stuck");
				break;
			}
			continue;
		}
		if (now >= next_stats && !c->stats_pending && !c->stop_sent) {
			submit_ctrl(c, c->stats_xfer, IFB_REQ_GET_STATS, true,
				    sizeof(struct ifb_stats), stats_cb, &c->stats_pending);
			next_stats = now + STATS_PERIOD_S;
		}
		if (now - c->live_t >= LIVE_PERIOD_S)
			live_line(c, now, false);
	}
	if (!c->t_end)
		c->t_end = now_mono();
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
	cap_json_u64(&j, cap_gaps_count(&c->gaps));
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
	cap_json_key(&j, "device");
	if (c->have_stats) {
		cap_json_begin_object(&j);
		cap_json_key(&j, "mode");
		cap_json_string(&j, cap_mode_name(c->stats.mode));
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
		cap_gaps_count(&c->gaps), device_errors(c) + c->host_errors,
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
	struct cap_sigmf_meta m = { 0 };
	char when[40], recorder[64], note[512] = "", err[256];
	uint64_t lost = 0;
	size_t ng = 0;
	char *doc;
	int ret;

	if (c->gaps.n) {
		g = calloc(c->gaps.n, sizeof(*g));
		if (!g)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->gaps.n; i++) {
		uint64_t missing = 0;

		g[ng].stream_offset = c->gaps.off[i];
		if (c->verifying && cap_verify_missing_at(&c->v, c->gaps.off[i], &missing)) {
			g[ng].missing_known = true;
			g[ng].missing = missing;
		}
		ng++;
	}
	for (size_t i = 0; i < c->gaps.nlost; i++)
		lost += c->gaps.lost[i].count;
	if (lost)
		snprintf(note, sizeof(note),
			 "The device reported %" PRIu64 " further gap(s) whose stream offsets it "
			 "did not list (its list holds the %d most recent); they have no capture "
			 "segment",
			 lost, IFB_STATS_MAX_GAPS);
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
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	free(g);
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
	struct sigaction sa;
	struct cap_stats st;
	char err[256];
	uint64_t scan;
	int ret;
	double secs;

	if (c->o.sigmf) {
		char dt[CAP_SIGMF_DATATYPE_LEN];
		unsigned int nch;

		if (cap_sigmf_datatype(&c->info, dt, sizeof(dt), &nch, err, sizeof(err))) {
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
	if (!c->carry || alloc_transfers(c)) {
		msg("out of memory for %u transfers of %" PRIu64 " bytes", c->o.transfers,
		    c->o.transfer_size);
		return EXIT_USB;
	}
	ret = drain_before_start(c);
	if (ret)
		return ret;
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

	for (unsigned int i = 0; i < c->nxfer; i++) {
		ret = libusb_submit_transfer(c->xfer[i]);
		if (ret == LIBUSB_ERROR_NO_MEM && i >= 2) {
			/* usbfs memory shared with other programs: go on with fewer */
			msg("usbfs memory limit reached: %u of %u transfers in flight", i, c->nxfer);
			break;
		}
		if (ret) {
			msg("submitting bulk transfers failed: %s", libusb_strerror(ret));
			c->cancelling = true;
			for (unsigned int k = 0; k < i; k++)
				libusb_cancel_transfer(c->xfer[k]);
			while (c->inflight)
				libusb_handle_events(c->ctx);
			set_fatal(c, usb_exit_code(ret), "no capture");
			close_output(c);
			return c->fatal;
		}
		c->inflight++;
	}
	clock_gettime(CLOCK_REALTIME, &c->start_wall);
	ret = ctrl_sync(c, IFB_REQ_START, false, NULL, 0);
	if (ret < 0) {
		msg("START failed: %s", libusb_strerror(ret));
		set_fatal(c, usb_exit_code(ret), "START failed");
		cancel_all(c);
		while (c->inflight)
			libusb_handle_events(c->ctx);
		close_output(c);
		return c->fatal;
	}
	c->started = true;
	run_loop(c);
	live_line(c, now_mono(), true);

	/* final statistics: the whole gap list for this stream (also when the
	 * device ended it: the counters say why) */
	if (c->fatal != EXIT_GONE || c->unexpected_eos || c->device_ended) {
		if (!c->stop_sent && !c->eos)
			ctrl_sync(c, IFB_REQ_STOP, false, NULL, 0);
		ret = get_stats_sync(c, &st);
		if (ret == 0) {
			if (cap_gaps_merge(&c->gaps, &st) < 0)
				msg("final GET_STATS contradicts an earlier reply");
			c->stats = st;
			c->have_stats = true;
		} else if (ret == LIBUSB_ERROR_NO_DEVICE) {
			set_reason(c, END_DEVICE);
			set_fatal(c, EXIT_GONE, "the device disconnected");
		} else {
			msg("final GET_STATS failed: %s", libusb_strerror(ret));
			c->proto_errors++;
		}
		if (!c->eos && c->fatal != EXIT_GONE && c->stop_sent)
			msg("no end-of-stream packet within %.0f s of STOP; the capture ends "
			    "anyway",
			    DRAIN_TIMEOUT_S);
	}
	if ((c->unexpected_eos || c->device_ended) && c->have_stats &&
	    c->fatal == EXIT_GONE)
		snprintf(c->fatal_msg, sizeof(c->fatal_msg),
			 "the device ended stream %" PRIu32 " on its own after %" PRIu64
			 " bytes (%" PRIu64 " ADC errors, %" PRIu64 " USB errors; its log says why)",
			 c->stats.stream_id, c->received, c->stats.adc_errors, c->stats.usb_errors);
	if (c->verifying)
		cap_verify_settle(&c->v, &c->gaps, UINT64_MAX);
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
	ret = libusb_init(&c.ctx);
	if (ret) {
		msg("libusb_init failed: %s", libusb_strerror(ret));
		return EXIT_USB;
	}
	cap_gaps_init(&c.gaps);
	ret = choose_device(&c);
	if (ret)
		goto out_ctx;
	ret = open_device(&c);
	if (ret)
		goto out_dev;
	ret = get_info(&c);
	if (ret)
		goto out_dev;
	snprintf(c.hw, sizeof(c.hw),
		 "%s via iio-ffs-bridge (%s mode), USB %04x:%04x \"%s\" \"%s\" serial \"%s\", %s",
		 c.info.device_name, cap_mode_name(c.info.mode), c.dev.vid, c.dev.pid,
		 c.dev.manufacturer, c.dev.product, c.dev.serial, cap_speed_name(c.dev.speed));
	if (c.o.info_only) {
		print_info(&c, stdout);
		goto out_dev;
	}
	c.live = c.o.live || (!c.o.quiet && isatty(STDERR_FILENO));
	c.live_tty = isatty(STDERR_FILENO);
	if (!c.o.quiet)
		msg("capturing from %s", c.hw);
	ret = capture(&c);

out_dev:
	if (c.xfer && !c.stuck)
		free_transfers(&c);
	if (c.out_fd >= 0 && !c.out_stdout)
		close(c.out_fd);
	if (c.h && !c.stuck) {
		if (ret != EXIT_GONE)
			libusb_release_interface(c.h, c.dev.iface);
		libusb_close(c.h);
	}
	libusb_unref_device(c.dev.dev);
out_ctx:
	if (c.verifying)
		cap_verify_free(&c.v);
	cap_gaps_free(&c.gaps);
	free(c.carry);
	free(c.bounce_buf);
	free(c.data_path);
	free(c.meta_path);
	libusb_exit(c.ctx);
	return ret;
}
