/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FunctionFS descriptor and string blobs for our one vendor interface with
 * one bulk IN endpoint, at full, high and super speed. Pure: bytes out.
 */
#ifndef IFB_USB_DESC_H
#define IFB_USB_DESC_H

#include <stddef.h>
#include <stdint.h>

/* SuperSpeed bulk burst: up to 16 packets (bMaxBurst = 15). */
#define IFB_SS_MAX_BURST 15

/* Build the FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob. Returns its length, or
 * -ENOSPC when buf is too small. */
int ifb_usb_descriptors(uint8_t *buf, size_t size);

/* Build the FUNCTIONFS_STRINGS_MAGIC blob (en-US, one string: the
 * interface name). Returns its length or -ENOSPC/-EINVAL. */
int ifb_usb_strings(uint8_t *buf, size_t size, const char *interface_name);

#endif
