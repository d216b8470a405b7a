// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture: capture the sample stream of an iio-ffs-bridge device to
 * a raw file or a SigMF pair, with a live rate line, gap accounting from
 * the device's statistics and an optional byte-exact check of the
 * simulated ADC's test pattern.
 *
 * The device, the stream and its gaps are libifbhost's (include/ifbhost.h,
 * src/host/): this file is the options and the capture's course on the
 * library; output.c writes, report.c reports (cap.h). Errors from the
 * library are negative errno values, mapped to exit codes by cap_exit_code()
 * (common.c); select.c finds and opens the streams.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/size.h"
#include "capture/cap.h"
#include "capture/sigmf.h"
#include "capture/util.h"
#include "iio-ffs-bridge/protocol.h"

static void on_signal(int sig)
{
	(void)sig;
	if (cap_got_signals < 100)
		cap_got_signals++;
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
		"                           neighbours (PAIRING adjacent); none: real channels.\n"
		"                           Without --iq, the pairs the device names (its\n"
		"                           config's [iio] iq) when every channel is in one\n"
		"                           pair.\n"
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
		"      --rate HZ            set the device's sample rate first (scans per second,\n"
		"                           up to 3 decimals; protocol version 3 devices)\n"
		"  -d, --device VID:PID     only devices with this vendor:product id (hex)\n"
		"  -s, --serial SERIAL      only the device with this serial number\n"
		"  -p, --path BUS-PORT[.PORT]...  only the device at this bus path\n"
		"      --stream NAME        the device's stream NAME (protocol version 4 devices\n"
		"                           may serve several; an older one has one, \"main\").\n"
		"                           Repeat it to capture several at once, one output\n"
		"                           each: -o FILE writes FILE-NAME.EXT (NAME before\n"
		"                           FILE's extension), --sigmf BASE writes BASE-NAME\n"
		"      --list               list the matching devices' streams, then exit\n"
		"USB transfers:\n"
		"      --transfers N        bulk transfers in flight (default 16, within half\n"
		"                           of usbfs_memory_mb, which all programs share: 7\n"
		"                           under Linux's default 16 MiB; with several\n"
		"                           --stream, 12 shared among them)\n"
		"      --transfer-size N    bytes per transfer (default 1M; rounded up to\n"
		"                           a multiple of the endpoint's packet size)\n"
		"\n"
		"  -h, --help               this help\n"
		"  -V, --version            version\n"
		"\n"
		"Exit status: 0 success (also when ended by SIGINT/SIGTERM), 1 --verify found\n"
		"a mismatch, 2 usage error, 3 no device or stream (or several and none\n"
		"chosen), 4 permission denied or interface busy, 5 protocol error, 6 device\n"
		"gone or stream ended by the device, 7 USB error, 8 output error. See\n"
		"iio-ffs-capture(1).\n");
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
	OPT_RATE,
	OPT_STREAM,
	OPT_LIST,
};

