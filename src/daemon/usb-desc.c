// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <string.h>

#include "daemon/usb-desc.h"
#include "iio-ffs-bridge/protocol.h"

struct blob {
	uint8_t *buf;
	size_t size, len;
	int err;
};

static void put(struct blob *b, const void *data, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->size) {
		b->err = -ENOSPC;
		return;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
}

static void put_le32(struct blob *b, uint32_t v)
{
	v = htole32(v);
	put(b, &v, sizeof(v));
}

static void put_interface(struct blob *b)
{
	const struct usb_interface_descriptor d = {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bInterfaceNumber = 0,
		.bAlternateSetting = 0,
		.bNumEndpoints = 1,
		.bInterfaceClass = IFB_USB_CLASS,
		.bInterfaceSubClass = IFB_USB_SUBCLASS,
		.bInterfaceProtocol = IFB_USB_PROTOCOL,
		.iInterface = 1,
	};

	put(b, &d, USB_DT_INTERFACE_SIZE);
}

static void put_bulk_in(struct blob *b, uint16_t max_packet)
{
	const struct usb_endpoint_descriptor_no_audio d = {
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = USB_DIR_IN | 1,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = htole16(max_packet),
		.bInterval = 0,
	};

	put(b, &d, USB_DT_ENDPOINT_SIZE);
}

int ifb_usb_descriptors(uint8_t *buf, size_t size)
{
	const struct usb_ss_ep_comp_descriptor comp = {
		.bLength = USB_DT_SS_EP_COMP_SIZE,
		.bDescriptorType = USB_DT_SS_ENDPOINT_COMP,
		.bMaxBurst = IFB_SS_MAX_BURST,
		.bmAttributes = 0,
		.wBytesPerInterval = 0,
	};
	struct blob b = { .buf = buf, .size = size };
	size_t length_at;

	put_le32(&b, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	length_at = b.len;
	put_le32(&b, 0); /* length, patched below */
	put_le32(&b, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC);
	put_le32(&b, 2); /* full speed: interface, endpoint */
	put_le32(&b, 2); /* high speed: interface, endpoint */
	put_le32(&b, 3); /* super speed: interface, endpoint, companion */

	put_interface(&b);
	put_bulk_in(&b, 64);
	put_interface(&b);
	put_bulk_in(&b, 512);
	put_interface(&b);
	put_bulk_in(&b, 1024);
	put(&b, &comp, USB_DT_SS_EP_COMP_SIZE);

	if (b.err)
		return b.err;
	{
		uint32_t len = htole32((uint32_t)b.len);

		memcpy(buf + length_at, &len, sizeof(len));
	}
	return (int)b.len;
}

int ifb_usb_strings(uint8_t *buf, size_t size, const char *interface_name)
{
	struct blob b = { .buf = buf, .size = size };
	uint16_t lang = htole16(0x0409); /* en-US */
	size_t length_at;

	if (!interface_name || !*interface_name || strlen(interface_name) > 126)
		return -EINVAL;
	put_le32(&b, FUNCTIONFS_STRINGS_MAGIC);
	length_at = b.len;
	put_le32(&b, 0);
	put_le32(&b, 1); /* str_count */
	put_le32(&b, 1); /* lang_count */
	put(&b, &lang, sizeof(lang));
	put(&b, interface_name, strlen(interface_name) + 1);
	if (b.err)
		return b.err;
	{
		uint32_t len = htole32((uint32_t)b.len);

		memcpy(buf + length_at, &len, sizeof(len));
	}
	return (int)b.len;
}
