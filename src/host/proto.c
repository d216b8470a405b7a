// SPDX-License-Identifier: LGPL-2.1-or-later
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "host/proto.h"

/* The public header mirrors the protocol's sizes and enums. */
_Static_assert(IFBH_NAME_LEN == IFB_NAME_LEN, "protocol.h");
_Static_assert(IFBH_CHANNEL_NAME_LEN == IFB_CHANNEL_NAME_LEN, "protocol.h");
_Static_assert(IFBH_MAX_CHANNELS == IFB_MAX_CHANNELS, "protocol.h");
_Static_assert(IFBH_STATS_MAX_GAPS == IFB_STATS_MAX_GAPS, "protocol.h");
_Static_assert((int)IFBH_MODE_ZERO_COPY == (int)IFB_MODE_ZERO_COPY &&
		       (int)IFBH_MODE_COPY == (int)IFB_MODE_COPY &&
		       (int)IFBH_MODE_HYBRID == (int)IFB_MODE_HYBRID,
	       "protocol.h");
_Static_assert((int)IFBH_STATE_IDLE == (int)IFB_STATE_IDLE &&
		       (int)IFBH_STATE_STREAMING == (int)IFB_STATE_STREAMING &&
		       (int)IFBH_STATE_STOPPING == (int)IFB_STATE_STOPPING,
	       "protocol.h");

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* NUL-terminated within n bytes, and nothing but printable-ish bytes? We
 * only require the terminator; JSON output escapes the rest. */
static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* The wire's enum ifb_sign as its letter, and whether it reads as signed. */
static const char SIGN_LETTER[] = { [IFB_SIGN_UNSIGNED] = 'u', [IFB_SIGN_SIGNED] = 's',
				    [IFB_SIGN_SIGNED_EXTENDED] = 'S',
				    [IFB_SIGN_UNSIGNED_EXTENDED] = 'U' };

/* The highest enum ifb_sign value a device of this version may send. */
static unsigned int max_sign(unsigned int version)
{
	return version >= 4 ? IFB_SIGN_UNSIGNED_EXTENDED : IFB_SIGN_SIGNED;
}

int ifbh_parse_info(const void *buf, size_t len, struct ifbh_info *out, char *err, size_t errlen)
{
	return ifbh_parse_info_signs(buf, len, out, NULL, err, errlen);
}

