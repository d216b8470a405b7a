// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "daemon/ffs.h"
#include "daemon/log.h"
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

/*
 * Write the descriptors, with MS OS descriptors when interface_guid is
 * set. Kernels disagree on the bcdVersion of the MS OS descriptor headers
 * (usb-desc.h), and a refused blob fails the whole write with EINVAL and
 * leaves FunctionFS waiting for descriptors, so the kernel's answer
 * decides: the spec's 0x0100, then the 0x0001 of Linux 3.16-6.2, then no
 * MS OS descriptors at all. Logs what was written.
 */
static int write_descriptors(struct ifb_ffs *f, const struct ifb_usb_layout *layout,
			     const char *interface_guid)
{
	static const uint16_t bcds[] = { IFB_MS_OS_BCD_SPEC, IFB_MS_OS_BCD_OLD };
	uint8_t buf[1024];
	int r;

	f->ms_os_bcd = 0;
	if (interface_guid) {
		for (size_t i = 0; i < sizeof(bcds) / sizeof(bcds[0]); i++) {
			r = write_built(f->ep0, buf,
					ifb_usb_descriptors(buf, sizeof(buf), layout, interface_guid,
							    bcds[i]));
			if (r == 0) {
				f->ms_os_bcd = bcds[i];
				log_info("%s: USB descriptors written, MS OS descriptors with bcdVersion 0x%04x%s",
					 f->dir, bcds[i],
					 i ? " (this kernel refused 0x0100, as Linux 3.16-6.2 do)" : "");
				return 0;
			}
			if (r != -EINVAL)
				return r;
			log_debug("%s: FunctionFS refused MS OS descriptors with bcdVersion 0x%04x (EINVAL)",
				  f->dir, bcds[i]);
		}
	}
	r = write_built(f->ep0, buf, ifb_usb_descriptors(buf, sizeof(buf), layout, NULL, 0));
	if (r < 0)
		return r;
	if (interface_guid)
		log_warning("%s: FunctionFS refused the MS OS descriptors with either bcdVersion; written without them (Windows hosts will need an INF for WinUSB)",
			    f->dir);
	else
		log_info("%s: USB descriptors written, no MS OS descriptors (ms_os_descriptors = no)",
			 f->dir);
	return 0;
}

/*
 * The data and status stages of a control request block in FunctionFS
 * until the host takes them (ep0 has no asynchronous I/O, and O_NONBLOCK
 * does not apply there): a host that gave up on the request would stall
 * the whole loop until its next one. So every such stage runs under a
 * one-shot timer whose signal (caught, not blocked) interrupts the wait;
 * FunctionFS then dequeues the request and the call fails with EINTR.
 * The signal is only ever delivered inside that call or on the return
 * from disarming, never into another blocking call.
 */
static void on_stage_timeout(int sig)
{
	(void)sig;
}

static int stage_timer_init(struct ifb_ffs *f)
{
	struct sigaction sa = { .sa_handler = on_stage_timeout }; /* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };

	if (sigaction(SIGALRM, &sa, NULL) < 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &f->stage_timer) < 0)
		return neg_errno();
	f->stage_timer_ok = true;
	return 0;
}

static void stage_timer_arm(struct ifb_ffs *f, bool on)
{
	struct itimerspec its = { 0 };

	if (!f->stage_timer_ok)
		return;
	if (on) {
		its.it_value.tv_sec = IFB_FFS_STAGE_TIMEOUT_MS / 1000;
		its.it_value.tv_nsec = IFB_FFS_STAGE_TIMEOUT_MS % 1000 * 1000000L;
	}
	(void)timer_settime(f->stage_timer, 0, &its, NULL);
}

int ifb_ffs_open(struct ifb_ffs *f, const char *dir, const struct ifb_usb_layout *layout,
		 const char *const *names, const char *interface_guid)
{
	const struct ifb_usb_layout native = IFB_USB_LAYOUT_NATIVE;
	uint8_t buf[2048];
	char path[PATH_MAX + 8];
	int r;

	memset(f, 0, sizeof(*f));
	f->ep0 = -1;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/ep0", dir);
	f->ep0 = open(path, O_RDWR | O_CLOEXEC);
	if (f->ep0 < 0)
		return neg_errno();

	if (!layout)
		layout = &native;
	r = write_descriptors(f, layout, interface_guid);
	if (r < 0)
		goto fail;
	r = write_built(f->ep0, buf, ifb_usb_strings(buf, sizeof(buf), layout, names));
	if (r < 0)
		goto fail;
	/* Events are read when the loop says ep0 is readable. */
	if (fcntl(f->ep0, F_SETFL, fcntl(f->ep0, F_GETFL) | O_NONBLOCK) < 0) {
		r = neg_errno();
		goto fail;
	}
	r = stage_timer_init(f);
	if (r < 0)
		goto fail;
	return 0;
fail:
	closep(&f->ep0);
	return r;
}

