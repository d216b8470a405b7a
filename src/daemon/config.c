// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <ini.h>

#include "common/size.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/usb-desc.h"
#include "daemon/util.h"

struct parse_state {
	struct ifb_config *cfg;
	const char *name;
	unsigned lineno;
	char *err;
	size_t errlen;
	bool failed;
	struct ifb_stream_config *sc; /* the stream of the current section, or NULL */
	bool seen[IFB_MAX_STREAMS + 1][IFB_KEY__MAX]; /* per stream, then the global keys */
	bool single_seen;       /* an [iio] or [stream] section (the single-stream form) */
	unsigned single_line;   /* the first such section's line */
	unsigned named_line;    /* the first [stream NAME] section's line; 0: none */
	/* The reader's place in the buffer, and what it knows of the line it
	 * handed inih last (see "The reading layer" below). */
	const char *pos, *end;
	bool section_seen;      /* a [section] line so far */
	bool key_above;         /* a key line since the last section line (inih's prev_name) */
	bool continuation;      /* the line handed last continues the key above */
	char section[16 + IFB_NAME_LEN]; /* the current section, for messages */
	char value[IFB_CONFIG_LINE_MAX + 1]; /* a value, continuation lines appended */
};

struct key_def {
	const char *section;
	const char *name;
	enum ifb_cfg_key key;
	/* Returns NULL on success, or what was expected: a global key's
	 * parse, or a stream key's sparse. */
	const char *(*parse)(struct ifb_config *cfg, const char *value);
	const char *(*sparse)(struct ifb_stream_config *sc, const char *value);
};

static const char *copy_str(char *dst, size_t size, const char *value)
{
	size_t len = strlen(value);

	if (len == 0)
		return "a non-empty string";
	if (len >= size)
		return "a shorter string";
	memcpy(dst, value, len + 1);
	return NULL;
}

/*
 * Digits in base 10 or 16, nothing else, at most max. Leading zeros are
 * just zeros (never octal).
 */
static bool parse_digits(const char *s, unsigned base, unsigned long long max,
			 unsigned long long *ret)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*ret = v;
	return true;
}

static const char *skip_0x(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : NULL;
}

/* Counts, indices, codes: decimal ("08" is 8), or hexadecimal after 0x. */
static bool is_number(const char *s, unsigned long long max, unsigned long long *ret)
{
	const char *hex = skip_0x(s);

	return hex ? parse_digits(hex, 16, max, ret) : parse_digits(s, 10, max, ret);
}

static const char *p_device(struct ifb_stream_config *cfg, const char *v)
{
	return copy_str(cfg->device, sizeof(cfg->device), v)
		       ? "an IIO device name, label, iio:deviceN or sysfs path"
		       : NULL;
}

static const char *p_buffer(struct ifb_stream_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, 255, &n))
		return "a buffer index from 0 to 255";
	cfg->buffer = (unsigned)n;
	return NULL;
}

/* A channel name as it is part of sysfs file names (in_NAME_en): NULL if
 * fine, else what was expected. */
static const char *channel_name_error(const char *tok)
{
	if (strlen(tok) >= IFB_CHANNEL_NAME_LEN)
		return "channel names shorter than 24 characters";
	/* Part of a sysfs file name (in_NAME_en): no '/', and nothing that
	 * would need quotes in the list ('"', '#', ';'), or make a
	 * continuation line of the list read as a key or section line ('=',
	 * a leading '['; found by fuzz-config). */
	if (tok[strcspn(tok, "/\"#;=")] || tok[0] == '[')
		return "channel names of printable ASCII without '/', '\"', '#', ';', '=' or a leading '['";
	for (const char *c = tok; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return "channel names of printable ASCII without '/', '\"', '#', ';', '=' or a leading '['";
	return NULL;
}

static const char *p_channels(struct ifb_stream_config *cfg, const char *v)
{
	char buf[IFB_MAX_CHANNELS * IFB_CHANNEL_NAME_LEN];
	char *save = NULL, *tok;

	if (strcmp(v, "all") == 0) {
		cfg->all_channels = true;
		cfg->num_channels = 0;
		return NULL;
	}
	if (strlen(v) >= sizeof(buf))
		return "'all' or a shorter comma-separated list of channel names";
	strcpy(buf, v);
	cfg->all_channels = false;
	cfg->num_channels = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (cfg->num_channels == IFB_MAX_CHANNELS)
			return "at most 64 channels";
		if (channel_name_error(tok))
			return channel_name_error(tok);
		/* "all," would be a channel named all, which reads back as
		 * every channel. */
		if (strcmp(tok, "all") == 0)
			return "'all' alone, not in a list of channel names";
		for (unsigned i = 0; i < cfg->num_channels; i++)
			if (strcmp(cfg->channels[i], tok) == 0)
				return "each channel once";
		strcpy(cfg->channels[cfg->num_channels++], tok);
	}
	if (cfg->num_channels == 0)
		return "'all' or a comma-separated list of channel names (e.g. voltage0,voltage1)";
	return NULL;
}

/*
 * I/Q pairs, "I:Q" channel names, comma-separated: each pair is one
 * complex signal (GET_INFO's I/Q hint, protocol version 3). Checked
 * against the device's channels at start-up (bridge.c).
 */
static const char *p_iq(struct ifb_stream_config *cfg, const char *v)
{
	static const char expected[] =
		"comma-separated pairs I:Q of two different channel names (e.g. voltage0:voltage1)";
	char buf[IFB_MAX_CHANNELS * IFB_CHANNEL_NAME_LEN];
	char *save = NULL, *tok;

	cfg->num_iq = 0;
	if (strlen(v) >= sizeof(buf))
		return "a shorter list of I:Q channel pairs";
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *q = strchr(tok, ':');

		if (!q || q == tok || !q[1] || strchr(q + 1, ':'))
			return expected;
		*q++ = '\0';
		if (channel_name_error(tok) || channel_name_error(q))
			return channel_name_error(tok) ?: channel_name_error(q);
		if (strcmp(tok, q) == 0)
			return expected;
		if (cfg->num_iq == IFB_MAX_CHANNELS / 2)
			return "at most 32 I:Q pairs";
		for (unsigned i = 0; i < cfg->num_iq; i++)
			for (unsigned k = 0; k < 2; k++)
				if (strcmp(cfg->iq[i][k], tok) == 0 || strcmp(cfg->iq[i][k], q) == 0)
					return "each channel in one I:Q pair only";
		strcpy(cfg->iq[cfg->num_iq][0], tok);
		strcpy(cfg->iq[cfg->num_iq][1], q);
		cfg->num_iq++;
	}
	if (cfg->num_iq == 0)
		return expected;
	return NULL;
}