int ifbh_parse_info_signs(const void *buf, size_t len, struct ifbh_info *out,
			  char ret_sign[IFB_MAX_CHANNELS], char *err, size_t errlen)
{
	const uint8_t *p = buf;
	struct ifb_info hdr;
	size_t need;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(hdr))
		return fail(err, errlen, -EBADMSG,
			    "GET_INFO reply truncated: %zu bytes, the header alone is %zu", len,
			    sizeof(hdr));
	memcpy(&hdr, p, sizeof(hdr));
	if (le32toh(hdr.magic) != IFB_INFO_MAGIC)
		return fail(err, errlen, -EPROTO,
			    "GET_INFO reply has magic 0x%08" PRIx32 ", expected 0x%08x: "
			    "not an iio-ffs-bridge device?",
			    le32toh(hdr.magic), IFB_INFO_MAGIC);
	out->version = le16toh(hdr.version);
	if (out->version < IFB_PROTOCOL_VERSION_MIN || out->version > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "device speaks protocol version %u, this host (libifbhost) understands "
			    "version %u to %u: update the host tool (or the daemon)",
			    out->version, IFB_PROTOCOL_VERSION_MIN, IFB_PROTOCOL_VERSION);
	out->num_channels = le16toh(hdr.num_channels);
	if (out->num_channels == 0 || out->num_channels > IFB_MAX_CHANNELS)
		return fail(err, errlen, -EBADMSG, "GET_INFO: %u channels (must be 1..%d)",
			    out->num_channels, IFB_MAX_CHANNELS);
	need = sizeof(hdr) + (size_t)out->num_channels * sizeof(struct ifb_channel_info);
	if (le16toh(hdr.length) != need)
		return fail(err, errlen, -EBADMSG,
			    "GET_INFO: length field %u does not match %u channels (%zu bytes)",
			    le16toh(hdr.length), out->num_channels, need);
	if (len < need)
		return fail(err, errlen, -EBADMSG,
			    "GET_INFO reply truncated: got %zu of %zu bytes", len, need);
	out->mode = hdr.mode;
	out->state = hdr.state;
	if (out->mode < IFB_MODE_ZERO_COPY || out->mode > IFB_MODE_HYBRID)
		return fail(err, errlen, -EBADMSG, "GET_INFO: unknown mode %u", out->mode);
	if (out->state > IFB_STATE_STOPPING)
		return fail(err, errlen, -EBADMSG, "GET_INFO: unknown state %u", out->state);
	out->block_size = le32toh(hdr.block_size);
	out->block_count = le32toh(hdr.block_count);
	out->scan_size = le32toh(hdr.scan_size);
	out->sample_rate_mhz = le64toh(hdr.sample_rate_mhz);
	if (!terminated(hdr.device_name, sizeof(hdr.device_name)))
		return fail(err, errlen, -EBADMSG, "GET_INFO: device name not NUL-terminated");
	memcpy(out->device_name, hdr.device_name, sizeof(out->device_name));
	if (out->scan_size == 0)
		return fail(err, errlen, -EBADMSG, "GET_INFO: scan size 0");
	if (out->block_size == 0 || out->block_size % out->scan_size)
		return fail(err, errlen, -EBADMSG,
			    "GET_INFO: block size %" PRIu32 " is not a whole number of %" PRIu32
			    "-byte scans",
			    out->block_size, out->scan_size);

	for (unsigned int i = 0; i < out->num_channels; i++) {
		struct ifb_channel_info ci;
		struct ifbh_channel *c = &out->ch[i];
		uint64_t end;

		memcpy(&ci, p + sizeof(hdr) + i * sizeof(ci), sizeof(ci));
		if (!terminated(ci.name, sizeof(ci.name)))
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u name not NUL-terminated", i);
		memcpy(c->name, ci.name, sizeof(c->name));
		c->scan_index = le16toh(ci.scan_index);
		c->offset = le16toh(ci.offset);
		if (ci.is_signed > max_sign(out->version))
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u: sign %u (version %u allows 0 to %u)", i,
				    ci.is_signed, out->version, max_sign(out->version));
		/* 'S' is signed (already extended by the driver), 'U' unsigned */
		c->is_signed = ci.is_signed == IFB_SIGN_SIGNED ||
			       ci.is_signed == IFB_SIGN_SIGNED_EXTENDED;
		if (ret_sign)
			ret_sign[i] = SIGN_LETTER[ci.is_signed];
		c->is_be = ci.is_be;
		c->bits = ci.bits;
		c->storage_bits = ci.storage_bits;
		c->shift = ci.shift;
		c->repeat = ci.repeat;
		if (out->version >= 3) { /* the I/Q hint; reserved before */
			c->iq = ci.iq;
			c->iq_partner = c->iq ? ci.iq_partner : 0;
			if (c->iq > IFB_IQ_Q || c->iq_partner >= out->num_channels ||
			    (c->iq && c->iq_partner == i))
				return fail(err, errlen, -EBADMSG,
					    "GET_INFO: channel %u: I/Q hint %u with partner %u", i,
					    c->iq, c->iq_partner);
		}
		if (c->is_be > 1)
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u: bad endianness flag %u", i, c->is_be);
		if (c->storage_bits != 8 && c->storage_bits != 16 && c->storage_bits != 32 &&
		    c->storage_bits != 64)
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u: storage_bits %u (must be 8, 16, 32 or 64)",
				    i, c->storage_bits);
		if (c->bits == 0 || c->bits + c->shift > c->storage_bits)
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u: %u bits shifted by %u do not fit %u "
				    "storage bits",
				    i, c->bits, c->shift, c->storage_bits);
		if (c->repeat == 0)
			return fail(err, errlen, -EBADMSG, "GET_INFO: channel %u: repeat 0", i);
		end = (uint64_t)c->offset + (uint64_t)c->repeat * (c->storage_bits / 8);
		if (end > out->scan_size)
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u (%s) ends at byte %" PRIu64
				    ", beyond the %" PRIu32 "-byte scan",
				    i, c->name, end, out->scan_size);
		for (unsigned int k = 0; k < i; k++) {
			const struct ifbh_channel *o = &out->ch[k];
			uint64_t oend = (uint64_t)o->offset + (uint64_t)o->repeat * (o->storage_bits / 8);

			if (c->offset < oend && o->offset < end)
				return fail(err, errlen, -EBADMSG,
					    "GET_INFO: channels %u and %u overlap in the scan", k, i);
			if (o->scan_index == c->scan_index)
				return fail(err, errlen, -EBADMSG,
					    "GET_INFO: channels %u and %u share scan index %u", k,
					    i, c->scan_index);
		}
	}
	for (unsigned int i = 0; i < out->num_channels; i++) {
		const struct ifbh_channel *c = &out->ch[i], *o = &out->ch[c->iq_partner];

		if (c->iq && (o->iq_partner != i || o->iq + c->iq != IFB_IQ_I + IFB_IQ_Q))
			return fail(err, errlen, -EBADMSG,
				    "GET_INFO: channel %u (%s) pairs as I/Q with channel %u, which "
				    "does not pair back",
				    i, c->name, c->iq_partner);
	}
	return 0;
}

