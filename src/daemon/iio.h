/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One IIO device and one of its buffers: sysfs discovery (channels, scan
 * layout, sampling frequency), the buffer fd, and thin wrappers around the
 * buffer ioctls (DMABUF attach/detach/enqueue). Returns -errno; no logging.
 */
#ifndef IFB_IIO_H
#define IFB_IIO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/scan.h"
#include "iio-ffs-bridge/protocol.h"

struct ifb_iio_channel {
	char name[IFB_CHANNEL_NAME_LEN]; /* "voltage0" (without in_ / _en) */
	unsigned index;
	struct ifb_scan_type type;
	bool selected;
	uint16_t offset; /* in the scan, when selected */
};

struct ifb_iio {
	char sysdir[PATH_MAX];  /* /sys/bus/iio/devices/iio:deviceN */
	char bufdir[PATH_MAX];  /* .../bufferY */
	char devnode[PATH_MAX]; /* /dev/iio:deviceN */
	char name[IFB_NAME_LEN];
	unsigned buffer;
	unsigned num_channels;
	struct ifb_iio_channel ch[IFB_MAX_CHANNELS]; /* sorted by scan index */
	unsigned scan_size;     /* of the selected channels */
	int dev_fd, buf_fd;
};

/* Find the device by name, label or "iio:deviceN" and list its buffer's
 * channels. -ENODEV: no such device; -ENOENT: no such buffer. */
int ifb_iio_find(struct ifb_iio *io, const char *spec, unsigned buffer, const char *sysroot);

/* Select channels: all, or the given names. -ENOENT names the unknown one
 * through *bad (index into names). Computes offsets and scan_size. */
int ifb_iio_select(struct ifb_iio *io, bool all, const char (*names)[IFB_CHANNEL_NAME_LEN],
		   unsigned n, unsigned *bad);

int ifb_iio_buffer_enabled(struct ifb_iio *io);           /* 1, 0 or -errno */
int ifb_iio_buffer_enable(struct ifb_iio *io, bool on);
int ifb_iio_apply_channels(struct ifb_iio *io);           /* write *_en (buffer off) */
int ifb_iio_set_length(struct ifb_iio *io, unsigned scans, unsigned watermark);
int ifb_iio_set_sampling_frequency(struct ifb_iio *io, const char *hz);
int ifb_iio_sampling_frequency_mhz(struct ifb_iio *io, uint64_t *ret);

/* Open /dev/iio:deviceN and get the buffer fd (O_NONBLOCK). */
int ifb_iio_open(struct ifb_iio *io);
void ifb_iio_close(struct ifb_iio *io);

int ifb_iio_dmabuf_attach(struct ifb_iio *io, int dmabuf_fd);
int ifb_iio_dmabuf_detach(struct ifb_iio *io, int dmabuf_fd);
int ifb_iio_dmabuf_enqueue(struct ifb_iio *io, int dmabuf_fd, uint64_t bytes);

#endif
