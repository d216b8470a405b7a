// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/json.h"
#include "capture/sigmf.h"

int cap_sigmf_datatype(const struct ifbh_info *info, char *out, size_t outlen, unsigned int *nchan,
		       char *err, size_t errlen)
{
	const struct ifbh_channel *c0 = &info->ch[0];
	unsigned int count = 0;
	int n;

	for (unsigned int i = 0; i < info->num_channels; i++) {
		const struct ifbh_channel *c = &info->ch[i];

		if (c->is_signed != c0->is_signed || c->storage_bits != c0->storage_bits ||
		    (c->storage_bits > 8 && c->is_be != c0->is_be)) {
			snprintf(err, errlen,
				 "SigMF needs every channel in one datatype, but %s is %s:%c%u and "
				 "%s is %s:%c%u; capture raw (-o) instead",
				 c0->name, c0->is_be ? "be" : "le", c0->is_signed ? 's' : 'u',
				 c0->storage_bits, c->name, c->is_be ? "be" : "le",
				 c->is_signed ? 's' : 'u', c->storage_bits);
			return -EINVAL;
		}
		count += c->repeat;
	}
	if (c0->storage_bits == 64) {
		snprintf(err, errlen,
			 "SigMF has no 64-bit integer datatype (channel %s); capture raw (-o) "
			 "instead",
			 c0->name);
		return -EINVAL;
	}
	if ((uint64_t)count * (c0->storage_bits / 8) != info->scan_size) {
		snprintf(err, errlen,
			 "the %" PRIu32 "-byte scan has padding besides its %u samples of %u bits: "
			 "no SigMF datatype describes it; capture raw (-o) instead",
			 info->scan_size, count, c0->storage_bits);
		return -EINVAL;
	}
	if (c0->storage_bits == 8)
		n = snprintf(out, outlen, "r%c8", c0->is_signed ? 'i' : 'u');
	else
		n = snprintf(out, outlen, "r%c%u_%s", c0->is_signed ? 'i' : 'u',
			     c0->storage_bits, c0->is_be ? "be" : "le");
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "datatype buffer too small");
		return -EINVAL;
	}
	*nchan = count;
	return 0;
}

int cap_sigmf_datatype_iq(const struct ifbh_info *info, enum ifbh_iq iq, char *out, size_t outlen,
			  unsigned int *nchan, char *err, size_t errlen)
{
	struct ifbh_field f[IFBH_MAX_CHANNELS];
	size_t n = 0;
	int len;

	if (iq == IFBH_IQ_NONE)
		return cap_sigmf_datatype(info, out, outlen, nchan, err, errlen);
	if (ifbh_layout_fields(info, iq, f, IFBH_MAX_CHANNELS, &n)) {
		snprintf(err, errlen,
			 "the channels do not pair as I/Q (%s): each I needs its Q right after "
			 "it, of the same type",
			 iq == IFBH_IQ_ADJACENT ? "neighbours"
			 : iq == IFBH_IQ_DEVICE ? "the device's [iio] iq pairs"
						: "names X_i, X_q");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!f[i].iq || f[i].count != 1 || f[i].bytes != f[0].bytes ||
		    f[i].is_signed != f[0].is_signed || (f[i].bytes > 1 && f[i].is_be != f[0].is_be)) {
			snprintf(err, errlen,
				 "SigMF complex data needs every channel in I/Q pairs of one type, "
				 "but %s is not; capture without --iq",
				 f[i].name);
			return -EINVAL;
		}
	}
	if (f[0].bytes == 8 || (uint64_t)n * 2 * f[0].bytes != info->scan_size) {
		snprintf(err, errlen,
			 "the %" PRIu32 "-byte scan has no SigMF complex datatype (padding or "
			 "64-bit samples); capture without --iq",
			 info->scan_size);
		return -EINVAL;
	}
	if (f[0].bytes == 1)
		len = snprintf(out, outlen, "c%c8", f[0].is_signed ? 'i' : 'u');
	else
		len = snprintf(out, outlen, "c%c%u_%s", f[0].is_signed ? 'i' : 'u', 8 * f[0].bytes,
			       f[0].is_be ? "be" : "le");
	if (len < 0 || (size_t)len >= outlen) {
		snprintf(err, errlen, "datatype buffer too small");
		return -EINVAL;
	}
	*nchan = (unsigned int)n;
	return 0;
}