/*
 * Written verbatim to the device's sampling_frequency attribute, which the
 * kernel reads as a fixed-point decimal: digits with an optional fraction.
 */
static const char *p_sampling_frequency(struct ifb_stream_config *cfg, const char *v)
{
	const char *p = v;
	bool nonzero = false;
	size_t digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		nonzero |= *p != '0';
	if (digits && *p == '.') {
		for (p++, digits = 0; *p >= '0' && *p <= '9'; p++, digits++)
			nonzero |= *p != '0';
	}
	if (*p || !digits || !nonzero || strlen(v) >= sizeof(cfg->sampling_frequency))
		return "a positive frequency in Hz, in decimal digits with an optional fraction (e.g. 30720000 or 2.5)";
	strcpy(cfg->sampling_frequency, v);
	return NULL;
}

static const char *p_block_size(struct ifb_stream_config *cfg, const char *v)
{
	static const char expected[] =
		"a size from 4K to 64M that is a multiple of 4096 (e.g. 1M)";
	uint64_t n;

	if (ifb_parse_size(v, &n) < 0 || n < IFB_BLOCK_SIZE_MIN || n > IFB_BLOCK_SIZE_MAX ||
	    n % 4096)
		return expected;
	cfg->block_size = (uint32_t)n;
	return NULL;
}

static const char *p_block_count(struct ifb_stream_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, IFB_BLOCK_COUNT_MAX, &n) || n < IFB_BLOCK_COUNT_MIN)
		return "a block count from 2 to 64";
	cfg->block_count = (unsigned)n;
	return NULL;
}

static const char *p_mode(struct ifb_stream_config *cfg, const char *v)
{
	if (strcmp(v, "auto") == 0)
		cfg->mode = IFB_CFG_MODE_AUTO;
	else if (strcmp(v, "zero-copy") == 0)
		cfg->mode = IFB_CFG_MODE_ZERO_COPY;
	else if (strcmp(v, "copy") == 0)
		cfg->mode = IFB_CFG_MODE_COPY;
	else if (strcmp(v, "hybrid") == 0)
		cfg->mode = IFB_CFG_MODE_HYBRID;
	else
		return "one of auto, zero-copy, hybrid, copy";
	return NULL;
}

static const char *p_allocator(struct ifb_stream_config *cfg, const char *v)
{
	static const char expected[] = "one of auto, udmabuf, dma-heap, dma-heap:NAME";

	if (strcmp(v, "auto") == 0) {
		cfg->allocator = IFB_CFG_ALLOC_AUTO;
	} else if (strcmp(v, "udmabuf") == 0) {
		cfg->allocator = IFB_CFG_ALLOC_UDMABUF;
	} else if (strcmp(v, "dma-heap") == 0) {
		cfg->allocator = IFB_CFG_ALLOC_DMA_HEAP;
		strcpy(cfg->heap, "system");
	} else if (strncmp(v, "dma-heap:", 9) == 0) {
		const char *name = v + 9;

		/* a file name in /dev/dma_heap: visible ASCII, no '/', not . or ..
		 * ("dma-heap: system" named " system", which start then refused) */
		for (const char *c = name; *c; c++)
			if (*c <= ' ' || *c > '~' || *c == '/')
				return "dma-heap:NAME with NAME a heap in /dev/dma_heap (no spaces), "
				       "e.g. dma-heap:system";
		if (!*name || strlen(name) >= sizeof(cfg->heap) || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			return expected;
		cfg->allocator = IFB_CFG_ALLOC_DMA_HEAP;
		strcpy(cfg->heap, name);
	} else {
		return expected;
	}
	return NULL;
}

static const char *p_start(struct ifb_stream_config *cfg, const char *v)
{
	if (strcmp(v, "host") == 0)
		cfg->start = IFB_CFG_START_HOST;
	else if (strcmp(v, "immediate") == 0)
		cfg->start = IFB_CFG_START_IMMEDIATE;
	else
		return "one of host (wait for the host's START request), immediate";
	return NULL;
}

static const char *p_functionfs(struct ifb_config *cfg, const char *v)
{
	if (v[0] != '/' || copy_str(cfg->functionfs, sizeof(cfg->functionfs), v))
		return "an absolute path to a FunctionFS mount";
	return NULL;
}

/*
 * USB ids are hexadecimal, always: lsusb, usb.ids and datasheets write
 * "1d6b:0104", so "0104" is 0x0104. A 0x prefix is allowed.
 */
static const char *p_u16(uint16_t *dst, const char *v)
{
	const char *hex = skip_0x(v);
	unsigned long long n;

	if (!parse_digits(hex ? hex : v, 16, 0xffff, &n))
		return "a 16-bit hexadecimal id as lsusb prints it (e.g. 1d6b or 0x1d6b)";
	*dst = (uint16_t)n;
	return NULL;
}

static const char *p_vendor_id(struct ifb_config *cfg, const char *v)
{
	return p_u16(&cfg->vendor_id, v);
}

static const char *p_product_id(struct ifb_config *cfg, const char *v)
{
	return p_u16(&cfg->product_id, v);
}

/* USB string descriptors are at most 126 UTF-16 units; we take ASCII. */
static const char *usb_string(char *dst, size_t size, const char *v)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return "printable ASCII text";
	return copy_str(dst, size, v) ? "printable ASCII text of 1 to 63 characters" : NULL;
}

static const char *p_manufacturer(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->manufacturer, sizeof(cfg->manufacturer), v);
}

static const char *p_product(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->product, sizeof(cfg->product), v);
}

static const char *p_serial(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->serial, sizeof(cfg->serial), v);
}

