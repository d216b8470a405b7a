// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: the writer (struct ifbh_writer) over what it needs
 * of USB, a small table of operations: libusb's in writer.c, a fake one in
 * the unit tests, so that the filling of transfers, the zero-length
 * packet and the end of a stream are tested without a device.
 */
#ifndef IFBH_WRITER_H
#define IFBH_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/internal.h"

struct ifbh_wio_ops {
	/* Sends buffer i's first len bytes (> 0), then a zero-length packet
	 * if zlp; completion later through ifbh_writer_done(). 0 or -errno. */
	int (*submit)(void *io, unsigned int i, size_t len, bool zlp);
	/* Handles USB events for up to timeout_ms (>= 0): completions. 0 or -errno. */
	int (*events)(void *io, int timeout_ms);
	/* Asks buffer i's transfer to come back early (-ECANCELED). */
	void (*cancel)(void *io, unsigned int i);
	/* START (as ifbh_dev_start: message in the device's error) or STOP. */
	int (*request)(void *io, uint8_t req);
	/* START with its data stage (protocol.h, struct ifb_start): a cyclic
	 * stream of a cyclic-byte waveform (0: not cyclic), at board time
	 * at_ns (0: at once); the outcome read with GET_STATUS. 0 or -errno,
	 * message as above. */
	int (*start_with)(void *io, uint64_t cyclic, uint64_t at_ns);
	/* GET_STATUS's outcome of the START: 0, or its -errno (-ETIME: a
	 * timed burst that missed its time). Optional. */
	int (*start_status)(void *io);
	/* STOP with its data stage: the stream's data ends at stream offset
	 * end (protocol.h, struct ifb_stop). 0 or -errno, message as above. */
	int (*stop_at)(void *io, uint64_t end);
	/* GET_STATS. 0 or -errno, the message in the device's error. */
	int (*stats)(void *io, struct ifbh_stats *st);
	/* GET_GAPS: an ifbh_gaps_get_fn. */
	int (*gaps)(void *io, uint16_t seq, uint8_t *buf, uint16_t len);
	/* Frees io (the transfers: not while any is in flight). */
	void (*free)(void *io);
};

/*
 * A writer over ops: n buffers of size bytes each, owned by io (the
 * writer fills them). dev gives the scan layout, the packet size and the
 * error buffer.
 */
int ifbh_writer_new_io(struct ifbh_dev *dev, double stats_period, const struct ifbh_wio_ops *ops,
		       void *io, uint8_t *const *bufs, unsigned int n, size_t size,
		       struct ifbh_writer **ret_writer);
/* Buffer i's transfer is back: 0 and the bytes sent, or -errno. */
void ifbh_writer_done(struct ifbh_writer *w, unsigned int i, int err, size_t actual);

/*
 * Pure rules. The transfer size: asked (0: about 1 MiB) rounded up to
 * whole blocks, at least one; 0 when block_size is 0. The last transfer
 * ends with a zero-length packet when its length is a whole number of
 * packets but not of blocks: the device's block holding the end waits
 * for a short packet then. (A ZLP after a whole block would wait for a
 * block the device no longer receives into.) The whole scans of len
 * bytes.
 */
size_t ifbh_writer_plan_size(uint32_t block_size, size_t asked);
bool ifbh_writer_needs_zlp(size_t len, unsigned int max_packet, uint32_t block_size);
size_t ifbh_writer_whole_scans(size_t len, uint32_t scan_size);

#endif
