// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
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

static void put_interface(struct blob *b, uint8_t number, uint8_t endpoints, uint8_t class,
			  uint8_t subclass, uint8_t protocol, uint8_t string)
{
	const struct usb_interface_descriptor d = {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bInterfaceNumber = number,
		.bAlternateSetting = 0,
		.bNumEndpoints = endpoints,
		.bInterfaceClass = class,
		.bInterfaceSubClass = subclass,
		.bInterfaceProtocol = protocol,
		.iInterface = string,
	};

	put(b, &d, USB_DT_INTERFACE_SIZE);
}

static void put_bulk(struct blob *b, uint8_t address, uint16_t max_packet, bool ss)
{
	const struct usb_endpoint_descriptor_no_audio d = {
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = address,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = htole16(max_packet),
		.bInterval = 0,
	};
	const struct usb_ss_ep_comp_descriptor comp = {
		.bLength = USB_DT_SS_EP_COMP_SIZE,
		.bDescriptorType = USB_DT_SS_ENDPOINT_COMP,
		.bMaxBurst = IFB_SS_MAX_BURST,
		.bmAttributes = 0,
		.wBytesPerInterval = 0,
	};

	put(b, &d, USB_DT_ENDPOINT_SIZE);
	if (ss)
		put(b, &comp, USB_DT_SS_EP_COMP_SIZE);
}

/*
 * One speed's interfaces, in the order of usb-desc.h. Stream 0's native
 * interface: interface 0, endpoint 0x81. IIOD: the next interface, vendor
 * class (libiio only reads its string), pipe p as IN then OUT (libiio
 * 0.24 usb.c usb_verify_eps wants IN first), both with endpoint number
 * first + p, so the endpoint files follow in that order. Then the other
 * streams' native interfaces, one bulk endpoint each, numbered on: IN,
 * or for an output stream OUT (and protocol IFB_USB_PROTOCOL_OUT).
 */
static void put_stream(struct blob *b, const struct ifb_usb_layout *l, unsigned k, uint8_t intf,
		       uint8_t string, uint8_t ep, uint16_t max_packet, bool ss)
{
	bool out = ifb_usb_stream_is_output(l, k);

	put_interface(b, intf, 1, IFB_USB_CLASS, IFB_USB_SUBCLASS,
		      out ? IFB_USB_PROTOCOL_OUT : IFB_USB_PROTOCOL, string);
	put_bulk(b, (out ? USB_DIR_OUT : USB_DIR_IN) | ep, max_packet, ss);
}

static void put_speed(struct blob *b, const struct ifb_usb_layout *l, uint16_t max_packet,
		      bool ss)
{
	uint8_t intf = 0, string = 1, ep = 1;

	if (l->native)
		put_stream(b, l, 0, intf++, string++, ep++, max_packet, ss);
	if (l->iiod_pipes) {
		put_interface(b, intf++, (uint8_t)(2 * l->iiod_pipes), USB_CLASS_VENDOR_SPEC, 0, 0,
			      string++);
		for (unsigned p = 0; p < l->iiod_pipes; p++, ep++) {
			put_bulk(b, USB_DIR_IN | ep, max_packet, ss);
			put_bulk(b, USB_DIR_OUT | ep, max_packet, ss);
		}
	}
	for (unsigned k = 1; k < ifb_usb_streams(l); k++)
		put_stream(b, l, k, intf++, string++, ep++, max_packet, ss);
}

static void put_le16(struct blob *b, uint16_t v)
{
	v = htole16(v);
	put(b, &v, sizeof(v));
}

