/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DMABUF allocation (udmabuf or a DMA heap) and fence queries. */
#ifndef IFB_DMABUF_H
#define IFB_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

struct ifb_allocator {
	enum ifb_cfg_alloc kind; /* UDMABUF or DMA_HEAP once opened */
	int fd;                  /* /dev/udmabuf or /dev/dma_heap/NAME */
	char name[80];           /* for messages: "udmabuf", "dma-heap:system" */
};

/*
 * Open the allocator the config asks for. AUTO tries the DMA heap (the
 * system heap hands out large pages, so fewer scatterlist entries), then
 * udmabuf. On failure ret->name says what was tried.
 */
int ifb_allocator_open(struct ifb_allocator *ret, enum ifb_cfg_alloc kind, const char *heap);
void ifb_allocator_close(struct ifb_allocator *a);

/* The allocators this kernel offers, as the config names them
 * ("dma-heap:system, dma-heap:linux,cma, udmabuf"; "none"), into buf.
 * dev: /dev, or a test's directory shaped like it. */
void ifb_allocator_list(const char *dev, char *buf, size_t size);

/* A new DMABUF of size bytes (a multiple of the page size); fd or -errno. */
int ifb_dmabuf_new(const struct ifb_allocator *a, size_t size);

/*
 * DMA_BUF_IOCTL_SYNC: begin (start true) or end CPU writes to a DMABUF's
 * mapping, as the dma-buf API asks around any CPU access (the exporter
 * syncs caches for the devices attached; begin also waits for the fences
 * of devices still using it). 0 or -errno.
 */
int ifb_dmabuf_cpu_write(int dmabuf_fd, bool start);
/* The same for the CPU reading what a device wrote (hybrid output:
 * write() from the mapping of what USB received). */
int ifb_dmabuf_cpu_read(int dmabuf_fd, bool start);

/*
 * Fence status, in two steps because DMA_BUF_IOCTL_EXPORT_SYNC_FILE leaves
 * out fences that have already signalled (and with them their error): take
 * a sync_file right after queueing, while the fence is pending, and read
 * its status once poll() on the DMABUF says it signalled.
 *
 * ifb_dmabuf_export_fences: writers_only selects the write fences (what the
 * ADC adds), otherwise all fences. Returns a sync_file fd or -errno.
 * ifb_sync_file_status: 0 when every fence signalled without error, the
 * fence's -errno when one failed, -EINPROGRESS while one is pending.
 * ifb_sync_file_status_at: the same from the same one SYNC_IOC_FILE_INFO,
 * and *signalled_ns, when every fence has signalled, the time the last one
 * did (CLOCK_MONOTONIC ns: the kernel stamps a fence with ktime_get() when
 * it signals, include/linux/dma-fence.h). A snapshot taken after the fence
 * had signalled holds the kernel's stub fence, stamped long before.
 */
int ifb_dmabuf_export_fences(int dmabuf_fd, bool writers_only);
int ifb_sync_file_status(int sync_fd);
int ifb_sync_file_status_at(int sync_fd, uint64_t *signalled_ns);

#endif
