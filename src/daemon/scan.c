// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/scan.h"

int ifb_scan_type_parse(const char *s, struct ifb_scan_type *ret)
{
	struct ifb_scan_type t = { .repeat = 1 };
	unsigned bits, storage, shift, repeat = 1;
	char endian[3], sign;
	int n = 0;

	/* "le:s12/16>>4" or with a repeat "le:s12/16X2>>4". */
	if (sscanf(s, "%2[bel]:%c%u/%uX%u>>%u%n", endian, &sign, &bits, &storage, &repeat,
		   &shift, &n) == 6 && s[n] == '\0') {
		/* parsed with repeat */
	} else if (n = 0, repeat = 1,
		   sscanf(s, "%2[bel]:%c%u/%u>>%u%n", endian, &sign, &bits, &storage, &shift,
			  &n) == 5 && s[n] == '\0') {
		/* parsed without repeat */
	} else {
		return -EINVAL;
	}

	if (strcmp(endian, "le") == 0)
		t.is_be = false;
	else if (strcmp(endian, "be") == 0)
		t.is_be = true;
	else
		return -EINVAL;
	if (sign == 's' || sign == 'S')
		t.is_signed = true;
	else if (sign == 'u' || sign == 'U')
		t.is_signed = false;
	else
		return -EINVAL;
	if (storage != 8 && storage != 16 && storage != 32 && storage != 64)
		return -EINVAL;
	if (bits == 0 || bits > storage || shift >= storage || bits + shift > storage)
		return -EINVAL;
	if (repeat == 0 || repeat > 255)
		return -EINVAL;
	t.sign = sign;
	t.bits = (uint8_t)bits;
	t.storage_bits = (uint8_t)storage;
	t.shift = (uint8_t)shift;
	t.repeat = (uint8_t)repeat;
	*ret = t;
	return 0;
}

int ifb_scan_type_format(const struct ifb_scan_type *t, char *buf, size_t size)
{
	char rep[8] = "";
	int n;

	if (t->repeat > 1)
		snprintf(rep, sizeof(rep), "X%u", (unsigned)t->repeat);
	n = snprintf(buf, size, "%s:%c%u/%u%s>>%u", t->is_be ? "be" : "le",
		     t->sign ? t->sign : (t->is_signed ? 's' : 'u'), (unsigned)t->bits,
		     (unsigned)t->storage_bits, rep, (unsigned)t->shift);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int ifb_scan_layout(const struct ifb_scan_type *types, size_t n, uint16_t *offsets)
{
	unsigned bytes = 0, largest = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned len = ifb_scan_type_bytes(&types[i]);

		if (len == 0)
			return -EINVAL;
		bytes = (bytes + len - 1) / len * len;
		if (bytes > UINT16_MAX)
			return -EINVAL;
		offsets[i] = (uint16_t)bytes;
		bytes += len;
		if (len > largest)
			largest = len;
	}
	bytes = (bytes + largest - 1) / largest * largest;
	return bytes > UINT16_MAX ? -EINVAL : (int)bytes;
}