bool ifb_usb_guid_valid(const char *s)
{
	static const char form[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";

	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++) {
		if (form[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != form[i])
			return false;
	}
	return true;
}

/*
 * Microsoft OS 1.0 feature descriptors in FunctionFS's form: each starts
 * with a header naming the interface, and f_fs wants property names and
 * values as NUL-terminated UTF-8 (the composite layer sends them to the
 * host as UTF-16). dwLength is this descriptor's length in the blob.
 */
static void put_ms_os(struct blob *b, const char *guid, uint16_t bcd, unsigned ninterfaces)
{
	static const char compat_id[8] = "WINUSB";
	static const char name[] = "DeviceInterfaceGUID";
	const uint32_t name_len = sizeof(name), data_len = (uint32_t)strlen(guid) + 1;
	const uint32_t prop_len = 14 + name_len + data_len;
	uint8_t zeros[8] = { 0 };

	/* Extended compat ID: every interface is WinUSB (the composite layer
	 * reports one entry per interface anyway; an IIOD interface bound to
	 * WinUSB is what libiio's libusb needs on Windows). */
	put(b, zeros, 1);             /* interface */
	put_le32(b, 11 + 24 * ninterfaces); /* dwLength */
	put_le16(b, bcd);             /* bcdVersion: see usb-desc.h */
	put_le16(b, 4);               /* wIndex: extended compat ID */
	put(b, (uint8_t[]){ (uint8_t)ninterfaces, 0 }, 2); /* bCount, Reserved */
	for (unsigned i = 0; i < ninterfaces; i++) {
		put(b, (uint8_t[]){ (uint8_t)i }, 1); /* bFirstInterfaceNumber */
		put(b, (uint8_t[]){ 1 }, 1);  /* Reserved1, 1 per the spec */
		put(b, compat_id, 8);         /* CompatibleID */
		put(b, zeros, 8);             /* SubCompatibleID */
		put(b, zeros, 6);             /* Reserved2 */
	}

	/* Extended properties: DeviceInterfaceGUID, REG_SZ. */
	put(b, zeros, 1);             /* interface */
	put_le32(b, 11 + prop_len);   /* dwLength */
	put_le16(b, bcd);             /* bcdVersion */
	put_le16(b, 5);               /* wIndex: extended properties */
	put_le16(b, 1);               /* wCount */
	put_le32(b, prop_len);        /* dwSize */
	put_le32(b, 1);               /* dwPropertyDataType: REG_SZ */
	put_le16(b, (uint16_t)name_len);
	put(b, name, name_len);
	put_le32(b, data_len);
	put(b, guid, data_len);
}

int ifb_usb_descriptors(uint8_t *buf, size_t size, const struct ifb_usb_layout *l,
			const char *interface_guid, uint16_t ms_os_bcd)
{
	struct blob b = { .buf = buf, .size = size };
	size_t length_at;
	uint32_t n = 2 * ifb_usb_streams(l) + (l->iiod_pipes ? 1 + 2 * l->iiod_pipes : 0);
	uint32_t neps = ifb_usb_streams(l) + 2 * l->iiod_pipes;

	if (n == 0 || l->iiod_pipes > IFB_IIOD_MAX_PIPES || ifb_usb_streams(l) > IFB_MAX_STREAMS)
		return -EINVAL;
	put_le32(&b, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	length_at = b.len;
	put_le32(&b, 0); /* length, patched below */
	if (interface_guid && !ifb_usb_guid_valid(interface_guid))
		return -EINVAL;
	put_le32(&b, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC |
			     (interface_guid ? FUNCTIONFS_HAS_MS_OS_DESC : 0));
	put_le32(&b, n);        /* full speed: interfaces, endpoints */
	put_le32(&b, n);        /* high speed */
	put_le32(&b, n + neps); /* super speed: and a companion per endpoint */
	if (interface_guid)
		put_le32(&b, 2); /* MS OS: extended compat ID, extended properties */

	put_speed(&b, l, 64, false);
	put_speed(&b, l, 512, false);
	put_speed(&b, l, 1024, true);
	if (interface_guid)
		put_ms_os(&b, interface_guid, ms_os_bcd,
			  ifb_usb_streams(l) + (l->iiod_pipes ? 1 : 0));

	if (b.err)
		return b.err;
	{
		uint32_t len = htole32((uint32_t)b.len);

		memcpy(buf + length_at, &len, sizeof(len));
	}
	return (int)b.len;
}

int ifb_usb_strings(uint8_t *buf, size_t size, const struct ifb_usb_layout *l,
		    const char *const *names)
{
	struct blob b = { .buf = buf, .size = size };
	uint16_t lang = htole16(0x0409); /* en-US */
	size_t length_at;
	unsigned nstreams = ifb_usb_streams(l);

	if (nstreams > IFB_MAX_STREAMS || (nstreams && !names))
		return -EINVAL;
	for (unsigned k = 0; k < nstreams; k++) {
		if (!names[k] || !*names[k] || strlen(names[k]) > 126)
			return -EINVAL;
		/* libiio would take the native interface for its own */
		if (l->iiod_pipes && !strcmp(names[k], IFB_IIOD_INTERFACE_NAME))
			return -EINVAL;
	}
	if (!nstreams && !l->iiod_pipes)
		return -EINVAL;
	put_le32(&b, FUNCTIONFS_STRINGS_MAGIC);
	length_at = b.len;
	put_le32(&b, 0);
	put_le32(&b, nstreams + (l->iiod_pipes ? 1 : 0)); /* str_count */
	put_le32(&b, 1); /* lang_count */
	put(&b, &lang, sizeof(lang));
	if (nstreams)
		put(&b, names[0], strlen(names[0]) + 1);
	if (l->iiod_pipes)
		put(&b, IFB_IIOD_INTERFACE_NAME, sizeof(IFB_IIOD_INTERFACE_NAME));
	for (unsigned k = 1; k < nstreams; k++)
		put(&b, names[k], strlen(names[k]) + 1);
	if (b.err)
		return b.err;
	{
		uint32_t len = htole32((uint32_t)b.len);

		memcpy(buf + length_at, &len, sizeof(len));
	}
	return (int)b.len;
}
