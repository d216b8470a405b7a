// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: finding iio-ffs-bridge devices (struct ifbh_list): every USB
 * device with our interface (class/subclass/protocol of protocol.h) and a
 * bulk IN endpoint (an input stream) or, protocol version 5, protocol 2
 * and a bulk OUT endpoint (an output stream), narrowed by VID:PID, bus
 * path or serial number; one entry per such interface of the directions
 * asked for (per stream, protocol version 4), a device's entries together
 * and in interface order.
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

/* Linux takes no configuration with more interfaces (USB_MAXINTERFACES). */
#define MAX_IFACES 32

size_t ifbh_native_ifaces(const struct libusb_config_descriptor *cfg, struct ifbh_iface_slot *out,
			  size_t max)
{
	size_t n = 0;

	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		bool found = false;

		for (int a = 0; a < itf->num_altsetting && !found; a++) {
			const struct libusb_interface_descriptor *d = &itf->altsetting[a];
			bool is_out;

			if (d->bInterfaceClass != IFB_USB_CLASS ||
			    d->bInterfaceSubClass != IFB_USB_SUBCLASS ||
			    (d->bInterfaceProtocol != IFB_USB_PROTOCOL &&
			     d->bInterfaceProtocol != IFB_USB_PROTOCOL_OUT))
				continue;
			is_out = d->bInterfaceProtocol == IFB_USB_PROTOCOL_OUT;
			for (int e = 0; e < d->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];

				if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) !=
					    LIBUSB_TRANSFER_TYPE_BULK ||
				    !(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) != is_out)
					continue;
				if (n < max)
					out[n] = (struct ifbh_iface_slot){
						.iface = d->bInterfaceNumber,
						.alt = d->bAlternateSetting,
						.ep_in = ep->bEndpointAddress,
						.max_packet = ep->wMaxPacketSize & 0x7ff,
						.istr = d->iInterface,
						.dir = is_out ? IFBH_DIRECTION_OUT
							   : IFBH_DIRECTION_IN,
					};
				n++;
				found = true;
				break;
			}
		}
	}
	return n;
}

/* Our interfaces (one per stream) in the active configuration. */
static size_t find_ifaces(libusb_device *dev, struct ifbh_iface_slot *out, size_t max)
{
	struct libusb_config_descriptor *cfg;
	size_t n;

	if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
		return 0;
	n = ifbh_native_ifaces(cfg, out, max);
	libusb_free_config_descriptor(cfg);
	return n < max ? n : max;
}

static void read_strings(libusb_device *dev, const struct libusb_device_descriptor *dd,
			 struct ifbh_device_desc *c, const struct ifbh_iface_slot *slots, size_t n,
			 char (*iface_str)[128])
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
	for (size_t k = 0; k < n; k++)
		if (slots[k].istr &&
		    libusb_get_string_descriptor_ascii(h, slots[k].istr,
						       (unsigned char *)iface_str[k], 128) < 0)
			iface_str[k][0] = '\0';
	c->strings_ok = true;
	libusb_close(h);
}

/* Does dev match m? Its native interfaces into slots, their count returned
 * (0: no match), and what is common to its entries into c. */
static size_t matches(libusb_device *dev, const struct ifbh_match *m, struct ifbh_device_desc *c,
		      struct ifbh_iface_slot *slots, char (*iface_str)[128], size_t *denied)
{
	struct libusb_device_descriptor dd;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (libusb_get_device_descriptor(dev, &dd))
		return 0;
	if (m->have_vidpid && (dd.idVendor != m->vid || dd.idProduct != m->pid))
		return 0;
	bus_path(dev, c->path, sizeof(c->path));
	if (m->path && strcmp(m->path, c->path))
		return 0;
	n = find_ifaces(dev, slots, MAX_IFACES);
	if (!n)
		return 0;
	c->vid = dd.idVendor;
	c->pid = dd.idProduct;
	c->speed = libusb_get_device_speed(dev);
	memset(iface_str, 0, MAX_IFACES * sizeof(*iface_str));
	read_strings(dev, &dd, c, slots, n, iface_str);
	if (m->serial) {
		if (!c->strings_ok) {
			(*denied)++;
			return 0;
		}
		if (strcmp(m->serial, c->serial))
			return 0;
	}
	return n;
}

