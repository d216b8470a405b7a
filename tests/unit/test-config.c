// SPDX-License-Identifier: GPL-2.0-or-later
/* Config parsing and validation: defaults, every key, every error case. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "unit.h"

static char err[1024];

/* len bytes of text, NULs included, as the file test.conf. */
static int parse_n(struct ifb_config *cfg, const char *text, size_t len)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int r;

	ck_assert_ptr_nonnull(f);
	ifb_unit_save_seed("config", text, len);
	ifb_config_defaults(cfg);
	r = ifb_config_load_stream(cfg, f, "test.conf", err, sizeof(err));
	fclose(f);
	return r;
}

static int parse(struct ifb_config *cfg, const char *text)
{
	return parse_n(cfg, text, strlen(text));
}

/* The text must fail, with a message that starts with prefix and holds needle. */
static void expect_error_n(const char *text, size_t len, const char *prefix, const char *needle)
{
	struct ifb_config cfg;

	ck_assert_int_lt(parse_n(&cfg, text, len), 0);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "message '%s' lacks '%s'", err,
		      prefix);
	ck_assert_msg(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
}

static void expect_error(const char *text, const char *prefix, const char *needle)
{
	expect_error_n(text, strlen(text), prefix, needle);
}

/* A string of n copies of c, then tail (the caller frees it). */
static char *repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

START_TEST(defaults_and_minimal)
{
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\n"), 0);
	ck_assert_str_eq(cfg.stream[0].device, "adc");
	ck_assert(cfg.stream[0].all_channels);
	ck_assert_uint_eq(cfg.stream[0].block_size, 1u << 20);
	ck_assert_uint_eq(cfg.stream[0].block_count, 4);
	ck_assert_int_eq(cfg.stream[0].mode, IFB_CFG_MODE_AUTO);
	ck_assert_int_eq(cfg.stream[0].allocator, IFB_CFG_ALLOC_AUTO);
	ck_assert_int_eq(cfg.stream[0].start, IFB_CFG_START_HOST);
	ck_assert_str_eq(cfg.functionfs, "/dev/ffs-iio");
	ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_IIO_DEVICE], 2);
	ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_STREAM_BLOCK_SIZE], 0);
}
END_TEST

START_TEST(every_key)
{
	static const char text[] =
		"; comment\n"
		"[iio]\n"
		"device = iio:device3\n"
		"buffer = 1\n"
		"channels = voltage0, voltage2\n"
		"sampling_frequency = 30720000\n"
		"[stream]\n"
		"block_size = 256K\n"
		"block_count = 16\n"
		"mode = zero-copy\n"
		"allocator = dma-heap:reserved\n"
		"start = immediate\n"
		"[usb]\n"
		"functionfs = /run/ffs\n"
		"vendor_id = 0x0456\n"
		"product_id = b673\n"
		"manufacturer = ACME\n"
		"product = Radio\n"
		"serial = 0001\n"
		"interface = Samples\n"
		"ms_os_descriptors = no\n"
		"interface_guid = {01234567-89ab-cdef-0123-456789abcdef}\n"
		"[daemon]\n"
		"log_level = debug\n";
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, text), 0);
	ck_assert_str_eq(cfg.stream[0].device, "iio:device3");
	ck_assert_uint_eq(cfg.stream[0].buffer, 1);
	ck_assert(!cfg.stream[0].all_channels);
	ck_assert_uint_eq(cfg.stream[0].num_channels, 2);
	ck_assert_str_eq(cfg.stream[0].channels[1], "voltage2");
	ck_assert_str_eq(cfg.stream[0].sampling_frequency, "30720000");
	ck_assert_uint_eq(cfg.stream[0].block_size, 256 * 1024);
	ck_assert_uint_eq(cfg.stream[0].block_count, 16);
	ck_assert_int_eq(cfg.stream[0].mode, IFB_CFG_MODE_ZERO_COPY);
	ck_assert_int_eq(cfg.stream[0].allocator, IFB_CFG_ALLOC_DMA_HEAP);
	ck_assert_str_eq(cfg.stream[0].heap, "reserved");
	ck_assert_int_eq(cfg.stream[0].start, IFB_CFG_START_IMMEDIATE);
	ck_assert_str_eq(cfg.functionfs, "/run/ffs");
	ck_assert_uint_eq(cfg.vendor_id, 0x0456);
	ck_assert_uint_eq(cfg.product_id, 0xb673);
	ck_assert_str_eq(cfg.serial, "0001");
	ck_assert_str_eq(cfg.interface, "Samples");
	ck_assert(!cfg.ms_os_descriptors);
	ck_assert_str_eq(cfg.interface_guid, "{01234567-89ab-cdef-0123-456789abcdef}");
	ck_assert_int_eq(cfg.log_level, 7);
	ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_STREAM_BLOCK_SIZE], 8);
}
END_TEST