void ifb_ffs_close(struct ifb_ffs *f)
{
	closep(&f->ep0);
	if (f->stage_timer_ok)
		timer_delete(f->stage_timer);
	f->stage_timer_ok = false;
}

int ifb_ffs_read_events(struct ifb_ffs *f, struct usb_functionfs_event *ev, size_t max)
{
	ssize_t n;

	/*
	 * EIDRM: the setup we were answering was cancelled by a newer one
	 * (a host that sends its next request while our reply is still on its
	 * way). EL2HLT: a setup whose answer was abandoned (ifb_ffs_reply's
	 * timeout) was still pending, and this read stalled it. FunctionFS's
	 * normal signals, not errors: read again for the events. EINTR alike.
	 */
	do
		n = read(f->ep0, ev, max * sizeof(*ev));
	while (n < 0 && (errno == EIDRM || errno == EL2HLT || errno == EINTR));
	if (n < 0)
		return errno == EAGAIN ? 0 : neg_errno();
	return (int)((size_t)n / sizeof(*ev));
}

int ifb_ffs_reply(struct ifb_ffs *f, const void *data, size_t len)
{
	int r;

	stage_timer_arm(f, true);
	r = write_all(f->ep0, data, len);
	stage_timer_arm(f, false);
	return r;
}

int ifb_ffs_ack(struct ifb_ffs *f)
{
	ssize_t n;

	/* The status stage of a no-data OUT request: a 0-byte read. */
	stage_timer_arm(f, true);
	n = read(f->ep0, NULL, 0);
	stage_timer_arm(f, false);
	return n < 0 ? neg_errno() : 0;
}

int ifb_ffs_receive(struct ifb_ffs *f, void *buf, size_t len)
{
	ssize_t n;

	stage_timer_arm(f, true);
	n = read(f->ep0, buf, len);
	stage_timer_arm(f, false);
	return n < 0 ? neg_errno() : (int)n;
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

int ifb_ffs_open_ep(const struct ifb_ffs *f, struct ifb_ffs_ep *ep)
{
	char path[PATH_MAX + 8];

	if (ep->fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/ep%u", f->dir, ep->num);
	ep->fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	return ep->fd < 0 ? neg_errno() : 0;
}

void ifb_ffs_close_ep(struct ifb_ffs_ep *ep)
{
	closep(&ep->fd);
}

int ifb_ffs_dmabuf_attach(const struct ifb_ffs_ep *ep, int dmabuf_fd)
{
	return ioctl(ep->fd, FUNCTIONFS_DMABUF_ATTACH, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_ffs_dmabuf_detach(const struct ifb_ffs_ep *ep, int dmabuf_fd)
{
	return ioctl(ep->fd, FUNCTIONFS_DMABUF_DETACH, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_ffs_dmabuf_transfer(const struct ifb_ffs_ep *ep, int dmabuf_fd, uint64_t length)
{
	struct usb_ffs_dmabuf_transfer_req req = { .fd = dmabuf_fd, .flags = 0, .length = length };

	return ioctl(ep->fd, FUNCTIONFS_DMABUF_TRANSFER, &req) < 0 ? neg_errno() : 0;
}

int ifb_ffs_send_zlp(const struct ifb_ffs_ep *ep)
{
	static const char nothing;

	return write(ep->fd, &nothing, 0) < 0 ? neg_errno() : 0;
}
