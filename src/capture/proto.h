// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host side of the wire protocol: pure parsers that turn the raw bytes of a
 * GET_INFO / GET_STATS reply into host-order structures, checking every
 * field (the host does not trust the device). No USB here, so the unit
 * tests can feed truncated and hostile replies.
 */
#ifndef CAP_PROTO_H
#define CAP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "iio-ffs-bridge/protocol.h"

struct cap_channel {
	char name[IFB_CHANNEL_NAME_LEN];
	unsigned int scan_index;
	unsigned int offset; /* byte offset within a scan */
	unsigned int is_signed, is_be;
	unsigned int bits, storage_bits, shift, repeat;
};

struct cap_info {
	unsigned int version; /* filled in even when the version is refused */
	unsigned int mode, state;
	unsigned int num_channels;
	uint32_t block_size, block_count, scan_size;
	uint64_t sample_rate_mhz;
	char device_name[IFB_NAME_LEN];
	struct cap_channel ch[IFB_MAX_CHANNELS];
};

struct cap_stats {
	unsigned int version;
	unsigned int mode, state;
	unsigned int num_gaps;
	uint32_t stream_id;
	uint64_t bytes_sent, blocks_sent, starvations, adc_errors, usb_errors, gaps_total;
	uint64_t gap_offset[IFB_STATS_MAX_GAPS];
};

/*
 * Both return 0, or a negative errno and (if err is not NULL) a message
 * in err describing what was wrong:
 *   -EBADMSG          truncated or inconsistent reply
 *   -EPROTO           wrong magic (not our protocol)
 *   -EPROTONOSUPPORT  a protocol version this host does not understand
 *                     (out->version holds the device's version)
 */
int cap_parse_info(const void *buf, size_t len, struct cap_info *out, char *err, size_t errlen);
int cap_parse_stats(const void *buf, size_t len, struct cap_stats *out, char *err, size_t errlen);

const char *cap_mode_name(unsigned int mode);
const char *cap_state_name(unsigned int state);

#endif