START_TEST(dump_round_trips)
{
	struct ifb_config a, b;
	char buf[4096];
	FILE *f;

	ck_assert_int_eq(parse(&a, "[iio]\ndevice=x\nchannels=a,b\n[stream]\nblock_size=64K\n"
				  "allocator=dma-heap\nmode=copy\n"), 0);
	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&a, f);
	fclose(f);
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert_str_eq(b.stream[0].device, "x");
	ck_assert_uint_eq(b.stream[0].num_channels, 2);
	ck_assert_uint_eq(b.stream[0].block_size, 65536);
	ck_assert_int_eq(b.stream[0].mode, IFB_CFG_MODE_COPY);
	ck_assert_int_eq(b.stream[0].allocator, IFB_CFG_ALLOC_DMA_HEAP);
	ck_assert_str_eq(b.stream[0].heap, "system");
}
END_TEST

START_TEST(mode_hybrid_round_trips)
{
	struct ifb_config a, b;
	char buf[4096];
	FILE *f;

	ck_assert_int_eq(parse(&a, "[iio]\ndevice=x\n[stream]\nmode=hybrid\n"), 0);
	ck_assert_int_eq(a.stream[0].mode, IFB_CFG_MODE_HYBRID);
	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&a, f);
	fclose(f);
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert_int_eq(b.stream[0].mode, IFB_CFG_MODE_HYBRID);
	expect_error("[iio]\ndevice=a\n[stream]\nmode=half\n", "test.conf:4: [stream] mode: expected",
		     "one of auto, zero-copy, hybrid, copy, got 'half'");
}
END_TEST

START_TEST(errors)
{
	expect_error("[iio]\ndevice=a\n[bogus]\nx=1\n", "test.conf:3: ", "unknown section [bogus]");
	expect_error("[iio]\ndevice=a\n[streams]\n", "test.conf:3: ", "unknown section [streams]");
	expect_error("[iio]\ndevice=a\n  [ usbs ]  \n[usb]\n", "test.conf:3: ", "unknown section [usbs]");
	expect_error("[iio]\ndevice=a\ncolour=red\n", "test.conf:3: ", "unknown key 'colour'");
	expect_error("[iio]\ndevice=a\ndevice=b\n", "test.conf:3: ", "set twice (first on line 2)");
	expect_error("[iio]\ndevice=a\nbuffer=x\n", "test.conf:3: [iio] buffer: expected", "got 'x'");
	expect_error("[iio]\ndevice=a\nbuffer=256\n", "test.conf:3: ", "0 to 255");
	expect_error("[iio]\ndevice=a\nchannels=,\n", "test.conf:3: [iio] channels", "expected");
	expect_error("[iio]\ndevice=a\nchannels=a,a\n", "test.conf:3: ", "each channel once");
	expect_error("[iio]\ndevice=a\nchannels=all,\n", "test.conf:3: [iio] channels", "'all' alone");
	expect_error("[iio]\ndevice=a\nchannels=voltage0,all\n", "test.conf:3: ", "'all' alone");
	expect_error("[iio]\ndevice=a\n[iiod]\ndevices=all,\n", "test.conf:4: [iiod] devices",
		     "'all' alone");
	expect_error("[iio]\ndevice=a\nchannels=abcdefghijklmnopqrstuvwxyz\n", "test.conf:3: ",
		     "shorter than 24");
	expect_error("[iio]\ndevice=a\nsampling_frequency=-5\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency=fast\n", "test.conf:3: ", "got 'fast'");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=1000\n", "test.conf:4: [stream] block_size",
		     "multiple of 4096");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=128M\n", "test.conf:4: ", "4K to 64M");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_size=1Q\n", "test.conf:4: ", "got '1Q'");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count=1\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count=65\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nmode=fast\n", "test.conf:4: ", "auto, zero-copy, hybrid, copy");
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=ion\n", "test.conf:4: ", "udmabuf");
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=dma-heap:../x\n", "test.conf:4: ",
		     "dma-heap:NAME");
	/* a space after the colon made the heap " system": accepted here, refused at start */
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=dma-heap: system\n", "test.conf:4: ",
		     "no spaces");
	expect_error("[iio]\ndevice=a\n[stream]\nallocator=\"dma-heap:sys\ttem\"\n", "test.conf:4: ",
		     "no spaces");
	expect_error("[iio]\ndevice=a\n[stream]\nstart=later\n", "test.conf:4: ", "immediate");
	expect_error("[iio]\ndevice=a\n[usb]\nfunctionfs=relative\n", "test.conf:4: ", "absolute path");
	expect_error("[iio]\ndevice=a\n[usb]\nvendor_id=0x10000\n", "test.conf:4: ", "16-bit");
	expect_error("[iio]\ndevice=a\n[usb]\nproduct=caf\xc3\xa9\n", "test.conf:4: ", "printable ASCII");
	expect_error("[iio]\ndevice=a\n[usb]\nms_os_descriptors=maybe\n", "test.conf:4: ", "yes or no");
	expect_error("[iio]\ndevice=a\n[usb]\ninterface_guid=1234\n", "test.conf:4: ", "GUID in braces");
	expect_error("[iio]\ndevice=a\n[daemon]\nlog_level=loud\n", "test.conf:4: ", "debug");
	expect_error("[iio]\ndevice=a\njunk line\n", "test.conf:3: syntax error", "key = value");
	expect_error("[iio]\nbuffer=0\n", "test.conf: [iio] device: missing", "name, label");
}
END_TEST

