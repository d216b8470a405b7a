// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/gaps.h"

void ifbh_gaps_init(struct ifbh_gaps *g)
{
	memset(g, 0, sizeof(*g));
}

void ifbh_gaps_free(struct ifbh_gaps *g)
{
	free(g->off);
	free(g->lost);
	ifbh_gaps_init(g);
}

static int push_off(struct ifbh_gaps *g, uint64_t off)
{
	if (g->n == g->cap) {
		size_t ncap = g->cap ? 2 * g->cap : 64;
		uint64_t *n = realloc(g->off, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		g->off = n;
		g->cap = ncap;
	}
	g->off[g->n++] = off;
	return 0;
}

static int push_lost(struct ifbh_gaps *g, uint64_t lo, uint64_t hi, uint64_t count)
{
	if (g->nlost == g->lost_cap) {
		size_t ncap = g->lost_cap ? 2 * g->lost_cap : 8;
		struct ifbh_lost_gaps *n = realloc(g->lost, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		g->lost = n;
		g->lost_cap = ncap;
	}
	g->lost[g->nlost++] = (struct ifbh_lost_gaps){ .lo = lo, .hi = hi, .count = count };
	return 0;
}

int ifbh_gaps_merge(struct ifbh_gaps *g, const struct ifbh_stats *s)
{
	uint64_t fresh, listed_fresh, last;
	int ret;

	if (g->stream_id && s->stream_id != g->stream_id)
		return -EBADMSG;
	if (s->gaps_total < g->total)
		return -EBADMSG;
	g->stream_id = s->stream_id;
	fresh = s->gaps_total - g->total;
	if (fresh == 0)
		return 0;
	/* the newest `fresh` gaps are new; the list holds the newest num_gaps */
	listed_fresh = fresh < s->num_gaps ? fresh : s->num_gaps;
	last = g->n ? g->off[g->n - 1] : 0;
	if (g->nlost && g->lost[g->nlost - 1].hi > last)
		last = g->lost[g->nlost - 1].hi;
	if (fresh > listed_fresh) {
		uint64_t hi = listed_fresh ? s->gap_offset[s->num_gaps - listed_fresh] : UINT64_MAX;

		ret = push_lost(g, last, hi, fresh - listed_fresh);
		if (ret)
			return ret;
	}
	for (uint64_t i = s->num_gaps - listed_fresh; i < s->num_gaps; i++) {
		if (s->gap_offset[i] < last)
			return -EBADMSG;
		ret = push_off(g, s->gap_offset[i]);
		if (ret)
			return ret;
		last = s->gap_offset[i];
	}
	g->total = s->gaps_total;
	return (int)(fresh > INT32_MAX ? INT32_MAX : fresh);
}

uint64_t ifbh_gaps_count(const struct ifbh_gaps *g)
{
	return g->total;
}

static size_t lower_bound(const struct ifbh_gaps *g, uint64_t off)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->off[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ifbh_gaps_has(const struct ifbh_gaps *g, uint64_t off)
{
	size_t i = lower_bound(g, off);

	return i < g->n && g->off[i] == off;
}

bool ifbh_gaps_in_range(const struct ifbh_gaps *g, uint64_t lo, uint64_t hi)
{
	size_t i = lower_bound(g, lo);

	return i < g->n && g->off[i] < hi;
}

bool ifbh_gaps_maybe_lost(const struct ifbh_gaps *g, uint64_t off)
{
	for (size_t i = 0; i < g->nlost; i++)
		if (off >= g->lost[i].lo && off <= g->lost[i].hi)
			return true;
	return false;
}

bool ifbh_gaps_next(const struct ifbh_gaps *g, uint64_t from, uint64_t *ret_off)
{
	size_t i = lower_bound(g, from);

	if (i >= g->n)
		return false;
	*ret_off = g->off[i];
	return true;
}

int ifbh_gaps_add_seq(struct ifbh_gaps *g, const struct ifbh_gaps_reply *r)
{
	uint64_t known = g->total, last, added = 0;
	int ret;

	if (g->stream_id && r->stream_id != g->stream_id)
		return -EBADMSG;
	g->stream_id = r->stream_id;
	last = g->n ? g->off[g->n - 1] : 0;
	if (g->nlost && g->lost[g->nlost - 1].hi > last)
		last = g->lost[g->nlost - 1].hi;
	if (r->first_seq > known) {
		/* the device's ring no longer holds these */
		ret = push_lost(g, last, r->count ? r->offset[0] : UINT64_MAX, r->first_seq - known);
		if (ret)
			return ret;
		added += r->first_seq - known;
		known = r->first_seq;
	}
	for (unsigned int i = 0; i < r->count; i++) {
		if (r->first_seq + i < known)
			continue; /* had it already */
		if (r->offset[i] < last)
			return -EBADMSG;
		ret = push_off(g, r->offset[i]);
		if (ret)
			return ret;
		last = r->offset[i];
		known++;
		added++;
	}
	g->total = known;
	return (int)(added > INT32_MAX ? INT32_MAX : added);
}

/* A device cannot keep us asking: IFB_GAPS_RING gaps come in a few replies. */
#define FETCH_MAX_REPLIES 1000

int ifbh_gaps_fetch(struct ifbh_gaps *g, uint64_t total, ifbh_gaps_get_fn get, void *user,
		    struct ifbh_gaps_reply *scratch, char *msg, size_t msglen)
{
	uint64_t before = ifbh_gaps_count(g);
	uint8_t *buf;
	int ret = 0;

	if (before >= total)
		return 0;
	buf = malloc(IFB_MAX_REPLY);
	if (!buf) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < FETCH_MAX_REPLIES && ifbh_gaps_count(g) < total; i++) {
		ret = get(user, (uint16_t)ifbh_gaps_count(g), buf, IFB_MAX_REPLY);
		if (ret < 0) {
			snprintf(msg, msglen, "GET_GAPS failed: %s", strerror(-ret));
			break;
		}
		ret = ifbh_parse_gaps(buf, (size_t)ret, scratch, msg, msglen);
		if (ret)
			break;
		ret = ifbh_gaps_add_seq(g, scratch);
		if (ret < 0) {
			snprintf(msg, msglen,
				 "GET_GAPS contradicts an earlier reply (stream %" PRIu32
				 " vs %" PRIu32 ", or offsets going back)",
				 scratch->stream_id, g->stream_id);
			break;
		}
		if (ret == 0)
			break; /* nothing new: the device has no more to give */
		ret = 0;
	}
	free(buf);
	if (ret < 0)
		return ret;
	return (int)(ifbh_gaps_count(g) - before);
}
