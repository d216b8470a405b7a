// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON emitter, SigMF datatype mapping, RFC 3339 and the .sigmf-meta document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/json.h"
#include "capture/sigmf.h"
#include "unit.h"

/* --- a tiny strict JSON validator (RFC 8259), for the tests only -------- */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string_(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL; /* includes the terminating NUL */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
				continue;
			}
			if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
			p++;
			continue;
		}
		if (c >= 0x80) {
			int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;

			if (n < 0 || c > 0xf4)
				return NULL;
			for (int i = 1; i <= n; i++)
				if (((unsigned char)p[i] & 0xc0) != 0x80)
					return NULL;
			p += n + 1;
			continue;
		}
		p++;
	}
}

static const char *number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = string_(ws(p));
				if (!p)
					return NULL;
				p = ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return string_(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return number(p);
}

static bool json_valid(const char *doc)
{
	const char *p = value(doc, 0);

	return p && *ws(p) == '\0';
}

START_TEST(validator_can_fail)
{
	ck_assert(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\"]}"));
	ck_assert(!json_valid("{\"a\": [1,]}"));
	ck_assert(!json_valid("{\"a\" 1}"));
	ck_assert(!json_valid("\"tab\there\""));
	ck_assert(!json_valid("\"bad \\x escape\""));
	ck_assert(!json_valid("\"\xff\""));
	ck_assert(!json_valid("01"));
	ck_assert(!json_valid("{} {}"));
}
END_TEST

START_TEST(json_escaping)
{
	struct cap_json j;
	const char *doc;

	cap_json_init(&j, 0);
	cap_json_begin_object(&j);
	cap_json_key(&j, "s");
	cap_json_string(&j, "q\"b\\n\n\x01\x7f t\xc3\xa9");
	cap_json_key(&j, "bad");
	cap_json_string(&j, "a\xff\xc3z\xed\xa0\x80"); /* invalid, truncated, surrogate */
	cap_json_key(&j, "n");
	cap_json_begin_array(&j);
	cap_json_u64(&j, UINT64_MAX);
	cap_json_i64(&j, -5);
	cap_json_double(&j, 0.1);
	cap_json_double(&j, 1.0 / 0.0);
	cap_json_bool(&j, false);
	cap_json_null(&j);
	cap_json_end_array(&j);
	cap_json_key(&j, "empty");
	cap_json_begin_object(&j);
	cap_json_end_object(&j);
	cap_json_end_object(&j);
	doc = cap_json_finish(&j);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(doc, "{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u007f t\xc3\xa9\","
			      "\"bad\":\"a\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffd\","
			      "\"n\":[18446744073709551615,-5,0.1,null,false,null],\"empty\":{}}");
	ck_assert(json_valid(doc));
	cap_json_free(&j);
}
END_TEST

START_TEST(json_misuse)
{
	struct cap_json j;

	cap_json_init(&j, 2);
	cap_json_begin_object(&j);
	cap_json_key(&j, "a");
	cap_json_end_object(&j); /* key without value */
	ck_assert_ptr_null(cap_json_finish(&j));
	cap_json_free(&j);

	cap_json_init(&j, 2);
	cap_json_begin_array(&j);
	ck_assert_ptr_null(cap_json_finish(&j)); /* unclosed */
	cap_json_free(&j);

	cap_json_init(&j, 2);
	cap_json_begin_object(&j);
	cap_json_u64(&j, 1); /* a value without a key */
	cap_json_end_object(&j);
	ck_assert_ptr_null(cap_json_finish(&j));
	cap_json_free(&j);

	cap_json_init(&j, 2);
	cap_json_begin_array(&j);
	cap_json_key(&j, "a"); /* a key in an array */
	cap_json_u64(&j, 1);
	cap_json_end_array(&j);
	ck_assert_ptr_null(cap_json_finish(&j));
	cap_json_free(&j);
}
END_TEST