static const char *p_interface(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->interface, sizeof(cfg->interface), v);
}

static const char *p_bool(bool *dst, const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*dst = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"))
		*dst = false;
	else
		return "yes or no";
	return NULL;
}

static const char *p_ms_os_descriptors(struct ifb_config *cfg, const char *v)
{
	return p_bool(&cfg->ms_os_descriptors, v);
}

static const char *p_interface_guid(struct ifb_config *cfg, const char *v)
{
	if (!ifb_usb_guid_valid(v))
		return "a GUID in braces, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
	strcpy(cfg->interface_guid, v);
	return NULL;
}

static const char *p_gadget_name(struct ifb_config *cfg, const char *v)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return "a name of letters, digits, '-' and '_'";
	return copy_str(cfg->gadget_name, sizeof(cfg->gadget_name), v) ? "a name of 1 to 63 characters" : NULL;
}

static const char *p_udc(struct ifb_config *cfg, const char *v)
{
	if (strchr(v, '/') || copy_str(cfg->udc, sizeof(cfg->udc), v))
		return "'auto' or a UDC name as listed in /sys/class/udc";
	return NULL;
}

static const char *p_max_power(struct ifb_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, 900, &n))
		return "a current in mA from 0 to 900";
	cfg->max_power = (unsigned)n;
	return NULL;
}

static const char *p_ms_vendor_code(struct ifb_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, 0xff, &n) || n == 0)
		return "a vendor request code from 1 to 0xff";
	cfg->ms_vendor_code = (uint8_t)n;
	return NULL;
}

static const char *p_log_level(struct ifb_config *cfg, const char *v)
{
	int l = ifb_log_level_from_string(v);

	if (l < LOG_ERR)
		return "one of error, warning, notice, info, debug";
	cfg->log_level = l;
	return NULL;
}

static const char *p_native(struct ifb_config *cfg, const char *v)
{
	return p_bool(&cfg->usb_native, v);
}

static const char *p_iiod_enable(struct ifb_config *cfg, const char *v)
{
	return p_bool(&cfg->iiod_enable, v);
}

static const char *p_iiod_pipes(struct ifb_config *cfg, const char *v)
{
	unsigned long long n;

	/* pipe 0 for the context, one more per buffer a client opens */
	if (!is_number(v, IFB_IIOD_MAX_PIPES, &n) || n < 2)
		return "a number of pipes from 2 to 4";
	cfg->iiod_pipes = (unsigned)n;
	return NULL;
}

static const char *p_iiod_devices(struct ifb_config *cfg, const char *v)
{
	char buf[IFB_CFG_IIOD_DEVICES * IFB_CFG_STR];
	char *save = NULL, *tok;

	cfg->iiod_num_devices = 0;
	if (strcmp(v, "all") == 0)
		return NULL;
	if (strlen(v) >= sizeof(buf))
		return "'all' or a shorter comma-separated list of IIO devices";
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (cfg->iiod_num_devices == IFB_CFG_IIOD_DEVICES)
			return "at most 16 devices";
		if (strlen(tok) >= IFB_CFG_STR)
			return "device names shorter than 64 characters";
		/* As for channels: "all" in a list would read back as every
		 * device (a device named so is reached as iio:deviceN). */
		if (strcmp(tok, "all") == 0)
			return "'all' alone, not in a list of IIO devices";
		/* Read back from --check-config's output, a name starting with
		 * '#' or ';' would be a comment there (found by fuzz-config);
		 * no IIO device or label is named with these. */
		if (tok[strcspn(tok, "/\"#;=")] || tok[0] == '[')
			return "IIO device names without '/', '\"', '#', ';', '=' or a leading '['";
		strcpy(cfg->iiod_devices[cfg->iiod_num_devices++], tok);
	}
	if (cfg->iiod_num_devices == 0)
		return "'all' or a comma-separated list of IIO devices (names, labels or iio:deviceN)";
	return NULL;
}

static const char *p_iiod_hw_model(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->iiod_hw_model, sizeof(cfg->iiod_hw_model), v);
}

static const char *p_iiod_hw_serial(struct ifb_config *cfg, const char *v)
{
	return usb_string(cfg->iiod_hw_serial, sizeof(cfg->iiod_hw_serial), v);
}

static const struct key_def keys[] = {
	{ "iio", "device", IFB_KEY_IIO_DEVICE, .sparse = p_device },
	{ "iio", "buffer", IFB_KEY_IIO_BUFFER, .sparse = p_buffer },
	{ "iio", "channels", IFB_KEY_IIO_CHANNELS, .sparse = p_channels },
	{ "iio", "sampling_frequency", IFB_KEY_IIO_SAMPLING_FREQUENCY, .sparse = p_sampling_frequency },
	{ "iio", "iq", IFB_KEY_IIO_IQ, .sparse = p_iq },
	{ "stream", "block_size", IFB_KEY_STREAM_BLOCK_SIZE, .sparse = p_block_size },
	{ "stream", "block_count", IFB_KEY_STREAM_BLOCK_COUNT, .sparse = p_block_count },
	{ "stream", "mode", IFB_KEY_STREAM_MODE, .sparse = p_mode },
	{ "stream", "allocator", IFB_KEY_STREAM_ALLOCATOR, .sparse = p_allocator },
	{ "stream", "start", IFB_KEY_STREAM_START, .sparse = p_start },
	{ "usb", "functionfs", IFB_KEY_USB_FUNCTIONFS, .parse = p_functionfs },
	{ "usb", "vendor_id", IFB_KEY_USB_VENDOR_ID, .parse = p_vendor_id },
	{ "usb", "product_id", IFB_KEY_USB_PRODUCT_ID, .parse = p_product_id },
	{ "usb", "manufacturer", IFB_KEY_USB_MANUFACTURER, .parse = p_manufacturer },
	{ "usb", "product", IFB_KEY_USB_PRODUCT, .parse = p_product },
	{ "usb", "serial", IFB_KEY_USB_SERIAL, .parse = p_serial },
	{ "usb", "interface", IFB_KEY_USB_INTERFACE, .parse = p_interface },
	{ "usb", "ms_os_descriptors", IFB_KEY_USB_MS_OS_DESCRIPTORS, .parse = p_ms_os_descriptors },
	{ "usb", "interface_guid", IFB_KEY_USB_INTERFACE_GUID, .parse = p_interface_guid },
	{ "usb", "native", IFB_KEY_USB_NATIVE, .parse = p_native },
	{ "iiod", "enable", IFB_KEY_IIOD_ENABLE, .parse = p_iiod_enable },
	{ "iiod", "pipes", IFB_KEY_IIOD_PIPES, .parse = p_iiod_pipes },
	{ "iiod", "devices", IFB_KEY_IIOD_DEVICES, .parse = p_iiod_devices },
	{ "iiod", "hw_model", IFB_KEY_IIOD_HW_MODEL, .parse = p_iiod_hw_model },
	{ "iiod", "hw_serial", IFB_KEY_IIOD_HW_SERIAL, .parse = p_iiod_hw_serial },
	{ "gadget", "name", IFB_KEY_GADGET_NAME, .parse = p_gadget_name },
	{ "gadget", "udc", IFB_KEY_GADGET_UDC, .parse = p_udc },
	{ "gadget", "max_power", IFB_KEY_GADGET_MAX_POWER, .parse = p_max_power },
	{ "gadget", "ms_vendor_code", IFB_KEY_GADGET_MS_VENDOR_CODE, .parse = p_ms_vendor_code },
	{ "daemon", "log_level", IFB_KEY_DAEMON_LOG_LEVEL, .parse = p_log_level },
};

