// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding iio-ffs-bridge devices on the host: every USB device with an
 * interface of class 0xff / subclass IFB_USB_SUBCLASS / protocol
 * IFB_USB_PROTOCOL and a bulk IN endpoint, optionally narrowed by
 * VID:PID, serial number or bus path ("BUS-PORT.PORT...").
 */
#ifndef CAP_USBDEV_H
#define CAP_USBDEV_H

#include <libusb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_devsel {
	bool have_vidpid;
	uint16_t vid, pid;
	const char *serial; /* NULL: any */
	const char *path;   /* NULL: any */
};

struct cap_candidate {
	libusb_device *dev; /* referenced */
	char path[40];      /* "1-2.3" */
	uint16_t vid, pid;
	uint8_t iface, alt;
	uint8_t ep_in;
	uint16_t max_packet;
	int speed; /* enum libusb_speed */
	bool strings_ok; /* could open it to read the strings */
	int open_error;  /* libusb error from that attempt, 0 if none */
	char manufacturer[128], product[128], serial[128];
};

/*
 * Fills *out (malloc'ed, free with cap_free_candidates) with the matching
 * devices. Returns 0 or a libusb error. *denied counts devices that match
 * by descriptor but could not be opened to compare the serial number.
 */
int cap_find_devices(libusb_context *ctx, const struct cap_devsel *sel,
		     struct cap_candidate **out, size_t *n, size_t *denied);
void cap_free_candidates(struct cap_candidate *c, size_t n);
/* One line describing a candidate (for lists and core:hw). */
void cap_describe_candidate(const struct cap_candidate *c, char *buf, size_t len);
const char *cap_speed_name(int speed);

#endif