static void layout(struct ifbh_info *info, unsigned int n, unsigned int storage, bool sgn, bool be)
{
	memset(info, 0, sizeof(*info));
	info->version = 1;
	info->num_channels = n;
	info->scan_size = n * storage / 8;
	info->block_size = info->scan_size * 1024;
	strcpy(info->device_name, "sim-adc");
	for (unsigned int i = 0; i < n; i++) {
		snprintf(info->ch[i].name, sizeof(info->ch[i].name), "voltage%u", i);
		info->ch[i].scan_index = i;
		info->ch[i].offset = i * storage / 8;
		info->ch[i].is_signed = sgn;
		info->ch[i].is_be = be;
		info->ch[i].bits = storage;
		info->ch[i].storage_bits = storage;
		info->ch[i].repeat = 1;
	}
}

static const char *dt(const struct ifbh_info *info, unsigned int *n)
{
	static char out[CAP_SIGMF_DATATYPE_LEN];
	char err[256];

	if (cap_sigmf_datatype(info, out, sizeof(out), n, err, sizeof(err)))
		return NULL;
	return out;
}

START_TEST(datatypes)
{
	struct ifbh_info info;
	unsigned int n;

	layout(&info, 2, 16, true, false);
	ck_assert_str_eq(dt(&info, &n), "ri16_le");
	ck_assert_uint_eq(n, 2);
	layout(&info, 2, 16, false, false);
	ck_assert_str_eq(dt(&info, &n), "ru16_le");
	layout(&info, 1, 16, false, true);
	ck_assert_str_eq(dt(&info, &n), "ru16_be");
	ck_assert_uint_eq(n, 1);
	layout(&info, 4, 8, true, false);
	ck_assert_str_eq(dt(&info, &n), "ri8");
	ck_assert_uint_eq(n, 4);
	layout(&info, 4, 8, false, true);
	ck_assert_str_eq(dt(&info, &n), "ru8");
	layout(&info, 3, 32, false, true);
	ck_assert_str_eq(dt(&info, &n), "ru32_be");
	layout(&info, 3, 32, true, false);
	ck_assert_str_eq(dt(&info, &n), "ri32_le");
	/* 12 valid bits in 16: the storage word is the datatype */
	layout(&info, 2, 16, true, false);
	info.ch[0].bits = info.ch[1].bits = 12;
	info.ch[0].shift = info.ch[1].shift = 4;
	ck_assert_str_eq(dt(&info, &n), "ri16_le");
	/* repeat counts as channels */
	layout(&info, 1, 16, true, false);
	info.ch[0].repeat = 4;
	info.scan_size = 8;
	ck_assert_str_eq(dt(&info, &n), "ri16_le");
	ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(datatypes_refused)
{
	struct ifbh_info info;
	unsigned int n;
	char out[CAP_SIGMF_DATATYPE_LEN], err[256];

	layout(&info, 2, 16, true, false);
	info.ch[1].is_signed = 0;
	ck_assert_int_eq(cap_sigmf_datatype(&info, out, sizeof(out), &n, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "voltage1"));
	layout(&info, 2, 16, true, false);
	info.ch[1].is_be = 1;
	ck_assert_ptr_null(dt(&info, &n));
	layout(&info, 2, 16, true, false);
	info.ch[1].storage_bits = 32;
	ck_assert_ptr_null(dt(&info, &n));
	layout(&info, 2, 64, true, false);
	ck_assert_ptr_null(dt(&info, &n));
	layout(&info, 2, 16, true, false);
	info.scan_size = 8; /* padding */
	ck_assert_ptr_null(dt(&info, &n));
	/* 8-bit channels: endianness does not matter */
	layout(&info, 2, 8, true, false);
	info.ch[1].is_be = 1;
	ck_assert_str_eq(dt(&info, &n), "ri8");
}
END_TEST

/* 2 x le:u16 then IIO's timestamp le:s64 at byte 8: a 16-byte scan, as
 * the kernel lays it out (iio-sim-adc timestamp=1). */
static void ts_layout(struct ifbh_info *info, bool ts_be)
{
	struct ifbh_channel *t;

	layout(info, 2, 16, false, false);
	t = &info->ch[info->num_channels++];
	strcpy(t->name, "timestamp");
	t->scan_index = 2;
	t->offset = 8;
	t->is_signed = 1;
	t->is_be = ts_be;
	t->bits = t->storage_bits = 64;
	t->repeat = 1;
	info->scan_size = 16;
	info->block_size = 16 * 1024;
	info->sample_rate_mhz = 500000000ull;
}

START_TEST(datatype_timestamp)
{
	struct cap_sigmf_split sp;
	struct ifbh_info info;
	unsigned int n;
	char out[CAP_SIGMF_DATATYPE_LEN], err[256];

	ts_layout(&info, false);
	/* the scan as sent has no SigMF datatype */
	ck_assert_ptr_null(dt(&info, &n));
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	ck_assert(sp.active);
	ck_assert_uint_eq(sp.scan_size, 16);
	ck_assert_uint_eq(sp.ts_off, 8);
	/* the samples: the two u16, packed, no timestamp, no padding */
	ck_assert_uint_eq(sp.data.num_channels, 2);
	ck_assert_uint_eq(sp.data.scan_size, 4);
	ck_assert_str_eq(sp.data.ch[1].name, "voltage1");
	ck_assert_uint_eq(sp.data.ch[1].offset, 2);
	ck_assert_str_eq(dt(&sp.data, &n), "ru16_le");
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(sp.nrun, 1); /* one copy per scan */
	ck_assert_int_eq(cap_sigmf_datatype_iq(&sp.data, IFBH_IQ_ADJACENT, out, sizeof(out), &n,
					       err, sizeof(err)),
			 0);
	ck_assert_str_eq(out, "cu16_le");
	/* the timestamps: one s64 per scan */
	ck_assert_uint_eq(sp.ts.num_channels, 1);
	ck_assert_uint_eq(sp.ts.scan_size, 8);
	ck_assert_str_eq(sp.ts.ch[0].name, "timestamp");
	ck_assert_uint_eq(sp.ts.ch[0].offset, 0);

	/* no timestamp: nothing to split */
	layout(&info, 2, 16, false, false);
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	ck_assert(!sp.active);
	/* a "timestamp" that is no s64 is a channel like the others */
	ts_layout(&info, false);
	info.ch[2].storage_bits = 32;
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	ck_assert(!sp.active);
	/* the timestamp alone: no samples */
	ts_layout(&info, false);
	info.ch[0] = info.ch[2];
	info.ch[0].offset = 0;
	info.num_channels = 1;
	info.scan_size = 8;
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(split_scans)
{
	struct cap_sigmf_split sp;
	struct ifbh_info info;
	uint8_t in[3 * 16], data[3 * 4 + 1], ts[3 * 8 + 1];
	char err[256];

	/* 2 x u16, 4 bytes of padding, the timestamp (big-endian: copied as is) */
	ts_layout(&info, true);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	memset(data, 0xee, sizeof(data));
	memset(ts, 0xee, sizeof(ts));
	cap_sigmf_split_scans(&sp, in, 3, data, ts);
	for (unsigned int k = 0; k < 3; k++) {
		for (unsigned int b = 0; b < 4; b++)
			ck_assert_uint_eq(data[4 * k + b], 16 * k + b); /* bytes 4..7 dropped */
		for (unsigned int b = 0; b < 8; b++)
			ck_assert_uint_eq(ts[8 * k + b], 16 * k + 8 + b);
	}
	ck_assert_uint_eq(data[12], 0xee);
	ck_assert_uint_eq(ts[24], 0xee);

	/* channels on both sides of the timestamp: two runs, in order */
	layout(&info, 1, 16, false, false);
	info.num_channels = 3;
	strcpy(info.ch[1].name, "timestamp");
	info.ch[1].scan_index = 1;
	info.ch[1].offset = 8;
	info.ch[1].is_signed = 1;
	info.ch[1].bits = info.ch[1].storage_bits = 64;
	info.ch[1].repeat = 1;
	info.ch[2] = info.ch[0];
	strcpy(info.ch[2].name, "voltage1");
	info.ch[2].scan_index = 2;
	info.ch[2].offset = 16;
	info.scan_size = 24;
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(sp.nrun, 2);
	ck_assert_uint_eq(sp.data.scan_size, 4);
	cap_sigmf_split_scans(&sp, in, 2, data, ts);
	ck_assert_uint_eq(data[0], 0);
	ck_assert_uint_eq(data[2], 16);
	ck_assert_uint_eq(data[4], 24);
	ck_assert_uint_eq(data[6], 40);
	ck_assert_uint_eq(ts[8], 32);
}
END_TEST

START_TEST(meta_timestamp_recordings)
{
	struct cap_sigmf_split sp;
	struct ifbh_info info;
	struct cap_sigmf_gap gap = { .stream_offset = 16 * 1000 };
	struct cap_sigmf_meta m = { 0 };
	char err[256];
	char *doc;

	ts_layout(&info, false);
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	m.info = &sp.data;
	m.stream_scan_size = 16;
	m.recorder = "iio-ffs-capture 0.1";
	m.samples = 5000;
	m.gaps = &gap;
	m.ngaps = 1;
	m.ts_recording = "rec-timestamp";
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datatype\": \"ru16_le\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:num_channels\": 2,"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_rate\": 500000,"));
	/* the gap at stream byte 16000 is sample 1000 (16-byte scans) */
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_start\": 1000"));
	ck_assert_ptr_nonnull(strstr(doc, "SigMF recording rec-timestamp beside it"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:label\": \"timestamps\""));
	ck_assert_ptr_nonnull(strstr(doc, "rec-timestamp.sigmf-data"));
	ck_assert_ptr_null(strstr(doc, "timestamp le:s64")); /* not a channel here */
	free(doc);

	m.info = &sp.ts;
	m.ts_recording = NULL;
	m.ts_of = "rec";
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datatype\": \"ri64_le\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:num_channels\": 1,"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_rate\": 500000,"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_start\": 1000"));
	ck_assert_ptr_nonnull(strstr(doc, "own per-scan timestamps"));
	ck_assert_ptr_nonnull(strstr(doc, "current_timestamp_clock"));
	ck_assert_ptr_nonnull(strstr(doc, "rec.sigmf-data"));
	free(doc);

	ts_layout(&info, true);
	ck_assert_int_eq(cap_sigmf_split_init(&sp, &info, err, sizeof(err)), 0);
	m.info = &sp.ts;
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datatype\": \"ri64_be\""));
	free(doc);
}
END_TEST