int ifbh_parse_stats(const void *buf, size_t len, struct ifbh_stats *out, char *err, size_t errlen)
{
	struct ifb_stats s;

	memset(out, 0, sizeof(*out));
	if (len < offsetof(struct ifb_stats, length) + sizeof(s.length))
		return fail(err, errlen, -EBADMSG, "GET_STATS reply truncated: %zu bytes", len);
	memcpy(&s, buf, len < sizeof(s) ? len : sizeof(s));
	if (le32toh(s.magic) != IFB_STATS_MAGIC)
		return fail(err, errlen, -EPROTO,
			    "GET_STATS reply has magic 0x%08" PRIx32 ", expected 0x%08x",
			    le32toh(s.magic), IFB_STATS_MAGIC);
	out->version = le16toh(s.version);
	if (out->version < IFB_PROTOCOL_VERSION_MIN || out->version > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "device speaks protocol version %u, this host (libifbhost) understands "
			    "version %u to %u",
			    out->version, IFB_PROTOCOL_VERSION_MIN, IFB_PROTOCOL_VERSION);
	if (le16toh(s.length) != sizeof(s))
		return fail(err, errlen, -EBADMSG, "GET_STATS: length field %u, expected %zu",
			    le16toh(s.length), sizeof(s));
	if (len < sizeof(s))
		return fail(err, errlen, -EBADMSG, "GET_STATS reply truncated: got %zu of %zu bytes",
			    len, sizeof(s));
	out->mode = s.mode;
	out->state = s.state;
	if (out->mode < IFB_MODE_ZERO_COPY || out->mode > IFB_MODE_HYBRID)
		return fail(err, errlen, -EBADMSG, "GET_STATS: unknown mode %u", out->mode);
	if (out->state > IFB_STATE_STOPPING)
		return fail(err, errlen, -EBADMSG, "GET_STATS: unknown state %u", out->state);
	out->num_gaps = le16toh(s.num_gaps);
	out->stream_id = le32toh(s.stream_id);
	out->bytes_sent = le64toh(s.bytes_sent);
	out->blocks_sent = le64toh(s.blocks_sent);
	out->starvations = le64toh(s.starvations);
	out->adc_errors = le64toh(s.adc_errors);
	out->usb_errors = le64toh(s.usb_errors);
	out->gaps_total = le64toh(s.gaps_total);
	if (out->num_gaps > IFB_STATS_MAX_GAPS)
		return fail(err, errlen, -EBADMSG, "GET_STATS: %u gaps listed (at most %d)",
			    out->num_gaps, IFB_STATS_MAX_GAPS);
	if (out->gaps_total < out->num_gaps)
		return fail(err, errlen, -EBADMSG,
			    "GET_STATS: %u gaps listed but only %" PRIu64 " in total", out->num_gaps,
			    out->gaps_total);
	for (unsigned int i = 0; i < out->num_gaps; i++) {
		out->gap_offset[i] = le64toh(s.gap_offset[i]);
		if (i && out->gap_offset[i] < out->gap_offset[i - 1])
			return fail(err, errlen, -EBADMSG,
				    "GET_STATS: gap offsets decrease (%" PRIu64 " after %" PRIu64 ")",
				    out->gap_offset[i], out->gap_offset[i - 1]);
	}
	return 0;
}

