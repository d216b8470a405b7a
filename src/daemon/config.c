// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "common/size.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/usb-desc.h"
#include "daemon/util.h"

struct parse_state {
	struct ifb_config *cfg;
	FILE *f;
	const char *name;
	unsigned lineno;
	char *err;
	size_t errlen;
	bool failed;
	bool seen[IFB_KEY__MAX];
};

struct key_def {
	const char *section;
	const char *name;
	enum ifb_cfg_key key;
	/* Returns NULL on success, or what was expected. */
	const char *(*parse)(struct ifb_config *cfg, const char *value);
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

static bool is_number(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static const char *p_device(struct ifb_config *cfg, const char *v)
{
	return copy_str(cfg->device, sizeof(cfg->device), v) ? "an IIO device name, label or iio:deviceN" : NULL;
}

static const char *p_buffer(struct ifb_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, 255, &n))
		return "a buffer index from 0 to 255";
	cfg->buffer = (unsigned)n;
	return NULL;
}

static const char *p_channels(struct ifb_config *cfg, const char *v)
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
		if (strlen(tok) >= IFB_CHANNEL_NAME_LEN)
			return "channel names shorter than 24 characters";
		for (unsigned i = 0; i < cfg->num_channels; i++)
			if (strcmp(cfg->channels[i], tok) == 0)
				return "each channel once";
		strcpy(cfg->channels[cfg->num_channels++], tok);
	}
	if (cfg->num_channels == 0)
		return "'all' or a comma-separated list of channel names (e.g. voltage0,voltage1)";
	return NULL;
}

static const char *p_sampling_frequency(struct ifb_config *cfg, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !(d > 0) || strlen(v) >= sizeof(cfg->sampling_frequency))
		return "a positive frequency in Hz (e.g. 30720000)";
	strcpy(cfg->sampling_frequency, v);
	return NULL;
}

static const char *p_block_size(struct ifb_config *cfg, const char *v)
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

static const char *p_block_count(struct ifb_config *cfg, const char *v)
{
	unsigned long long n;

	if (!is_number(v, IFB_BLOCK_COUNT_MAX, &n) || n < IFB_BLOCK_COUNT_MIN)
		return "a block count from 2 to 64";
	cfg->block_count = (unsigned)n;
	return NULL;
}

static const char *p_mode(struct ifb_config *cfg, const char *v)
{
	if (strcmp(v, "auto") == 0)
		cfg->mode = IFB_CFG_MODE_AUTO;
	else if (strcmp(v, "zero-copy") == 0)
		cfg->mode = IFB_CFG_MODE_ZERO_COPY;
	else if (strcmp(v, "copy") == 0)
		cfg->mode = IFB_CFG_MODE_COPY;
	else
		return "one of auto, zero-copy, copy";
	return NULL;
}

static const char *p_allocator(struct ifb_config *cfg, const char *v)
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

		if (!*name || strchr(name, '/') || strlen(name) >= sizeof(cfg->heap) ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return expected;
		cfg->allocator = IFB_CFG_ALLOC_DMA_HEAP;
		strcpy(cfg->heap, name);
	} else {
		return expected;
	}
	return NULL;
}

static const char *p_start(struct ifb_config *cfg, const char *v)
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

