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
 * Build the FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob. With interface_guid set,
 * it also carries Microsoft OS 1.0 descriptors for the interface: extended
 * compat ID "WINUSB" and a DeviceInterfaceGUID property (REG_SZ), so that
 * Windows binds WinUSB with no INF. (The gadget must enable os_desc in
 * configfs for the host to be able to ask.) Returns the length, -ENOSPC
 * when buf is too small, -EINVAL for a GUID not of the form {8-4-4-4-12}.
 */
int ifb_usb_descriptors(uint8_t *buf, size_t size, const char *interface_guid);

/* Is s a GUID in registry form, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}? */
bool ifb_usb_guid_valid(const char *s);

/* Build the FUNCTIONFS_STRINGS_MAGIC blob (en-US, one string: the
 * interface name). Returns its length or -ENOSPC/-EINVAL. */
int ifb_usb_strings(uint8_t *buf, size_t size, const char *interface_name);

#endif
