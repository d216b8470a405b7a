// SPDX-License-Identifier: GPL-2.0-or-later
/* iio-ffs-play: the command line (play.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/util.h"
#include "common/size.h"
#include "iio-ffs-bridge/protocol.h"
#include "play/play.h"

#define MAX_TRANSFERS 1024
#define MAX_TRANSFER_SIZE (256ull << 20)

void play_usage(FILE *f)
{
	fprintf(f,
		"Usage: iio-ffs-play [OPTION]... FILE|-\n"
		"       iio-ffs-play [OPTION]... --pattern counter [--bytes N]\n"
		"       iio-ffs-play --cyclic [--duration S] [OPTION]... FILE|--pattern counter\n"
		"       iio-ffs-play --list [DEVICE OPTION]...\n"
		"Play samples to an output stream (a DAC) of an iio-ffs-bridge USB device.\n"
		"\n"
		"What to play (whole scans in the layout of the stream: see --list):\n"
		"  FILE                     raw scans from FILE ('-': standard input), or a\n"
		"                           SigMF recording (.sigmf-data, -meta or .sigmf:\n"
		"                           its datatype must describe the stream's scans)\n"
		"      --pattern counter    the simulated converters' counter: scan n holds\n"
		"                           (n >> 16K) & 0xffff in its channel of scan index K\n"
		"  -b, --bytes N            stop after N bytes, cut to whole scans (K, M, G, T\n"
		"                           suffixes: 1024^n); none: the whole FILE, the\n"
		"                           pattern until Ctrl-C\n"
		"  -r, --repeat N           play FILE N times (default 1; 0: until Ctrl-C or\n"
		"                           --bytes)\n"
		"      --cyclic             send the waveform (FILE, or --bytes of the pattern;\n"
		"                           at most the device's pool of blocks) once: the DAC\n"
		"                           repeats it with no USB traffic until --duration or\n"
		"                           Ctrl-C\n"
		"      --duration S         with --cyclic: play it for S seconds\n"
		"      --at +S | NS         a timed burst: its first sample leaves the DAC S\n"
		"                           seconds after the board's clock now, or at board\n"
		"                           CLOCK_MONOTONIC NS; a burst the device cannot\n"
		"                           start then is not played (exit 9)\n"
		"Reports:\n"
		"  -q, --quiet              no live line, no summary on stderr\n"
		"      --live               live line even when stderr is not a terminal\n"
		"      --json               a JSON summary on stdout at the end\n"
		"      --strict             exit 1 when the DAC ran dry (an underflow)\n"
		"Which stream (the only or first output stream without these):\n"
		"      --stream NAME        the output stream called NAME\n"
		"  -d, --device VID:PID     only devices with this vendor:product (hex)\n"
		"  -s, --serial SERIAL      only the device with this serial number\n"
		"  -p, --path BUS-PORT...   only the device at this bus path (e.g. 1-2.3)\n"
		"  -l, --list               list the output streams and exit\n"
		"USB:\n"
		"      --transfers N        bulk transfers in flight (default 8)\n"
		"      --transfer-size N    bytes per transfer, rounded up to whole device\n"
		"                           blocks (default: the blocks closest to 1M)\n"
		"  -h, --help               this help\n"
		"  -V, --version            the version and the wire protocol version\n"
		"\n"
		"Exit status: 0 played, 1 underflow with --strict, 2 usage, 3 no such device\n"
		"or output stream, 4 permission or busy, 5 protocol, 6 device gone,\n"
		"7 USB error, 8 input error, 9 a timed burst late. See iio-ffs-play(1).\n");
}

static enum play_args usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum play_args usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return PLAY_ARGS_USAGE;
}

enum {
	OPT_PATTERN = 0x100,
	OPT_LIVE,
	OPT_JSON,
	OPT_STRICT,
	OPT_STREAM,
	OPT_TRANSFERS,
	OPT_TRANSFER_SIZE,
	OPT_CYCLIC,
	OPT_DURATION,
	OPT_AT,
};

enum play_args play_parse_args(int argc, char **argv, struct play_opts *o, FILE *out, char *err,
			       size_t errlen)
{
	static const struct option longopts[] = {
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "bytes", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "device", required_argument, NULL, 'd' },
		{ "serial", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'l' },
		{ "transfers", required_argument, NULL, OPT_TRANSFERS },
		{ "transfer-size", required_argument, NULL, OPT_TRANSFER_SIZE },
		{ "cyclic", no_argument, NULL, OPT_CYCLIC },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "at", required_argument, NULL, OPT_AT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool repeat_set = false;
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	err[0] = '\0';
	optind = 0; /* glibc: start over (the unit tests parse many times) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":b:r:qd:s:p:lhV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_PATTERN:
			if (strcmp(optarg, "counter"))
				return usage_error(err, errlen,
						   "--pattern %s: the only pattern is 'counter'",
						   optarg);
			o->src = PLAY_SRC_PATTERN;
			break;
		case 'b':
			if (ifb_parse_size(optarg, &v) || v == 0)
				return usage_error(err, errlen,
						   "--bytes %s: expected a size > 0 (e.g. 4096, 64M)",
						   optarg);
			o->bytes = v;
			break;
		case 'r':
			if (ifb_parse_size(optarg, &v))
				return usage_error(err, errlen,
						   "--repeat %s: expected a count (0: until Ctrl-C)",
						   optarg);
			o->repeat = v;
			repeat_set = true;
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
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_STREAM:
			if (o->stream)
				return usage_error(err, errlen, "--stream given twice: one stream is "
						   "played at a time");
			o->stream = optarg;
			break;
		case 'd':
			if (cap_parse_vidpid(optarg, &o->sel.vid, &o->sel.pid))
				return usage_error(err, errlen,
						   "--device %s: expected VID:PID in hex, e.g. 1d6b:0104",
						   optarg);
			o->sel.have_vidpid = true;
			break;
		case 's':
			o->sel.serial = optarg;
			break;
		case 'p':
			o->sel.path = optarg;
			break;
		case 'l':
			o->list_only = true;
			break;
		case OPT_TRANSFERS:
			if (ifb_parse_size(optarg, &v) || v == 0 || v > MAX_TRANSFERS)
				return usage_error(err, errlen, "--transfers %s: expected 1 to %d",
						   optarg, MAX_TRANSFERS);
			o->transfers = (unsigned int)v;
			break;
		case OPT_TRANSFER_SIZE:
			if (ifb_parse_size(optarg, &v) || v == 0 || v > MAX_TRANSFER_SIZE)
				return usage_error(err, errlen,
						   "--transfer-size %s: expected 1 to 256M", optarg);
			o->transfer_size = v;
			break;
		case OPT_CYCLIC:
			o->cyclic = true;
			break;
		case OPT_DURATION: {
			char *end;

			o->duration = strtod(optarg, &end);
			if (end == optarg || *end || !(o->duration > 0) || o->duration > 1e7)
				return usage_error(err, errlen,
						   "--duration %s: expected seconds > 0 (e.g. 2.5)",
						   optarg);
			break;
		}
		case OPT_AT: {
			char *end;

			errno = 0;
			if (optarg[0] == '+') {
				o->at_rel = strtod(optarg + 1, &end);
				if (end == optarg + 1 || *end || !(o->at_rel > 0) || o->at_rel > 3600)
					return usage_error(err, errlen,
							   "--at %s: expected +SECONDS after the "
							   "board's clock now, > 0 and at most 3600 "
							   "(e.g. +0.5)",
							   optarg);
			} else {
				o->at_ns = strtoull(optarg, &end, 10);
				if (end == optarg || *end || errno || !o->at_ns ||
				    o->at_ns > INT64_MAX || !isdigit((unsigned char)optarg[0]))
					return usage_error(err, errlen,
							   "--at %s: expected +SECONDS or the board's "
							   "CLOCK_MONOTONIC in ns (e.g. +0.5)",
							   optarg);
			}
			break;
		}
		case 'h':
			play_usage(out);
			return PLAY_ARGS_DONE;
		case 'V':
			fprintf(out, "iio-ffs-play %s (wire protocol version %d)\n", IFB_VERSION,
				IFB_PROTOCOL_VERSION);
			return PLAY_ARGS_DONE;
		case ':':
			return usage_error(err, errlen, "%s needs a value (see --help)",
					   argv[optind - 1]);
		default:
			return usage_error(err, errlen, "unknown option '%s' (see --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (o->src == PLAY_SRC_PATTERN)
			return usage_error(err, errlen, "a FILE and --pattern: play one of them");
		if (optind + 1 < argc)
			return usage_error(err, errlen, "unexpected argument '%s': one FILE at a time",
					   argv[optind + 1]);
		o->src = PLAY_SRC_FILE;
		o->file = argv[optind];
	}
	if (o->list_only)
		return PLAY_ARGS_RUN;
	if (o->src == PLAY_SRC_NONE)
		return usage_error(err, errlen,
				   "nothing to play: give a FILE ('-': standard input) or "
				   "--pattern counter (see --help)");
	if (o->src == PLAY_SRC_FILE && !strcmp(o->file, "-") && o->repeat != 1)
		return usage_error(err, errlen,
				   "--repeat with standard input: it cannot be read again");
	if (o->duration && !o->cyclic)
		return usage_error(err, errlen,
				   "--duration without --cyclic: a stream plays what it is given "
				   "(--bytes sets its length)");
	if (o->cyclic && (o->at_rel || o->at_ns))
		return usage_error(err, errlen,
				   "--at with --cyclic: a timed start is for a burst (the device "
				   "can time a waveform, this program does not ask it to yet)");
	if (o->cyclic && repeat_set)
		return usage_error(err, errlen,
				   "--repeat with --cyclic: the DAC repeats the waveform itself "
				   "(--duration sets for how long)");
	if (o->cyclic && o->src == PLAY_SRC_FILE && !strcmp(o->file, "-"))
		return usage_error(err, errlen, "--cyclic with standard input: give the waveform's FILE");
	if (o->src == PLAY_SRC_PATTERN && repeat_set)
		return usage_error(err, errlen,
				   "--repeat with --pattern: the pattern does not repeat, it counts "
				   "on (--bytes sets its length)");
	return PLAY_ARGS_RUN;
}