START_TEST(missing_file)
{
	struct ifb_config cfg;

	ifb_config_defaults(&cfg);
	ck_assert_int_eq(ifb_config_load(&cfg, "/nonexistent/x.conf", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/x.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(where)
{
	struct ifb_config cfg;
	char buf[256];

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\n\n[stream]\nblock_size = 8K\n"), 0);
	ifb_config_where(&cfg, IFB_KEY_STREAM_BLOCK_SIZE, buf, sizeof(buf));
	ck_assert_str_eq(buf, "test.conf:5: [stream] block_size");
	ifb_config_where(&cfg, IFB_KEY_IIO_CHANNELS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "test.conf: [iio] channels (default)");
}
END_TEST

/*
 * Finding 1 of issue 10: lines longer than 199 bytes were cut into pieces,
 * each parsed as a line of its own.
 */
START_TEST(long_lines_are_one_line)
{
	struct ifb_config cfg;
	char *t;

	/* The tail of a long comment must not set a key... */
	t = repeat("[iio]\ndevice=a\n[stream]\n# ", 'x', 196, " block_count = 64\n");
	ck_assert_int_eq(parse(&cfg, t), 0);
	ck_assert_uint_eq(cfg.stream[0].block_count, 4);
	free(t);
	/* ...nor open a section. */
	t = repeat("[iio]\ndevice=a\n; ", '-', 197, "[gadget]\n");
	ck_assert_int_eq(parse(&cfg, t), 0);
	ck_assert(!cfg.compose_gadget);
	free(t);
	/* Line numbers after a long line are exact. */
	t = repeat("[iio]\ndevice=a\n", ';', 700, "\nbogus = 1\n");
	expect_error(t, "test.conf:4: ", "unknown key 'bogus'");
	free(t);
	/* inih reads a line into 200 bytes: 199 of text are read whole... */
	t = repeat("[iio]\ndevice=a\n[usb]\nfunctionfs = /", 'd', 199 - 14, "\r\n");
	ck_assert_int_eq(parse(&cfg, t), 0);
	ck_assert_uint_eq(strlen(cfg.functionfs), 186);
	ck_assert_uint_eq(cfg.line[IFB_KEY_USB_FUNCTIONFS], 4);
	free(t);
	/* ...a longer one is refused whole, never split */
	t = repeat("[iio]\ndevice=a\n[usb]\nfunctionfs = /", 'd', 4000, "\n");
	expect_error(t, "test.conf:4: ", "line of 4014 bytes; expected at most 199 bytes per line");
	free(t);
	t = repeat("[iio]\ndevice=a\n[usb]\nfunctionfs = /", 'd', 199 - 13, "\n");
	expect_error(t, "test.conf:4: ", "line of 200 bytes; expected at most 199 bytes per line");
	free(t);
	/* A list of 64 channels, over indented continuation lines (inih's) */
	{
		char list[2048] = "[iio]\ndevice=a\nchannels = ";

		for (unsigned i = 0; i < 64; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%svoltage%u%s",
				 i ? " " : "", i, i % 8 == 7 ? ",\n\t; a comment between\n" : ",");
		strcat(list, "\n[stream]\nmode = copy\n");
		ck_assert_int_eq(parse(&cfg, list), 0);
		ck_assert_uint_eq(cfg.stream[0].num_channels, 64);
		ck_assert_str_eq(cfg.stream[0].channels[63], "voltage63");
		ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_IIO_CHANNELS], 3);
		ck_assert_int_eq(cfg.stream[0].mode, IFB_CFG_MODE_COPY);
	}
	/* a continued list is checked whole; other keys never continue */
	expect_error("[iio]\ndevice=a\nchannels = a, b\n  b\n", "test.conf:4: [iio] channels: expected ",
		     "each channel once");
	expect_error("[iio]\ndevice=a\n\t  more\n", "test.conf:3: [iio] device: continues on an indented line",
		     "only the lists");
	expect_error("[iio]\n  stray words\n", "test.conf:2: syntax error", "key = value");
	/* found by fuzz-config: an item with '=' made the dump's continuation
	 * line read back as a key line */
	expect_error("[iio]\ndevice=a\nchannels = a, tolt=ge7\n", "test.conf:3: [iio] channels: expected ",
		     "'=' or a leading '['");
	expect_error("[iio]\ndevice=a\nchannels = a, [b\n", "test.conf:3: [iio] channels: expected ",
		     "'=' or a leading '['");
	expect_error("[iio]\ndevice=a\n[iiod]\ndevices = x=y\n", "test.conf:4: [iiod] devices: expected ",
		     "'='");
	/* comments are skipped whole, however long */
	t = repeat("[iio]\ndevice=a\n#", 'x', IFB_CONFIG_LINE_MAX, "\r\n[stream]\nbogus=1\n");
	expect_error(t, "test.conf:5: ", "unknown key 'bogus'");
	free(t);
}
END_TEST

/* Finding 2: a NUL byte ended the line silently ("copy<NUL> junk" was copy). */
START_TEST(nul_and_control_bytes)
{
	static const char nul[] = "[iio]\ndevice=a\n[stream]\nmode = copy\0 junk\n";
	static const char nul_comment[] = "[iio]\ndevice=a\n# a\0[gadget]\n";

	expect_error_n(nul, sizeof(nul) - 1, "test.conf:4: [stream] mode: a NUL byte (0x00) at column 12",
		       "expected UTF-8 text");
	expect_error_n(nul_comment, sizeof(nul_comment) - 1, "test.conf:3: a NUL byte", "column 4");
	expect_error("[iio]\ndevice=a\n# \x1b[31m red\n", "test.conf:3: a control character (0x1b)",
		     "column 3");
	expect_error("[iio]\ndevice=a\r[stream]\n", "test.conf:2: [iio] device: a carriage return",
		     "column 9");
	expect_error("[iio]\ndevice=a\n# \xff\n", "test.conf:3: a byte that is not part of a UTF-8",
		     "(0xff) at column 3");
	expect_error("[iio]\ndevice=a\n# \xc0\xaf overlong '/'\n", "test.conf:3: ", "not part of a UTF-8");
	expect_error("[iio]\ndevice=a\n# \xed\xa0\x80 surrogate\n", "test.conf:3: ", "not part of a UTF-8");
	expect_error("[iio]\ndevice=a\n# \xc2\x9b C1 CSI\n", "test.conf:3: ", "not part of a UTF-8");
	expect_error("[iio]\ndevice=a\n# truncated \xe2\x82\n", "test.conf:3: ", "(0xe2) at column 13");
}
END_TEST

/* What the byte rules accept: CRLF, a BOM, UTF-8 text, tabs, no final newline. */
START_TEST(accepted_bytes)
{
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, "\xef\xbb\xbf[iio]\r\ndevice =\tadc \r\n[stream]\r\nmode=copy"), 0);
	ck_assert_str_eq(cfg.stream[0].device, "adc");
	ck_assert_int_eq(cfg.stream[0].mode, IFB_CFG_MODE_COPY);
	ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_STREAM_MODE], 4);
	ck_assert_int_eq(parse(&cfg, "# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa1\n[iio]\ndevice=\xc3\xa9t\xc3\xa9\n"), 0);
	ck_assert_str_eq(cfg.stream[0].device, "\xc3\xa9t\xc3\xa9");
}
END_TEST

