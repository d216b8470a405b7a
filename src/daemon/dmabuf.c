// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/dmabuf.h"
#include "daemon/util.h"
#include "iio-ffs-bridge/kernel-compat.h"

static int open_heap(struct ifb_allocator *a, const char *heap)
{
	char path[96];

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	snprintf(a->name, sizeof(a->name), "dma-heap:%s", heap);
	a->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		return neg_errno();
	a->kind = IFB_CFG_ALLOC_DMA_HEAP;
	return 0;
}

static int open_udmabuf(struct ifb_allocator *a)
{
	snprintf(a->name, sizeof(a->name), "udmabuf");
	a->fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (a->fd < 0)
		return neg_errno();
	a->kind = IFB_CFG_ALLOC_UDMABUF;
	return 0;
}

int ifb_allocator_open(struct ifb_allocator *ret, enum ifb_cfg_alloc kind, const char *heap)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	switch (kind) {
	case IFB_CFG_ALLOC_DMA_HEAP:
		return open_heap(ret, heap);
	case IFB_CFG_ALLOC_UDMABUF:
		return open_udmabuf(ret);
	default:
		r = open_heap(ret, heap);
		if (r == 0)
			return 0;
		r = open_udmabuf(ret);
		if (r < 0)
			snprintf(ret->name, sizeof(ret->name), "dma-heap:%s or udmabuf", heap);
		return r;
	}
}

void ifb_allocator_close(struct ifb_allocator *a)
{
	closep(&a->fd);
}

void ifb_allocator_list(const char *dev, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t len = 0;
	DIR *d;

	if (!size)
		return;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/dma_heap", dev);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		int n;

		if (de->d_name[0] == '.')
			continue;
		n = snprintf(buf + len, size - len, "%sdma-heap:%s", len ? ", " : "", de->d_name);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/udmabuf", dev);
	if (access(path, F_OK) == 0 && len < size)
		snprintf(buf + len, size - len, "%sudmabuf", len ? ", " : "");
	if (!buf[0])
		snprintf(buf, size, "none");
}

static int udmabuf_new(int dev, size_t size)
{
	_cleanup_(closep) int memfd = -1;
	struct udmabuf_create create;
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	/* udmabuf takes whole pages only (EINVAL otherwise), where a DMA heap
	 * rounds the length up itself: round up alike, so a block that is not
	 * a whole number of pages (a libiio client's 1000-sample buffer) works
	 * with either. The block is the DMABUF's first SIZE bytes: every IIO
	 * enqueue and USB transfer names its length. */
	if (page <= 0)
		page = 4096;
	if (size > SIZE_MAX - (size_t)page)
		return -EINVAL;
	size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	memfd = memfd_create("iio-ffs-bridge-block", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0)
		return neg_errno();
	if (ftruncate(memfd, (off_t)size) < 0)
		return neg_errno();
	/* udmabuf insists the memfd cannot shrink under it. */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return neg_errno();
	memset(&create, 0, sizeof(create));
	create.memfd = (__u32)memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = 0;
	create.size = size;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	return fd < 0 ? neg_errno() : fd;
}

static int heap_new(int heap, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.heap_flags = 0,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		return neg_errno();
	return (int)data.fd;
}

int ifb_dmabuf_new(const struct ifb_allocator *a, size_t size)
{
	if (a->fd < 0)
		return -EBADF;
	return a->kind == IFB_CFG_ALLOC_UDMABUF ? udmabuf_new(a->fd, size) : heap_new(a->fd, size);
}

int ifb_dmabuf_cpu_write(int dmabuf_fd, bool start)
{
	struct dma_buf_sync sync = {
		.flags = DMA_BUF_SYNC_WRITE | (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END),
	};

	return ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 ? neg_errno() : 0;
}

int ifb_dmabuf_cpu_read(int dmabuf_fd, bool start)
{
	struct dma_buf_sync sync = {
		.flags = DMA_BUF_SYNC_READ | (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END),
	};

	return ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 ? neg_errno() : 0;
}

int ifb_dmabuf_export_fences(int dmabuf_fd, bool writers_only)
{
	struct dma_buf_export_sync_file exp = {
		/* READ: the fences a reader waits for (writes); WRITE: all. */
		.flags = writers_only ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE,
		.fd = -1,
	};

	if (ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp) < 0)
		return neg_errno();
	return exp.fd;
}

int ifb_sync_file_status(int sync_fd)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return neg_errno();
	if (info.status < 0)
		return info.status;
	return info.status == 0 ? -EINPROGRESS : 0;
}

/* A snapshot of one DMABUF's fences: a fence per side in practice. */
#define IFB_SYNC_MAX_FENCES 8

int ifb_sync_file_status_at(int sync_fd, uint64_t *signalled_ns)
{
	struct sync_fence_info fences[IFB_SYNC_MAX_FENCES];
	struct sync_file_info info;
	uint64_t last = 0;

	memset(&info, 0, sizeof(info));
	memset(fences, 0, sizeof(fences));
	info.num_fences = IFB_SYNC_MAX_FENCES;
	info.sync_fence_info = (__u64)(uintptr_t)fences;
	if (ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return neg_errno();
	/* With fence details asked for, status is 1 only when all signalled
	 * (drivers/dma-buf/sync_file.c, sync_file_ioctl_fence_info). */
	for (unsigned i = 0; i < info.num_fences && i < IFB_SYNC_MAX_FENCES; i++)
		if (fences[i].timestamp_ns > last)
			last = fences[i].timestamp_ns;
	*signalled_ns = last;
	if (info.status < 0)
		return info.status;
	return info.status == 0 ? -EINPROGRESS : 0;
}