START_TEST(rfc3339)
{
	struct timespec ts = { .tv_sec = 1795310625, .tv_nsec = 123999999 };
	char buf[32];

	ck_assert_int_eq(cap_rfc3339(&ts, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2026-11-22T01:23:45.123Z");
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	ck_assert_int_eq(cap_rfc3339(&ts, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	ck_assert_int_eq(cap_rfc3339(&ts, buf, 24), -EINVAL);
}
END_TEST

START_TEST(meta_no_gaps)
{
	struct ifbh_info info;
	struct cap_sigmf_meta m = { 0 };
	char err[256];
	char *doc;

	layout(&info, 2, 16, false, false);
	info.sample_rate_mhz = 2500000000ull; /* 2.5 MHz */
	m.info = &info;
	m.hw = "sim-adc \"quoted\" via iio-ffs-bridge";
	m.recorder = "iio-ffs-capture 0.1";
	m.datetime = "2026-11-22T01:23:45.123Z";
	m.samples = 1000;
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datatype\": \"ru16_le\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_rate\": 2500000,"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:num_channels\": 2,"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:version\": \"1.0.0\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:hw\": \"sim-adc \\\"quoted\\\" via"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:recorder\": \"iio-ffs-capture 0.1\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datetime\": \"2026-11-22T01:23:45.123Z\""));
	ck_assert_ptr_null(strstr(doc, "core:author"));
	ck_assert_ptr_nonnull(strstr(doc, "\"annotations\": []"));
	free(doc);

	info.sample_rate_mhz = 0; /* unknown: omitted */
	m.author = "me";
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	ck_assert_ptr_null(strstr(doc, "core:sample_rate"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:author\": \"me\""));
	free(doc);

	info.ch[1].is_signed = 1;
	ck_assert_ptr_null(cap_sigmf_meta_json(&m, err, sizeof(err)));
}
END_TEST

START_TEST(meta_gaps_to_segments)
{
	struct ifbh_info info;
	struct cap_sigmf_meta m = { 0 };
	struct cap_sigmf_gap gaps[] = {
		{ .stream_offset = 0, .missing_known = true, .missing = 7 }, /* before data */
		{ .stream_offset = 400, .missing_known = true, .missing = 50 },
		{ .stream_offset = 800, .missing_known = false },
		{ .stream_offset = 1200, .missing_known = true, .missing = 10 },
		{ .stream_offset = 1200, .missing_known = true, .missing = 5 }, /* same place */
		{ .stream_offset = 4000, .missing_known = true, .missing = 1 }, /* past the data */
	};
	char err[256];
	char *doc, *caps;
	const char *expect_caps =
		"\"captures\": [\n"
		"    {\n      \"core:sample_start\": 0,\n      \"core:global_index\": 0,\n"
		"      \"core:datetime\": \"2026-11-22T01:23:45.123Z\"\n    },\n"
		"    {\n      \"core:sample_start\": 100,\n      \"core:global_index\": 150\n    },\n"
		"    {\n      \"core:sample_start\": 200,\n      \"core:global_index\": 250\n    },\n"
		"    {\n      \"core:sample_start\": 300,\n      \"core:global_index\": 365\n    }\n"
		"  ],";

	layout(&info, 2, 16, true, false);
	m.info = &info;
	m.recorder = "iio-ffs-capture test";
	m.datetime = "2026-11-22T01:23:45.123Z";
	m.samples = 1000; /* 4000 bytes */
	m.gaps = gaps;
	m.ngaps = sizeof(gaps) / sizeof(gaps[0]);
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	caps = strstr(doc, "\"captures\"");
	ck_assert_ptr_nonnull(caps);
	ck_assert_msg(!strncmp(caps, expect_caps, strlen(expect_caps)), "got:\n%s", doc);
	ck_assert_ptr_nonnull(strstr(doc, "number of samples unknown"));
	ck_assert_ptr_nonnull(strstr(doc, "gap at stream byte 1200): 15 samples"));
	free(doc);
}
END_TEST

START_TEST(datatypes_iq)
{
	struct ifbh_info info;
	char out[CAP_SIGMF_DATATYPE_LEN], err[256];
	unsigned int n;

	/* the simulated ADC's two u16 channels as one complex pair */
	layout(&info, 2, 16, false, false);
	ck_assert_int_eq(cap_sigmf_datatype_iq(&info, IFBH_IQ_ADJACENT, out, sizeof(out), &n, err,
					       sizeof(err)),
			 0);
	ck_assert_str_eq(out, "cu16_le");
	ck_assert_uint_eq(n, 1);
	/* by name: voltage0_i/_q, voltage1_i/_q, signed 16 big-endian */
	layout(&info, 4, 16, true, true);
	strcpy(info.ch[0].name, "voltage0_i");
	strcpy(info.ch[1].name, "voltage0_q");
	strcpy(info.ch[2].name, "voltage1_i");
	strcpy(info.ch[3].name, "voltage1_q");
	ck_assert_int_eq(cap_sigmf_datatype_iq(&info, IFBH_IQ_BY_NAME, out, sizeof(out), &n, err,
					       sizeof(err)),
			 0);
	ck_assert_str_eq(out, "ci16_be");
	ck_assert_uint_eq(n, 2);
	layout(&info, 2, 8, true, false);
	ck_assert_int_eq(cap_sigmf_datatype_iq(&info, IFBH_IQ_ADJACENT, out, sizeof(out), &n, err,
					       sizeof(err)),
			 0);
	ck_assert_str_eq(out, "ci8");
	/* a channel without its pair: refused, naming the option */
	layout(&info, 3, 16, true, false);
	strcpy(info.ch[0].name, "voltage0_i");
	strcpy(info.ch[1].name, "voltage0_q");
	ck_assert_int_eq(cap_sigmf_datatype_iq(&info, IFBH_IQ_BY_NAME, out, sizeof(out), &n, err,
					       sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "voltage2"));
	ck_assert_int_eq(cap_sigmf_datatype_iq(&info, IFBH_IQ_ADJACENT, out, sizeof(out), &n, err,
					       sizeof(err)),
			 -EINVAL);
}
END_TEST

START_TEST(meta_segment_datetime)
{
	struct ifbh_info info;
	struct cap_sigmf_meta m = { 0 };
	struct cap_sigmf_gap gaps[] = {
		{ .stream_offset = 400, .datetime = "2026-11-22T01:23:46.000Z" },
		{ .stream_offset = 800 },
	};
	char err[256];
	char *doc;

	layout(&info, 2, 16, false, false);
	m.info = &info;
	m.recorder = "iio-ffs-capture test";
	m.hw = "sim-adc via iio-ffs-bridge";
	m.datetime = "2026-11-22T01:23:45.123Z";
	m.samples = 1000;
	m.gaps = gaps;
	m.ngaps = 2;
	m.iq = IFBH_IQ_ADJACENT;
	doc = cap_sigmf_meta_json(&m, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_valid(doc));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:datatype\": \"cu16_le\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:num_channels\": 1"));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:hw\": \"sim-adc via iio-ffs-bridge\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_start\": 100,\n      \"core:global_index\": "
					  "100,\n      \"core:datetime\": \"2026-11-22T01:23:46.000Z\""));
	/* the segment at 200 has no known time: no datetime */
	ck_assert_ptr_nonnull(strstr(doc, "\"core:sample_start\": 200,\n      \"core:global_index\": "
					  "200\n    }"));
	free(doc);
}
END_TEST

