// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: finding iio-ffs-bridge devices (struct ifbh_list): every USB
 * device with our interface (class/subclass/protocol of protocol.h) and a
 * bulk IN endpoint, narrowed by VID:PID, bus path or serial number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/internal.h"
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
static bool find_iface(libusb_device *dev, struct ifbh_device_desc *c)
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
			 struct ifbh_device_desc *c)
{
	libusb_device_handle *h;
	int ret = libusb_open(dev, &h);

	if (ret) {
		c->open_error = ifbh_errno_from_usb(ret);
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

static bool matches(libusb_device *dev, const struct ifbh_match *m, struct ifbh_device_desc *c,
		    size_t *denied)
{
	struct libusb_device_descriptor dd;

	memset(c, 0, sizeof(*c));
	if (libusb_get_device_descriptor(dev, &dd))
		return false;
	if (m->have_vidpid && (dd.idVendor != m->vid || dd.idProduct != m->pid))
		return false;
	bus_path(dev, c->path, sizeof(c->path));
	if (m->path && strcmp(m->path, c->path))
		return false;
	if (!find_iface(dev, c))
		return false;
	c->vid = dd.idVendor;
	c->pid = dd.idProduct;
	c->speed = libusb_get_device_speed(dev);
	read_strings(dev, &dd, c);
	if (m->serial) {
		if (!c->strings_ok) {
			(*denied)++;
			return false;
		}
		if (strcmp(m->serial, c->serial))
			return false;
	}
	return true;
}

int ifbh_find(struct ifbh_ctx *ctx, const struct ifbh_match *m, struct ifbh_list **ret_list)
{
	static const struct ifbh_match all;
	libusb_device **usblist;
	struct ifbh_list *l;
	ssize_t cnt;

	if (!m)
		m = &all;
	cnt = libusb_get_device_list(ctx->usb, &usblist);
	if (cnt < 0)
		return ifbh_fail(ctx->err, ifbh_errno_from_usb((int)cnt),
				 "listing USB devices failed: %s", libusb_strerror((int)cnt));
	l = calloc(1, sizeof(*l));
	if (!l)
		goto err_nomem;
	l->desc = calloc((size_t)cnt + 1, sizeof(*l->desc));
	l->dev = calloc((size_t)cnt + 1, sizeof(*l->dev));
	if (!l->desc || !l->dev)
		goto err_free;
	for (ssize_t i = 0; i < cnt; i++) {
		if (!matches(usblist[i], m, &l->desc[l->n], &l->denied))
			continue;
		l->dev[l->n++] = libusb_ref_device(usblist[i]);
	}
	libusb_free_device_list(usblist, 1);
	*ret_list = l;
	return 0;

err_free:
	ifbh_list_free(l);
err_nomem:
	libusb_free_device_list(usblist, 1);
	return ifbh_fail(ctx->err, -ENOMEM, "out of memory listing USB devices");
}

void ifbh_list_free(struct ifbh_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		libusb_unref_device(l->dev[i]);
	free(l->dev);
	free(l->desc);
	free(l);
}

size_t ifbh_list_count(const struct ifbh_list *l)
{
	return l->n;
}

size_t ifbh_list_denied(const struct ifbh_list *l)
{
	return l->denied;
}

const struct ifbh_device_desc *ifbh_list_get(const struct ifbh_list *l, size_t i)
{
	return i < l->n ? &l->desc[i] : NULL;
}

const char *ifbh_speed_name(int speed)
{
	switch (speed) {
	case IFBH_SPEED_LOW:
		return "low-speed";
	case IFBH_SPEED_FULL:
		return "full-speed";
	case IFBH_SPEED_HIGH:
		return "high-speed";
	case IFBH_SPEED_SUPER:
		return "SuperSpeed";
	case IFBH_SPEED_SUPER_PLUS:
		return "SuperSpeed+";
	default:
		return "unknown speed";
	}
}

void ifbh_device_describe(const struct ifbh_device_desc *c, char *buf, size_t len)
{
	if (c->strings_ok)
		snprintf(buf, len, "%04x:%04x at %s, %s, \"%s\" \"%s\" serial \"%s\"", c->vid,
			 c->pid, c->path, ifbh_speed_name(c->speed), c->manufacturer, c->product,
			 c->serial);
	else
		snprintf(buf, len, "%04x:%04x at %s, %s (cannot open: %s)", c->vid, c->pid,
			 c->path, ifbh_speed_name(c->speed), strerror(-c->open_error));
}