int cap_sigmf_split_init(struct cap_sigmf_split *s, const struct ifbh_info *info, char *err,
			 size_t errlen)
{
	struct ifbh_field f[IFBH_MAX_CHANNELS];
	unsigned int map[IFBH_MAX_CHANNELS];
	size_t n = 0, ts = IFBH_MAX_CHANNELS;
	int ts_ch = ifbh_info_timestamp_channel(info);
	uint32_t pos = 0;

	memset(s, 0, sizeof(*s));
	/* the scan's layout, one place: libifbhost's real fields */
	if (ifbh_layout_fields(info, IFBH_IQ_NONE, f, IFBH_MAX_CHANNELS, &n)) {
		snprintf(err, errlen, "the scan layout has too many channels");
		return -EINVAL;
	}
	for (size_t i = 0; i < n && ts == IFBH_MAX_CHANNELS; i++)
		if (ts_ch >= 0 && f[i].ch == (unsigned int)ts_ch)
			ts = i;
	if (ts == IFBH_MAX_CHANNELS)
		return 0;
	if (n == 1) {
		snprintf(err, errlen, "the scan holds the timestamp alone: no samples to record");
		return -EINVAL;
	}

	s->active = true;
	s->scan_size = info->scan_size;
	s->ts_off = f[ts].offset;

	s->data = *info;
	s->data.num_channels = 0;
	for (size_t i = 0; i < n; i++) {
		struct ifbh_channel *c;
		unsigned int len = f[i].count * f[i].bytes;

		if (i == ts)
			continue;
		map[f[i].ch] = s->data.num_channels;
		c = &s->data.ch[s->data.num_channels++];
		*c = info->ch[f[i].ch];
		c->offset = pos;
		/* neighbours in the scan stay one copy */
		if (s->nrun && s->run[s->nrun - 1].from + s->run[s->nrun - 1].len == f[i].offset)
			s->run[s->nrun - 1].len += len;
		else
			s->run[s->nrun++] = (struct cap_sigmf_run){ .from = f[i].offset, .len = len };
		pos += len;
	}
	s->data.scan_size = pos;
	/* the device's I/Q pairs name channels by index: renumbered */
	for (unsigned int i = 0; i < s->data.num_channels; i++) {
		struct ifbh_channel *c = &s->data.ch[i];

		if (c->iq && c->iq_partner < info->num_channels && c->iq_partner != f[ts].ch)
			c->iq_partner = map[c->iq_partner];
		else
			c->iq = 0;
	}

	s->ts = *info;
	s->ts.num_channels = 1;
	s->ts.ch[0] = info->ch[f[ts].ch];
	s->ts.ch[0].offset = 0;
	s->ts.ch[0].iq = 0;
	s->ts.scan_size = 8;
	return 0;
}

void cap_sigmf_split_scans(const struct cap_sigmf_split *s, const uint8_t *in, size_t nscans,
			   uint8_t *data, uint8_t *ts)
{
	for (size_t k = 0; k < nscans; k++, in += s->scan_size, ts += 8) {
		for (unsigned int r = 0; r < s->nrun; r++) {
			memcpy(data, in + s->run[r].from, s->run[r].len);
			data += s->run[r].len;
		}
		memcpy(ts, in + s->ts_off, 8);
	}
}

