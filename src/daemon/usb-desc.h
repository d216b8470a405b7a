/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FunctionFS descriptor and string blobs, at full, high and super speed:
 * the native vendor interface (one bulk IN endpoint, docs/protocol.md) and
 * the IIOD interface for libiio clients (iInterface "IIO", bulk IN/OUT
 * pairs, docs/protocol.md "The IIOD interface"), either or both. Pure:
 * bytes out.
 */
#ifndef IFB_USB_DESC_H
#define IFB_USB_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Which interfaces the function has: one native interface per stream
 * (protocol.h), and the IIOD one. The first stream's native interface,
 * when present, is the function's interface 0, the IIOD one follows,
 * then the other streams' (so that libiio's "usb:BUS.ADDR.1" and a
 * version 1-3 host's "first native interface" keep their meaning).
 */
struct ifb_usb_layout {
	bool native;
	unsigned streams;    /* native interfaces when native: 1..IFB_MAX_STREAMS (0 reads as 1) */
	unsigned iiod_pipes; /* 0: no IIOD interface; else 1..IFB_IIOD_MAX_PIPES */
	/* bit k: stream k is an output stream (protocol 5): its interface has
	 * bInterfaceProtocol IFB_USB_PROTOCOL_OUT and a bulk OUT endpoint */
	unsigned outputs;
};

static inline bool ifb_usb_stream_is_output(const struct ifb_usb_layout *l, unsigned k)
{
	return k < 32 && (l->outputs >> k) & 1;
}

/* The native interface alone: what the daemon offered before the IIOD one. */
#define IFB_USB_LAYOUT_NATIVE ((struct ifb_usb_layout){ .native = true, .streams = 1 })

static inline unsigned ifb_usb_streams(const struct ifb_usb_layout *l)
{
	return !l->native ? 0 : l->streams ? l->streams : 1;
}

/* IIOD pipes: pipe 0 for context commands, one per open buffer. */
#define IFB_IIOD_MAX_PIPES 4

/* The string libiio's USB backend looks for (libiio 0.24 usb.c,
 * IIO_INTERFACE_NAME). The native interface must never be named so. */
#define IFB_IIOD_INTERFACE_NAME "IIO"

/* FunctionFS interface index of the IIOD interface, as SETUP events give
 * it in wIndex (f_fs.c ffs_func_setup rewrites wIndex to the function's
 * own numbering: the order of the interfaces in the blob). */
static inline unsigned ifb_usb_iiod_interface(const struct ifb_usb_layout *l)
{
	return l->native ? 1 : 0;
}

/* FunctionFS interface index of stream k's native interface. */
static inline unsigned ifb_usb_stream_interface(const struct ifb_usb_layout *l, unsigned k)
{
	return k == 0 ? 0 : (l->iiod_pipes ? 1 : 0) + k;
}

/* The stream whose native interface has FunctionFS index intf, or -1. */
static inline int ifb_usb_interface_stream(const struct ifb_usb_layout *l, unsigned intf)
{
	for (unsigned k = 0; k < ifb_usb_streams(l); k++)
		if (ifb_usb_stream_interface(l, k) == intf)
			return (int)k;
	return -1;
}

/* FunctionFS endpoint file numbers (epN): files are numbered in the order
 * the endpoints first appear in the descriptors (f_fs.c). */
#define IFB_USB_EP_NATIVE 1
static inline unsigned ifb_usb_ep_pipe_in(const struct ifb_usb_layout *l, unsigned pipe)
{
	return (l->native ? 2 : 1) + 2 * pipe;
}
/* Stream k's bulk endpoint file (and endpoint number; IN, or OUT for an
 * output stream). Without the
 * native interface no stream has one: the first pipe's IN, the endpoint
 * file the zero-copy probe opens (a stream runs on a pipe's then). */
static inline unsigned ifb_usb_ep_stream(const struct ifb_usb_layout *l, unsigned k)
{
	if (!l->native)
		return ifb_usb_ep_pipe_in(l, 0);
	return k == 0 ? IFB_USB_EP_NATIVE : 1 + 2 * l->iiod_pipes + k;
}
static inline unsigned ifb_usb_ep_pipe_out(const struct ifb_usb_layout *l, unsigned pipe)
{
	return ifb_usb_ep_pipe_in(l, pipe) + 1;
}

/* SuperSpeed bulk burst: up to 16 packets (bMaxBurst = 15). */
#define IFB_SS_MAX_BURST 15

/* The interface GUID Windows gets when none is configured: fixed, so a
 * host application can find every iio-ffs-bridge device by it. */
#define IFB_DEFAULT_INTERFACE_GUID "{f1faaa2d-8bae-4882-a34d-c578af1ba3fc}"

/*
 * The bcdVersion FunctionFS wants in the header of each MS OS descriptor
 * it is given (f_fs.c, __ffs_do_os_desc_header(); the value the host sees
 * is set by the composite layer, always 0x0100, whatever we write):
 * - Linux 3.16 (MS OS descriptor support) to 6.2, including the 5.10,
 *   5.15 and 6.1 LTS lines: only 0x0001; 0x0100 fails the whole
 *   descriptor write with EINVAL. Measured on Debian's 6.1.0-57 (6.1.192),
 *   which did not get the upstream fix.
 * - Linux 6.3 and later ("usb: gadget: f_fs: Fix incorrect version
 *   checking of OS descs", 2023): 0x0100, the spec's value; 0x0001 still
 *   accepted with a kernel warning asking userspace to be fixed.
 * Vendor kernels may carry either, so the daemon tries them in this order
 * and keeps the first the kernel accepts (ffs.c), never by version.
 */
#define IFB_MS_OS_BCD_SPEC 0x0100
#define IFB_MS_OS_BCD_OLD 0x0001

/*
 * Build the FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob for layout. With
 * interface_guid set, it also carries Microsoft OS 1.0 descriptors, with
 * ms_os_bcd (IFB_MS_OS_BCD_*) in their headers: extended compat ID
 * "WINUSB" for every interface and a DeviceInterfaceGUID property
 * (REG_SZ), so that Windows binds WinUSB with no INF. (The gadget must
 * enable os_desc in configfs for the host to be able to ask.) Returns the
 * length, -ENOSPC when buf is too small, -EINVAL for a GUID not of the
 * form {8-4-4-4-12} or a layout with no interface or too many pipes.
 */
int ifb_usb_descriptors(uint8_t *buf, size_t size, const struct ifb_usb_layout *layout,
			const char *interface_guid, uint16_t ms_os_bcd);

/* Is s a GUID in registry form, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}? */
bool ifb_usb_guid_valid(const char *s);

/* Build the FUNCTIONFS_STRINGS_MAGIC blob (en-US): string 1 the first
 * stream's native interface name when it is present, then "IIO" when the
 * IIOD interface is, then the other streams' names (names[k] for stream
 * k, ifb_usb_streams(layout) of them). Returns its length, -ENOSPC, or
 * -EINVAL (no name, a name over 126 bytes, or a native interface named
 * "IIO" beside the IIOD one). */
int ifb_usb_strings(uint8_t *buf, size_t size, const struct ifb_usb_layout *layout,
		    const char *const *names);

#endif
