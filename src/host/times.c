// SPDX-License-Identifier: LGPL-2.1-or-later
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/times.h"
#include "ifbhost.h"

void ifbh_timebook_init(struct ifbh_timebook *b, uint32_t scan_size, double nominal_hz,
			bool has_ts)
{
	memset(b, 0, sizeof(*b));
	ifbh_tm_init(&b->tm, scan_size, nominal_hz);
	ifbh_tm_init(&b->alt, scan_size, nominal_hz);
	b->ts_use = has_ts ? -1 : 0;
}

void ifbh_timebook_free(struct ifbh_timebook *b)
{
	ifbh_tm_free(&b->tm);
	ifbh_tm_free(&b->alt);
	free(b->pend);
	b->pend = NULL;
	b->npend = 0;
}

unsigned int ifbh_timebook_source(const struct ifbh_timebook *b)
{
	return b->ts_use == 1 ? IFBH_TIME_TIMESTAMP : b->mark_source;
}

void ifbh_timebook_set_clock(struct ifbh_timebook *b, const struct ifbh_clock_est *e)
{
	b->ts_shift_known = e->valid;
	if (!e->valid)
		return;
	b->ts_shift[0] = e->realtime_ns;
	b->ts_shift[1] = e->tai_ns;
	b->ts_shift[2] = e->boottime_ns;
}

/* Whether the model can take timestamps of the device's clock, and what
 * moves them onto CLOCK_MONOTONIC (timestamp - *shift). */
static bool ts_usable(const struct ifbh_timebook *b, int64_t *shift)
{
	unsigned int k;

	switch (b->ts_clock) {
	case IFB_TS_CLOCK_MONOTONIC: *shift = 0; return true;
	case IFB_TS_CLOCK_REALTIME: k = 0; break;
	case IFB_TS_CLOCK_TAI: k = 1; break;
	case IFB_TS_CLOCK_BOOTTIME: k = 2; break;
	default: return false; /* none, unknown, another rate, a tick early */
	}
	*shift = b->ts_shift[k];
	return b->ts_shift_known;
}

/*
 * The gaps of g from *from on into model m, those before off (before:
 * a daemon mark's block ends at off) or up to and at it (a timestamp's
 * scan is the one at off). A gap the model can no longer place (behind
 * or at what it holds: learned too late) is skipped and counted.
 */
static int gaps_upto(uint64_t *refused, struct ifbh_tm *m, uint64_t *from, uint64_t off,
		     bool at_too, const struct ifbh_gaps *g)
{
	uint64_t goff;
	int ret;

	while (ifbh_gaps_next(g, *from, &goff) && (goff < off || (at_too && goff == off))) {
		ret = at_too && m->marks && goff <= m->last_off ? -EINVAL : ifbh_tm_gap(m, goff);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			(*refused)++;
		*from = goff + 1;
	}
	return 0;
}

/* A timestamp into the model, after the gaps up to and at its scan. */
static int ts_take(struct ifbh_timebook *b, uint64_t off, int64_t ns, const struct ifbh_gaps *g)
{
	int64_t mono;
	int ret = gaps_upto(&b->refused, &b->tm, &b->gap_from, off, true, g);

	if (ret < 0)
		return ret;
	if (__builtin_sub_overflow(ns, b->ts_shift_used, &mono) || mono <= 0)
		ret = -EINVAL; /* before the board's boot: nothing a clock says */
	else
		ret = ifbh_tm_mark(&b->tm, off, (uint64_t)mono);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		b->refused++;
		b->ts_refused++;
	}
	return 0;
}

/* A daemon's mark into model m (the live one, or the one kept beside the
 * timestamps), after the gaps before its offset. */
