// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "daemon/ffs.h"
#include "daemon/usb-desc.h"
#include "daemon/util.h"
#include "iio-ffs-bridge/kernel-compat.h"

static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

/* Write a blob a builder just made (len < 0: the builder's error). */
static int write_built(int fd, const uint8_t *buf, int len)
{
	return len < 0 ? len : write_all(fd, buf, (size_t)len);
}

int ifb_ffs_open(struct ifb_ffs *f, const char *dir, const struct ifb_usb_layout *layout,
		 const char *interface_name, const char *interface_guid)
{
	const struct ifb_usb_layout native = IFB_USB_LAYOUT_NATIVE;
	uint8_t buf[1024];
	char path[PATH_MAX + 8];
	int r;

	memset(f, 0, sizeof(*f));
	f->ep0 = f->ep = -1;
	f->ep_num = IFB_USB_EP_NATIVE;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/ep0", dir);
	f->ep0 = open(path, O_RDWR | O_CLOEXEC);
	if (f->ep0 < 0)
		return neg_errno();

	if (!layout)
		layout = &native;
	r = write_built(f->ep0, buf, ifb_usb_descriptors(buf, sizeof(buf), layout, interface_guid));
	if (r < 0)
		goto fail;
	r = write_built(f->ep0, buf, ifb_usb_strings(buf, sizeof(buf), layout, interface_name));
	if (r < 0)
		goto fail;
	/* Events are read when the loop says ep0 is readable. */
	if (fcntl(f->ep0, F_SETFL, fcntl(f->ep0, F_GETFL) | O_NONBLOCK) < 0) {
		r = neg_errno();
		goto fail;
	}
	return 0;
fail:
	closep(&f->ep0);
	return r;
}

void ifb_ffs_close(struct ifb_ffs *f)
{
	ifb_ffs_close_ep(f);
	closep(&f->ep0);
}

int ifb_ffs_read_events(struct ifb_ffs *f, struct usb_functionfs_event *ev, size_t max)
{
	ssize_t n = read(f->ep0, ev, max * sizeof(*ev));

	if (n < 0)
		return errno == EAGAIN ? 0 : neg_errno();
	return (int)((size_t)n / sizeof(*ev));
}

int ifb_ffs_reply(struct ifb_ffs *f, const void *data, size_t len)
{
	return write_all(f->ep0, data, len);
}

int ifb_ffs_ack(struct ifb_ffs *f)
{
	/* The status stage of a no-data OUT request: a 0-byte read. */
	return read(f->ep0, NULL, 0) < 0 ? neg_errno() : 0;
}

int ifb_ffs_stall(struct ifb_ffs *f, const struct usb_ctrlrequest *setup)
{
	ssize_t n;

	/* I/O in the direction opposite to the request stalls it. */
	if (setup->bRequestType & USB_DIR_IN)
		n = read(f->ep0, NULL, 0);
	else
		n = write(f->ep0, NULL, 0);
	/* FunctionFS reports a successful stall as EL2HLT. */
	if (n < 0 && errno != EL2HLT)
		return neg_errno();
	return 0;
}

int ifb_ffs_open_ep(struct ifb_ffs *f)
{
	char path[PATH_MAX + 8];

	if (f->ep >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/ep%u", f->dir, f->ep_num);
	f->ep = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	return f->ep < 0 ? neg_errno() : 0;
}

void ifb_ffs_close_ep(struct ifb_ffs *f)
{
	closep(&f->ep);
}

int ifb_ffs_dmabuf_attach(struct ifb_ffs *f, int dmabuf_fd)
{
	return ioctl(f->ep, FUNCTIONFS_DMABUF_ATTACH, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_ffs_dmabuf_detach(struct ifb_ffs *f, int dmabuf_fd)
{
	return ioctl(f->ep, FUNCTIONFS_DMABUF_DETACH, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_ffs_dmabuf_transfer(struct ifb_ffs *f, int dmabuf_fd, uint64_t length)
{
	struct usb_ffs_dmabuf_transfer_req req = { .fd = dmabuf_fd, .flags = 0, .length = length };

	return ioctl(f->ep, FUNCTIONFS_DMABUF_TRANSFER, &req) < 0 ? neg_errno() : 0;
}

int ifb_ffs_send_zlp(struct ifb_ffs *f)
{
	static const char nothing;

	return write(f->ep, &nothing, 0) < 0 ? neg_errno() : 0;
}
