// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "host/times.h"
#include "ifbhost.h"

void ifbh_timebook_init(struct ifbh_timebook *b, uint32_t scan_size, double nominal_hz)
{
	memset(b, 0, sizeof(*b));
	ifbh_tm_init(&b->tm, scan_size, nominal_hz);
}

void ifbh_timebook_free(struct ifbh_timebook *b)
{
	ifbh_tm_free(&b->tm);
}

static int feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		const struct ifbh_gaps *g);

int ifbh_timebook_feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		       const struct ifbh_gaps *g)
{
	int ret = feed(b, r, bound, g);

	ifbh_tm_fit(&b->tm);
	return ret;
}

static int feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		const struct ifbh_gaps *g)
{
	int ret;

	if (b->stream_id && r->stream_id != b->stream_id)
		return -EBADMSG;
	b->stream_id = r->stream_id;
	b->source = r->source;
	uint64_t seq0;

	if (r->first_seq > b->seq) {
		b->lost += r->first_seq - b->seq;
		b->seq = r->first_seq;
	}
	seq0 = b->seq;
	for (unsigned int i = 0; i < r->count; i++) {
		const struct ifb_time_mark *m = &r->mark[i];
		uint64_t off;

		if (r->first_seq + i < b->seq)
			continue; /* had it */
		if (m->offset > bound)
			return 0;
		while (ifbh_gaps_next(g, b->gap_from, &off) && off < m->offset) {
			/* a gap behind the model's last mark (learned too late)
			 * cannot start a run there any more: skipped */
			ret = ifbh_tm_gap(&b->tm, off);
			if (ret == -ENOMEM)
				return ret;
			if (ret < 0)
				b->refused++;
			b->gap_from = off + 1;
		}
		/*
		 * A run's first block: no later than its enqueue's end. Only
		 * advice: where the gap book lacks the run's gap (a ring the
		 * device overran) the bound lands in the old run, which
		 * refuses it; the mark still counts.
		 */
		if (m->start_ns && m->start_ns <= UINT64_MAX - m->start_window_ns) {
			ret = ifbh_tm_bound(&b->tm, m->offset - m->block_bytes,
					    m->start_ns + m->start_window_ns);
			if (ret == -ENOMEM)
				return ret;
		}
		/* a mark the model refuses is skipped, not asked for again */
		ret = ifbh_tm_mark(&b->tm, m->offset, m->board_ns);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			b->refused++;
		b->seq++;
	}
	/* more only if this reply brought some: a device that ignores the
	 * sequence number is not asked again and again */
	return b->seq > seq0 && b->seq < r->marks_total ? 1 : 0;
}

void ifbh_clock_est_add(struct ifbh_clock_est *e, int64_t t0, int64_t t1,
			const struct ifbh_clock_reply *c)
{
	int64_t unc = (t1 - t0) / 2 + (int64_t)(c->read_ns / 2);

	e->rounds++;
	if (t1 < t0 || (e->valid && unc >= e->unc_ns))
		return;
	e->valid = true;
	e->unc_ns = unc;
	e->host_offset_ns = t0 + (t1 - t0) / 2 - (int64_t)c->monotonic_ns;
	e->realtime_ns = c->realtime_ns - (int64_t)c->monotonic_ns;
	e->tai_ns = c->tai_ns - (int64_t)c->monotonic_ns;
	e->flags = c->flags;
	e->esterror_us = c->esterror_us;
}

void ifbh_clock_est_fill(const struct ifbh_clock_est *e, struct ifbh_time_model *m)
{
	m->clock_known = e->valid;
	if (!e->valid)
		return;
	m->host_offset_ns = e->host_offset_ns;
	m->host_offset_unc_ns = e->unc_ns;
	m->realtime_offset_ns = e->realtime_ns;
	m->tai_offset_ns = e->tai_ns;
	m->clock_flags = e->flags;
	m->esterror_us = e->esterror_us;
}
