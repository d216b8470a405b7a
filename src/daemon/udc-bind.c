// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/log.h"
#include "daemon/udc-bind.h"
#include "daemon/util.h"

struct ifb_udc_binder {
	sd_event *loop;
	struct ifb_gadget *g;
	char name[128];
	int uevent_fd;
	int waiting; /* 0, or why we wait: -ENODEV (no UDC yet), -EBUSY (UDC taken) */
	sd_event_source *uevent_src, *delay_src;
};

static int try_bind(struct ifb_udc_binder *bd);

/* Kernel uevents: one datagram per event, "ACTION@DEVPATH\0KEY=VALUE\0...". */
static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_udc_binder *bd = userdata;
	char buf[8192];
	bool udc = false;
	ssize_t n;

	/* A UDC's "udc" add comes before its gadget device is on the bus
	 * (usb_add_gadget() in drivers/usb/gadget/udc/core.c), when a bind
	 * still fails with EBUSY; the "gadget" add that follows is when it
	 * works. A "udc" change follows a gadget unbinding from it. */
	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		for (char *p = buf; p < buf + n; p += strlen(p) + 1)
			if (strcmp(p, "SUBSYSTEM=udc") == 0 || strcmp(p, "SUBSYSTEM=gadget") == 0)
				udc = true;
	}
	if (udc)
		(void)try_bind(bd); /* logs; a failure leaves the gadget unbound, visibly */
	return 0;
}

/* Listen for UDCs appearing; before the first look, so none is missed. */
static int watch_udcs(struct ifb_udc_binder *bd)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* kernel events */ };
	int r;

	if (bd->uevent_src)
		return 0;
	bd->uevent_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       NETLINK_KOBJECT_UEVENT);
	if (bd->uevent_fd < 0)
		return log_error_errno(neg_errno(), "Cannot watch for a UDC (kernel uevents)");
	if (bind(bd->uevent_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(neg_errno(), "Cannot watch for a UDC (kernel uevents)");
	r = sd_event_add_io(bd->loop, &bd->uevent_src, bd->uevent_fd, EPOLLIN, on_uevent, bd);
	if (r < 0)
		return log_error_errno(r, "Cannot watch for a UDC");
	return 0;
}

static void stop_watching(struct ifb_udc_binder *bd)
{
	bd->uevent_src = sd_event_source_disable_unref(bd->uevent_src);
	closep(&bd->uevent_fd);
}

static int try_bind(struct ifb_udc_binder *bd)
{
	char err[PATH_MAX + 256];
	bool was_bound = ifb_gadget_is_bound(bd->g);
	int r;

	r = ifb_gadget_bind(bd->g, err, sizeof(err));
	if (r == -ENODEV || r == -EBUSY) {
		if (bd->waiting != r)
			log_notice("Gadget %s: %s; waiting for %s", bd->name, err,
				   r == -ENODEV ? "a UDC to appear" : "the UDC to be free");
		bd->waiting = r;
		return 0;
	}
	bd->waiting = 0;
	stop_watching(bd);
	if (r < 0) {
		log_error("Cannot bind the USB gadget: %s", err); /* err ends with the errno text */
		return r;
	}
	if (was_bound)
		log_info("Gadget %s is bound (by someone else)", bd->name);
	else
		log_info("Gadget %s bound to its UDC", bd->name);
	return 0;
}

static int on_delay(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_udc_binder *bd = userdata;

	bd->delay_src = sd_event_source_disable_unref(bd->delay_src);
	if (ifb_gadget_is_bound(bd->g))
		return 0; /* the board script bound it */
	log_info("Gadget %s (made elsewhere) is not bound %.0f s after our descriptors: binding it",
		 bd->name, IFB_UDC_ADOPT_DELAY_USEC / 1e6);
	if (watch_udcs(bd) < 0 || try_bind(bd) < 0)
		log_warning("Gadget %s stays unbound: the host will not see the device", bd->name);
	return 0;
}

int ifb_udc_binder_new(struct ifb_udc_binder **ret, sd_event *loop, struct ifb_gadget *g,
		       const char *name, bool adopted)
{
	struct ifb_udc_binder *bd = calloc(1, sizeof(*bd));
	int r;

	if (!bd)
		return log_error_errno(-ENOMEM, "Out of memory");
	bd->loop = sd_event_ref(loop);
	bd->g = g;
	bd->uevent_fd = -1;
	snprintf(bd->name, sizeof(bd->name), "%s", name);
	if (adopted) {
		r = sd_event_add_time_relative(loop, &bd->delay_src, CLOCK_MONOTONIC,
					       IFB_UDC_ADOPT_DELAY_USEC, 0, on_delay, bd);
		if (r < 0)
			log_error_errno(r, "Cannot arm the bind timer");
	} else {
		r = watch_udcs(bd);
		if (r >= 0)
			r = try_bind(bd);
	}
	if (r < 0) {
		ifb_udc_binder_free(bd);
		return r;
	}
	*ret = bd;
	return 0;
}

struct ifb_udc_binder *ifb_udc_binder_free(struct ifb_udc_binder *bd)
{
	if (!bd)
		return NULL;
	stop_watching(bd);
	bd->delay_src = sd_event_source_disable_unref(bd->delay_src);
	sd_event_unref(bd->loop);
	free(bd);
	return NULL;
}
