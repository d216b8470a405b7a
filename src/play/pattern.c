// SPDX-License-Identifier: GPL-2.0-or-later
/* iio-ffs-play: the counter pattern (play.h). */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "play/play.h"

int play_counter_check(const struct ifbh_info *info, char *err, size_t errlen)
{
	if (!info->num_channels || !info->scan_size) {
		snprintf(err, errlen, "the stream has no channels");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < info->num_channels; i++) {
		const struct ifbh_channel *c = &info->ch[i];

		if (c->storage_bits != 16 || c->bits != 16 || c->shift || c->repeat != 1 ||
		    c->scan_index > 3 || c->offset + 2 > info->scan_size) {
			snprintf(err, errlen,
				 "channel %s (scan index %u, %u/%u bits >> %u, repeat %u) cannot "
				 "carry the counter pattern: it wants 16-bit channels of scan index "
				 "0 to 3",
				 c->name, c->scan_index, c->bits, c->storage_bits, c->shift,
				 c->repeat);
			return -EINVAL;
		}
	}
	return 0;
}

/* The simulated converters' own layout: voltage0 and voltage1, 16-bit
 * little-endian, stored in scan order. */
static bool counter_is_u32le(const struct ifbh_info *info)
{
	const struct ifbh_channel *c = info->ch;

	return info->scan_size == 4 && info->num_channels == 2 && !c[0].is_be && !c[1].is_be &&
	       c[0].scan_index == 0 && c[0].offset == 0 && c[1].scan_index == 1 &&
	       c[1].offset == 2;
}

void play_counter_fill(const struct ifbh_info *info, uint8_t *buf, size_t nscans,
		       uint64_t first)
{
	/* the usual case, a word per scan: the pattern must not be what
	 * limits a benchmark under emulation */
	if (counter_is_u32le(info)) {
		for (size_t s = 0; s < nscans; s++) {
			uint32_t v = htole32((uint32_t)(first + s));

			memcpy(buf + 4 * s, &v, 4);
		}
		return;
	}
	for (size_t s = 0; s < nscans; s++) {
		uint64_t n = first + s;
		uint8_t *scan = buf + s * info->scan_size;

		memset(scan, 0, info->scan_size);
		for (unsigned int i = 0; i < info->num_channels; i++) {
			const struct ifbh_channel *c = &info->ch[i];
			uint16_t v = (uint16_t)(n >> (16 * c->scan_index));

			scan[c->offset + (c->is_be ? 1 : 0)] = (uint8_t)v;
			scan[c->offset + (c->is_be ? 0 : 1)] = (uint8_t)(v >> 8);
		}
	}
}
