// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: the host side of the wire protocol. Pure parsers
 * that turn the raw bytes of a GET_INFO / GET_STATS / GET_GAPS reply into
 * host-order structures, checking every field (the host does not trust the device). No USB here, so the unit
 * tests can feed truncated and hostile replies.
 */
#ifndef IFBH_PROTO_H
#define IFBH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ifbhost.h"
#include "iio-ffs-bridge/protocol.h"

/*
 * Both return 0, or a negative errno and (if err is not NULL) a message
 * in err describing what was wrong:
 *   -EBADMSG          truncated or inconsistent reply
 *   -EPROTO           wrong magic (not our protocol)
 *   -EPROTONOSUPPORT  a protocol version this host does not understand
 *                     (out->version holds the device's version)
 */
int ifbh_parse_info(const void *buf, size_t len, struct ifbh_info *out, char *err, size_t errlen);
/*
 * The same, and each channel's sign letter as the device sent it into
 * ret_sign[0..num_channels) (may be NULL): 'u', 's', or from version 4
 * 'S' and 'U'. out's is_signed is 0 or 1 whatever the letter: 'S' reads
 * as signed, 'U' as unsigned (protocol.h enum ifb_sign).
 */
int ifbh_parse_info_signs(const void *buf, size_t len, struct ifbh_info *out,
			  char ret_sign[IFB_MAX_CHANNELS], char *err, size_t errlen);
int ifbh_parse_stats(const void *buf, size_t len, struct ifbh_stats *out, char *err, size_t errlen);

/* A GET_GAPS reply (protocol version 2), host order. */
struct ifbh_gaps_reply {
	uint32_t stream_id;
	unsigned int count;
	uint64_t first_seq, gaps_total;
	uint64_t offset[IFB_GAPS_MAX_PER_REPLY];
};
int ifbh_parse_gaps(const void *buf, size_t len, struct ifbh_gaps_reply *out, char *err,
		    size_t errlen);

/* A GET_TIMES reply (protocol version 6), host order. */
struct ifbh_times_reply {
	uint32_t stream_id;
	unsigned int count;
	unsigned int source; /* enum ifb_time_source */
	unsigned int ts_clock; /* enum ifb_ts_clock (version 7; 0 before) */
	uint64_t first_seq, marks_total;
	struct ifb_time_mark mark[IFB_TIMES_MAX_PER_REPLY]; /* host order */
};
/* Checks magic, version (6..), length against count, the sequence numbers,
 * the source, the timestamp clock, and that the marks' offsets go forward. */
int ifbh_parse_times(const void *buf, size_t len, struct ifbh_times_reply *out, char *err,
		     size_t errlen);

/* A GET_CLOCK reply (protocol version 6), host order. */
struct ifbh_clock_reply {
	uint32_t flags, read_ns;
	uint64_t monotonic_ns, boottime_ns;
	int64_t realtime_ns, tai_ns;
	uint32_t esterror_us, maxerror_us;
};
int ifbh_parse_clock(const void *buf, size_t len, struct ifbh_clock_reply *out, char *err,
		     size_t errlen);

/* A GET_STATUS reply (protocol version 3), host order. */
struct ifbh_status_reply {
	unsigned int request;
	int error; /* 0 or a negative errno */
	uint64_t rate_mhz;
};
int ifbh_parse_status(const void *buf, size_t len, struct ifbh_status_reply *out, char *err,
		      size_t errlen);

/* A GET_STREAM reply (protocol version 4), host order. */
struct ifbh_stream_reply {
	unsigned int version;
	unsigned int index, count; /* index < count <= IFB_MAX_STREAMS */
	unsigned int direction;    /* enum ifb_direction; OUT only from version 5 */
	char name[IFB_NAME_LEN];   /* valid: ifbh_stream_name_valid() */
};
/* Checks magic, version (4..IFB_PROTOCOL_VERSION), length, count, index,
 * direction (0, or from version 5 also 1) and the name; ignores the
 * reserved bytes. */
int ifbh_parse_stream(const void *buf, size_t len, struct ifbh_stream_reply *out, char *err,
		      size_t errlen);
/* 1 to IFB_NAME_LEN - 1 bytes of letters, digits, '-' and '_'. */
bool ifbh_stream_name_valid(const char *name, size_t max);
/*
 * Does a stream called `have` (GET_STREAM's name, "" for a device before
 * version 4) answer to `want`? Equal names; and an unnamed stream answers
 * to "main", the name a version-4 daemon gives the one stream of a
 * single-stream config, the only kind an older daemon has.
 */
bool ifbh_stream_name_matches(const char *have, const char *want);

#endif
