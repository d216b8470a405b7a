/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IIO scan element types ("le:s12/16>>4") and the layout of one scan: the
 * one model of a channel's place in a scan, for the data path (iio.c) and
 * the IIOD context (iiod-xml.c) alike. Facts from Linux
 * drivers/iio/industrialio-buffer.c: iio_show_fixed_type() writes the
 * type ("%s:%c%d/%dX%d>>%u" with a repeat above 1, else without the X
 * part; the sign letter is the driver's scan_type.sign, 's' or 'u', and
 * ADI's drivers also use 'S' for samples already sign-extended to the
 * storage), and iio_compute_scan_bytes() lays out a scan: each element
 * (storage bytes x repeat) aligned to its own size, the whole scan to the
 * largest element.
 */
#ifndef IFB_SCAN_H
#define IFB_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ifb_scan_type {
	bool is_be;
	bool is_signed;
	char sign; /* the kernel's letter as it wrote it: 's', 'u', 'S' or 'U' */
	uint8_t bits;
	uint8_t storage_bits;
	uint8_t shift;
	uint8_t repeat;
};

/* Parse a sysfs *_type string: storage 8, 16, 32 or 64 bits, 1 to 255
 * repeats, bits + shift within the storage. 0 or -EINVAL. */
int ifb_scan_type_parse(const char *s, struct ifb_scan_type *ret);

/* The type as the kernel writes it (the sign letter kept), into buf of
 * size bytes. Returns its length, or -ENOSPC when it does not fit. */
int ifb_scan_type_format(const struct ifb_scan_type *t, char *buf, size_t size);

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

/*
 * One scan element of a buffer's (or the legacy scan_elements) directory:
 * a file {in,out}_<id>_en, with <id>_index and <id>_type beside it (Linux
 * Documentation/ABI/testing/sysfs-bus-iio). The one reader of them, for
 * the data path (iio.c) and the IIOD context (iiod-xml.c); each decides
 * what an element with a missing or bad index or type means to it.
 */
struct ifb_scan_element {
	char *id;        /* "voltage0": without in_/out_ and _en; malloc'ed */
	bool output;     /* out_ */
	long index;      /* its _index, >= 0; -1: see index_error */
	int index_error; /* 0; -errno reading it, or -EINVAL: not a number */
	int type_error;  /* 0: its _type parsed into type; -errno: missing or bad */
	struct ifb_scan_type type;
};

/*
 * Every scan element in dir (regular files only), inputs first, each
 * group sorted by id (strcmp), into *ret (free with
 * ifb_scan_elements_free) and *ret_n. 0, or -errno when dir cannot be
 * read (-ENOENT: no such directory) or memory runs out.
 */
int ifb_scan_elements_read(const char *dir, struct ifb_scan_element **ret, size_t *ret_n);
void ifb_scan_elements_free(struct ifb_scan_element *v, size_t n);

#endif
