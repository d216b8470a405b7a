/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vendor control protocol on ep0 (include/iio-ffs-bridge/protocol.h,
 * docs/protocol.md): decoding what the untrusted host sends, and building
 * the replies. Pure: no I/O.
 */
#ifndef IFB_CONTROL_H
#define IFB_CONTROL_H

#include <linux/usb/ch9.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/scan.h"
#include "iio-ffs-bridge/protocol.h"

/*
 * Check a SETUP packet (as FunctionFS hands it over, wIndex already mapped
 * to the function's own interface numbers: the caller finds the stream
 * it addresses) against the protocol. Returns the request on success, or
 * -EOPNOTSUPP for anything we must stall: not vendor/interface, unknown
 * bRequest, wrong direction, wValue not 0 (except GET_INFO's host version
 * and GET_GAPS' and GET_TIMES' sequence numbers), a wIndex over 255, a data stage on
 * START/STOP or none on GET_*, SET_SAMPLE_RATE without exactly its 8
 * bytes.
 */
int ifb_control_decode(const struct usb_ctrlrequest *setup);

/* What the stream looks like, for GET_INFO. */
struct ifb_stream_desc {
	char device_name[IFB_NAME_LEN];
	uint8_t mode; /* enum ifb_mode */
	uint32_t block_size, block_count, scan_size;
	uint64_t sample_rate_mhz;
	uint16_t num_channels;
	struct ifb_channel_info channels[IFB_MAX_CHANNELS];
};

/* The protocol version agreed with a host that sent host_version in
 * GET_INFO's wValue (protocol.h): 0 means 1, capped at ours. */
uint16_t ifb_control_version(uint16_t host_version);

/* Serialise GET_INFO into buf in the agreed version; returns its length or
 * -ENOSPC/-EINVAL. */
int ifb_control_info(const struct ifb_stream_desc *d, uint8_t state, uint16_t version,
		     uint8_t *buf, size_t size);

/*
 * SET_SAMPLE_RATE's data stage (len bytes the host sent): the rate in
 * milli-hertz into *ret_mhz. -EINVAL: not 8 bytes; -ERANGE: outside
 * IFB_RATE_MHZ_MIN..IFB_RATE_MHZ_MAX.
 */
int ifb_control_rate(const void *data, size_t len, uint64_t *ret_mhz);

/*
 * An output stream's START data stage (struct ifb_start), len bytes from a
 * host that agreed version: the 16 bytes of version 5 or the 24 of
 * version 6 (at_ns 0 in the short form). Checks what needs no stream:
 * known flags, reserved 0, at_ns 0 unless IFB_START_AT and not 0 with
 * it (length is the caller's: it means something only when cyclic). Returns 0 with *ret (host byte order),
 * -EINVAL, or -EPROTONOSUPPORT for the 24-byte form from a host of
 * version 5 or less. The stream's checks (the pool, the scans, the clock)
 * are the caller's.
 */
int ifb_control_start(const void *data, size_t len, uint16_t version, struct ifb_start *ret);

/* A rate in milli-hertz as the decimal Hz sysfs takes ("2000000",
 * "2.5" as "2.500"); returns its length or -ENOSPC. */
int ifb_control_rate_text(uint64_t mhz, char *buf, size_t size);

/* Serialise GET_STATUS (struct ifb_status) into buf: request 0 when none,
 * error 0 or a negative errno. Returns its length or -ENOSPC. */
int ifb_control_status(uint8_t request, int error, uint64_t rate_mhz, uint16_t version,
		       uint8_t *buf, size_t size);

/* A channel's is_signed byte (enum ifb_sign) from its scan type's sign
 * letter; GET_INFO sends 'S' and 'U' as their sign before version 4. */
uint8_t ifb_control_sign(const struct ifb_scan_type *t);

/* Serialise GET_STREAM (struct ifb_stream_info, version 4): stream index
 * of count, its name, its direction (output: version 5). Returns its
 * length, -ENOSPC, or -EINVAL (index not below count, count over
 * IFB_MAX_STREAMS, a name too long). */
int ifb_control_stream(unsigned index, unsigned count, const char *name, bool output,
		       uint16_t version,
		       uint8_t *buf, size_t size);

/* The board's clocks at one instant, for GET_CLOCK (version 6): read by
 * ifb_clock_read() (util.c), serialised by ifb_control_clock(). */
struct ifb_clock_reading {
	uint64_t monotonic_ns; /* midpoint of the MONOTONIC reads around the others */
	uint32_t read_ns;      /* how long the reads took */
	int64_t realtime_ns, tai_ns;
	uint64_t boottime_ns;
	uint32_t flags;        /* IFB_CLOCK_* */
	uint32_t esterror_us, maxerror_us;
};

/* Serialise GET_CLOCK (struct ifb_clock) into buf in the given version;
 * returns its length or -ENOSPC. */
int ifb_control_clock(const struct ifb_clock_reading *c, uint16_t version, uint8_t *buf,
		      size_t size);

#endif