/* Comments, quoting, sections, keys: the syntax conf(5) states. */
START_TEST(syntax)
{
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\n[usb]\nproduct = \"  A; B # C  \" ; note\n"
				     "manufacturer = A#B;C\nserial = X ; comment\n"
				     "  interface = Y\t; indented, not a continuation\n"
				     "[ stream ]   # spaces in the brackets\n"
				     "mode = ; empty value and a comment\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:9: [stream] mode: expected one of auto, zero-copy, hybrid, copy, got ''");
	ck_assert_str_eq(cfg.product, "  A; B # C  ");
	ck_assert_str_eq(cfg.manufacturer, "A#B;C");
	ck_assert_str_eq(cfg.serial, "X");
	ck_assert_str_eq(cfg.interface, "Y");
	expect_error("device = a\n[iio]\n", "test.conf:1: device: key before any [section]", "section");
	expect_error("[iio]\ndevice=a\n[stream] mode = copy\n", "test.conf:3: syntax error", "after ']'");
	expect_error("[iio]\ndevice=a\n[stream\n", "test.conf:3: syntax error", "expected ']'");
	expect_error("[iio]\ndevice=\"a\n", "test.conf:2: [iio] device: expected a closing '\"'", "");
	expect_error("[iio]\ndevice=\"a\" b\n", "test.conf:2: [iio] device: expected a closing", "");
	/* where inih reads differently from the rules before it: refused */
	expect_error("[iio]\ndevice=a\n[usb]\nserial = X # comment\n", "test.conf:4: serial: '#' after a blank",
		     "starts with ';'");
	expect_error("[iio]\ndevice=a\n[usb]\nserial=;x\n", "test.conf:4: serial: a ';' right after '='",
		     "double quotes");
	expect_error("[iio]\ndevice=\"a ;b\"\n", "test.conf:2: [iio] device: expected a closing", "also inside quotes");
	expect_error("[iio]\ndevice=a\nblock size = 1M\n", "test.conf:3: syntax error", "key = value");
	expect_error("[iio]\ndevice=a\nmode: copy\n", "test.conf:3: syntax error", "key = value");
	expect_error("[iio]\ndevice=a\nDevice=b\n", "test.conf:3: ", "unknown key 'Device'");
}
END_TEST