static const char *const sections[] = { "iio", "stream", "usb", "gadget", "daemon", "iiod" };

void ifb_config_defaults(struct ifb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->num_streams = 1;
	for (unsigned i = 0; i < IFB_MAX_STREAMS; i++) {
		struct ifb_stream_config *sc = &cfg->stream[i];

		strcpy(sc->name, IFB_STREAM_DEFAULT_NAME);
		sc->buffer = 0;
		sc->all_channels = true;
		sc->block_size = 1u << 20;
		sc->block_count = 4;
		sc->mode = IFB_CFG_MODE_AUTO;
		sc->allocator = IFB_CFG_ALLOC_AUTO;
		strcpy(sc->heap, "system");
		sc->start = IFB_CFG_START_HOST;
	}
	strcpy(cfg->functionfs, "/dev/ffs-iio");
	cfg->vendor_id = 0x1d6b; /* Linux Foundation */
	cfg->product_id = 0x0104; /* Multifunction Composite Gadget */
	strcpy(cfg->manufacturer, "iio-ffs-bridge");
	strcpy(cfg->product, "IIO streaming bridge");
	strcpy(cfg->interface, "IIO stream");
	cfg->ms_os_descriptors = true;
	strcpy(cfg->interface_guid, IFB_DEFAULT_INTERFACE_GUID);
	strcpy(cfg->gadget_name, "iio-ffs-bridge");
	strcpy(cfg->udc, "auto");
	cfg->max_power = 500;
	cfg->ms_vendor_code = 0xcd;
	cfg->log_level = LOG_INFO;
	cfg->usb_native = true;
	cfg->iiod_enable = true;
	cfg->iiod_pipes = 2;
}

static int fail(struct parse_state *st, const char *fmt, ...) _printf_(2, 3);
static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->failed)
		return -EINVAL;
	st->failed = true;
	n = snprintf(st->err, st->errlen, "%s:%u: ", st->name, st->lineno);
	if (n < 0 || (size_t)n >= st->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool known_section(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strlen(sections[i]) == len && strncmp(name, sections[i], len) == 0)
			return true;
	return false;
}

static int unknown_section(struct parse_state *st, const char *name, int len)
{
	return fail(st, "unknown section [%.*s]: expected one of [iio], [stream], [stream NAME], "
			"[usb], [gadget], [daemon], [iiod]",
		    len, name);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * A [stream NAME] section line (a..b inside the brackets, trimmed): the
 * name into ret (IFB_NAME_LEN), 1; 0 when it is not of that form;
 * -EINVAL (failed) for a bad name.
 */
static int stream_section(struct parse_state *st, const char *a, const char *b, char *ret)
{
	const char *n;

	if (b - a < 7 || strncmp(a, "stream", 6) != 0 || !is_blank(a[6]))
		return 0;
	for (n = a + 6; n < b && is_blank(*n); n++)
		;
	for (const char *c = n; c < b; c++)
		if (!is_name_char(*c))
			return fail(st, "[stream %.*s]: expected a stream name of letters, digits, "
					"'-' and '_'", (int)(b - n), n);
	if (b - n >= IFB_NAME_LEN)
		return fail(st, "[stream %.*s]: expected a stream name of at most %d bytes",
			    (int)(b - n), n, IFB_NAME_LEN - 1);
	snprintf(ret, IFB_NAME_LEN, "%.*s", (int)(b - n), n);
	return 1;
}

/*
 * A section line names the stream its keys belong to: [iio] and [stream]
 * the single stream of the single-stream form, [stream NAME] a stream of
 * its own. One file uses one form (the two would leave it open which
 * stream [iio]'s keys are for).
 */
static int enter_section(struct parse_state *st, const char *section, const char *stream_name)
{
	struct ifb_config *cfg = st->cfg;

	st->sc = NULL;
	if (stream_name) {
		unsigned n = st->named_line ? cfg->num_streams : 0;

		if (st->single_seen)
			return fail(st, "[stream %s]: a named stream after the single-stream [iio] or "
					"[stream] section of line %u; expected the [iio] keys inside "
					"each [stream NAME] section, and no [iio] or [stream]",
				    stream_name, st->single_line);
		/* names that differ in case only would name files that collide
		 * on hosts that ignore case (iio-ffs-capture's rec-NAME.*) */
		for (unsigned i = 0; i < n; i++)
			if (!strcasecmp(cfg->stream[i].name, stream_name))
				return fail(st, "[stream %s]: a second section of that name (the first, "
						"[stream %s], on line %u); expected one section per "
						"stream, names differing in more than case",
					    stream_name, cfg->stream[i].name,
					    cfg->stream[i].section_line);
		if (n == IFB_MAX_STREAMS)
			return fail(st, "[stream %s]: stream %u; expected at most %d streams",
				    stream_name, n + 1, IFB_MAX_STREAMS);
		if (!st->named_line)
			st->named_line = st->lineno;
		st->sc = &cfg->stream[n];
		snprintf(st->sc->name, sizeof(st->sc->name), "%s", stream_name);
		st->sc->named = true;
		st->sc->section_line = st->lineno;
		cfg->num_streams = n + 1;
		return 0;
	}
	if (!strcmp(section, "iio") || !strcmp(section, "stream")) {
		if (st->named_line)
			return fail(st, "[%s]: the single-stream form after [stream NAME] sections "
					"(line %u); expected its keys inside each [stream NAME]",
				    section, st->named_line);
		if (!st->single_seen)
			st->single_line = st->lineno;
		st->single_seen = true;
		st->sc = &cfg->stream[0];
	}
	return 0;
}


static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Length of the valid UTF-8 sequence of 2 to 4 bytes at p, or 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp, min;
	size_t need;

	if (p[0] >= 0xc2 && p[0] < 0xe0) {
		need = 2, cp = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] < 0xf0) {
		need = 3, cp = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] < 0xf5) {
		need = 4, cp = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond Unicode, C1 controls. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	return need;
}