static int mark_take(uint64_t *refused, struct ifbh_tm *m, uint64_t *from,
		     const struct ifb_time_mark *mk, const struct ifbh_gaps *g)
{
	int ret = gaps_upto(refused, m, from, mk->offset, false, g);

	if (ret < 0)
		return ret;
	/*
	 * A run's first block: no later than its enqueue's end. Only
	 * advice: where the gap book lacks the run's gap (a ring the device
	 * overran) the bound lands in the old run, which refuses it; the
	 * mark still counts.
	 */
	if (mk->start_ns && mk->start_ns <= UINT64_MAX - mk->start_window_ns) {
		ret = ifbh_tm_bound(m, mk->offset - mk->block_bytes,
				    mk->start_ns + mk->start_window_ns);
		if (ret == -ENOMEM)
			return ret;
	}
	/* a mark the model refuses is skipped, not asked for again */
	ret = ifbh_tm_mark(m, mk->offset, mk->board_ns);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		(*refused)++;
	return 0;
}

/*
 * Timestamps that are none (a driver that leaves the channel 0, or
 * counts in its own units): the first IFBH_TS_FALLBACK all refused and
 * none taken. The daemon's marks, kept beside, become the model.
 */
static void ts_fall_back(struct ifbh_timebook *b)
{
	struct ifbh_tm t;

	if (b->ts_use != 1 || b->tm.marks || b->ts_refused < IFBH_TS_FALLBACK)
		return;
	t = b->tm;
	b->tm = b->alt;
	b->alt = t;
	ifbh_tm_free(&b->alt);
	b->gap_from = b->alt_gap_from;
	b->refused = b->alt_refused;
	b->ts_use = 0;
	b->ts_failed = true;
	b->npend = 0;
}

/* The waiting timestamps whose gaps are known, in order. */
static int ts_drain(struct ifbh_timebook *b, const struct ifbh_gaps *g)
{
	size_t i = 0;
	int ret = 0;

	if (b->ts_use == 1)
		for (; i < b->npend && b->pend[i].off < b->known; i++) {
			ret = ts_take(b, b->pend[i].off, b->pend[i].ns, g);
			if (ret < 0)
				break;
		}
	else if (b->ts_use == 0)
		i = b->npend; /* the daemon's marks are the source */
	if (i && i < b->npend)
		memmove(b->pend, b->pend + i, (b->npend - i) * sizeof(b->pend[0]));
	b->npend -= i;
	ts_fall_back(b);
	return ret;
}

bool ifbh_ts_first(const uint8_t *buf, size_t len, uint64_t off, uint32_t scan, uint32_t ts_off,
		   bool be, uint64_t *ret_off, int64_t *ret_ns)
{
	uint64_t skip = off % scan ? scan - off % scan : 0, v;

	if (skip > len || len - skip < (uint64_t)ts_off + sizeof(v))
		return false;
	memcpy(&v, buf + skip + ts_off, sizeof(v));
	*ret_off = off + skip;
	*ret_ns = (int64_t)(be ? be64toh(v) : le64toh(v));
	return true;
}

int ifbh_timebook_timestamp(struct ifbh_timebook *b, uint64_t off, int64_t ns,
			    const struct ifbh_gaps *g)
{
	int ret;

	if (b->ts_use == 0)
		return 0;
	if (b->ts_use == 1 && !b->npend && off < b->known) {
		/* no fit here (one per transfer would cost a core with many
		 * gaps): the next feed fits; the hull has the point already */
		ret = ts_take(b, off, ns, g);
		ts_fall_back(b);
		return ret;
	}
	if (b->npend == IFBH_TS_PENDING_MAX) {
		b->ts_dropped++;
		return 0;
	}
	if (!b->pend) {
		b->pend = malloc(IFBH_TS_PENDING_MAX * sizeof(*b->pend));
		if (!b->pend)
			return -ENOMEM;
	}
	b->pend[b->npend++] = (struct ifbh_ts_sample){ .off = off, .ns = ns };
	return 0;
}

static int feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		const struct ifbh_gaps *g);

