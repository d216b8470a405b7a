/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the rig's probe tools (header-only: the Makefile
 * builds each C file in tests/vm/tools into its own program).
 */
#ifndef RIG_COMMON_H
#define RIG_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <iio-ffs-bridge/kernel-compat.h>

__attribute__((format(printf, 1, 2), noreturn))
static inline void rig_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline double rig_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void rig_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		rig_die("open %s: %s", path, strerror(errno));
	n = write(fd, val, strlen(val));
	if (n < 0)
		rig_die("writing '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

/* The text of the sysfs file @path into @buf (NUL-terminated, at most
 * @size - 1 bytes); dies on an error. Returns its length. */
static inline size_t rig_sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		rig_die("open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	if (n < 0)
		rig_die("read %s: %s", path, strerror(errno));
	close(fd);
	buf[n] = 0;
	return (size_t)n;
}

static inline long rig_sysfs_read_long(const char *path)
{
	char buf[64];

	rig_sysfs_read(path, buf, sizeof(buf));
	return strtol(buf, NULL, 0);
}

/* The number in sysfs attribute @name of @dir (64 bits on every arch:
 * times in ns, counts); dies on an error or an empty file. */
static inline long long rig_sysfs_attr_ll(const char *dir, const char *name)
{
	char path[512], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!rig_sysfs_read(path, buf, sizeof(buf)))
		rig_die("read %s: empty", path);
	return strtoll(buf, NULL, 0);
}

/* Buffer 0 of the IIO device at @iiodir (/sys/bus/iio/devices/iio:deviceN):
 * its fd from /dev/iio:deviceN (IIO_BUFFER_GET_FD_IOCTL). */
static inline int rig_iio_buffer_fd(const char *iiodir)
{
	const char *name = strrchr(iiodir, '/');
	char dev[256];
	int fd, bfd = 0;

	snprintf(dev, sizeof(dev), "/dev/%s", name ? name + 1 : iiodir);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rig_die("open %s: %s", dev, strerror(errno));
	if (ioctl(fd, IIO_BUFFER_GET_FD_IOCTL, &bfd) < 0)
		rig_die("IIO_BUFFER_GET_FD_IOCTL on %s: %s", dev, strerror(errno));
	close(fd);
	return bfd;
}

/* Enable (1) or disable (0) buffer 0 of the IIO device at @iiodir. */
static inline void rig_iio_enable(const char *iiodir, int on)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/buffer0/enable", iiodir);
	rig_sysfs_write(path, on ? "1" : "0");
}

/* A DMABUF of @size bytes from "udmabuf" (memfd + /dev/udmabuf) or "heap"
 * (/dev/dma_heap/system). */
static inline int rig_dmabuf_alloc(const char *kind, size_t size)
{
	if (!strcmp(kind, "udmabuf")) {
		struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
		int memfd, dev, fd;

		memfd = memfd_create("rig-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (memfd < 0)
			rig_die("memfd_create: %s", strerror(errno));
		if (ftruncate(memfd, size))
			rig_die("ftruncate memfd to %zu: %s", size, strerror(errno));
		if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
			rig_die("F_SEAL_SHRINK on memfd: %s", strerror(errno));
		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			rig_die("open /dev/udmabuf: %s", strerror(errno));
		create.memfd = memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &create);
		if (fd < 0)
			rig_die("UDMABUF_CREATE of %zu bytes: %s", size, strerror(errno));
		close(dev);
		close(memfd);
		return fd;
	}
	if (!strcmp(kind, "heap")) {
		struct dma_heap_allocation_data data = {
			.len = size,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};
		int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

		if (heap < 0)
			rig_die("open /dev/dma_heap/system: %s", strerror(errno));
		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data))
			rig_die("DMA_HEAP_IOCTL_ALLOC of %zu bytes: %s", size, strerror(errno));
		close(heap);
		return data.fd;
	}
	rig_die("unknown DMABUF allocator '%s' (udmabuf or heap)", kind);
}

static inline void rig_dmabuf_sync(int fd, __u64 flags, const char *what)
{
	struct dma_buf_sync sync = { .flags = flags };

	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync))
		rig_die("DMA_BUF_IOCTL_SYNC (%s): %s", what, strerror(errno));
}

/* Waits up to @timeout_s for @events on @fd; dies naming @what on timeout. */
static inline short rig_poll(int fd, short events, double timeout_s, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, (int)(timeout_s * 1000));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		rig_die("poll (%s): %s", what, strerror(errno));
	if (r == 0)
		rig_die("timed out after %.1f s waiting for %s", timeout_s, what);
	return pfd.revents;
}

#endif /* RIG_COMMON_H */