START_TEST(meta_write_atomic)
{
	char dir[] = "/tmp/capture-sigmf-XXXXXX";
	char path[128], buf[160];
	FILE *f;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.sigmf-meta", dir);
	ck_assert_int_eq(cap_sigmf_write_file(path, "{}"), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, "{}\n");
	snprintf(buf, sizeof(buf), "%s.tmp", path);
	ck_assert_int_ne(access(buf, F_OK), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing-dir/x.sigmf-meta", dir);
	ck_assert_int_eq(cap_sigmf_write_file(path, "{}"), -ENOENT);
	rmdir(dir);
}
END_TEST

static Suite *capture_sigmf_suite(void)
{
	Suite *s = suite_create("capture-sigmf");
	TCase *tc = tcase_create("sigmf");

	tcase_add_test(tc, validator_can_fail);
	tcase_add_test(tc, json_escaping);
	tcase_add_test(tc, json_misuse);
	tcase_add_test(tc, datatypes);
	tcase_add_test(tc, datatypes_refused);
	tcase_add_test(tc, rfc3339);
	tcase_add_test(tc, meta_no_gaps);
	tcase_add_test(tc, meta_gaps_to_segments);
	tcase_add_test(tc, datatypes_iq);
	tcase_add_test(tc, meta_segment_datetime);
	tcase_add_test(tc, meta_write_atomic);
	tcase_add_test(tc, datatype_timestamp);
	tcase_add_test(tc, split_scans);
	tcase_add_test(tc, meta_timestamp_recordings);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(capture_sigmf_suite)