static int rfc3339(const struct timespec *ts, bool ns, char *out, size_t outlen)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	int n;

	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	n = snprintf(out, outlen, ns ? "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ"
				     : "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ns ? (long)ts->tv_nsec : (long)(ts->tv_nsec / 1000000));
	if (n < 0 || (size_t)n >= outlen)
		return -EINVAL;
	return 0;
}

int cap_rfc3339(const struct timespec *ts, char *out, size_t outlen)
{
	return rfc3339(ts, false, out, outlen);
}

int cap_rfc3339_ns(const struct timespec *ts, char *out, size_t outlen)
{
	return rfc3339(ts, true, out, outlen);
}

static void describe(const struct cap_sigmf_meta *m, char *buf, size_t len)
{
	const struct ifbh_info *info = m->info;
	size_t used;

	used = (size_t)snprintf(buf, len, "IIO device %s, channels:", info->device_name);
	for (unsigned int i = 0; i < info->num_channels && used < len; i++) {
		const struct ifbh_channel *c = &info->ch[i];

		used += (size_t)snprintf(buf + used, len - used, "%s %s %s:%c%u/%u", i ? "," : "",
					 c->name, c->is_be ? "be" : "le", c->is_signed ? 's' : 'u',
					 c->bits, c->storage_bits);
		if (used < len && c->repeat > 1)
			used += (size_t)snprintf(buf + used, len - used, "X%u", c->repeat);
		if (used < len && c->shift)
			used += (size_t)snprintf(buf + used, len - used, ">>%u", c->shift);
	}
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used,
					 " (IIO scan_elements notation; the data holds the "
					 "storage words as sent)");
	if (m->iq != IFBH_IQ_NONE && used < len)
		used += (size_t)snprintf(buf + used, len - used,
					 ". Complex samples: each I channel and the Q channel "
					 "after it (%s) form one SigMF channel",
					 m->iq == IFBH_IQ_ADJACENT ? "paired as neighbours"
					 : m->iq == IFBH_IQ_DEVICE ? "paired by the device's [iio] iq"
								   : "named X_i, X_q");
	if (m->ts_recording && used < len)
		used += (size_t)snprintf(buf + used, len - used,
					 ". The device's own per-scan timestamps (its IIO channel "
					 "timestamp, one s64 per scan, in ns of the device's timestamp "
					 "clock) are not in this data: they are the SigMF recording %s "
					 "beside it, its sample k this recording's sample k; the "
					 "padding the device's %" PRIu32 "-byte scan has before the "
					 "timestamp is dropped too",
					 m->ts_recording, m->stream_scan_size);
	if (m->note && used < len)
		snprintf(buf + used, len - used, ". %s", m->note);
}

/* The timestamp recording's core:description. */
static void describe_ts(const struct cap_sigmf_meta *m, char *buf, size_t len)
{
	const struct ifbh_channel *c = &m->info->ch[0];
	char clock[160];
	size_t used;

	if (m->ts_clock == IFBH_TS_CLOCK_NONE)
		snprintf(clock, sizeof(clock),
			 "IIO's current_timestamp_clock of the device, CLOCK_REALTIME by default; "
			 "the device did not say which");
	else if (m->ts_clock == IFBH_TS_CLOCK_UNKNOWN)
		snprintf(clock, sizeof(clock),
			 "IIO's current_timestamp_clock of the device, which the device could not "
			 "read or name");
	else
		snprintf(clock, sizeof(clock),
			 "the device's current_timestamp_clock when the stream started: %s",
			 ifbh_ts_clock_name((unsigned int)m->ts_clock));
	used = (size_t)snprintf(buf, len,
				"The IIO device %s's own per-scan timestamps (its channel %s, %s:%c%u/%u, "
				"as the device wrote them): sample k is the time of sample k of the "
				"SigMF recording %s beside it, in ns of the device's timestamp clock "
				"(%s)",
				m->info->device_name, c->name, c->is_be ? "be" : "le",
				c->is_signed ? 's' : 'u', c->bits, c->storage_bits, m->ts_of, clock);
	if (m->note && used < len)
		snprintf(buf + used, len - used, ". %s", m->note);
}

