/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One IIO device and one of its buffers: sysfs discovery (channels, scan
 * layout, sampling frequency), the buffer fd, and thin wrappers around the
 * buffer ioctls (DMABUF attach/detach/enqueue). Returns -errno; no logging.
 *
 * Two kernel interfaces, chosen by what the kernel offers:
 * - per-buffer (Linux 5.13+): sysfs bufferY/ holds the scan elements and
 *   enable/length/watermark; IIO_BUFFER_GET_FD_IOCTL on /dev/iio:deviceN
 *   gives the buffer's own fd.
 * - legacy (every kernel; the only one before 5.13, e.g. 5.10-5.12):
 *   buffer 0 only, scan elements in scan_elements/, enable/length/watermark
 *   in buffer/, samples read() from /dev/iio:deviceN itself. Used when
 *   there is no bufferY/ directory or the ioctl answers ENOTTY/EINVAL.
 *   Newer kernels still serve it for buffer 0, so setting the environment
 *   variable IFB_IIO_LEGACY=1 forces it there (how the VM rig tests it).
 * No DMABUF on the legacy interface: its kernels have none.
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
	char bufdir[PATH_MAX];  /* .../bufferY, legacy: .../buffer (enable, length) */
	char chandir[PATH_MAX]; /* .../bufferY, legacy: .../scan_elements */
	bool legacy;            /* the legacy interface, see above */
	bool output;            /* an output buffer (bufferY/direction "out"): out_ channels */
	char devnode[PATH_MAX]; /* /dev/iio:deviceN */
	char name[IFB_NAME_LEN];
	unsigned buffer;
	unsigned num_channels;
	struct ifb_iio_channel ch[IFB_MAX_CHANNELS]; /* sorted by scan index */
	unsigned scan_size;     /* of the selected channels */
	int dev_fd, buf_fd;
};

/*
 * Find the device by name, label, "iio:deviceN", or a sysfs path (the
 * device's own or its parent's, as realpath() gives them: the parent's
 * bus path, e.g. /sys/devices/platform/axi/44a00000.adc, names a device
 * whatever N it gets at boot), choose the interface (sets legacy) and
 * list its buffer's channels. sysroot: /sys/bus/iio/devices when NULL.
 * -ENODEV: no such device; -ENOTUNIQ: the spec names more than one (two
 * AD9467s, or one's name another's label: ifb_iio_list_matches says
 * which); -ENOENT: no such buffer.
 */
int ifb_iio_find(struct ifb_iio *io, const char *spec, unsigned buffer, const char *sysroot);

/* Every device spec names, in order of N, for a message: "iio:device0
 * (name 'ad9467', label 'adc-a', parent /sys/devices/...), ..." into buf,
 * cut with "..." where it does not fit. Returns how many matched,
 * -ENOSPC when buf cannot hold even that, or -errno. */
int ifb_iio_list_matches(const char *spec, const char *sysroot, char *buf, size_t size);

/* Select channels: all, or the given names. -ENOENT names the unknown one
 * through *bad (index into names); -ENODATA: the timestamp channel alone
 * (the kernel refuses to enable a buffer with nothing else); -EINVAL: no
 * scan can be laid out. Computes offsets and scan_size. */
int ifb_iio_select(struct ifb_iio *io, bool all, const char (*names)[IFB_CHANNEL_NAME_LEN],
		   unsigned n, unsigned *bad);

/* Whether the selected channels include IIO's timestamp channel. */
bool ifb_iio_has_timestamp(const struct ifb_iio *io);
/*
 * The clock the selected timestamp channel counts (enum ifb_ts_clock:
 * NONE without one; UNKNOWN when current_timestamp_clock cannot be read
 * or names a clock protocol.h lacks). Read it with the buffer enabled:
 * the IIO core keeps the attribute from changing then.
 */
uint8_t ifb_iio_timestamp_clock(const struct ifb_iio *io);
int ifb_iio_buffer_enabled(struct ifb_iio *io);           /* 1, 0 or -errno */
int ifb_iio_buffer_enable(struct ifb_iio *io, bool on);
int ifb_iio_apply_channels(struct ifb_iio *io);           /* write *_en (buffer off) */
int ifb_iio_set_length(struct ifb_iio *io, unsigned scans, unsigned watermark);
int ifb_iio_set_sampling_frequency(struct ifb_iio *io, const char *hz);
int ifb_iio_sampling_frequency_mhz(struct ifb_iio *io, uint64_t *ret);
/* Can sampling_frequency be written? 0, -ENOENT (no such attribute) or
 * -EACCES (read-only: no write permission bit, which is what kernfs
 * checks at open, for root too). */
int ifb_iio_sampling_frequency_writable(struct ifb_iio *io);

/* Open /dev/iio:deviceN and get the buffer fd (O_NONBLOCK): the ioctl's fd,
 * or on the legacy interface the device fd itself (legacy is set when the
 * ioctl answers ENOTTY/EINVAL for buffer 0). */
int ifb_iio_open(struct ifb_iio *io);
void ifb_iio_close(struct ifb_iio *io);

int ifb_iio_dmabuf_attach(struct ifb_iio *io, int dmabuf_fd);
int ifb_iio_dmabuf_detach(struct ifb_iio *io, int dmabuf_fd);
/* bytes: 1..the DMABUF's size (an input buffer fills that much, an
 * output buffer plays it); flags: 0 or IIO_BUFFER_DMABUF_CYCLIC (output
 * buffers only, EINVAL on an input one). */
int ifb_iio_dmabuf_enqueue(struct ifb_iio *io, int dmabuf_fd, uint64_t bytes, uint32_t flags);

#endif
