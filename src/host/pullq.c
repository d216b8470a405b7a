// SPDX-License-Identifier: LGPL-2.1-or-later
/* libifbhost: the pull-mode queue (see pullq.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/pullq.h"

int ifbh_pullq_init(struct ifbh_pullq *q, size_t cap, ifbh_pullq_release_fn release, void *user)
{
	memset(q, 0, sizeof(*q));
	q->seg = calloc(cap ? cap : 1, sizeof(*q->seg));
	if (!q->seg)
		return -ENOMEM;
	q->cap = cap ? cap : 1;
	q->release = release;
	q->user = user;
	return 0;
}

void ifbh_pullq_free(struct ifbh_pullq *q)
{
	free(q->seg);
	q->seg = NULL;
	q->cap = q->n = 0;
}

int ifbh_pullq_push(struct ifbh_pullq *q, const void *data, size_t len, uint64_t offset,
		    void *token)
{
	if (q->n == q->cap)
		return -ENOSPC;
	q->seg[(q->head + q->n) % q->cap] =
		(struct ifbh_pullq_seg){ .data = data, .len = len, .offset = offset, .token = token };
	q->n++;
	return 0;
}

uint64_t ifbh_pullq_bytes(const struct ifbh_pullq *q)
{
	uint64_t b = 0;

	for (size_t i = 0; i < q->n; i++)
		b += q->seg[(q->head + i) % q->cap].len;
	return b - q->pos;
}

/* Pop the head segment (used up) and hand it back. */
static void pop(struct ifbh_pullq *q)
{
	void *token = q->seg[q->head].token;

	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->pos = 0;
	if (q->release)
		q->release(q->user, token);
}

/* Drop n bytes from the front, releasing segments used up. */
static void advance(struct ifbh_pullq *q, uint64_t n, uint8_t *copy_to)
{
	while (n && q->n) {
		struct ifbh_pullq_seg *s = &q->seg[q->head];
		size_t k = s->len - q->pos;

		if (k > n)
			k = (size_t)n;
		if (copy_to) {
			memcpy(copy_to, s->data + q->pos, k);
			copy_to += k;
		}
		q->pos += k;
		n -= k;
		if (q->pos == s->len)
			pop(q);
	}
}

size_t ifbh_pullq_take(struct ifbh_pullq *q, void *buf, size_t len, size_t unit, uint64_t settled,
		       const struct ifbh_gaps *gaps, struct ifbh_read_info *info)
{
	uint64_t start, end, gap;
	bool gap_here;

	if (!unit)
		unit = 1;
	for (;;) {
		if (!q->n)
			return 0;
		if (q->pos == q->seg[q->head].len) {
			pop(q); /* a zero-length segment */
			continue;
		}
		start = q->seg[q->head].offset + q->pos;
		end = start + ifbh_pullq_bytes(q);
		if (end > settled)
			end = settled;
		if (end <= start)
			return 0;
		gap_here = start >= q->flagged_end && gaps && ifbh_gaps_has(gaps, start);
		if (gaps && ifbh_gaps_next(gaps, start + 1, &gap) && gap < end)
			end = gap;
		if (end - start < unit) {
			if (gaps && ifbh_gaps_has(gaps, end) && end < settled && end > start) {
				/* a partial unit before a gap can never complete */
				q->dropped += end - start;
				advance(q, end - start, NULL);
				continue;
			}
			return 0;
		}
		break;
	}
	if (end - start < len)
		len = (size_t)(end - start);
	len -= len % unit;
	if (!len)
		return 0;
	if (info) {
		info->offset = start;
		info->gap = gap_here;
	}
	if (gap_here)
		q->flagged_end = start + 1;
	advance(q, len, buf);
	return len;
}

void ifbh_pullq_clear(struct ifbh_pullq *q)
{
	while (q->n)
		pop(q);
}
