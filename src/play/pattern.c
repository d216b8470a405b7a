// SPDX-License-Identifier: GPL-2.0-or-later
/* iio-ffs-play: the counter pattern (play.h). */
#include <errno.h>
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

void play_counter_fill(const struct ifbh_info *info, uint8_t *buf, size_t nscans,
		       uint64_t first)
{
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