int ifbh_parse_gaps(const void *buf, size_t len, struct ifbh_gaps_reply *out, char *err,
		    size_t errlen)
{
	const uint8_t *p = buf;
	struct ifb_gaps h;
	uint64_t prev = 0;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h))
		return fail(err, errlen, -EBADMSG, "GET_GAPS reply truncated: %zu bytes", len);
	memcpy(&h, p, sizeof(h));
	if (le32toh(h.magic) != IFB_GAPS_MAGIC)
		return fail(err, errlen, -EPROTO,
			    "GET_GAPS reply has magic 0x%08" PRIx32 ", expected 0x%08x",
			    le32toh(h.magic), IFB_GAPS_MAGIC);
	if (le16toh(h.version) < 2 || le16toh(h.version) > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT, "GET_GAPS reply has version %u",
			    le16toh(h.version));
	out->stream_id = le32toh(h.stream_id);
	out->count = le16toh(h.count);
	out->first_seq = le64toh(h.first_seq);
	out->gaps_total = le64toh(h.gaps_total);
	if (out->count > IFB_GAPS_MAX_PER_REPLY ||
	    le16toh(h.length) != sizeof(h) + out->count * sizeof(uint64_t))
		return fail(err, errlen, -EBADMSG, "GET_GAPS: length %u does not match %u offsets",
			    le16toh(h.length), out->count);
	if (len < le16toh(h.length))
		return fail(err, errlen, -EBADMSG, "GET_GAPS reply truncated: got %zu of %u bytes",
			    len, le16toh(h.length));
	if (out->first_seq > out->gaps_total || out->gaps_total - out->first_seq < out->count)
		return fail(err, errlen, -EBADMSG,
			    "GET_GAPS: %u offsets from gap %" PRIu64 " but only %" PRIu64
			    " gaps in total",
			    out->count, out->first_seq, out->gaps_total);
	for (unsigned int i = 0; i < out->count; i++) {
		uint64_t v;

		memcpy(&v, p + sizeof(h) + i * sizeof(v), sizeof(v));
		out->offset[i] = le64toh(v);
		if (out->offset[i] < prev)
			return fail(err, errlen, -EBADMSG,
				    "GET_GAPS: gap offsets decrease (%" PRIu64 " after %" PRIu64 ")",
				    out->offset[i], prev);
		prev = out->offset[i];
	}
	return 0;
}

/* The start of every reply. */
struct reply_header {
	uint32_t magic;
	uint16_t version;
	uint16_t length;
} __attribute__((packed));

/*
 * A reply of one fixed size (GET_STATUS, GET_STREAM): at least size bytes,
 * into out; the magic, a version from min_version to ours (into
 * *ret_version), and a length field of size.
 */
