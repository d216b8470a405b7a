// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: the host side of the wire protocol. Pure parsers
 * that turn the raw bytes of a GET_INFO / GET_STATS / GET_GAPS reply into
 * host-order structures, checking every field (the host does not trust the device). No USB here, so the unit
 * tests can feed truncated and hostile replies.
 */
#ifndef IFBH_PROTO_H
#define IFBH_PROTO_H

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

/* A GET_STATUS reply (protocol version 3), host order. */
struct ifbh_status_reply {
	unsigned int request;
	int error; /* 0 or a negative errno */
	uint64_t rate_mhz;
};
int ifbh_parse_status(const void *buf, size_t len, struct ifbh_status_reply *out, char *err,
		      size_t errlen);

#endif
