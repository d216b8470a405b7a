/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Can this kernel, this IIO buffer and this UDC do zero-copy? Asked once
 * at start-up, before any host connects, by attaching an invalid fd (-1)
 * on each side: the kernel's answer tells "no DMABUF interface" from "no
 * DMABUF operations" from "present" without allocating anything. Library
 * code: no logging; the caller words the decision with ifb_probe_explain().
 *
 * The answers, from the kernels' sources (and measured in the VM rig on
 * Debian's 6.1 and 6.12):
 * IIO buffer fd, IIO_BUFFER_DMABUF_ATTACH_IOCTL (DMABUF since Linux 6.11,
 * industrialio-buffer.c iio_buffer_attach_dmabuf()):
 *   ENOTTY  before 6.11 the buffer fd has no ioctls at all (6.1);
 *           EINVAL would be a 6.11+ buffer fd not knowing the command.
 *   EPERM   the buffer has no DMABUF operations: it is not on the IIO DMA
 *           buffer core (kfifo and triggered buffers, most drivers).
 *   EBADF   present: the ops ran and refused fd -1.
 *   The legacy interface (the device fd, before 5.13) has no DMABUF.
 * FunctionFS endpoint, FUNCTIONFS_DMABUF_ATTACH (Linux 6.9, f_fs.c
 * ffs_epfile_ioctl() / ffs_dmabuf_attach()):
 *   ENOTTY  before 6.9, once the endpoint is enabled: unknown ioctl.
 *   EAGAIN  before 6.9, endpoint not enabled yet (O_NONBLOCK): those
 *           kernels wait for the endpoint before looking at the command;
 *           6.9+ answers DMABUF ioctls without waiting, never EAGAIN for
 *           fd -1. So EAGAIN here also means "no interface".
 *   EPERM   no gadget bound yet, or the UDC cannot do scatter-gather
 *           (gadget->sg_supported, e.g. dwc2): only the second once bound.
 *   EBADF   present, bound, with scatter-gather.
 * A real attach's EINVAL or EAGAIN (a DMABUF the device cannot map, an
 * endpoint not enabled) says nothing about the interface: only these
 * invalid-fd answers are classified here.
 */
#ifndef IFB_PROBE_H
#define IFB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ifb_probe_state {
	IFB_PROBE_UNKNOWN = 0,    /* not asked, or an answer not listed above */
	IFB_PROBE_PRESENT,        /* zero-copy possible on this side */
	IFB_PROBE_NO_INTERFACE,   /* the kernel has no such ioctl */
	IFB_PROBE_NO_OPS,         /* IIO: no DMABUF ops; USB: UDC without sg */
	IFB_PROBE_UNBOUND,        /* USB: EPERM while not bound: sg not known yet */
	IFB_PROBE_LEGACY,         /* IIO legacy interface: no DMABUF there */
};

struct ifb_probe {
	enum ifb_probe_state iio, usb;
	int iio_answer, usb_answer; /* the kernel's -errno to fd -1 (0: not asked) */
	int alloc_err;              /* 0: a DMABUF allocator opened; else its -errno */
	char alloc_name[80];        /* what was tried ("udmabuf", "dma-heap:system"...) */
	char iio_what[160];         /* "buffer 0 of iio-sim-adc", for messages */
};

/* Classify the answer r (0 or -errno) of an attach of fd -1. */
enum ifb_probe_state ifb_probe_iio_answer(int r);
enum ifb_probe_state ifb_probe_usb_answer(int r, bool bound);

/* Ask the kernel: buf_fd is the IIO buffer fd (legacy: nothing is asked),
 * ep_fd the FunctionFS bulk endpoint, opened O_NONBLOCK, after the
 * descriptors were written; bound: the function is bound to a UDC. */
void ifb_probe_iio(struct ifb_probe *p, int buf_fd, bool legacy);
void ifb_probe_usb(struct ifb_probe *p, int ep_fd, bool bound);

/* Zero-copy possible: both sides present and an allocator. A side still
 * UNBOUND counts as possible (decided at the first stream). */
bool ifb_probe_zero_copy_possible(const struct ifb_probe *p);

/* Hybrid possible (backend-hybrid.c): USB present (or still UNBOUND) and
 * an allocator; the IIO side is read(), so its answer does not matter. */
bool ifb_probe_hybrid_possible(const struct ifb_probe *p);

/*
 * Every reason zero-copy is impossible, each naming its side and the
 * kernel feature, joined by "; " into buf (empty when none). Returns the
 * number of reasons.
 */
int ifb_probe_explain(const struct ifb_probe *p, char *buf, size_t size);
/* The same for hybrid mode: the USB and allocator reasons only. */
int ifb_probe_explain_hybrid(const struct ifb_probe *p, char *buf, size_t size);

/*
 * Does the kernel of this release (uname -r) map FunctionFS DMABUFs on an
 * OUT endpoint for the right DMA direction? Until 0145e7acd298 ("usb:
 * gadget: f_fs: fix DMA-BUF OUT queues") they were mapped DMA_TO_DEVICE,
 * which works without an IOMMU and faults with one (ARM SMMU). No ioctl
 * tells (design.md section 11), so the version decides: 7.0 and later
 * carry the fix, and the 6.12 line from 6.12.118 (Debian 12's, measured);
 * every other release, and one that does not parse, is not known to.
 */
bool ifb_probe_ffs_out_dmabuf_fixed(const char *release);

/*
 * The kernel's fileio block for write() to an output buffer (copy and
 * hybrid modes): the DMA buffer core hands a block to the DAC only once
 * write() has filled it whole, so a stream's end plays only up to the
 * last whole one. A whole number of scans that divides block_size (the
 * stream's full blocks fill whole ones), halved while above max and it
 * still can be: small enough that a stream's end is rarely cut, large
 * enough for the DAC to have 2 of them queued. scan divides block_size.
 */
uint32_t ifb_probe_out_fileio_block(uint32_t block_size, uint32_t scan, uint32_t max);

#endif