static int fixed_reply(const void *buf, size_t len, void *out, size_t size, uint32_t magic,
		       unsigned int min_version, const char *what, unsigned int *ret_version,
		       char *err, size_t errlen)
{
	struct reply_header h;

	if (len < size)
		return fail(err, errlen, -EBADMSG, "%s reply truncated: %zu of %zu bytes", what, len,
			    size);
	memcpy(out, buf, size);
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != magic)
		return fail(err, errlen, -EPROTO,
			    "%s reply has magic 0x%08" PRIx32 ", expected 0x%08" PRIx32, what,
			    le32toh(h.magic), magic);
	*ret_version = le16toh(h.version);
	if (*ret_version < min_version || *ret_version > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT, "%s reply has version %u", what,
			    *ret_version);
	if (le16toh(h.length) != size)
		return fail(err, errlen, -EBADMSG, "%s: length field %u, expected %zu", what,
			    le16toh(h.length), size);
	return 0;
}

int ifbh_parse_status(const void *buf, size_t len, struct ifbh_status_reply *out, char *err,
		      size_t errlen)
{
	struct ifb_status s;
	unsigned int version;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = fixed_reply(buf, len, &s, sizeof(s), IFB_STATUS_MAGIC, IFB_STATUS_VERSION, "GET_STATUS",
			  &version, err, errlen);
	if (ret)
		return ret;
	out->request = s.request;
	out->error = (int32_t)le32toh((uint32_t)s.error);
	out->rate_mhz = le64toh(s.rate_mhz);
	/* an errno, not any number: Linux's are below 4096 */
	if (out->error > 0 || out->error < -4095)
		return fail(err, errlen, -EBADMSG, "GET_STATUS: error %d is not a negative errno",
			    out->error);
	return 0;
}

