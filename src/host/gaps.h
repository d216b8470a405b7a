// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: every gap the device reported during one stream,
 * learned from successive GET_STATS replies (protocol version 1) or by
 * sequence number from GET_GAPS (version 2). A GET_STATS reply lists
 * only the IFB_STATS_MAX_GAPS most recent gap offsets plus a running
 * total, GET_GAPS the IFB_GAPS_RING most recent; gaps the device could not
 * give are recorded as a "lost" range: their count is known, their exact
 * offsets only to lie within [lo, hi].
 */
#ifndef IFBH_GAPS_H
#define IFBH_GAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/proto.h"

struct ifbh_lost_gaps {
	uint64_t lo, hi; /* stream offsets bounding the unlisted gaps */
	uint64_t count;
};

struct ifbh_gaps {
	uint64_t *off; /* non-decreasing stream byte offsets */
	size_t n, cap;
	struct ifbh_lost_gaps *lost;
	size_t nlost, lost_cap;
	uint64_t total;     /* gaps_total of the last merged reply */
	uint32_t stream_id; /* 0 until the first merge */
};

void ifbh_gaps_init(struct ifbh_gaps *g);
void ifbh_gaps_free(struct ifbh_gaps *g);
/*
 * Learn the gaps of one GET_STATS reply. Returns the number of gaps that
 * are new (listed or lost), -EBADMSG if the reply contradicts what was
 * learned before (other stream, total going down, offsets going back), or
 * -ENOMEM.
 */
int ifbh_gaps_merge(struct ifbh_gaps *g, const struct ifbh_stats *s);
/*
 * Learn the gaps of one GET_GAPS reply (protocol version 2): offsets by
 * sequence number, so none is missed unless the device's ring dropped it
 * (then a lost range). Returns the number of new gaps, -EBADMSG (another
 * stream, offsets going back) or -ENOMEM.
 */
int ifbh_gaps_add_seq(struct ifbh_gaps *g, const struct ifbh_gaps_reply *r);
/* Gaps known so far (listed + lost). */
uint64_t ifbh_gaps_count(const struct ifbh_gaps *g);
bool ifbh_gaps_has(const struct ifbh_gaps *g, uint64_t off);
/* A listed gap lies in [lo, hi). */
bool ifbh_gaps_in_range(const struct ifbh_gaps *g, uint64_t lo, uint64_t hi);
/* off may hold one of the unlisted gaps. */
bool ifbh_gaps_maybe_lost(const struct ifbh_gaps *g, uint64_t off);
/* The first listed gap at or after from: true and *ret_off, or false. */
bool ifbh_gaps_next(const struct ifbh_gaps *g, uint64_t from, uint64_t *ret_off);

/*
 * Fetches, by GET_GAPS (protocol version 2), every gap up to total (a
 * GET_STATS reply's gaps_total) the book g does not hold yet: get sends
 * one GET_GAPS with wValue seq into buf (len bytes) and returns the
 * reply's length or a negative errno; scratch holds one parsed reply.
 * Shared by the reader's end of stream and the writer's polls. Returns the
 * number of new gaps (>= 0; fewer than asked when the device's ring has
 * dropped some: they become a lost range), or a negative errno with a
 * message in msg: the getter's, or -EBADMSG/-EPROTO for a bad reply. A
 * reply that brings nothing ends the fetch (no loop on a stuck device).
 */
typedef int (*ifbh_gaps_get_fn)(void *user, uint16_t seq, uint8_t *buf, uint16_t len);
int ifbh_gaps_fetch(struct ifbh_gaps *g, uint64_t total, ifbh_gaps_get_fn get, void *user,
		    struct ifbh_gaps_reply *scratch, char *msg, size_t msglen);

#endif