/*
 * Every byte of a line (without its line end) must be printable ASCII, a
 * tab, or part of a UTF-8 character that is not a control character.
 * Returns NULL, or what is wrong with the byte at *ret_col (1-based).
 */
static const char *check_bytes(const char *line, size_t len, size_t *ret_col, unsigned *ret_byte)
{
	const unsigned char *p = (const unsigned char *)line;

	for (size_t i = 0; i < len;) {
		size_t n;

		*ret_col = i + 1;
		*ret_byte = p[i];
		if (p[i] == '\0')
			return "a NUL byte";
		if (p[i] == '\r')
			return "a carriage return that does not end the line";
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return "a control character";
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (!n)
			return "a byte that is not part of a UTF-8 character (or a C1 control)";
		i += n;
	}
	return NULL;
}

/* "key =" at the start of a line: its length, and where the value starts. */
static size_t key_span(const char *p, const char *end, const char **ret_value)
{
	const char *q = p;

	while (q < end && is_key_char(*q))
		q++;
	if (q == p)
		return 0;
	*ret_value = q;
	while (*ret_value < end && is_blank(**ret_value))
		(*ret_value)++;
	if (*ret_value == end || **ret_value != '=')
		return 0;
	(*ret_value)++;
	return (size_t)(q - p);
}

/* Lists may continue on the lines below (continuation lines). */
static bool is_list_key(enum ifb_cfg_key key)
{
	return key == IFB_KEY_IIO_CHANNELS || key == IFB_KEY_IIO_IQ || key == IFB_KEY_IIOD_DEVICES;
}

/*
 * A value as the file writes it: one pair of double quotes around it is
 * removed (they keep blanks at either end, a leading ';' or a '#' after a
 * blank). NULL, or what is wrong.
 */
static const char *unquote(char *v)
{
	size_t len = strlen(v);

	if (v[0] != '"')
		return NULL;
	if (len < 2 || v[len - 1] != '"')
		return "a closing '\"' at the end of the value (after a value, a comment starts "
		       "with ';' after a blank, also inside quotes)";
	memmove(v, v + 1, len - 2);
	v[len - 2] = '\0';
	return NULL;
}

/* The key_def of name in section (a [stream NAME] section takes the keys
 * of [iio] and [stream]), or NULL. */
static const struct key_def *find_key(const struct parse_state *st, const char *section,
				      const char *name)
{
	bool named = st->sc && st->sc->named;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(name, keys[i].name))
			continue;
		if (named ? keys[i].sparse != NULL : !strcmp(section, keys[i].section))
			return &keys[i];
	}
	return NULL;
}

/* inih's handler: a key line's value, or a continuation line's. */
static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const struct key_def *k = NULL;
	const char *expected;
	unsigned *line;
	bool *seen;
	size_t len;

	if (st->failed)
		return 0;
	k = find_key(st, section, name);
	if (!k) {
		fail(st, "[%s]: unknown key '%s'", section, name);
		return 0;
	}
	line = k->sparse ? &st->sc->line[k->key] : &st->cfg->line[k->key];
	seen = &st->seen[k->sparse ? (size_t)(st->sc - st->cfg->stream) : IFB_MAX_STREAMS][k->key];
	if (st->continuation) {
		/* inih calls again with the same name for each continuation line */
		if (!is_list_key(k->key)) {
			fail(st, "[%s] %s: continues on an indented line; expected one line (only the "
				 "lists channels, iq and devices may continue on indented lines)",
			     section, k->name);
			return 0;
		}
		len = strlen(st->value);
		if (len + 1 + strlen(value) > IFB_CONFIG_LINE_MAX) {
			fail(st, "[%s] %s: longer than %u bytes over its lines", section, k->name,
			     IFB_CONFIG_LINE_MAX);
			return 0;
		}
		snprintf(st->value + len, sizeof(st->value) - len, ",%s", value);
	} else {
		if (*seen) {
			fail(st, "[%s] %s: set twice (first on line %u)", section, k->name, *line);
			return 0;
		}
		snprintf(st->value, sizeof(st->value), "%s", value);
		expected = unquote(st->value);
		if (expected) {
			fail(st, "[%s] %s: expected %s", section, k->name, expected);
			return 0;
		}
		*seen = true;
		*line = st->lineno;
	}
	expected = k->sparse ? k->sparse(st->sc, st->value) : k->parse(st->cfg, st->value);
	if (expected) {
		fail(st, "[%s] %s: expected %s, got '%s'", section, k->name, expected, st->value);
		return 0;
	}
	return 1;
}

