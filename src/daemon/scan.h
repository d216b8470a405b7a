/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IIO scan element types ("le:s12/16>>4") and the layout of one scan. */
#ifndef IFB_SCAN_H
#define IFB_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ifb_scan_type {
	bool is_be;
	bool is_signed;
	uint8_t bits;
	uint8_t storage_bits;
	uint8_t shift;
	uint8_t repeat;
};

/* Parse a sysfs *_type string. 0 or -EINVAL. */
int ifb_scan_type_parse(const char *s, struct ifb_scan_type *ret);

/* Bytes one channel occupies in a scan (storage bytes x repeat). */
static inline unsigned ifb_scan_type_bytes(const struct ifb_scan_type *t)
{
	return (unsigned)t->storage_bits / 8 * (t->repeat ? t->repeat : 1);
}

/*
 * Lay out channels that are already sorted by scan index the way the IIO
 * core does: each channel aligned to its own size, the scan padded to the
 * largest. Fills offsets[] and returns the scan size, or -EINVAL.
 */
int ifb_scan_layout(const struct ifb_scan_type *types, size_t n, uint16_t *offsets);

#endif