static const char *p_u16(uint16_t *dst, const char *v)
{
	unsigned long long n;

	if (!is_number(v, 0xffff, &n))
		return "a 16-bit number (e.g. 0x1d6b)";
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

static const struct key_def keys[] = {
	{ "iio", "device", IFB_KEY_IIO_DEVICE, p_device },
	{ "iio", "buffer", IFB_KEY_IIO_BUFFER, p_buffer },
	{ "iio", "channels", IFB_KEY_IIO_CHANNELS, p_channels },
	{ "iio", "sampling_frequency", IFB_KEY_IIO_SAMPLING_FREQUENCY, p_sampling_frequency },
	{ "stream", "block_size", IFB_KEY_STREAM_BLOCK_SIZE, p_block_size },
	{ "stream", "block_count", IFB_KEY_STREAM_BLOCK_COUNT, p_block_count },
	{ "stream", "mode", IFB_KEY_STREAM_MODE, p_mode },
	{ "stream", "allocator", IFB_KEY_STREAM_ALLOCATOR, p_allocator },
	{ "stream", "start", IFB_KEY_STREAM_START, p_start },
	{ "usb", "functionfs", IFB_KEY_USB_FUNCTIONFS, p_functionfs },
	{ "usb", "vendor_id", IFB_KEY_USB_VENDOR_ID, p_vendor_id },
	{ "usb", "product_id", IFB_KEY_USB_PRODUCT_ID, p_product_id },
	{ "usb", "manufacturer", IFB_KEY_USB_MANUFACTURER, p_manufacturer },
	{ "usb", "product", IFB_KEY_USB_PRODUCT, p_product },
	{ "usb", "serial", IFB_KEY_USB_SERIAL, p_serial },
	{ "usb", "interface", IFB_KEY_USB_INTERFACE, p_interface },
	{ "usb", "ms_os_descriptors", IFB_KEY_USB_MS_OS_DESCRIPTORS, p_ms_os_descriptors },
	{ "usb", "interface_guid", IFB_KEY_USB_INTERFACE_GUID, p_interface_guid },
	{ "gadget", "name", IFB_KEY_GADGET_NAME, p_gadget_name },
	{ "gadget", "udc", IFB_KEY_GADGET_UDC, p_udc },
	{ "gadget", "max_power", IFB_KEY_GADGET_MAX_POWER, p_max_power },
	{ "gadget", "ms_vendor_code", IFB_KEY_GADGET_MS_VENDOR_CODE, p_ms_vendor_code },
	{ "daemon", "log_level", IFB_KEY_DAEMON_LOG_LEVEL, p_log_level },
};

static const char *const sections[] = { "iio", "stream", "usb", "gadget", "daemon" };

void ifb_config_defaults(struct ifb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->buffer = 0;
	cfg->all_channels = true;
	cfg->block_size = 1u << 20;
	cfg->block_count = 4;
	cfg->mode = IFB_CFG_MODE_AUTO;
	cfg->allocator = IFB_CFG_ALLOC_AUTO;
	strcpy(cfg->heap, "system");
	cfg->start = IFB_CFG_START_HOST;
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
}

static int fail(struct parse_state *st, const char *fmt, ...) _printf_(2, 3);
static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->failed)
		return 0;
	st->failed = true;
	n = snprintf(st->err, st->errlen, "%s:%u: ", st->name, st->lineno);
	if (n < 0 || (size_t)n >= st->errlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
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
	return fail(st, "unknown section [%.*s]: expected one of [iio], [stream], [usb], [gadget], [daemon]",
		    len, name);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (!known_section(section, strlen(section)))
		return unknown_section(st, section, (int)strlen(section));

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		const char *expected;

		if (strcmp(section, k->section) || strcmp(name, k->name))
			continue;
		if (st->seen[k->key])
			return fail(st, "[%s] %s: set twice (first on line %u)", section, name,
				    st->cfg->line[k->key]);
		expected = k->parse(st->cfg, value);
		if (expected)
			return fail(st, "[%s] %s: expected %s, got '%s'", section, name, expected,
				    value);
		st->seen[k->key] = true;
		st->cfg->line[k->key] = st->lineno;
		return 1;
	}
	return fail(st, "[%s]: unknown key '%s'", section, name);
}

/*
 * fgets() that counts lines, so the handler knows where it is. It also
 * checks section headers: inih calls the handler only for keys, so an
 * unknown section with no keys under it would otherwise pass unnoticed.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->f);
	const char *p, *end;

	if (!r)
		return NULL;
	st->lineno++;
	for (p = r; isspace((unsigned char)*p); p++)
		;
	if (*p == '[' && (end = strchr(p, ']'))) {
		p++;
		while (isspace((unsigned char)*p) && p < end)
			p++;
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		if (!known_section(p, (size_t)(end - p))) {
			unknown_section(st, p, (int)(end - p));
			return NULL;
		}
		/* The section alone asks for composition, keys or not. */
		if (end - p == 6 && strncmp(p, "gadget", 6) == 0)
			st->cfg->compose_gadget = true;
	}
	return r;
}