/* Finding 3: a directory read as an empty file; a read error truncated silently. */
START_TEST(not_a_regular_file)
{
	char dir[] = "/tmp/ifb-unit-XXXXXX", fifo[64];
	struct ifb_config cfg;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ifb_config_defaults(&cfg);
	ck_assert_int_eq(ifb_config_load(&cfg, dir, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, ": is a directory; expected a regular file"), "%s", err);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(ifb_config_load(&cfg, fifo, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, ": is a FIFO; expected a regular file"), "%s", err);
	ck_assert_int_eq(unlink(fifo), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	/* A regular file whose read fails at once: reading address 0. */
	ck_assert_int_eq(ifb_config_load(&cfg, "/proc/self/mem", err, sizeof(err)), -EIO);
	ck_assert_str_eq(err, "/proc/self/mem: cannot read after byte 0: Input/output error");
}
END_TEST

struct failing_reader {
	const char *text;
	size_t len, pos;
};

/* Gives the text, then fails with EIO instead of reporting the end. */
static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	struct failing_reader *fr = cookie;
	size_t n = fr->len - fr->pos < size ? fr->len - fr->pos : size;

	if (!n) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, fr->text + fr->pos, n);
	fr->pos += n;
	return (ssize_t)n;
}

START_TEST(read_error_mid_file)
{
	static const char text[] = "[iio]\ndevice = adc\n[stream]\nblock_co";
	struct failing_reader fr = { text, sizeof(text) - 1, 0 };
	cookie_io_functions_t io = { .read = failing_read };
	struct ifb_config cfg;
	FILE *f = fopencookie(&fr, "r", io);

	ck_assert_ptr_nonnull(f);
	ifb_config_defaults(&cfg);
	ck_assert_int_eq(ifb_config_load_stream(&cfg, f, "test.conf", err, sizeof(err)), -EIO);
	ck_assert_str_eq(err, "test.conf: cannot read after byte 36: Input/output error");
	fclose(f);
}
END_TEST

START_TEST(file_size_bound)
{
	struct ifb_config cfg;
	char *t = repeat("[iio]\ndevice=a\n", '\n', IFB_CONFIG_SIZE_MAX, "");

	ck_assert_int_eq(parse(&cfg, t), -EFBIG);
	ck_assert_str_eq(err, "test.conf: larger than 1048576 bytes; expected a config file");
	free(t);
}
END_TEST

/*
 * Finding 4: numbers as people in this field write them. USB ids are hex
 * as lsusb prints them; counts never octal.
 */
START_TEST(numbers)
{
	struct ifb_config cfg;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\nbuffer = 010\n[stream]\nblock_count = 08\n"
				     "block_size = 08K\n[usb]\nvendor_id = 1d6b\nproduct_id = 0104\n"
				     "[gadget]\nmax_power = 0x1f4\nms_vendor_code = 0xCD\n"), 0);
	ck_assert_uint_eq(cfg.stream[0].buffer, 10);
	ck_assert_uint_eq(cfg.stream[0].block_count, 8);
	ck_assert_uint_eq(cfg.stream[0].block_size, 8192);
	ck_assert_uint_eq(cfg.vendor_id, 0x1d6b);
	ck_assert_uint_eq(cfg.product_id, 0x0104);
	ck_assert_uint_eq(cfg.max_power, 500);
	ck_assert_uint_eq(cfg.ms_vendor_code, 0xcd);
	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\n[usb]\nvendor_id = 0x1D6B\nproduct_id = 0000104\n"), 0);
	ck_assert_uint_eq(cfg.vendor_id, 0x1d6b);
	ck_assert_uint_eq(cfg.product_id, 0x0104);
	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\nsampling_frequency = 2.5\n"), 0);
	ck_assert_str_eq(cfg.stream[0].sampling_frequency, "2.5");
	expect_error("[iio]\ndevice=a\n[usb]\nproduct_id = 0x\n", "test.conf:4: [usb] product_id", "hexadecimal");
	expect_error("[iio]\ndevice=a\n[usb]\nproduct_id = 12345\n", "test.conf:4: ", "16-bit");
	expect_error("[iio]\ndevice=a\n[usb]\nproduct_id = -1\n", "test.conf:4: ", "16-bit");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count = +8\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count = 8 blocks\n", "test.conf:4: ", "from 2 to 64");
	expect_error("[iio]\ndevice=a\n[stream]\nblock_count = 99999999999999999999999\n", "test.conf:4: ",
		     "from 2 to 64");
	expect_error("[iio]\ndevice=a\nsampling_frequency = inf\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency = 1e6\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency = 0.000\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency = 5.\n", "test.conf:3: ", "positive frequency");
	expect_error("[iio]\ndevice=a\nsampling_frequency = 0x10\n", "test.conf:3: ", "positive frequency");
}
END_TEST

/*
 * Found by fuzz-config: --check-config printed values that need quotes
 * without them, so its output did not read back the same.
 */
