// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/usbdev.h"
#include "iio-ffs-bridge/protocol.h"

static void bus_path(libusb_device *dev, char *buf, size_t len)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, sizeof(ports));
	size_t used;

	used = (size_t)snprintf(buf, len, "%u", libusb_get_bus_number(dev));
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%c%u", i ? '.' : '-', ports[i]);
}

/* Our interface and its bulk IN endpoint in the active configuration. */
static bool find_iface(libusb_device *dev, struct cap_candidate *c)
{
	struct libusb_config_descriptor *cfg;
	bool found = false;

	if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
		return false;
	for (int i = 0; i < cfg->bNumInterfaces && !found; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];

		for (int a = 0; a < itf->num_altsetting && !found; a++) {
			const struct libusb_interface_descriptor *d = &itf->altsetting[a];

			if (d->bInterfaceClass != IFB_USB_CLASS ||
			    d->bInterfaceSubClass != IFB_USB_SUBCLASS ||
			    d->bInterfaceProtocol != IFB_USB_PROTOCOL)
				continue;
			for (int e = 0; e < d->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];

				if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) !=
					    LIBUSB_TRANSFER_TYPE_BULK ||
				    !(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN))
					continue;
				c->iface = d->bInterfaceNumber;
				c->alt = d->bAlternateSetting;
				c->ep_in = ep->bEndpointAddress;
				c->max_packet = ep->wMaxPacketSize & 0x7ff;
				found = true;
				break;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

static void read_strings(libusb_device *dev, const struct libusb_device_descriptor *dd,
			 struct cap_candidate *c)
{
	libusb_device_handle *h;
	int ret = libusb_open(dev, &h);

	if (ret) {
		c->open_error = ret;
		return;
	}
	if (dd->iManufacturer)
		libusb_get_string_descriptor_ascii(h, dd->iManufacturer,
						   (unsigned char *)c->manufacturer,
						   sizeof(c->manufacturer));
	if (dd->iProduct)
		libusb_get_string_descriptor_ascii(h, dd->iProduct, (unsigned char *)c->product,
						   sizeof(c->product));
	if (dd->iSerialNumber)
		libusb_get_string_descriptor_ascii(h, dd->iSerialNumber,
						   (unsigned char *)c->serial, sizeof(c->serial));
	c->strings_ok = true;
	libusb_close(h);
}

int cap_find_devices(libusb_context *ctx, const struct cap_devsel *sel,
		     struct cap_candidate **out, size_t *n, size_t *denied)
{
	libusb_device **list;
	ssize_t cnt = libusb_get_device_list(ctx, &list);
	struct cap_candidate *res;
	size_t nres = 0;

	*out = NULL;
	*n = 0;
	*denied = 0;
	if (cnt < 0)
		return (int)cnt;
	res = calloc((size_t)cnt + 1, sizeof(*res));
	if (!res) {
		libusb_free_device_list(list, 1);
		return LIBUSB_ERROR_NO_MEM;
	}
	for (ssize_t i = 0; i < cnt; i++) {
		struct libusb_device_descriptor dd;
		struct cap_candidate *c = &res[nres];

		memset(c, 0, sizeof(*c));
		if (libusb_get_device_descriptor(list[i], &dd))
			continue;
		if (sel->have_vidpid && (dd.idVendor != sel->vid || dd.idProduct != sel->pid))
			continue;
		bus_path(list[i], c->path, sizeof(c->path));
		if (sel->path && strcmp(sel->path, c->path))
			continue;
		if (!find_iface(list[i], c))
			continue;
		c->vid = dd.idVendor;
		c->pid = dd.idProduct;
		c->speed = libusb_get_device_speed(list[i]);
		read_strings(list[i], &dd, c);
		if (sel->serial) {
			if (!c->strings_ok) {
				(*denied)++;
				continue;
			}
			if (strcmp(sel->serial, c->serial))
				continue;
		}
		c->dev = libusb_ref_device(list[i]);
		nres++;
	}
	libusb_free_device_list(list, 1);
	*out = res;
	*n = nres;
	return 0;
}

void cap_free_candidates(struct cap_candidate *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		libusb_unref_device(c[i].dev);
	free(c);
}

const char *cap_speed_name(int speed)
{
	switch (speed) {
	case LIBUSB_SPEED_LOW:
		return "low-speed";
	case LIBUSB_SPEED_FULL:
		return "full-speed";
	case LIBUSB_SPEED_HIGH:
		return "high-speed";
	case LIBUSB_SPEED_SUPER:
		return "SuperSpeed";
	case LIBUSB_SPEED_SUPER_PLUS:
		return "SuperSpeed+";
	default:
		return "unknown speed";
	}
}

void cap_describe_candidate(const struct cap_candidate *c, char *buf, size_t len)
{
	if (c->strings_ok)
		snprintf(buf, len, "%04x:%04x at %s, %s, \"%s\" \"%s\" serial \"%s\"", c->vid,
			 c->pid, c->path, cap_speed_name(c->speed), c->manufacturer, c->product,
			 c->serial);
	else
		snprintf(buf, len, "%04x:%04x at %s, %s (cannot open: %s)", c->vid, c->pid,
			 c->path, cap_speed_name(c->speed), libusb_strerror(c->open_error));
}
