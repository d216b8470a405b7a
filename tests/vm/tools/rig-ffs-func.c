// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-ffs-func: a minimal FunctionFS function for the VM rig.
 *
 *   rig-ffs-func MOUNTDIR
 *
 * Writes FunctionFS v2 descriptors (one vendor-specific interface with one
 * bulk IN endpoint, FS/HS/SS) and strings to MOUNTDIR/ep0, prints "ready",
 * then reads ep0 events and prints their names (BIND, ENABLE, ...) until
 * SIGTERM/SIGINT, stalling any SETUP request. Keeps ep0 open while running,
 * which keeps MOUNTDIR/ep1 alive.
 */
#include <endian.h>
#include <signal.h>
#include <stdint.h>

#include "rig-common.h"

#include <linux/usb/ch9.h>

struct ss_ep {
	struct usb_endpoint_descriptor_no_audio ep;
	struct usb_ss_ep_comp_descriptor comp;
} __attribute__((packed));

struct descs {
	struct usb_functionfs_descs_head_v2 head;
	__le32 fs_count, hs_count, ss_count;
	struct {
		struct usb_interface_descriptor intf;
		struct usb_endpoint_descriptor_no_audio ep;
	} __attribute__((packed)) fs, hs;
	struct {
		struct usb_interface_descriptor intf;
		struct ss_ep ep;
	} __attribute__((packed)) ss;
} __attribute__((packed));

struct strings {
	struct usb_functionfs_strings_head head;
	__le16 lang;
	char str[4];
} __attribute__((packed));

static const struct usb_interface_descriptor intf = {
	.bLength = sizeof(intf),
	.bDescriptorType = USB_DT_INTERFACE,
	.bNumEndpoints = 1,
	.bInterfaceClass = USB_CLASS_VENDOR_SPEC,
	.iInterface = 1,
};

static struct usb_endpoint_descriptor_no_audio bulk_in(uint16_t maxpacket)
{
	struct usb_endpoint_descriptor_no_audio ep = {
		.bLength = sizeof(ep),
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = 1 | USB_DIR_IN,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = htole16(maxpacket),
	};
	return ep;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *event_name(unsigned int type)
{
	static const char *const names[] = { "BIND", "UNBIND", "ENABLE", "DISABLE",
					     "SETUP", "SUSPEND", "RESUME" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "UNKNOWN";
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct descs d;
	struct strings s;
	char path[512];
	int ep0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MOUNTDIR\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	memset(&d, 0, sizeof(d));
	d.head.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	d.head.length = htole32(sizeof(d));
	d.head.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC |
			       FUNCTIONFS_HAS_SS_DESC);
	d.fs_count = htole32(2);
	d.hs_count = htole32(2);
	d.ss_count = htole32(3);
	d.fs.intf = intf;
	d.fs.ep = bulk_in(64);
	d.hs.intf = intf;
	d.hs.ep = bulk_in(512);
	d.ss.intf = intf;
	d.ss.ep.ep = bulk_in(1024);
	d.ss.ep.comp.bLength = sizeof(d.ss.ep.comp);
	d.ss.ep.comp.bDescriptorType = USB_DT_SS_ENDPOINT_COMP;
	d.ss.ep.comp.bMaxBurst = 15;

	memset(&s, 0, sizeof(s));
	s.head.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
	s.head.length = htole32(sizeof(s));
	s.head.str_count = htole32(1);
	s.head.lang_count = htole32(1);
	s.lang = htole16(0x0409);
	memcpy(s.str, "rig", 4);

	snprintf(path, sizeof(path), "%s/ep0", argv[1]);
	ep0 = open(path, O_RDWR);
	if (ep0 < 0)
		rig_die("open %s: %s", path, strerror(errno));
	if (write(ep0, &d, sizeof(d)) != (ssize_t)sizeof(d))
		rig_die("writing descriptors to %s: %s", path, strerror(errno));
	if (write(ep0, &s, sizeof(s)) != (ssize_t)sizeof(s))
		rig_die("writing strings to %s: %s", path, strerror(errno));
	printf("ready\n");

	while (!stop) {
		struct usb_functionfs_event ev;
		ssize_t n = read(ep0, &ev, sizeof(ev));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rig_die("reading events from %s: %s", path, strerror(errno));
		}
		if (n != sizeof(ev))
			continue;
		printf("event %s\n", event_name(ev.type));
		if (ev.type == FUNCTIONFS_SETUP) {
			char dummy;

			/* stall: zero-length I/O in the direction opposite to the data stage */
			if (ev.u.setup.bRequestType & USB_DIR_IN)
				n = read(ep0, &dummy, 0);
			else
				n = write(ep0, &dummy, 0);
			(void)n;
		}
	}
	close(ep0);
	return 0;
}