START_TEST(dump_quotes_what_needs_it)
{
	static const char text[] =
		"[iio]\ndevice = \" adc\"\nchannels = \"a, b\"\n"
		"[stream]\nallocator = \"dma-heap:x;y#z\"\n"
		"[usb]\nfunctionfs = \"/run/ffs #1\"\nproduct = \"  A; B # C  \"\n"
		"manufacturer = 7\" panel\nserial = \";\"\ninterface = \"x \"\n"
		"[gadget]\nudc = \"dummy_udc.0 #\"\n";
	struct ifb_config a, b;
	char buf[8192];
	FILE *f;

	ck_assert_int_eq(parse(&a, text), 0);
	ck_assert_str_eq(a.stream[0].channels[0], "a");
	ck_assert_str_eq(a.stream[0].heap, "x;y#z");
	ck_assert_str_eq(a.manufacturer, "7\" panel");
	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&a, f);
	fclose(f);
	ck_assert_msg(parse(&b, buf) == 0, "%s in:\n%s", err, buf);
	ck_assert_str_eq(b.stream[0].device, " adc");
	ck_assert_uint_eq(b.stream[0].num_channels, 2);
	ck_assert_str_eq(b.stream[0].channels[0], "a");
	ck_assert_str_eq(b.stream[0].heap, "x;y#z");
	ck_assert_str_eq(b.functionfs, "/run/ffs #1");
	ck_assert_str_eq(b.product, "  A; B # C  ");
	ck_assert_str_eq(b.manufacturer, "7\" panel");
	ck_assert_str_eq(b.serial, ";");
	ck_assert_str_eq(b.interface, "x ");
	ck_assert_str_eq(b.udc, "dummy_udc.0 #");
}
END_TEST

/*
 * Found by fuzz-config: channel names holding '"' made a list that the
 * dump could not print so that it reads back the same ('"a,b"' is a
 * quoted value); '/' would have reached a sysfs path. IIO's own odd names
 * (modifiers such as sqrt(x^2+y^2)) still pass.
 */
START_TEST(channel_names)
{
	struct ifb_config cfg;

	expect_error("[iio]\ndevice=a\nchannels = ,\"#a b\"\n", "test.conf:3: [iio] channels",
		     "without '/'");
	expect_error("[iio]\ndevice=a\nchannels = \"#a\"\n", "test.conf:3: [iio] channels", "'#'");
	expect_error("[iio]\ndevice=a\nchannels = ../../x\n", "test.conf:3: [iio] channels", "'/'");
	expect_error("[iio]\ndevice=a\nchannels = caf\xc3\xa9\n", "test.conf:3: [iio] channels",
		     "printable ASCII");
	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice=a\nchannels = accel_sqrt(x^2+y^2), voltage0-voltage1\n"), 0);
	ck_assert_str_eq(cfg.stream[0].channels[0], "accel_sqrt(x^2+y^2)");
	ck_assert_str_eq(cfg.stream[0].channels[1], "voltage0-voltage1");
}
END_TEST

START_TEST(iiod_keys)
{
	struct ifb_config cfg, b;
	char buf[4096];
	FILE *f;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\n"), 0);
	ck_assert(cfg.usb_native);
	ck_assert(cfg.iiod_enable);
	ck_assert_uint_eq(cfg.iiod_pipes, 2);
	ck_assert_uint_eq(cfg.iiod_num_devices, 0);
	ck_assert_str_eq(cfg.iiod_hw_model, "");

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\n[usb]\nnative = no\n[iiod]\nenable = yes\n"
				    "pipes = 4\ndevices = iio-sim-adc, iio:device1\nhw_model = Board rev B\n"
				    "hw_serial = 0042\n"), 0);
	ck_assert(!cfg.usb_native);
	ck_assert_uint_eq(cfg.iiod_pipes, 4);
	ck_assert_uint_eq(cfg.iiod_num_devices, 2);
	ck_assert_str_eq(cfg.iiod_devices[0], "iio-sim-adc");
	ck_assert_str_eq(cfg.iiod_devices[1], "iio:device1");
	ck_assert_str_eq(cfg.iiod_hw_model, "Board rev B");
	ck_assert_str_eq(cfg.iiod_hw_serial, "0042");
	ck_assert_uint_eq(cfg.line[IFB_KEY_IIOD_PIPES], 7);

	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&cfg, f);
	fclose(f);
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert(!b.usb_native);
	ck_assert_uint_eq(b.iiod_pipes, 4);
	ck_assert_uint_eq(b.iiod_num_devices, 2);
	ck_assert_str_eq(b.iiod_devices[1], "iio:device1");
	ck_assert_str_eq(b.iiod_hw_serial, "0042");

	expect_error("[iio]\ndevice=a\n[iiod]\npipes=1\n", "test.conf:4: ", "[iiod] pipes: expected a number of pipes from 2 to 4, got '1'");
	expect_error("[iio]\ndevice=a\n[iiod]\npipes=5\n", "test.conf:4: ", "from 2 to 4");
	expect_error("[iio]\ndevice=a\n[iiod]\nenable=maybe\n", "test.conf:4: ", "[iiod] enable: expected yes or no");
	expect_error("[iio]\ndevice=a\n[iiod]\ndevices=,\n", "test.conf:4: ", "[iiod] devices: expected");
	/* fuzz-config: ",;d" was taken, and its dump "devices = ;d" reads
	 * back as a comment */
	expect_error("[iio]\ndevice=a\n[iiod]\ndevices=,;;d re0042\n", "test.conf:4: ",
		     "[iiod] devices: expected IIO device names without");
	expect_error("[iio]\ndevice=a\n[usb]\nnative=2\n", "test.conf:4: ", "[usb] native: expected yes or no");
	expect_error("[iio]\ndevice=a\n[iiod]\nhw_model=\x01\n", "test.conf:4: ", "[iiod] hw_model: a control character");
	expect_error("[iio]\ndevice=a\n[iiod]\nbogus=1\n", "test.conf:4: ", "[iiod]: unknown key 'bogus'");
}
END_TEST