int ifbh_timebook_feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		       const struct ifbh_gaps *g)
{
	int ret = feed(b, r, bound, g);

	if (ret >= 0) {
		/* the gaps before bound are in the book: the timestamps
		 * before it may go in */
		int t;

		if (bound > b->known)
			b->known = bound;
		t = ts_drain(b, g);
		if (t < 0)
			ret = t;
	}
	ifbh_tm_fit(&b->tm);
	return ret;
}

static int feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		const struct ifbh_gaps *g)
{
	uint64_t seq0;

	if (b->replied && r->stream_id != b->stream_id)
		return -EBADMSG;
	/* a stream's timestamp clock is fixed while its buffer is enabled */
	if (b->replied && r->ts_clock != b->ts_clock)
		return -EBADMSG;
	b->replied = true;
	b->stream_id = r->stream_id;
	b->ts_clock = r->ts_clock;
	b->mark_source = r->source;
	if (b->ts_use == -1) /* on the stream's first reply */
		b->ts_use = ts_usable(b, &b->ts_shift_used) ? 1 : 0;

	if (r->first_seq > b->seq) {
		b->lost += r->first_seq - b->seq;
		b->seq = r->first_seq;
	}
	seq0 = b->seq;
	for (unsigned int i = 0; i < r->count; i++) {
		const struct ifb_time_mark *m = &r->mark[i];
		int ret;

		if (r->first_seq + i < b->seq)
			continue; /* had it */
		if (m->offset > bound)
			return 0;
		/* with the timestamps as the source, the marks are kept beside
		 * them: the model if the timestamps turn out to be none */
		if (b->ts_use == 1)
			ret = mark_take(&b->alt_refused, &b->alt, &b->alt_gap_from, m, g);
		else
			ret = mark_take(&b->refused, &b->tm, &b->gap_from, m, g);
		if (ret < 0)
			return ret;
		b->seq++;
	}
	/* more only if this reply brought some: a device that ignores the
	 * sequence number is not asked again and again */
	return b->seq > seq0 && b->seq < r->marks_total ? 1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The estimate from the window (times.h). */
static void clock_estimate(struct ifbh_clock_est *e)
{
	const struct ifbh_clock_sample *w = e->win, *best = NULL;
	int64_t u[IFBH_CLOCK_WINDOW], limit, umax = 0, hmin = INT64_MAX, hmax = INT64_MIN;
	double sh = 0, so = 0, shh = 0, sho = 0, sabs = 0, n = 0, hbar, sxx;

	/* the anchor: the tightest round trip, the newest of equals */
	for (unsigned int k = 0; k < e->nwin; k++) {
		const struct ifbh_clock_sample *p = &w[(e->head + IFBH_CLOCK_WINDOW - e->nwin + k) %
						       IFBH_CLOCK_WINDOW];

		if (!best || p->unc_ns <= best->unc_ns)
			best = p;
		u[k] = p->unc_ns;
	}
	e->valid = true;
	e->host_offset_ns = best->off_ns;
	e->unc_ns = best->unc_ns;
	e->at_ns = best->host_ns;
	e->drift_known = false;
	e->drift = e->drift_unc = 0;
	/* the slope: through the round trips within twice the median bound
	 * (a host stall or a queued request makes a trip long, not wrong:
	 * they only loosen), times relative to the anchor's */
	qsort(u, e->nwin, sizeof(u[0]), cmp_i64);
	limit = 2 * u[e->nwin / 2];
	for (unsigned int i = 0; i < e->nwin; i++) {
		double h, o;

		if (w[i].unc_ns > limit)
			continue;
		h = (double)(w[i].host_ns - best->host_ns);
		o = (double)(w[i].off_ns - best->off_ns);
		n++;
		sh += h;
		so += o;
		shh += h * h;
		sho += h * o;
		if (w[i].unc_ns > umax)
			umax = w[i].unc_ns;
		if (w[i].host_ns < hmin)
			hmin = w[i].host_ns;
		if (w[i].host_ns > hmax)
			hmax = w[i].host_ns;
	}
	if (n < IFBH_CLOCK_DRIFT_MIN_POINTS || hmax - hmin < IFBH_CLOCK_DRIFT_SPAN_NS)
		return;
	hbar = sh / n;
	sxx = shh - n * hbar * hbar;
	if (!(sxx > 0))
		return;
	e->drift = (sho - hbar * so) / sxx;
	/* each offset within umax of the truth: the least-squares slope
	 * within umax * sum |h - hbar| / sum (h - hbar)^2 */
	for (unsigned int i = 0; i < e->nwin; i++)
		if (w[i].unc_ns <= limit)
			sabs += fabs((double)(w[i].host_ns - best->host_ns) - hbar);
	e->drift_unc = (double)umax * sabs / sxx;
	e->drift_known = true;
}

void ifbh_clock_est_add(struct ifbh_clock_est *e, int64_t t0, int64_t t1,
			const struct ifbh_clock_reply *c)
{
	struct ifbh_clock_sample *p;

	e->rounds++;
	if (t1 < t0)
		return;
	p = &e->win[e->head];
	e->head = (e->head + 1) % IFBH_CLOCK_WINDOW;
	if (e->nwin < IFBH_CLOCK_WINDOW)
		e->nwin++;
	/* rounded up: a bound, never short */
	p->unc_ns = (t1 - t0 + 1) / 2 + (int64_t)(c->read_ns / 2 + c->read_ns % 2);
	p->host_ns = t0 + (t1 - t0) / 2;
	p->off_ns = p->host_ns - (int64_t)c->monotonic_ns;
	e->realtime_ns = c->realtime_ns - (int64_t)c->monotonic_ns;
	e->tai_ns = c->tai_ns - (int64_t)c->monotonic_ns;
	e->boottime_ns = (int64_t)c->boottime_ns - (int64_t)c->monotonic_ns;
	e->flags = c->flags;
	e->esterror_us = c->esterror_us;
	clock_estimate(e);
}

/* One rule for the offset at a host time: the estimate's (times.h), or a
 * model's fields, which are the estimate's. */
static int offset_at(int64_t off0, int64_t unc0, int64_t at, bool drift_known, double drift,
		     double drift_unc, int64_t host_ns, int64_t *ret_off, int64_t *ret_unc)
{
	double dt = (double)host_ns - (double)at, off, unc;

	if (unc0 < 0 || !(drift_unc >= 0) || !isfinite(drift))
		return -EINVAL; /* no estimate ever says so: a caller's fields */
	if (!drift_known) {
		/* not measured yet: the crystals' rating, assumed */
		drift = 0;
		drift_unc = IFBH_CLOCK_DRIFT_PRIOR;
	}
	if (fabs(drift) > drift_unc) {
		off = (double)off0 + drift * dt;
		unc = (double)unc0 + drift_unc * fabs(dt);
	} else {
		/* a drift within its bound of 0 is not applied (it would add
		 * the round trips' noise); the true one is within |drift| +
		 * its bound, and within the crystals' rating */
		off = (double)off0;
		unc = (double)unc0 + fmin(fabs(drift) + drift_unc, IFBH_CLOCK_DRIFT_PRIOR) * fabs(dt);
	}
	if (!(fabs(off) < 9e18 && fabs(unc) < 9e18))
		return -ERANGE;
	*ret_off = (int64_t)llround(off);
	if (ret_unc)
		*ret_unc = (int64_t)llround(unc);
	return 0;
}

int ifbh_clock_est_offset(const struct ifbh_clock_est *e, int64_t host_ns, int64_t *ret_off,
			  int64_t *ret_unc)
{
	if (!e->valid)
		return -EAGAIN;
	return offset_at(e->host_offset_ns, e->unc_ns, e->at_ns, e->drift_known, e->drift,
			 e->drift_unc, host_ns, ret_off, ret_unc);
}

int ifbh_time_model_offset(const struct ifbh_time_model *m, int64_t host_ns, int64_t *ret_off,
			   int64_t *ret_unc)
{
	if (!m || m->size < offsetof(struct ifbh_time_model, clock_rounds) + sizeof(m->clock_rounds))
		return -EINVAL;
	if (!m->clock_known)
		return -EAGAIN;
	return offset_at(m->host_offset_ns, m->host_offset_unc_ns, m->clock_at_ns,
			 m->clock_drift_known, m->clock_drift_ppm * 1e-6,
			 m->clock_drift_unc_ppm * 1e-6, host_ns, ret_off, ret_unc);
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
	m->clock_at_ns = e->at_ns;
	m->clock_drift_known = e->drift_known;
	m->clock_drift_ppm = e->drift_known ? e->drift * 1e6 : 0;
	m->clock_drift_unc_ppm = (e->drift_known ? e->drift_unc : IFBH_CLOCK_DRIFT_PRIOR) * 1e6;
	m->clock_rounds = e->rounds;
}

int ifbh_timebook_fetch(struct ifbh_timebook *b, uint64_t bound, const struct ifbh_gaps *g,
			ifbh_gaps_get_fn get, void *user, bool ring_only,
			struct ifbh_times_reply *scratch, char *msg, size_t msglen)
{
	uint8_t buf[IFB_MAX_REPLY];
	uint64_t seq0 = b->seq, lost0 = b->lost;
	int ret = 1;

	/* the ring in replies of the most marks each, and one more */
	for (unsigned int i = 0; ret == 1 && i < IFB_TIMES_RING / IFB_TIMES_MAX_PER_REPLY + 1; i++) {
		ret = get(user, (uint16_t)b->seq, buf, sizeof(buf));
		if (ret < 0) {
			snprintf(msg, msglen, "GET_TIMES failed: %s", strerror(-ret));
			return ret;
		}
		ret = ifbh_parse_times(buf, (size_t)ret, scratch, msg, msglen);
		if (ret)
			return ret;
		if (ring_only && b->seq == 0 && !b->tm.marks && scratch->first_seq > 0 &&
		    scratch->count)
			b->gap_from = scratch->mark[0].offset;
		ret = ifbh_timebook_feed(b, scratch, bound, g);
		if (ret < 0) {
			snprintf(msg, msglen,
				 "GET_TIMES contradicts an earlier reply (stream %" PRIu32
				 ", mark %" PRIu64 "): %s",
				 scratch->stream_id, b->seq, strerror(-ret));
			return ret;
		}
	}
	/* the marks read, not those the ring had dropped */
	return (int)(b->seq - seq0 - (b->lost - lost0));
}

void ifbh_timebook_model(const struct ifbh_timebook *b, double nominal_hz,
			 const struct ifbh_clock_est *c, struct ifbh_time_model *ret)
{
	struct ifbh_time_model m;

	memset(&m, 0, sizeof(m));
	m.size = ret->size < sizeof(m) ? ret->size : sizeof(m);
	m.nominal_hz = nominal_hz;
	if (b) {
		double period = ifbh_tm_period_ns(&b->tm);

		m.source = b->tm.marks ? (int)ifbh_timebook_source(b) : IFBH_TIME_NONE;
		m.marks = b->tm.marks;
		m.runs = b->tm.nrun;
		m.rate_hz = period > 0 ? 1e9 / period : 0;
		m.ppm = m.rate_hz > 0 && nominal_hz > 0 ? (m.rate_hz / nominal_hz - 1) * 1e6 : 0;
		m.jitter_ns = ifbh_tm_jitter_ns(&b->tm);
		m.timestamp_clock = (int)b->ts_clock;
		m.refused = b->refused + b->ts_dropped;
	}
	ifbh_clock_est_fill(c, &m);
	memcpy(ret, &m, m.size);
	ret->size = m.size;
}