/*
 * The reading layer. inih (Debian's libinih, ini_parse_stream) splits the
 * file into sections, keys and values, strips comments and blanks, and
 * joins continuation lines. Our reader hands it the lines one at a time
 * and sees each one whole first, so that what inih would do silently is
 * an error naming the line:
 *
 * - inih's line buffer (INI_MAX_LINE: 200 bytes in Debian 12's build, on
 *   the stack) cuts a longer line and parses the rest as new lines: a
 *   longer line is refused here, except a comment, which inih skips
 *   anyway (it is handed over as ";").
 * - NUL, control bytes, invalid UTF-8 anywhere; a byte order mark only at
 *   the start (removed before inih sees the file).
 * - Section lines: only the known names, blanks allowed inside the
 *   brackets, nothing but a comment after them (inih ignores the rest).
 * - Key lines: a key of letters, digits and '_' followed by '=' (inih
 *   would also take ':' and any name). In an unquoted value a '#' that
 *   starts it or follows a blank was a comment before inih; inih keeps it
 *   as text, so it is refused rather than read differently; a ';' right
 *   after '=' likewise (inih keeps it, ';' after a blank is a comment).
 * - Where a line begins: a comment, section or key line may be indented;
 *   any other indented line after a key line continues that key's value
 *   (inih's continuation, which only lists accept), and an indented key
 *   line never does: it is handed to inih unindented.
 */
static bool is_comment_start(char c)
{
	return c == '#' || c == ';';
}

static const char *check_section(struct parse_state *st, const char *p, const char *end,
				 char *ret_name, size_t size)
{
	char stream_name[IFB_NAME_LEN];
	int r;
	const char *close = memchr(p, ']', (size_t)(end - p)), *a = p + 1, *b, *rest;

	if (!close) {
		fail(st, "syntax error: expected ']' after the section name");
		return NULL;
	}
	for (rest = close + 1; rest < end && is_blank(*rest); rest++)
		;
	if (rest < end && !is_comment_start(*rest)) {
		fail(st, "syntax error: unexpected text after ']'; expected the end of the line or a comment");
		return NULL;
	}
	for (b = close; a < b && is_blank(*a); a++)
		;
	while (b > a && is_blank(b[-1]))
		b--;
	r = stream_section(st, a, b, stream_name);
	if (r < 0)
		return NULL;
	if (r > 0) {
		snprintf(ret_name, size, "stream %s", stream_name);
		return enter_section(st, ret_name, stream_name) < 0 ? NULL : ret_name;
	}
	if (!known_section(a, (size_t)(b - a))) {
		unknown_section(st, a, (int)(b - a));
		return NULL;
	}
	snprintf(ret_name, size, "%.*s", (int)(b - a), a);
	return enter_section(st, ret_name, NULL) < 0 ? NULL : ret_name;
}

/* A key line's value as written: what inih would read differently. */
static int check_value(struct parse_state *st, const char *key, size_t keylen, const char *eq,
		       const char *end)
{
	const char *v = eq + 1;

	if (v < end && *v == ';')
		return fail(st, "%.*s: a ';' right after '='; expected a blank before a comment, or "
				"the value in double quotes", (int)keylen, key);
	while (v < end && is_blank(*v))
		v++;
	if (v < end && *v == '"')
		return 0; /* quoted: the handler checks the closing quote */
	for (const char *c = v; c < end; c++)
		if (*c == '#' && (c == v || is_blank(c[-1])))
			return fail(st, "%.*s: '#' after a blank; a comment after a value starts with "
					"';' (a '#' after a blank belongs in double quotes)",
				    (int)keylen, key);
	return 0;
}

/* ini_reader: the next line, checked, into str (num bytes with its NUL). */
static char *next_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	const char *p = st->pos, *nl, *end, *q, *v;
	const char *what;
	unsigned byte;
	size_t n, col, keylen, max = num > 1 ? (size_t)num - 1 : 0;
	char section[sizeof(st->section)];

	if (st->failed || p >= st->end)
		return NULL;
	nl = memchr(p, '\n', (size_t)(st->end - p));
	end = nl ? nl : st->end;
	st->pos = nl ? nl + 1 : st->end;
	st->lineno++;
	st->continuation = false;
	if (nl && end > p && end[-1] == '\r') /* CRLF */
		end--;
	n = (size_t)(end - p);
	for (q = p; q < end && is_blank(*q); q++)
		;
	what = check_bytes(p, n, &col, &byte);
	if (what) {
		keylen = key_span(q, end, &v);
		if (keylen && st->section_seen && p + col > v)
			fail(st, "[%s] %.*s: %s (0x%02x) at column %zu; expected UTF-8 text without control characters",
			     st->section, (int)keylen, q, what, byte, col);
		else
			fail(st, "%s (0x%02x) at column %zu; expected UTF-8 text without control characters",
			     what, byte, col);
		return NULL;
	}
	if (q == end) {
		str[0] = '\0';
		return str;
	}
	if (is_comment_start(*q)) {
		snprintf(str, (size_t)num, ";");
		return str;
	}
	if (n > max) {
		fail(st, "line of %zu bytes; expected at most %zu bytes per line (inih's line buffer): "
			 "write a long list over several lines, each further line indented", n, max);
		return NULL;
	}
	if (*q == '[') {
		if (!check_section(st, q, end, section, sizeof(section)))
			return NULL;
		st->section_seen = true;
		st->key_above = false;
		snprintf(st->section, sizeof(st->section), "%s", section);
		/* The section alone asks for composition, keys or not. */
		if (strcmp(section, "gadget") == 0)
			st->cfg->compose_gadget = true;
		snprintf(str, (size_t)num, "[%s]", section);
		return str;
	}
	keylen = key_span(q, end, &v);
	if (keylen) {
		if (!st->section_seen) {
			fail(st, "%.*s: key before any [section]; expected a section line first",
			     (int)keylen, q);
			return NULL;
		}
		if (check_value(st, q, keylen, v - 1, end) < 0)
			return NULL;
		st->key_above = true;
		snprintf(str, (size_t)num, "%.*s", (int)(end - q), q);
		return str;
	}
	if (q > p && st->key_above) {
		st->continuation = true;
		snprintf(str, (size_t)num, " %.*s", (int)(end - q), q);
		return str;
	}
	fail(st, "syntax error: expected '[section]' or 'key = value'");
	return NULL;
}

