// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SigMF metadata: datatype from the scan layout, RFC 3339 timestamps, the
 * .sigmf-meta JSON document (gaps become capture segments) and its atomic
 * write. Pure apart from cap_sigmf_write_file().
 */
#ifndef CAP_SIGMF_H
#define CAP_SIGMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ifbhost.h"

#define CAP_SIGMF_DATATYPE_LEN 16

/*
 * The SigMF datatype ("ri16_le", "ru8", ...) of the interleaved scans, and
 * the number of SigMF channels (repeats count as channels). Returns 0, or
 * -EINVAL with a message in err when the layout has no SigMF datatype
 * (channels of different types, padding, 64-bit integers).
 */
int cap_sigmf_datatype(const struct ifbh_info *info, char *out, size_t outlen, unsigned int *nchan,
		       char *err, size_t errlen);

/*
 * The same with channels paired as I/Q (ifbh_layout_fields): "ci16_le",
 * "cu8"..., *nchan the number of pairs. IFBH_IQ_NONE is
 * cap_sigmf_datatype(). -EINVAL with a message when the channels do not
 * all pair, differ in type, or leave padding.
 */
int cap_sigmf_datatype_iq(const struct ifbh_info *info, enum ifbh_iq iq, char *out, size_t outlen,
			  unsigned int *nchan, char *err, size_t errlen);

/*
 * A scan with IIO's timestamp channel (ifbh_info_timestamp_channel) has no
 * SigMF datatype: SigMF gets its
 * other channels, packed (the timestamp and the padding the kernel put
 * before it dropped), and the timestamps go to a recording of their own
 * beside it (NAME-timestamp, ri64_le or ri64_be, one per scan).
 */
#define CAP_SIGMF_TS_SUFFIX "-timestamp"

struct cap_sigmf_split {
	bool active;           /* the scan has a timestamp channel */
	uint32_t scan_size;    /* bytes of a scan as the device sends it */
	unsigned int ts_off;   /* the timestamp's offset in that scan */
	struct ifbh_info data; /* the samples: every other channel, packed */
	struct ifbh_info ts;   /* the timestamps: that channel alone, an 8-byte scan */
	unsigned int nrun;     /* byte runs of a scan that make up a data scan */
	struct cap_sigmf_run {
		unsigned int from, len;
	} run[IFBH_MAX_CHANNELS];
};

/*
 * Fill s for the scan layout info (the fields of ifbh_layout_fields()).
 * 0 with s->active false when info has no timestamp channel; -EINVAL with
 * a message when the timestamp is all there is.
 */
int cap_sigmf_split_init(struct cap_sigmf_split *s, const struct ifbh_info *info, char *err,
			 size_t errlen);
/* nscans whole scans at in: their samples to data (nscans *
 * s->data.scan_size bytes), their timestamps to ts (nscans * 8 bytes). */
void cap_sigmf_split_scans(const struct cap_sigmf_split *s, const uint8_t *in, size_t nscans,
			   uint8_t *data, uint8_t *ts);

/* "2026-11-22T01:23:45.123Z"; returns 0 or -EINVAL (buffer too small). */
int cap_rfc3339(const struct timespec *ts, char *out, size_t outlen);
/* The same to the nanosecond ("...45.123456789Z"): a board's time. */
int cap_rfc3339_ns(const struct timespec *ts, char *out, size_t outlen);

struct cap_sigmf_gap {
	uint64_t stream_offset; /* where the device reported missing data */
	bool missing_known;
	uint64_t missing; /* scans missing there, if known */
	/* when the first sample after the gap was taken (core:datetime of its
	 * capture segment), if known: RFC 3339 */
	const char *datetime;
};

struct cap_sigmf_meta {
	const struct ifbh_info *info;
	const char *hw;       /* core:hw */
	const char *recorder; /* core:recorder */
	const char *author;   /* core:author, or NULL */
	const char *datetime; /* RFC 3339 of the first sample */
	uint64_t samples;     /* scans in the data file */
	const struct cap_sigmf_gap *gaps; /* stream order */
	size_t ngaps;
	const char *note; /* appended to core:description, or NULL */
	/* How the datetimes were had (an annotation "time" at sample 0, with
	 * the measured rate), or NULL: the host's clock at START */
	const char *time_comment;
	enum ifbh_iq iq;  /* IFBH_IQ_NONE: real channels; else complex pairs */
	/* bytes of a scan as streamed (gap offsets count in them), when info
	 * is a split's (struct cap_sigmf_split); 0: info->scan_size */
	uint32_t stream_scan_size;
	/* The samples of a split scan: the timestamp recording's name (no
	 * directory, no extension), named in core:description and an
	 * annotation. NULL: none. */
	const char *ts_recording;
	/* The timestamp recording itself (info a split's ts): the samples'
	 * recording it belongs to; its datatype ri64 of the channel. */
	const char *ts_of;
	/* its clock (enum ifbh_ts_clock: protocol version 7), 0 when the
	 * device did not say */
	int ts_clock;
};

/* The .sigmf-meta document (malloc'ed, pretty-printed), NULL on error. */
char *cap_sigmf_meta_json(const struct cap_sigmf_meta *m, char *err, size_t errlen);

/*
 * Write text to path atomically: path.tmp, fsync, rename. Returns 0 or a
 * negative errno.
 */
int cap_sigmf_write_file(const char *path, const char *text);

#endif