bool ifbh_stream_name_valid(const char *name, size_t max)
{
	size_t n = strnlen(name, max);

	if (n == 0 || n >= IFB_NAME_LEN || n == max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

bool ifbh_stream_name_matches(const char *have, const char *want)
{
	return !strcmp(have, want) || (!*have && !strcmp(want, "main"));
}

int ifbh_parse_stream(const void *buf, size_t len, struct ifbh_stream_reply *out, char *err,
		      size_t errlen)
{
	struct ifb_stream_info s;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = fixed_reply(buf, len, &s, sizeof(s), IFB_STREAM_MAGIC, 4, "GET_STREAM", &out->version,
			  err, errlen);
	if (ret)
		return ret;
	out->index = s.index;
	out->count = s.count;
	if (out->count == 0 || out->count > IFB_MAX_STREAMS || out->index >= out->count)
		return fail(err, errlen, -EBADMSG,
			    "GET_STREAM: stream %u of %u (at most %d streams)", out->index,
			    out->count, IFB_MAX_STREAMS);
	/* version 5 added output streams (1, host to device) */
	if (s.direction != IFB_DIRECTION_IN &&
	    !(s.direction == IFB_DIRECTION_OUT && out->version >= 5))
		return fail(err, errlen, -EBADMSG,
			    "GET_STREAM: direction %u in protocol version %u (0, device to host, "
			    "and from version 5 1, host to device, are defined)",
			    s.direction, out->version);
	out->direction = s.direction;
	if (!ifbh_stream_name_valid(s.name, sizeof(s.name)))
		return fail(err, errlen, -EBADMSG,
			    "GET_STREAM: the name is not 1 to %d letters, digits, '-' or '_', "
			    "NUL-terminated",
			    IFB_NAME_LEN - 1);
	memcpy(out->name, s.name, sizeof(out->name));
	return 0;
}

const char *ifbh_mode_name(unsigned int mode)
{
	switch (mode) {
	case IFB_MODE_ZERO_COPY:
		return "zero-copy";
	case IFB_MODE_COPY:
		return "copy";
	case IFB_MODE_HYBRID:
		return "hybrid";
	default:
		return "unknown";
	}
}

const char *ifbh_state_name(unsigned int state)
{
	switch (state) {
	case IFB_STATE_IDLE:
		return "idle";
	case IFB_STATE_STREAMING:
		return "streaming";
	case IFB_STATE_STOPPING:
		return "stopping";
	default:
		return "unknown";
	}
}

_Static_assert((int)IFBH_TS_CLOCK_REALTIME == (int)IFB_TS_CLOCK_REALTIME &&
	       (int)IFBH_TS_CLOCK_MONOTONIC == (int)IFB_TS_CLOCK_MONOTONIC &&
	       (int)IFBH_TS_CLOCK_MONOTONIC_RAW == (int)IFB_TS_CLOCK_MONOTONIC_RAW &&
	       (int)IFBH_TS_CLOCK_REALTIME_COARSE == (int)IFB_TS_CLOCK_REALTIME_COARSE &&
	       (int)IFBH_TS_CLOCK_MONOTONIC_COARSE == (int)IFB_TS_CLOCK_MONOTONIC_COARSE &&
	       (int)IFBH_TS_CLOCK_BOOTTIME == (int)IFB_TS_CLOCK_BOOTTIME &&
	       (int)IFBH_TS_CLOCK_TAI == (int)IFB_TS_CLOCK_TAI && (int)IFBH_TS_CLOCK_UNKNOWN == (int)IFB_TS_CLOCK_UNKNOWN,
	       "enum ifbh_ts_clock is the wire's enum ifb_ts_clock");

const char *ifbh_ts_clock_name(unsigned int clock)
{
	const char *name = ifb_ts_clock_name(clock);

	return name ? name : clock == IFB_TS_CLOCK_NONE ? "none" : "unknown";
}

int ifbh_info_timestamp_channel(const struct ifbh_info *info)
{
	for (unsigned int i = 0; i < info->num_channels; i++) {
		const struct ifbh_channel *c = &info->ch[i];

		if (c->storage_bits == 64 && c->repeat == 1 &&
		    strcmp(c->name, IFB_TIMESTAMP_CHANNEL) == 0)
			return (int)i;
	}
	return -ENOENT;
}

int ifbh_parse_times(const void *buf, size_t len, struct ifbh_times_reply *out, char *err,
		     size_t errlen)
{
	const uint8_t *p = buf;
	struct ifb_times h;
	uint64_t prev = 0;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h))
		return fail(err, errlen, -EBADMSG, "GET_TIMES reply truncated: %zu bytes", len);
	memcpy(&h, p, sizeof(h));
	if (le32toh(h.magic) != IFB_TIMES_MAGIC)
		return fail(err, errlen, -EPROTO,
			    "GET_TIMES reply has magic 0x%08" PRIx32 ", expected 0x%08x",
			    le32toh(h.magic), IFB_TIMES_MAGIC);
	if (le16toh(h.version) < 6 || le16toh(h.version) > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT, "GET_TIMES reply has version %u",
			    le16toh(h.version));
	out->stream_id = le32toh(h.stream_id);
	out->count = le16toh(h.count);
	out->source = h.source;
	out->ts_clock = le16toh(h.version) >= 7 ? h.ts_clock : IFB_TS_CLOCK_NONE;
	out->first_seq = le64toh(h.first_seq);
	out->marks_total = le64toh(h.marks_total);
	if (out->count > IFB_TIMES_MAX_PER_REPLY ||
	    le16toh(h.length) != sizeof(h) + out->count * sizeof(struct ifb_time_mark))
		return fail(err, errlen, -EBADMSG, "GET_TIMES: length %u does not match %u marks",
			    le16toh(h.length), out->count);
	if (len < le16toh(h.length))
		return fail(err, errlen, -EBADMSG, "GET_TIMES reply truncated: got %zu of %u bytes",
			    len, le16toh(h.length));
	if (out->source > IFB_TIME_READ)
		return fail(err, errlen, -EBADMSG, "GET_TIMES: unknown time source %u", out->source);
	if (out->ts_clock != IFB_TS_CLOCK_NONE && out->ts_clock != IFB_TS_CLOCK_UNKNOWN &&
	    !ifb_ts_clock_name(out->ts_clock))
		return fail(err, errlen, -EBADMSG, "GET_TIMES: unknown timestamp clock %u",
			    out->ts_clock);
	if (out->first_seq > out->marks_total || out->marks_total - out->first_seq < out->count)
		return fail(err, errlen, -EBADMSG,
			    "GET_TIMES: %u marks from mark %" PRIu64 " but only %" PRIu64
			    " marks in total",
			    out->count, out->first_seq, out->marks_total);
	for (unsigned int i = 0; i < out->count; i++) {
		struct ifb_time_mark m;

		memcpy(&m, p + sizeof(h) + i * sizeof(m), sizeof(m));
		out->mark[i].offset = le64toh(m.offset);
		out->mark[i].board_ns = le64toh(m.board_ns);
		out->mark[i].start_ns = le64toh(m.start_ns);
		out->mark[i].start_window_ns = le32toh(m.start_window_ns);
		out->mark[i].block_bytes = le32toh(m.block_bytes);
		if (out->mark[i].start_ns &&
		    (!out->mark[i].block_bytes || out->mark[i].block_bytes > out->mark[i].offset))
			return fail(err, errlen, -EBADMSG,
				    "GET_TIMES: a run's start at a block of %" PRIu32
				    " bytes ending at stream offset %" PRIu64,
				    out->mark[i].block_bytes, out->mark[i].offset);
		if (out->mark[i].offset <= prev)
			return fail(err, errlen, -EBADMSG,
				    "GET_TIMES: mark offsets do not go forward (%" PRIu64
				    " after %" PRIu64 ")",
				    out->mark[i].offset, prev);
		prev = out->mark[i].offset;
	}
	return 0;
}