/* "2000000" or "2.5" Hz, at most 3 decimals, into milli-hertz, 1 mHz..1 THz. */
static int parse_rate(const char *s, uint64_t *ret_mhz)
{
	uint64_t whole = 0, frac = 0;
	unsigned int digits = 0, fdigits = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > IFB_RATE_MHZ_MAX / 10000)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
			if (fdigits == 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
	if (*p || !digits)
		return -EINVAL;
	for (; fdigits < 3; fdigits++)
		frac *= 10;
	*ret_mhz = whole * 1000 + frac;
	return *ret_mhz >= IFB_RATE_MHZ_MIN && *ret_mhz <= IFB_RATE_MHZ_MAX ? 0 : -ERANGE;
}

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
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "list", no_argument, NULL, OPT_LIST },
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
			} else if (!strcmp(optarg, "none")) {
				o->iq = IFBH_IQ_NONE;
			} else {
				cap_msg("--iq: '%s' is not a pairing (name, adjacent or none)", optarg);
				return EXIT_USAGE;
			}
			o->iq_set = true;
			break;
		case OPT_RATE:
			if (parse_rate(optarg, &o->rate_mhz)) {
				cap_msg("--rate: '%s' is not a rate in Hz from 0.001 to 1000000000000 with at most "
					"3 decimals (e.g. 2000000 or 2.5)",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (cap_parse_seconds(optarg, &o->duration)) {
				cap_msg("--duration: '%s' is not a number of seconds > 0", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (ifb_parse_size(optarg, &o->bytes) || o->bytes == 0) {
				cap_msg("--bytes: '%s' is not a size > 0 (e.g. 4096, 16K, 1M, 2G)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (ifb_parse_size(optarg, &o->samples) || o->samples == 0) {
				cap_msg("--samples: '%s' is not a count > 0", optarg);
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
		case OPT_LIST:
			o->list_only = true;
			break;
		case OPT_STREAM:
			for (unsigned int k = 0; k < o->nstreams; k++)
				if (!strcmp(o->streams[k], optarg)) {
					cap_msg("--stream %s given twice", optarg);
					return EXIT_USAGE;
				}
			if (o->nstreams == CAP_MAX_STREAMS) {
				cap_msg("--stream: at most %d streams at once", CAP_MAX_STREAMS);
				return EXIT_USAGE;
			}
			o->streams[o->nstreams++] = optarg;
			break;
		case 'd':
			if (cap_parse_vidpid(optarg, &o->sel.vid, &o->sel.pid)) {
				cap_msg("--device: '%s' is not VID:PID in hex (e.g. 1d6b:0104)", optarg);
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
				cap_msg("--transfers: '%s' is not a count in 1..1024", optarg);
				return EXIT_USAGE;
			}
			o->transfers = (unsigned int)v;
			o->transfers_set = true;
			break;
		case OPT_TRANSFER_SIZE:
			if (ifb_parse_size(optarg, &v) || v == 0 || v > (256u << 20)) {
				cap_msg("--transfer-size: '%s' is not a size in 1..256M", optarg);
				return EXIT_USAGE;
			}
			o->transfer_size = v;
			o->transfer_size_set = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("iio-ffs-capture %s (wire protocol version %d)\n", IFB_VERSION,
			       IFB_PROTOCOL_VERSION);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cap_msg("unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->output && o->sigmf) {
		cap_msg("choose one of -o and --sigmf");
		return EXIT_USAGE;
	}
	if (o->sigmf && !*o->sigmf) {
		cap_msg("--sigmf needs a name");
		return EXIT_USAGE;
	}
	if (o->nstreams > 1 && o->output && !strcmp(o->output, "-")) {
		cap_msg("several streams cannot share standard output: give -o FILE or --sigmf");
		return EXIT_USAGE;
	}
	/* usbcore's usbfs_memory_mb (16 MiB by default) caps what every
	 * usbfs user has in flight together: several streams share the
	 * default rather than the first taking it all. */
	if (o->nstreams > 1 && !o->transfers_set) {
		o->transfers = CAP_SHARED_TRANSFERS / o->nstreams;
		if (o->transfers < 2)
			o->transfers = 2;
		o->transfers_set = true;
	}
	if (o->iq_set && !o->sigmf) {
		cap_msg("--iq describes SigMF data: use it with --sigmf");
		return EXIT_USAGE;
	}
	return 0;
}

/* --- device ----------------------------------------------------------------- */

static void on_log(void *user, enum ifbh_log_level level, const char *text)
{
	const struct opts *o = user;

	if (level == IFBH_LOG_WARNING || !o->quiet)
		cap_msg("%s", text);
}

/* One opened stream becomes capture c: its options (the output named after
 * the stream when there are several), --rate, its description. */
static int setup_cap(struct cap *c, const struct opts *o, struct ifbh_ctx *ctx,
		     struct ifbh_dev *dev, size_t nstreams)
{
	const char *name = ifbh_dev_stream_name(dev);
	int ret;

	c->o = *o;
	c->ctx = ctx;
	c->dev = dev;
	c->desc = *ifbh_dev_desc(dev);
	if (o->nstreams)
		snprintf(c->stream, sizeof(c->stream), "%s", *name ? name : "main");
	c->several = nstreams > 1;
	if (c->several && (o->output || o->sigmf)) {
		c->out_name = cap_stream_path(o->sigmf ? o->sigmf : o->output, c->stream, !o->sigmf);
		if (!c->out_name) {
			cap_msg("out of memory");
			return EXIT_USB;
		}
		if (o->sigmf)
			c->o.sigmf = c->out_name;
		else
			c->o.output = c->out_name;
	}
	if (o->rate_mhz) {
		uint64_t took = 0;

		ret = ifbh_dev_set_sample_rate(dev, o->rate_mhz, &took);
		if (ret) {
			cap_msg("%s%s--rate: %s", c->stream, *c->stream ? ": " : "",
				ifbh_dev_error(dev));
			return ret == -EOPNOTSUPP || ret == -EBUSY || ret == -ENOENT ||
					       ret == -EACCES || ret == -ERANGE || ret == -EINVAL
				       ? EXIT_USAGE
				       : cap_exit_code(ret);
		}
		if (!o->quiet)
			cap_msg("%s%ssample rate set: the device reads back %" PRIu64 ".%03u Hz",
				c->stream, *c->stream ? ": " : "", took / 1000,
				(unsigned int)(took % 1000));
	}
	c->info = *ifbh_dev_info(dev);
	snprintf(c->hw, sizeof(c->hw),
		 "%s via iio-ffs-bridge (%s mode), USB %04x:%04x \"%s\" \"%s\" serial \"%s\", %s%s%s%s",
		 c->info.device_name, ifbh_mode_name(c->info.mode), c->desc.vid, c->desc.pid,
		 c->desc.manufacturer, c->desc.product, c->desc.serial,
		 ifbh_speed_name(c->desc.speed), *name ? ", stream \"" : "", name,
		 *name ? "\"" : "");
	c->live = o->live || (!o->quiet && isatty(STDERR_FILENO));
	/* several streams' live lines each on a line of its own, named */
	c->live_tty = isatty(STDERR_FILENO) && !c->several;
	return 0;
}

/* Without --iq: the device's pairs, when they make every channel complex. */
static void take_device_iq(struct cap *c)
{
	char dt[CAP_SIGMF_DATATYPE_LEN], err[256];
	unsigned int nch, hinted = 0;

	const struct ifbh_info *info = cap_sigmf_info(c);

	for (unsigned int i = 0; i < info->num_channels; i++)
		hinted += info->ch[i].iq != 0;
	if (c->o.iq_set || !c->o.sigmf || !hinted)
		return;
	if (cap_sigmf_datatype_iq(info, IFBH_IQ_DEVICE, dt, sizeof(dt), &nch, err,
				  sizeof(err)) == 0)
		c->o.iq = IFBH_IQ_DEVICE;
	else if (!c->o.quiet)
		cap_msg("the device pairs %u of %u channels as I/Q, but SigMF complex data "
			"needs every channel paired: real datatype",
			hinted, info->num_channels);
}

/* --- the capture loop ------------------------------------------------------ */

static void request_stop(struct cap *c, enum end_reason why)
{
	if (ifbh_stream_status(c->s)->stop_sent)
		return;
	cap_set_reason(c, why);
	ifbh_stream_stop(c->s);
}

static int on_data(void *user, const void *data, size_t len, uint64_t offset)
{
	struct cap *c = user;
	size_t take = len;

	if (c->meta_path)
		cap_note_arrival(c, offset + len);
	if (c->limit && c->kept + take > c->limit)
		take = (size_t)(c->limit - c->kept);
	c->received = offset + len;
	if (take)
		cap_keep(c, data, take);
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
	/* (out of memory: the suspects wait for the next reply, or the end) */
	if (cap_refresh_gaps(c) == 0 && c->verifying && c->have_stats)
		cap_verify_settle(&c->v, &c->gaps, c->stats.bytes_sent);
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
	if (cap_exit_code(st->error) == EXIT_GONE)
		cap_set_reason(c, END_DEVICE);
	else
		cap_set_reason(c, END_ERROR);
	cap_set_fatal(c, cap_exit_code(st->error), "%s", ifbh_dev_error(c->dev));
}

/* One turn of the loop for a running capture: its error, Ctrl-C, its
 * limits, the live line. */
static void tick(struct cap *c, double now)
{
	take_lib_error(c);
	if (cap_got_signals)
		request_stop(c, END_SIGNAL);
	if (c->o.duration > 0 && now >= c->t0 + c->o.duration)
		request_stop(c, END_LIMIT);
	if (c->fatal)
		request_stop(c, END_ERROR);
	if (cap_got_signals > 1) /* a second Ctrl-C does not wait for the end of the stream */
		ifbh_stream_cancel(c->s);
	if (now - c->live_t >= LIVE_PERIOD_S)
		cap_report_live(c, now, false);
}

/* The stream has ended (ifbh_stream_poll returned ret): what the capture keeps of it. */
static void ended(struct cap *c, int ret)
{
	take_lib_error(c);
	/* the device ended the stream: its final counters say why */
	if (c->lib_error == -ECONNRESET && c->have_stats && c->fatal == EXIT_GONE)
		snprintf(c->fatal_msg, sizeof(c->fatal_msg),
			 "the device ended stream %" PRIu32 " on its own after %" PRIu64
			 " bytes (%" PRIu64 " ADC errors, %" PRIu64 " USB errors; its log says why)",
			 c->stats.stream_id, ifbh_stream_status(c->s)->received, c->stats.adc_errors,
			 c->stats.usb_errors);
	if (ret < 0)
		cap_set_fatal(c, EXIT_USB, "%s", ifbh_dev_error(c->dev));
	c->received = ifbh_stream_status(c->s)->received;
	c->t_end = ifbh_stream_status(c->s)->t_end;
	c->stuck = ifbh_stream_status(c->s)->stuck;
	c->host_errors = ifbh_stream_status(c->s)->host_errors;
	c->running = false;
}

/*
 * Runs every started capture until each has ended. Their devices share one
 * libusb context: the first running stream's poll waits for (and handles)
 * the events of all, the others' then do their own bookkeeping at once.
 */
static void run_loop(struct cap *caps, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		caps[k].t0 = ifbh_stream_status(caps[k].s)->t_start;
		caps[k].live_t = caps[k].t0;
	}
	for (;;) {
		bool waited = false;

		for (size_t k = 0; k < n; k++) {
			struct cap *c = &caps[k];
			int ret;

			if (!c->running)
				continue;
			ret = ifbh_stream_poll(c->s, waited ? 0 : POLL_MS);
			waited = true;
			if (ret)
				ended(c, ret);
			else
				tick(c, cap_now());
		}
		if (!waited)
			return;
	}
}

/* --- main ------------------------------------------------------------------ */

/* Everything a capture needs before its output opens; an exit code. */
static int prepare(struct cap *c)
{
	struct ifbh_stream_opts so = { 0 };
	char err[256];
	uint64_t scan;
	int ret;

	/* a timestamp channel: SigMF gets the samples, the timestamps a
	 * recording of their own */
	if (c->o.sigmf && cap_sigmf_split_init(&c->split, &c->info, err, sizeof(err))) {
		cap_msg("%s", err);
		return EXIT_USAGE;
	}
	take_device_iq(c);
	if (c->o.sigmf) {
		char dt[CAP_SIGMF_DATATYPE_LEN];
		unsigned int nch;

		if (cap_sigmf_datatype_iq(cap_sigmf_info(c), c->o.iq, dt, sizeof(dt), &nch, err,
					  sizeof(err))) {
			cap_msg("%s", err);
			return EXIT_USAGE;
		}
	}
	scan = c->info.scan_size;
	if (c->o.bytes)
		c->limit = c->o.bytes - c->o.bytes % scan;
	if (c->o.bytes && c->limit == 0) {
		cap_msg("--bytes %" PRIu64 " is less than one %" PRIu64 "-byte scan", c->o.bytes, scan);
		return EXIT_USAGE;
	}
	if (c->o.samples) {
		if (c->o.samples > UINT64_MAX / scan) {
			cap_msg("--samples too large");
			return EXIT_USAGE;
		}
		if (!c->limit || c->o.samples * scan < c->limit)
			c->limit = c->o.samples * scan;
	}
	if (c->o.verify) {
		if (cap_verify_init(&c->v, &c->info, err, sizeof(err))) {
			cap_msg("%s", err);
			return EXIT_USAGE;
		}
		c->verifying = true;
	}
	c->carry = malloc(scan);
	if (!c->carry) {
		cap_msg("out of memory");
		return EXIT_USB;
	}
	/* unasked, the library's default: a share of usbfs's memory that
	 * leaves room for the device's other streams */
	if (c->o.transfers_set || c->o.transfer_size_set) {
		so.transfers = c->o.transfers;
		so.transfer_size = (size_t)c->o.transfer_size;
	}
	ret = ifbh_stream_new(c->dev, &so, &c->s);
	if (ret) {
		cap_msg("%s", ifbh_dev_error(c->dev));
		return EXIT_USB;
	}
	ifbh_stream_set_data_cb(c->s, on_data, c);
	ifbh_stream_set_stats_cb(c->s, on_stats, c);
	return 0;
}

/* The output, its SigMF metadata written before START (so that nothing
 * waits on the disk once blocks flow; its start time is rewritten at the
 * end). An exit code; nothing is left behind on failure. */
static int open_output(struct cap *c)
{
	int ret = cap_open_output(c);

	if (ret)
		return ret;
	clock_gettime(CLOCK_REALTIME, &c->start_wall);
	if (cap_output_started(c)) {
		cap_abandon_output(c);
		cap_msg("%s", c->fatal_msg);
		return c->fatal;
	}
	return 0;
}

/* START; a refusal ends this capture (not the others) with its exit code. */
static void start(struct cap *c)
{
	int ret = ifbh_stream_start(c->s);

	c->start_wall = ifbh_stream_status(c->s)->start_wall;
	/* START may have read a new rate (the library retries START after a
	 * device-side rate change; a new layout fails it instead) */
	c->info.sample_rate_mhz = ifbh_dev_info(c->dev)->sample_rate_mhz;
	if (ret) {
		cap_msg("%s%s%s", c->several ? c->stream : "", c->several ? ": " : "",
			ifbh_dev_error(c->dev));
		cap_set_fatal(c, cap_exit_code(ret), "no capture");
		cap_close_output(c);
		return;
	}
	c->started = c->running = true;
}

/* After the loop: the last gaps, the output closed, the reports. An exit code. */
static int finish(struct cap *c)
{
	double secs;

	if (!c->started)
		return c->fatal;
	if (cap_refresh_gaps(c)) {
		cap_msg("out of memory reading the stream's gaps");
		cap_set_fatal(c, EXIT_USB, "out of memory");
	}
	cap_report_live(c, cap_now(), true);
	if (c->verifying)
		cap_verify_settle(&c->v, &c->gaps, UINT64_MAX);
	cap_close_output(c);

	secs = c->t_end - c->t0;
	if (!c->o.quiet)
		cap_report_human(c, secs);
	if (c->fatal)
		cap_msg("%s%s%s", c->several ? c->stream : "", c->several ? ": " : "", c->fatal_msg);
	if (c->o.json)
		cap_report_json(c, c->out_stdout ? stderr : stdout, secs);
	if (c->fatal)
		return c->fatal;
	return c->verifying && c->v.failed ? EXIT_VERIFY : EXIT_OK;
}

/* The captures of caps[0..n), at once. The first failing one's exit code. */
static int capture(struct cap *caps, size_t n)
{
	struct sigaction sa;
	size_t opened = 0;
	int ret = 0;

	for (size_t k = 0; k < n && !ret; k++)
		ret = prepare(&caps[k]);
	if (ret)
		return ret;
	/* from here on a signal ends the capture cleanly */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (; opened < n && !ret; opened++)
		ret = open_output(&caps[opened]);
	if (ret) {
		/* the failed one cleaned up after itself; the others made files */
		for (size_t k = 0; k + 1 < opened; k++)
			cap_abandon_output(&caps[k]);
		return ret;
	}
	for (size_t k = 0; k < n; k++)
		start(&caps[k]);
	run_loop(caps, n);
	for (size_t k = 0; k < n; k++) {
		int r = finish(&caps[k]);

		if (!ret)
			ret = r;
	}
	return ret;
}

/* Frees what capture c holds, but its device (closed by main). */
static void free_cap(struct cap *c)
{
	if (c->out_fd >= 0 && !c->out_stdout)
		close(c->out_fd);
	if (c->ts_fd >= 0)
		close(c->ts_fd);
	if (c->verifying)
		cap_verify_free(&c->v);
	free(c->carry);
	free(c->arrivals);
	free(c->unlisted);
	free(c->bounce_buf);
	free(c->data_path);
	free(c->meta_path);
	free(c->ts_data_path);
	free(c->ts_meta_path);
	free(c->split_buf);
	free(c->ts_buf);
	free(c->out_name);
}

int main(int argc, char **argv)
{
	struct ifbh_dev *devs[CAP_MAX_STREAMS] = { NULL };
	struct ifbh_ctx *ctx = NULL;
	struct cap *caps = NULL;
	struct opts o;
	bool stuck = false;
	size_t n = 0;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	ret = ifbh_ctx_new(&ctx);
	if (ret) {
		cap_msg("cannot start libusb: %s", strerror(-ret));
		return EXIT_USB;
	}
	ifbh_ctx_set_log(ctx, on_log, &o);
	if (o.list_only) {
		ret = cap_list_streams(ctx, &o);
		goto out;
	}
	ret = cap_open_streams(ctx, &o, devs, &n);
	if (ret)
		goto out;
	caps = calloc(n, sizeof(*caps));
	if (!caps) {
		cap_msg("out of memory");
		ret = EXIT_USB;
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		caps[k].out_fd = caps[k].ts_fd = -1;
	for (size_t k = 0; k < n && !ret; k++)
		ret = setup_cap(&caps[k], &o, ctx, devs[k], n);
	if (ret)
		goto out;
	if (o.info_only) {
		for (size_t k = 0; k < n; k++) {
			if (k)
				putchar('\n');
			cap_report_info(&caps[k], stdout);
		}
		goto out;
	}
	for (size_t k = 0; k < n && !o.quiet; k++)
		cap_msg("capturing from %s", caps[k].hw);
	ret = capture(caps, n);

out:
	for (size_t k = 0; caps && k < n; k++)
		stuck |= caps[k].stuck;
	/* transfers libusb never gave back must outlive us: leave them */
	for (size_t k = 0; caps && k < n && !stuck; k++)
		ifbh_stream_free(caps[k].s);
	for (size_t k = 0; caps && k < n; k++)
		free_cap(&caps[k]);
	for (size_t k = 0; k < n && !stuck; k++)
		ifbh_dev_close(devs[k]);
	if (!stuck)
		ifbh_ctx_free(ctx);
	free(caps);
	return ret;
}