START_TEST(iq_pairs)
{
	struct ifb_config cfg, b;
	char buf[4096];
	FILE *f;

	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\n"), 0);
	ck_assert_uint_eq(cfg.stream[0].num_iq, 0);
	ck_assert_int_eq(parse(&cfg, "[iio]\ndevice = adc\niq = voltage0:voltage1, voltage2:voltage3\n"), 0);
	ck_assert_uint_eq(cfg.stream[0].num_iq, 2);
	ck_assert_str_eq(cfg.stream[0].iq[0][0], "voltage0");
	ck_assert_str_eq(cfg.stream[0].iq[0][1], "voltage1");
	ck_assert_str_eq(cfg.stream[0].iq[1][0], "voltage2");
	ck_assert_str_eq(cfg.stream[0].iq[1][1], "voltage3");
	ck_assert_uint_eq(cfg.stream[0].line[IFB_KEY_IIO_IQ], 3);

	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&cfg, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "iq = voltage0:voltage1, voltage2:voltage3\n"));
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert_uint_eq(b.stream[0].num_iq, 2);
	ck_assert_str_eq(b.stream[0].iq[1][1], "voltage3");

	expect_error("[iio]\ndevice=a\niq = voltage0\n", "test.conf:3: [iio] iq: expected ",
		     "pairs I:Q of two different channel names (e.g. voltage0:voltage1), got 'voltage0'");
	expect_error("[iio]\ndevice=a\niq = voltage0:\n", "test.conf:3: [iio] iq: expected ", "pairs I:Q");
	expect_error("[iio]\ndevice=a\niq = :voltage1\n", "test.conf:3: [iio] iq: expected ", "pairs I:Q");
	expect_error("[iio]\ndevice=a\niq = a:b:c\n", "test.conf:3: [iio] iq: expected ", "pairs I:Q");
	expect_error("[iio]\ndevice=a\niq = a:a\n", "test.conf:3: [iio] iq: expected ", "two different");
	expect_error("[iio]\ndevice=a\niq = ,\n", "test.conf:3: [iio] iq: expected ", "pairs I:Q");
	expect_error("[iio]\ndevice=a\niq = a:b, b:c\n", "test.conf:3: [iio] iq: expected ",
		     "each channel in one I:Q pair only");
	expect_error("[iio]\ndevice=a\niq = a:../x\n", "test.conf:3: [iio] iq: expected ", "'/'");
	expect_error("[iio]\ndevice=a\niq = abcdefghijklmnopqrstuvwxyz:b\n",
		     "test.conf:3: [iio] iq: expected ", "shorter than 24");
	expect_error("[iio]\ndevice=a\niq = a:b\niq = c:d\n", "test.conf:4: ", "set twice (first on line 3)");
}
END_TEST

/* Issue 16: a section per stream, each with the keys of [iio] and [stream]. */
START_TEST(named_streams)
{
	struct ifb_config a, b;
	char buf[8192], at[256];
	FILE *f;

	ck_assert_int_eq(parse(&a, "[stream rx]\ndevice = adc0\nchannels = voltage0, voltage1\n"
				  "block_size = 64K\nmode = copy\n\n"
				  "[stream  house-keeping ]\ndevice = adc1\nbuffer = 1\nblock_count = 8\n"
				  "start = immediate\n[usb]\nfunctionfs = /dev/x\n"), 0);
	ck_assert_uint_eq(a.num_streams, 2);
	ck_assert_str_eq(a.stream[0].name, "rx");
	ck_assert(a.stream[0].named);
	ck_assert_str_eq(a.stream[0].device, "adc0");
	ck_assert_uint_eq(a.stream[0].num_channels, 2);
	ck_assert_uint_eq(a.stream[0].block_size, 65536);
	ck_assert_int_eq(a.stream[0].mode, IFB_CFG_MODE_COPY);
	ck_assert_uint_eq(a.stream[0].block_count, 4); /* its own default */
	ck_assert_str_eq(a.stream[1].name, "house-keeping");
	ck_assert_str_eq(a.stream[1].device, "adc1");
	ck_assert_uint_eq(a.stream[1].buffer, 1);
	ck_assert_uint_eq(a.stream[1].block_count, 8);
	ck_assert_uint_eq(a.stream[1].block_size, 1u << 20);
	ck_assert_int_eq(a.stream[1].start, IFB_CFG_START_IMMEDIATE);
	ck_assert_str_eq(a.functionfs, "/dev/x");
	ck_assert_ptr_eq(ifb_config_stream(&a, "house-keeping"), &a.stream[1]);
	ck_assert_ptr_null(ifb_config_stream(&a, "tx"));
	/* messages name the stream's section */
	ifb_stream_config_where(&a.stream[1], IFB_KEY_STREAM_BLOCK_COUNT, at, sizeof(at));
	ck_assert_str_eq(at, "test.conf:10: [stream house-keeping] block_count");
	ifb_stream_config_where(&a.stream[0], IFB_KEY_IIO_IQ, at, sizeof(at));
	ck_assert_str_eq(at, "test.conf: [stream rx] iq (default)");
	/* the dump reads back the same */
	f = fmemopen(buf, sizeof(buf), "w");
	ifb_config_dump(&a, f);
	fclose(f);
	ck_assert_int_eq(parse(&b, buf), 0);
	ck_assert_uint_eq(b.num_streams, 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_str_eq(b.stream[i].name, a.stream[i].name);
		ck_assert_str_eq(b.stream[i].device, a.stream[i].device);
		ck_assert_uint_eq(b.stream[i].buffer, a.stream[i].buffer);
		ck_assert_uint_eq(b.stream[i].block_size, a.stream[i].block_size);
		ck_assert_uint_eq(b.stream[i].block_count, a.stream[i].block_count);
		ck_assert_int_eq(b.stream[i].mode, a.stream[i].mode);
		ck_assert_int_eq(b.stream[i].start, a.stream[i].start);
		ck_assert_uint_eq(b.stream[i].num_channels, a.stream[i].num_channels);
	}
}
END_TEST