int ifb_config_load_stream(struct ifb_config *cfg, FILE *f, const char *name, char *err,
			   size_t errlen)
{
	struct parse_state st = {
		.cfg = cfg, .f = f, .name = name, .err = err, .errlen = errlen,
	};
	int r;

	if (errlen)
		err[0] = '\0';
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	r = ini_parse_stream(reader, &st, handler, &st);
	if (st.failed)
		return -EINVAL;
	if (r > 0) {
		/* inih's own syntax error (no '=' or ']'), at line r. */
		snprintf(err, errlen, "%s:%d: syntax error: expected '[section]' or 'key = value'",
			 name, r);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot parse (out of memory)", name);
		return -ENOMEM;
	}
	if (!cfg->device[0]) {
		snprintf(err, errlen, "%s: [iio] device: missing; expected the IIO device to stream (name, label or iio:deviceN)",
			 name);
		return -EINVAL;
	}
	return 0;
}

int ifb_config_load(struct ifb_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		r = neg_errno();
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-r));
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

void ifb_config_where(const struct ifb_config *cfg, enum ifb_cfg_key key, char *buf, size_t len)
{
	const struct key_def *k = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].key == key)
			k = &keys[i];
	if (!k) {
		snprintf(buf, len, "%s", cfg->path);
		return;
	}
	if (cfg->line[key])
		snprintf(buf, len, "%s:%u: [%s] %s", cfg->path, cfg->line[key], k->section, k->name);
	else
		snprintf(buf, len, "%s: [%s] %s (default)", cfg->path, k->section, k->name);
}

void ifb_config_dump(const struct ifb_config *cfg, FILE *out)
{
	static const char *const levels[] = { "emerg", "alert", "crit", "error", "warning",
					      "notice", "info", "debug" };

	fprintf(out, "# effective configuration (from %s)\n", cfg->path[0] ? cfg->path : "defaults");
	fprintf(out, "[iio]\ndevice = %s\nbuffer = %u\nchannels = ", cfg->device, cfg->buffer);
	if (cfg->all_channels) {
		fputs("all", out);
	} else {
		for (unsigned i = 0; i < cfg->num_channels; i++)
			fprintf(out, "%s%s", i ? "," : "", cfg->channels[i]);
	}
	fputc('\n', out);
	if (cfg->sampling_frequency[0])
		fprintf(out, "sampling_frequency = %s\n", cfg->sampling_frequency);
	else
		fputs("# sampling_frequency: not set, the device's current rate is used\n", out);
	fprintf(out, "\n[stream]\nblock_size = %u\nblock_count = %u\nmode = %s\nallocator = %s",
		cfg->block_size, cfg->block_count, ifb_cfg_mode_name(cfg->mode),
		ifb_cfg_alloc_name(cfg->allocator));
	if (cfg->allocator == IFB_CFG_ALLOC_DMA_HEAP)
		fprintf(out, ":%s", cfg->heap);
	fprintf(out, "\nstart = %s\n", cfg->start == IFB_CFG_START_HOST ? "host" : "immediate");
	fprintf(out, "\n[usb]\nfunctionfs = %s\nvendor_id = 0x%04x\nproduct_id = 0x%04x\n",
		cfg->functionfs, cfg->vendor_id, cfg->product_id);
	fprintf(out, "manufacturer = %s\nproduct = %s\n", cfg->manufacturer, cfg->product);
	if (cfg->serial[0])
		fprintf(out, "serial = %s\n", cfg->serial);
	fprintf(out, "interface = %s\nms_os_descriptors = %s\ninterface_guid = %s\n", cfg->interface,
		cfg->ms_os_descriptors ? "yes" : "no", cfg->interface_guid);
	if (cfg->compose_gadget)
		fprintf(out, "\n[gadget]\nname = %s\nudc = %s\nmax_power = %u\nms_vendor_code = 0x%02x\n",
			cfg->gadget_name, cfg->udc, cfg->max_power, cfg->ms_vendor_code);
	else
		fputs("\n# no [gadget] section: the gadget is composed elsewhere\n", out);
	fprintf(out, "\n[daemon]\nlog_level = %s\n", levels[cfg->log_level]);
}
