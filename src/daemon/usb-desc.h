/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FunctionFS descriptor and string blobs for our one vendor interface with
 * one bulk IN endpoint, at full, high and super speed. Pure: bytes out.
 */
#ifndef IFB_USB_DESC_H
#define IFB_USB_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * Build the FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob. With interface_guid set,
 * it also carries Microsoft OS 1.0 descriptors for the interface: extended
 * compat ID "WINUSB" and a DeviceInterfaceGUID property (REG_SZ), so that
 * Windows binds WinUSB with no INF, with ms_os_bcd (IFB_MS_OS_BCD_*) in
 * their headers. (The gadget must enable os_desc in configfs for the host
 * to be able to ask.) Returns the length, -ENOSPC when buf is too small,
 * -EINVAL for a GUID not of the form {8-4-4-4-12}.
 */
int ifb_usb_descriptors(uint8_t *buf, size_t size, const char *interface_guid,
			uint16_t ms_os_bcd);

/* Is s a GUID in registry form, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}? */
bool ifb_usb_guid_valid(const char *s);

/* Build the FUNCTIONFS_STRINGS_MAGIC blob (en-US, one string: the
 * interface name). Returns its length or -ENOSPC/-EINVAL. */
int ifb_usb_strings(uint8_t *buf, size_t size, const char *interface_name);

#endif