/* A single-stream file is one stream named "main", as before. */
START_TEST(single_stream_is_main)
{
	struct ifb_config a;

	ck_assert_int_eq(parse(&a, "[iio]\ndevice = adc\n[stream]\nblock_count = 3\n"), 0);
	ck_assert_uint_eq(a.num_streams, 1);
	ck_assert_str_eq(a.stream[0].name, IFB_STREAM_DEFAULT_NAME);
	ck_assert(!a.stream[0].named);
	ck_assert_uint_eq(a.stream[0].block_count, 3);
}
END_TEST

START_TEST(named_stream_errors)
{
	struct ifb_config c;
	char *many;
	size_t at = 0;

	expect_error("[stream rx]\ndevice = a\n[iio]\ndevice = b\n",
		     "test.conf:3: [iio]: the single-stream form", "after [stream NAME] sections (line 1)");
	expect_error("[iio]\ndevice = a\n[stream rx]\ndevice = b\n",
		     "test.conf:3: [stream rx]: a named stream", "single-stream [iio] or [stream] section of line 1");
	expect_error("[stream]\nmode = copy\n[stream rx]\ndevice = b\n", "test.conf:3: [stream rx]",
		     "of line 1");
	expect_error("[stream rx]\ndevice = a\n[stream rx]\ndevice = b\n",
		     "test.conf:3: [stream rx]: a second section", "[stream rx], on line 1");
	/* capture's rec-rx.* and rec-RX.* would collide where case is ignored */
	expect_error("[stream rx]\ndevice = a\n[stream RX]\ndevice = b\n",
		     "test.conf:3: [stream RX]: a second section", "[stream rx], on line 1");
	expect_error("[stream r/x]\ndevice = a\n", "test.conf:1: [stream r/x]: expected a stream name",
		     "letters, digits");
	expect_error("[stream 0123456789012345678901234567890123]\ndevice = a\n", "test.conf:1:",
		     "at most 31 bytes");
	expect_error("[stream rx]\nchannels = voltage0\n", "test.conf:1: [stream rx] device: missing",
		     "expected the IIO device");
	expect_error("[stream rx]\ndevice = a\nfunctionfs = /x\n", "test.conf:3: [stream rx]: unknown key",
		     "'functionfs'");
	expect_error("[stream rx]\ndevice = a\nblock_size = 4K\nblock_size = 8K\n",
		     "test.conf:4: [stream rx] block_size: set twice", "(first on line 3)");
	/* the same key in two streams is no repetition */
	ck_assert_int_eq(parse(&c, "[stream a]\ndevice = x\nmode = copy\n[stream b]\n"
				  "device = y\nmode = copy\n"), 0);
	many = malloc(IFB_MAX_STREAMS * 40 + 64);
	ck_assert_ptr_nonnull(many);
	for (unsigned i = 0; i <= IFB_MAX_STREAMS; i++)
		at += (size_t)sprintf(many + at, "[stream s%u]\ndevice = d%u\n", i, i);
	expect_error(many, "test.conf:17: [stream s8]: stream 9", "at most 8 streams");
	free(many);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, defaults_and_minimal);
	tcase_add_test(t, every_key);
	tcase_add_test(t, dump_round_trips);
	tcase_add_test(t, mode_hybrid_round_trips);
	tcase_add_test(t, errors);
	tcase_add_test(t, missing_file);
	tcase_add_test(t, where);
	tcase_add_test(t, long_lines_are_one_line);
	tcase_add_test(t, nul_and_control_bytes);
	tcase_add_test(t, accepted_bytes);
	tcase_add_test(t, syntax);
	tcase_add_test(t, not_a_regular_file);
	tcase_add_test(t, read_error_mid_file);
	tcase_add_test(t, file_size_bound);
	tcase_add_test(t, numbers);
	tcase_add_test(t, dump_quotes_what_needs_it);
	tcase_add_test(t, channel_names);
	tcase_add_test(t, iiod_keys);
	tcase_add_test(t, iq_pairs);
	tcase_add_test(t, named_streams);
	tcase_add_test(t, single_stream_is_main);
	tcase_add_test(t, named_stream_errors);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(config_suite)