int ifbh_parse_clock(const void *buf, size_t len, struct ifbh_clock_reply *out, char *err,
		     size_t errlen)
{
	struct ifb_clock h;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h))
		return fail(err, errlen, -EBADMSG, "GET_CLOCK reply truncated: %zu bytes", len);
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != IFB_CLOCK_MAGIC)
		return fail(err, errlen, -EPROTO,
			    "GET_CLOCK reply has magic 0x%08" PRIx32 ", expected 0x%08x",
			    le32toh(h.magic), IFB_CLOCK_MAGIC);
	if (le16toh(h.version) < 6 || le16toh(h.version) > IFB_PROTOCOL_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT, "GET_CLOCK reply has version %u",
			    le16toh(h.version));
	if (le16toh(h.length) != sizeof(h))
		return fail(err, errlen, -EBADMSG, "GET_CLOCK: length %u, expected %zu",
			    le16toh(h.length), sizeof(h));
	out->flags = le32toh(h.flags);
	out->read_ns = le32toh(h.read_ns);
	out->monotonic_ns = le64toh(h.monotonic_ns);
	out->boottime_ns = le64toh(h.boottime_ns);
	out->realtime_ns = (int64_t)le64toh((uint64_t)h.realtime_ns);
	out->tai_ns = (int64_t)le64toh((uint64_t)h.tai_ns);
	out->esterror_us = le32toh(h.esterror_us);
	out->maxerror_us = le32toh(h.maxerror_us);
	/* half of int64_t's range each: differences and sums stay inside */
	if (out->monotonic_ns == 0 || out->monotonic_ns > INT64_MAX / 2)
		return fail(err, errlen, -EBADMSG, "GET_CLOCK: CLOCK_MONOTONIC %" PRIu64 " ns",
			    out->monotonic_ns);
	if (out->realtime_ns < -(INT64_MAX / 2) || out->realtime_ns > INT64_MAX / 2 ||
	    out->tai_ns < -(INT64_MAX / 2) || out->tai_ns > INT64_MAX / 2 ||
	    out->boottime_ns > INT64_MAX / 2)
		return fail(err, errlen, -EBADMSG,
			    "GET_CLOCK: a clock beyond 146 years (REALTIME %" PRId64 ", TAI %" PRId64
			    ", BOOTTIME %" PRIu64 " ns)",
			    out->realtime_ns, out->tai_ns, out->boottime_ns);
	return 0;
}