/* One entry per native interface of dev of the directions wanted (a mask
 * of IFBH_FIND_*), in interface order. */
static int add_device(struct ifbh_list *l, libusb_device *dev, const struct ifbh_device_desc *c,
		      const struct ifbh_iface_slot *slots, char (*iface_str)[128], size_t n,
		      unsigned int dirs)
{
	if (l->n + n > l->cap) {
		size_t cap = (l->n + n) * 2;
		struct ifbh_list_entry *e = realloc(l->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	for (size_t k = 0; k < n; k++) {
		struct ifbh_list_entry *e;

		if (!(dirs & (slots[k].dir == IFBH_DIRECTION_OUT ? IFBH_FIND_OUT : IFBH_FIND_IN)))
			continue;
		e = &l->e[l->n++];
		e->desc = *c;
		e->desc.iface = slots[k].iface;
		e->desc.alt = slots[k].alt;
		e->desc.ep_in = slots[k].ep_in;
		e->desc.max_packet = slots[k].max_packet;
		e->pos = (uint8_t)k;
		e->nnative = (uint8_t)n;
		e->dir = slots[k].dir;
		memcpy(e->iface_str, iface_str[k], sizeof(e->iface_str));
		e->iface_str[sizeof(e->iface_str) - 1] = '\0';
		e->dev = libusb_ref_device(dev);
	}
	return 0;
}

int ifbh_find(struct ifbh_ctx *ctx, const struct ifbh_match *m, struct ifbh_list **ret_list)
{
	/* its users of before version 5 read every entry: inputs only */
	return ifbh_find_streams(ctx, m, IFBH_FIND_IN, ret_list);
}

int ifbh_find_streams(struct ifbh_ctx *ctx, const struct ifbh_match *m, unsigned int dirs,
		      struct ifbh_list **ret_list)
{
	static const struct ifbh_match all;
	libusb_device **usblist;
	struct ifbh_list *l;
	ssize_t cnt;

	if (!m)
		m = &all;
	if (!dirs || (dirs & ~(unsigned int)(IFBH_FIND_IN | IFBH_FIND_OUT)))
		return ifbh_fail(ctx->err, -EINVAL, "directions 0x%x: expected IFBH_FIND_IN, "
				 "IFBH_FIND_OUT or both", dirs);
	cnt = libusb_get_device_list(ctx->usb, &usblist);
	if (cnt < 0)
		return ifbh_fail(ctx->err, ifbh_errno_from_usb((int)cnt),
				 "listing USB devices failed: %s", libusb_strerror((int)cnt));
	l = calloc(1, sizeof(*l));
	if (!l)
		goto err_nomem;
	for (ssize_t i = 0; i < cnt; i++) {
		struct ifbh_iface_slot slots[MAX_IFACES];
		char iface_str[MAX_IFACES][128];
		struct ifbh_device_desc c;
		size_t n = matches(usblist[i], m, &c, slots, iface_str, &l->denied);

		if (n && add_device(l, usblist[i], &c, slots, iface_str, n, dirs))
			goto err_free;
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
		libusb_unref_device(l->e[i].dev);
	free(l->e);
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
	return i < l->n ? &l->e[i].desc : NULL;
}

int ifbh_list_stream_index(const struct ifbh_list *l, size_t i)
{
	return i < l->n ? l->e[i].pos : -ERANGE;
}

int ifbh_list_direction(const struct ifbh_list *l, size_t i)
{
	return i < l->n ? l->e[i].dir : -ERANGE;
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

