/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DMABUF allocation (udmabuf or a DMA heap) and fence queries. */
#ifndef IFB_DMABUF_H
#define IFB_DMABUF_H

#include <stdbool.h>
#include <stddef.h>

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

/* A new DMABUF of size bytes (a multiple of the page size); fd or -errno. */
int ifb_dmabuf_new(const struct ifb_allocator *a, size_t size);

/*
 * Status of the fences on a DMABUF, after poll() said they signalled:
 * writers_only selects the write fences (what the ADC added), otherwise all.
 * Returns 0 when they signalled without error, the fence's -errno when one
 * failed, -EINPROGRESS if one is still pending.
 */
int ifb_dmabuf_fence_status(int dmabuf_fd, bool writers_only);

#endif
