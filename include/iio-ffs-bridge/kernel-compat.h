/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few kernel uapi definitions iio-ffs-bridge needs that Debian 12's
 * system headers (linux-libc-dev 6.1) do not have yet. Each block is
 * guarded so that newer system headers win, and names the kernel release
 * that brought it. These are interface facts, transcribed from the uapi
 * headers of Linux 6.12; nothing else belongs here.
 */
#ifndef IFB_KERNEL_COMPAT_H
#define IFB_KERNEL_COMPAT_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/iio/buffer.h>      /* IIO_BUFFER_GET_FD_IOCTL (5.13, with bufferN/) */
#include <linux/usb/functionfs.h>
#include <linux/dma-buf.h>         /* DMA_BUF_IOCTL_SYNC, EXPORT_SYNC_FILE (6.0) */
#include <linux/dma-heap.h>        /* DMA_HEAP_IOCTL_ALLOC (5.6) */
#include <linux/udmabuf.h>         /* UDMABUF_CREATE (4.20) */
#include <linux/sync_file.h>       /* SYNC_IOC_FILE_INFO (4.7) */

/* IIO DMABUF interface: include/uapi/linux/iio/buffer.h, Linux 6.11. */
#ifndef IIO_BUFFER_DMABUF_ATTACH_IOCTL
#define IIO_BUFFER_DMABUF_CYCLIC (1 << 0)
#define IIO_BUFFER_DMABUF_SUPPORTED_FLAGS 0x00000001

struct iio_dmabuf {
	__u32 fd;
	__u32 flags;
	__u64 bytes_used;
};

#define IIO_BUFFER_DMABUF_ATTACH_IOCTL _IOW('i', 0x92, int)
#define IIO_BUFFER_DMABUF_DETACH_IOCTL _IOW('i', 0x93, int)
#define IIO_BUFFER_DMABUF_ENQUEUE_IOCTL _IOW('i', 0x94, struct iio_dmabuf)
#endif

/* FunctionFS DMABUF interface: include/uapi/linux/usb/functionfs.h, Linux 6.9. */
#ifndef FUNCTIONFS_DMABUF_ATTACH
#define USB_FFS_DMABUF_TRANSFER_MASK 0x0

struct usb_ffs_dmabuf_transfer_req {
	int fd;
	__u32 flags;
	__u64 length;
} __attribute__((packed));

#define FUNCTIONFS_DMABUF_ATTACH _IOW('g', 131, int)
#define FUNCTIONFS_DMABUF_DETACH _IOW('g', 132, int)
#define FUNCTIONFS_DMABUF_TRANSFER _IOW('g', 133, struct usb_ffs_dmabuf_transfer_req)
#endif

#endif /* IFB_KERNEL_COMPAT_H */
