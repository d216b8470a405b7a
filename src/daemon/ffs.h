/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A FunctionFS instance: ep0 (descriptors, events, control replies) and the
 * bulk IN endpoint (DMABUF ioctls, plain and asynchronous writes). Thin
 * wrappers that return -errno; the caller decides and logs.
 */
#ifndef IFB_FFS_H
#define IFB_FFS_H

#include <limits.h>
#include <linux/usb/functionfs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * How long a control request's data or status stage may wait for the host
 * before it is abandoned (the host gave up on it). FunctionFS's ep0 has no
 * asynchronous I/O, so this is how long such a host can hold the loop: as
 * short as a loaded host may take to answer (single replies of 1.6 s were
 * measured in the emulated rig under load; hosts wait 2 to 5 s).
 */
#define IFB_FFS_STAGE_TIMEOUT_MS 2000

struct ifb_ffs {
	char dir[PATH_MAX];
	int ep0; /* O_NONBLOCK: read events when poll says so */
	uint16_t ms_os_bcd; /* bcdVersion of the MS OS descriptors written, 0: none */
	timer_t stage_timer; /* SIGALRM: bounds the data/status stages */
	bool stage_timer_ok;
};

/* A bulk IN endpoint file of the function, open while a stream runs on it. */
struct ifb_ffs_ep {
	int fd;       /* -1: closed */
	unsigned num; /* its file: ep<num> (usb-desc.h numbers them) */
};

struct ifb_usb_layout;

/* Open ep0 and write descriptors for layout (NULL: the native interface
 * alone; with MS OS descriptors when interface_guid is set and the kernel
 * takes them, see usb-desc.h; logs which were written) and strings (the
 * native interfaces' names, ifb_usb_strings): the function can then be
 * bound to a UDC. -EBUSY: another process owns this FunctionFS. */
int ifb_ffs_open(struct ifb_ffs *f, const char *dir, const struct ifb_usb_layout *layout,
		 const char *const *names, const char *interface_guid);
void ifb_ffs_close(struct ifb_ffs *f);

/* Read pending events; returns how many (0 when none), or -errno. A
 * cancelled setup (EIDRM) is not an error: it reads again. */
int ifb_ffs_read_events(struct ifb_ffs *f, struct usb_functionfs_event *ev, size_t max);

/* Answer the pending SETUP: send data (IN), acknowledge (OUT, no data),
 * or stall. Data and acknowledgement wait at most IFB_FFS_STAGE_TIMEOUT_MS
 * for the host (-EINTR after that: it gave up on the request; SIGALRM is
 * this module's). -EIDRM: the host cancelled that setup with a newer one; there
 * is nothing left to answer (not an error). */
int ifb_ffs_reply(struct ifb_ffs *f, const void *data, size_t len);
int ifb_ffs_ack(struct ifb_ffs *f);
/* The data stage of an OUT request: reads up to len bytes (the SETUP's
 * wLength) into buf, which also completes the request (FunctionFS lets
 * the UDC do the status stage; no stall is possible after it). Returns
 * the bytes read or -errno, with the same timeout as ifb_ffs_reply. */
int ifb_ffs_receive(struct ifb_ffs *f, void *buf, size_t len);
int ifb_ffs_stall(struct ifb_ffs *f, const struct usb_ctrlrequest *setup);

/* Open endpoint file ep<ep->num> of f into ep->fd (already open: 0). */
int ifb_ffs_open_ep(const struct ifb_ffs *f, struct ifb_ffs_ep *ep);
void ifb_ffs_close_ep(struct ifb_ffs_ep *ep);

int ifb_ffs_dmabuf_attach(const struct ifb_ffs_ep *ep, int dmabuf_fd);
int ifb_ffs_dmabuf_detach(const struct ifb_ffs_ep *ep, int dmabuf_fd);
int ifb_ffs_dmabuf_transfer(const struct ifb_ffs_ep *ep, int dmabuf_fd, uint64_t length);

/* A zero-length packet on the IN endpoint: our end-of-stream marker. */
int ifb_ffs_send_zlp(const struct ifb_ffs_ep *ep);

#endif