int ifb_config_load_buffer(struct ifb_config *cfg, const char *buf, size_t len, const char *name,
			   char *err, size_t errlen)
{
	struct parse_state *st;
	int r;

	if (errlen)
		err[0] = '\0';
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	if (len > IFB_CONFIG_SIZE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes; expected a config file",
			 name, IFB_CONFIG_SIZE_MAX);
		return -EFBIG;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: cannot parse: out of memory", name);
		return -ENOMEM;
	}
	*st = (struct parse_state){ .cfg = cfg, .name = name, .err = err, .errlen = errlen,
				    .pos = buf, .end = buf + len };
	for (unsigned i = 0; i < IFB_MAX_STREAMS; i++)
		snprintf(cfg->stream[i].path, sizeof(cfg->stream[i].path), "%s", name);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) /* UTF-8 byte order mark */
		st->pos += 3;
	r = ini_parse_stream(next_line, st, on_value, st);
	if (r != 0 && !st->failed) {
		/* inih found what the reader let through: not expected */
		st->lineno = r > 0 ? (unsigned)r : st->lineno;
		fail(st, "syntax error (inih: %d)", r);
	}
	r = st->failed ? -EINVAL : 0;
	free(st);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->num_streams; i++) {
		struct ifb_stream_config *sc = &cfg->stream[i];

		if (sc->device[0])
			continue;
		if (sc->named)
			snprintf(err, errlen, "%s:%u: [stream %s] device: missing; expected the IIO "
				 "device to stream (name, label or iio:deviceN)", name,
				 sc->section_line, sc->name);
		else
			snprintf(err, errlen, "%s: [iio] device: missing; expected the IIO device to stream (name, label or iio:deviceN)",
				 name);
		return -EINVAL;
	}
	return 0;
}

/* The whole file into a new buffer, one byte more than the limit at most. */
static int read_stream(FILE *f, const char *name, char **ret_buf, size_t *ret_len, char *err,
		       size_t errlen)
{
	char *buf = malloc(IFB_CONFIG_SIZE_MAX + 1);
	size_t len = 0, n;

	if (!buf) {
		snprintf(err, errlen, "%s: cannot read: out of memory", name);
		return -ENOMEM;
	}
	errno = 0;
	do {
		n = fread(buf + len, 1, IFB_CONFIG_SIZE_MAX + 1 - len, f);
		len += n;
	} while (n && len <= IFB_CONFIG_SIZE_MAX);
	if (ferror(f)) {
		int r = errno ? -errno : -EIO;

		snprintf(err, errlen, "%s: cannot read after byte %zu: %s", name, len, strerror(-r));
		free(buf);
		return r;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int ifb_config_load_stream(struct ifb_config *cfg, FILE *f, const char *name, char *err,
			   size_t errlen)
{
	size_t len = 0;
	char *buf = NULL;
	int r;

	if (errlen)
		err[0] = '\0';
	r = read_stream(f, name, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	r = ifb_config_load_buffer(cfg, buf, len, name, err, errlen);
	free(buf);
	return r;
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

int ifb_config_load(struct ifb_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	FILE *f;
	int fd, r;

	/* O_NONBLOCK: a FIFO given by mistake must not block the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = neg_errno();
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) < 0) {
		r = neg_errno();
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: is %s; expected a regular file", path,
			 file_type(sb.st_mode));
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = neg_errno();
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	r = ifb_config_load_stream(cfg, f, path, err, errlen);
	fclose(f);
	return r;
}

const char *ifb_cfg_mode_name(enum ifb_cfg_mode m)
{
	switch (m) {
	case IFB_CFG_MODE_ZERO_COPY: return "zero-copy";
	case IFB_CFG_MODE_COPY: return "copy";
	case IFB_CFG_MODE_HYBRID: return "hybrid";
	default: return "auto";
	}
}

const char *ifb_cfg_alloc_name(enum ifb_cfg_alloc a)
{
	switch (a) {
	case IFB_CFG_ALLOC_UDMABUF: return "udmabuf";
	case IFB_CFG_ALLOC_DMA_HEAP: return "dma-heap";
	default: return "auto";
	}
}

static const struct key_def *key_def_of(enum ifb_cfg_key key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].key == key)
			return &keys[i];
	return NULL;
}

bool ifb_config_key_is_stream(enum ifb_cfg_key key)
{
	const struct key_def *k = key_def_of(key);

	return k && k->sparse;
}

static void where(const char *path, unsigned line, const char *section, const char *name,
		  char *buf, size_t len)
{
	if (line)
		snprintf(buf, len, "%s:%u: [%s] %s", path, line, section, name);
	else
		snprintf(buf, len, "%s: [%s] %s (default)", path, section, name);
}

void ifb_config_where(const struct ifb_config *cfg, enum ifb_cfg_key key, char *buf, size_t len)
{
	const struct key_def *k = key_def_of(key);

	if (!k || k->sparse) {
		/* a stream's key: the first stream's */
		if (k)
			ifb_stream_config_where(&cfg->stream[0], key, buf, len);
		else
			snprintf(buf, len, "%s", cfg->path);
		return;
	}
	where(cfg->path, cfg->line[key], k->section, k->name, buf, len);
}

void ifb_stream_config_where(const struct ifb_stream_config *sc, enum ifb_cfg_key key, char *buf,
			     size_t len)
{
	const struct key_def *k = key_def_of(key);
	char section[16 + IFB_NAME_LEN];

	if (!k) {
		snprintf(buf, len, "%s", sc->path);
		return;
	}
	if (sc->named)
		snprintf(section, sizeof(section), "stream %s", sc->name);
	else
		snprintf(section, sizeof(section), "%s", k->section);
	where(sc->path, sc->line[key], section, k->name, buf, len);
}

const struct ifb_stream_config *ifb_config_stream(const struct ifb_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->num_streams; i++)
		if (!strcmp(cfg->stream[i].name, name))
			return &cfg->stream[i];
	return NULL;
}

/*
 * A value as the reader reads it back: in double quotes when it is empty,
 * has blanks at either end, or starts with '"', ';' or '#', or holds a
 * '#' after a blank. A ';' after a blank cannot be in a value at all (inih
 * takes it for a comment, inside quotes too), so no value holds one.
 */
static const char *as_value(const char *v, char *buf, size_t size)
{
	size_t len = strlen(v);
	bool quote = len == 0 || is_blank(v[0]) || is_blank(v[len - 1]) || v[0] == '"' ||
		     is_comment_start(v[0]);

	for (size_t i = 1; i < len && !quote; i++)
		quote = v[i] == '#' && is_blank(v[i - 1]);
	if (!quote)
		return v;
	snprintf(buf, size, "\"%s\"", v);
	return buf;
}

/* "key = value", or "key=value" where the blanks would make the line
 * longer than inih reads (a value that filled its line in the file). */
static void put_kv(FILE *out, const char *key, const char *value)
{
	char q[PATH_MAX + 3];
	const char *v = as_value(value, q, sizeof(q));

	if (strlen(key) + 3 + strlen(v) <= IFB_CONFIG_INIH_LINE_MAX)
		fprintf(out, "%s = %s\n", key, v);
	else
		fprintf(out, "%s=%s\n", key, v);
}

/* A comma-separated list, over as many lines as inih needs: each further
 * line indented (a continuation line). */
static void put_list(FILE *out, const char *key, const char *const *items, size_t n)
{
	size_t col = (size_t)fprintf(out, "%s =", key);

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i]) + 2;

		if (i && col + len > 72) {
			fputs(",\n\t", out);
			col = 1;
		} else if (i) {
			fputs(", ", out);
			col += 2;
		} else {
			fputc(' ', out);
			col++;
		}
		fputs(items[i], out);
		col += len - 2;
	}
	fputc('\n', out);
}

