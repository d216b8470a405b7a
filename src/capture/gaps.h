// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every gap the device reported during one stream, learned from successive
 * GET_STATS replies. A reply lists only the IFB_STATS_MAX_GAPS most recent
 * gap offsets plus a running total; if more gaps happened between two
 * polls than the list holds, the unlisted ones are recorded as a "lost"
 * range: their count is known, their exact offsets only to lie within
 * [lo, hi].
 */
#ifndef CAP_GAPS_H
#define CAP_GAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/proto.h"

struct cap_lost_gaps {
	uint64_t lo, hi; /* stream offsets bounding the unlisted gaps */
	uint64_t count;
};

struct cap_gaps {
	uint64_t *off; /* non-decreasing stream byte offsets */
	size_t n, cap;
	struct cap_lost_gaps *lost;
	size_t nlost, lost_cap;
	uint64_t total;     /* gaps_total of the last merged reply */
	uint32_t stream_id; /* 0 until the first merge */
};

void cap_gaps_init(struct cap_gaps *g);
void cap_gaps_free(struct cap_gaps *g);
/*
 * Learn the gaps of one GET_STATS reply. Returns the number of gaps that
 * are new (listed or lost), -EBADMSG if the reply contradicts what was
 * learned before (other stream, total going down, offsets going back), or
 * -ENOMEM.
 */
int cap_gaps_merge(struct cap_gaps *g, const struct cap_stats *s);
/* Gaps known so far (listed + lost). */
uint64_t cap_gaps_count(const struct cap_gaps *g);
bool cap_gaps_has(const struct cap_gaps *g, uint64_t off);
/* A listed gap lies in [lo, hi). */
bool cap_gaps_in_range(const struct cap_gaps *g, uint64_t lo, uint64_t hi);
/* off may hold one of the unlisted gaps. */
bool cap_gaps_maybe_lost(const struct cap_gaps *g, uint64_t off);

#endif