/* One segment per distinct sample index at which data is missing. */
struct segment {
	uint64_t start;
	bool known;
	uint64_t missing;
	uint64_t first_offset;
	unsigned int gaps;
	const char *datetime;
};

char *cap_sigmf_meta_json(const struct cap_sigmf_meta *m, char *err, size_t errlen)
{
	const struct ifbh_info *info = m->info;
	char datatype[CAP_SIGMF_DATATYPE_LEN];
	char desc[2048];
	unsigned int nchan;
	struct segment *seg = NULL;
	size_t nseg = 0;
	struct cap_json j;
	const char *doc;
	char *ret;
	uint64_t shift;

	uint32_t scan_size = m->stream_scan_size ? m->stream_scan_size : info->scan_size;

	if (m->ts_of) {
		const struct ifbh_channel *c = &info->ch[0];

		if (info->num_channels != 1 || c->storage_bits != 64 || c->repeat != 1) {
			snprintf(err, errlen, "a timestamp recording holds one 64-bit channel");
			return NULL;
		}
		snprintf(datatype, sizeof(datatype), "r%c64_%s", c->is_signed ? 'i' : 'u',
			 c->is_be ? "be" : "le");
		nchan = 1;
	} else if (cap_sigmf_datatype_iq(info, m->iq, datatype, sizeof(datatype), &nchan, err,
					 errlen)) {
		return NULL;
	}
	if (m->ngaps) {
		seg = calloc(m->ngaps, sizeof(*seg));
		if (!seg) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	for (size_t i = 0; i < m->ngaps; i++) {
		const struct cap_sigmf_gap *g = &m->gaps[i];
		uint64_t s = g->stream_offset / scan_size;

		/* nothing before it, or nothing of it in the file: no segment */
		if (g->stream_offset == 0 || s >= m->samples)
			continue;
		if (nseg && seg[nseg - 1].start == s) {
			struct segment *p = &seg[nseg - 1];

			p->known = p->known && g->missing_known;
			p->missing += g->missing;
			p->gaps++;
			continue;
		}
		seg[nseg++] = (struct segment){ .start = s,
						.known = g->missing_known,
						.missing = g->missing,
						.first_offset = g->stream_offset,
						.gaps = 1,
						.datetime = g->datetime };
	}

	cap_json_init(&j, 2);
	cap_json_begin_object(&j);
	cap_json_key(&j, "global");
	cap_json_begin_object(&j);
	cap_json_key(&j, "core:datatype");
	cap_json_string(&j, datatype);
	if (info->sample_rate_mhz) {
		cap_json_key(&j, "core:sample_rate");
		cap_json_double(&j, (double)info->sample_rate_mhz / 1000.0);
	}
	cap_json_key(&j, "core:num_channels");
	cap_json_u64(&j, nchan);
	cap_json_key(&j, "core:version");
	cap_json_string(&j, "1.0.0");
	cap_json_key(&j, "core:hw");
	cap_json_string(&j, m->hw ? m->hw : info->device_name);
	cap_json_key(&j, "core:recorder");
	cap_json_string(&j, m->recorder);
	if (m->author) {
		cap_json_key(&j, "core:author");
		cap_json_string(&j, m->author);
	}
	if (m->ts_of)
		describe_ts(m, desc, sizeof(desc));
	else
		describe(m, desc, sizeof(desc));
	cap_json_key(&j, "core:description");
	cap_json_string(&j, desc);
	cap_json_end_object(&j);

	cap_json_key(&j, "captures");
	cap_json_begin_array(&j);
	cap_json_begin_object(&j);
	cap_json_key(&j, "core:sample_start");
	cap_json_u64(&j, 0);
	cap_json_key(&j, "core:global_index");
	cap_json_u64(&j, 0);
	if (m->datetime) {
		cap_json_key(&j, "core:datetime");
		cap_json_string(&j, m->datetime);
	}
	cap_json_end_object(&j);
	shift = 0;
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].known)
			shift += seg[i].missing;
		cap_json_begin_object(&j);
		cap_json_key(&j, "core:sample_start");
		cap_json_u64(&j, seg[i].start);
		cap_json_key(&j, "core:global_index");
		cap_json_u64(&j, seg[i].start + shift);
		if (seg[i].datetime) {
			cap_json_key(&j, "core:datetime");
			cap_json_string(&j, seg[i].datetime);
		}
		cap_json_end_object(&j);
	}
	cap_json_end_array(&j);

	cap_json_key(&j, "annotations");
	cap_json_begin_array(&j);
	if (m->time_comment) {
		cap_json_begin_object(&j);
		cap_json_key(&j, "core:sample_start");
		cap_json_u64(&j, 0);
		cap_json_key(&j, "core:label");
		cap_json_string(&j, "time");
		cap_json_key(&j, "core:comment");
		cap_json_string(&j, m->time_comment);
		cap_json_end_object(&j);
	}
	if (m->ts_recording || m->ts_of) {
		char c[512];

		if (m->ts_recording)
			snprintf(c, sizeof(c),
				 "the device's own timestamp of every sample (IIO channel "
				 "timestamp) is in the SigMF recording %s (%s.sigmf-data, "
				 "%s.sigmf-meta), one per sample, in this recording's order",
				 m->ts_recording, m->ts_recording, m->ts_recording);
		else
			snprintf(c, sizeof(c),
				 "the samples these timestamps belong to are the SigMF recording "
				 "%s (%s.sigmf-data, %s.sigmf-meta), one per sample, in order",
				 m->ts_of, m->ts_of, m->ts_of);
		cap_json_begin_object(&j);
		cap_json_key(&j, "core:sample_start");
		cap_json_u64(&j, 0);
		if (m->samples) {
			cap_json_key(&j, "core:sample_count");
			cap_json_u64(&j, m->samples);
		}
		cap_json_key(&j, "core:label");
		cap_json_string(&j, m->ts_recording ? "timestamps" : "samples");
		cap_json_key(&j, "core:comment");
		cap_json_string(&j, c);
		cap_json_end_object(&j);
	}
	for (size_t i = 0; i < nseg; i++) {
		char c[256];

		if (seg[i].known)
			snprintf(c, sizeof(c),
				 "data missing before this sample (device gap at stream byte %" PRIu64
				 "): %" PRIu64 " samples, counted from the test pattern",
				 seg[i].first_offset, seg[i].missing);
		else
			snprintf(c, sizeof(c),
				 "data missing before this sample (device gap at stream byte %" PRIu64
				 "): number of samples unknown, core:global_index of this "
				 "segment does not include them",
				 seg[i].first_offset);
		cap_json_begin_object(&j);
		cap_json_key(&j, "core:sample_start");
		cap_json_u64(&j, seg[i].start);
		cap_json_key(&j, "core:sample_count");
		cap_json_u64(&j, 1);
		cap_json_key(&j, "core:label");
		cap_json_string(&j, "gap");
		cap_json_key(&j, "core:comment");
		cap_json_string(&j, c);
		cap_json_end_object(&j);
	}
	cap_json_end_array(&j);
	cap_json_end_object(&j);
	free(seg);

	doc = cap_json_finish(&j);
	if (!doc) {
		snprintf(err, errlen, "building the SigMF metadata failed (out of memory?)");
		cap_json_free(&j);
		return NULL;
	}
	ret = j.buf; /* hand the buffer over */
	return ret;
}

int cap_sigmf_write_file(const char *path, const char *text)
{
	size_t plen = strlen(path), len = strlen(text), done = 0;
	char *tmp = malloc(plen + 5);
	int fd, ret = 0;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (!ret && write(fd, "\n", 1) != 1)
		ret = -EIO;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}