/* One stream's keys: the [iio] and [stream] sections, or its [stream NAME]. */
static void dump_stream(const struct ifb_stream_config *sc, FILE *out)
{
	const char *items[IFB_MAX_CHANNELS];
	char pairs[IFB_MAX_CHANNELS / 2][2 * IFB_CHANNEL_NAME_LEN + 1];
	const char *all = "all";
	char alloc[IFB_CFG_STR + 16];

	snprintf(alloc, sizeof(alloc), "%s%s%s", ifb_cfg_alloc_name(sc->allocator),
		 sc->allocator == IFB_CFG_ALLOC_DMA_HEAP ? ":" : "",
		 sc->allocator == IFB_CFG_ALLOC_DMA_HEAP ? sc->heap : "");
	if (sc->named)
		fprintf(out, "[stream %s]\n", sc->name);
	else
		fputs("[iio]\n", out);
	put_kv(out, "device", sc->device);
	fprintf(out, "buffer = %u\n", sc->buffer);
	for (unsigned i = 0; i < sc->num_channels; i++)
		items[i] = sc->channels[i];
	if (sc->all_channels)
		put_list(out, "channels", &all, 1);
	else
		put_list(out, "channels", items, sc->num_channels);
	if (sc->sampling_frequency[0])
		fprintf(out, "sampling_frequency = %s\n", sc->sampling_frequency);
	else
		fputs("# sampling_frequency: not set, the device's current rate is used\n", out);
	for (unsigned i = 0; i < sc->num_iq; i++) {
		snprintf(pairs[i], sizeof(pairs[i]), "%s:%s", sc->iq[i][0], sc->iq[i][1]);
		items[i] = pairs[i];
	}
	if (sc->num_iq)
		put_list(out, "iq", items, sc->num_iq);
	fprintf(out, "%sblock_size = %u\nblock_count = %u\nmode = %s\n",
		sc->named ? "" : "\n[stream]\n", sc->block_size, sc->block_count,
		ifb_cfg_mode_name(sc->mode));
	put_kv(out, "allocator", alloc);
	fprintf(out, "start = %s\n\n", sc->start == IFB_CFG_START_HOST ? "host" : "immediate");
}

void ifb_config_dump(const struct ifb_config *cfg, FILE *out)
{
	static const char *const levels[] = { "emerg", "alert", "crit", "error", "warning",
					      "notice", "info", "debug" };
	const char *items[IFB_CFG_IIOD_DEVICES];
	const char *all = "all";
	char num[32];

	fprintf(out, "# effective configuration (from %s)\n", cfg->path[0] ? cfg->path : "defaults");
	for (unsigned i = 0; i < cfg->num_streams; i++)
		dump_stream(&cfg->stream[i], out);
	fputs("[usb]\n", out);
	put_kv(out, "functionfs", cfg->functionfs);
	fprintf(out, "vendor_id = 0x%04x\nproduct_id = 0x%04x\n", cfg->vendor_id, cfg->product_id);
	put_kv(out, "manufacturer", cfg->manufacturer);
	put_kv(out, "product", cfg->product);
	if (cfg->serial[0])
		put_kv(out, "serial", cfg->serial);
	put_kv(out, "interface", cfg->interface);
	fprintf(out, "ms_os_descriptors = %s\ninterface_guid = %s\n",
		cfg->ms_os_descriptors ? "yes" : "no", cfg->interface_guid);
	fprintf(out, "native = %s\n", cfg->usb_native ? "yes" : "no");
	if (cfg->compose_gadget) {
		fprintf(out, "\n[gadget]\nname = %s\n", cfg->gadget_name);
		put_kv(out, "udc", cfg->udc);
		snprintf(num, sizeof(num), "%u", cfg->max_power);
		fprintf(out, "max_power = %s\nms_vendor_code = 0x%02x\n", num, cfg->ms_vendor_code);
	} else {
		fputs("\n# no [gadget] section: the gadget is composed elsewhere\n", out);
	}
	fprintf(out, "\n[daemon]\nlog_level = %s\n", levels[cfg->log_level]);
	fprintf(out, "\n[iiod]\nenable = %s\npipes = %u\n", cfg->iiod_enable ? "yes" : "no",
		cfg->iiod_pipes);
	for (unsigned i = 0; i < cfg->iiod_num_devices; i++)
		items[i] = cfg->iiod_devices[i];
	if (cfg->iiod_num_devices)
		put_list(out, "devices", items, cfg->iiod_num_devices);
	else
		put_list(out, "devices", &all, 1);
	if (cfg->iiod_hw_model[0])
		put_kv(out, "hw_model", cfg->iiod_hw_model);
	if (cfg->iiod_hw_serial[0])
		put_kv(out, "hw_serial", cfg->iiod_hw_serial);
}
