// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/timemodel.h"

/* Weight of the newest height in the running mean once warmed up: about
 * the last 256 marks. */
#define TM_ERR_WINDOW 256
/* Times are int64_t ns: marks and answers stay well inside (146 years). */
#define TM_NS_MAX ((uint64_t)INT64_MAX / 2)
/*
 * Bounds on what a device can make us keep. A run's lower hull holds a
 * handful of points for real marks (late noise leaves few on it); a
 * hostile device can put every mark on it, so it is thinned (every other
 * inner point dropped: the envelope stays within the dropped points'
 * heights) past TM_HULL_MAX. Past TM_RUNS_MAX runs (gaps), the older half
 * is forgotten: their times become unknown.
 */
#define TM_HULL_MAX 4096
#define TM_RUNS_MAX 65536
/* and all runs' hull points together: 16 MiB */
#define TM_PTS_MAX (1u << 20)

void ifbh_tm_init(struct ifbh_tm *m, uint32_t scan_size, double nominal_hz)
{
	memset(m, 0, sizeof(*m));
	m->scan_size = scan_size ? scan_size : 1;
	m->nominal_ns = nominal_hz > 0 ? 1e9 / nominal_hz : 0;
}

void ifbh_tm_free(struct ifbh_tm *m)
{
	for (size_t i = 0; i < m->nrun; i++)
		free(m->run[i].hull);
	free(m->run);
	memset(m, 0, sizeof(*m));
}

/* Forget the older half of the runs (but the last): their times become
 * unknown. */
static void forget_old_runs(struct ifbh_tm *m)
{
	size_t drop = m->nrun / 2;

	for (size_t i = 0; i < drop; i++) {
		m->npts -= m->run[i].nhull;
		free(m->run[i].hull);
	}
	memmove(m->run, m->run + drop, (m->nrun - drop) * sizeof(m->run[0]));
	m->nrun -= drop;
}

static int push_run(struct ifbh_tm *m, uint64_t start)
{
	if (m->nrun == TM_RUNS_MAX)
		forget_old_runs(m);
	if (m->nrun == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct ifbh_tm_run *r = realloc(m->run, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		m->run = r;
		m->cap = cap;
	}
	memset(&m->run[m->nrun], 0, sizeof(m->run[0]));
	m->run[m->nrun++].start = start;
	return 0;
}

int ifbh_tm_gap(struct ifbh_tm *m, uint64_t off)
{
	if (m->marks && off < m->last_off)
		return -EINVAL;
	if (m->nrun && m->run[m->nrun - 1].start == off)
		return 0; /* the same spot (a fault and its starvation) */
	if (!m->nrun) {
		int r = push_run(m, 0);

		if (r < 0)
			return r;
		if (off == 0)
			return 0;
	}
	return push_run(m, off);
}

/* The hull vertex where t - b * k is least: the first whose right edge
 * rises at least as steeply as b. */
static const struct ifbh_tm_pt *lowest(const struct ifbh_tm_run *r, double b)
{
	size_t lo = 0, hi = r->nhull - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ifbh_tm_pt *p = &r->hull[mid], *q = &r->hull[mid + 1];

		if ((q->t - p->t) >= b * (q->k - p->k))
			hi = mid;
		else
			lo = mid + 1;
	}
	return &r->hull[lo];
}

/* d/db of the marks' total height above the envelope of slope b (the
 * runs of two or more hull points: a single point's is 0). */
static double slope_derivative(const struct ifbh_tm *m, double b)
{
	double d = 0;

	for (size_t i = 0; i < m->nrun; i++) {
		const struct ifbh_tm_run *r = &m->run[i];

		if (r->nhull >= 2)
			d += (double)r->n * lowest(r, b)->k - r->sumk;
	}
	return d;
}

void ifbh_tm_fit(struct ifbh_tm *m)
{
	double lo = INFINITY, hi = -INFINITY;

	/*
	 * The total height is convex in b, its derivative a non-decreasing
	 * step function: negative below every hull edge's slope (each run's
	 * lowest point is its first), positive above them all. Bisect for
	 * where it turns non-negative.
	 */
	for (size_t i = 0; i < m->nrun; i++) {
		const struct ifbh_tm_run *r = &m->run[i];

		for (size_t j = 0; j + 1 < r->nhull; j++) {
			double s = (r->hull[j + 1].t - r->hull[j].t) / (r->hull[j + 1].k - r->hull[j].k);

			if (s < lo)
				lo = s;
			if (s > hi)
				hi = s;
		}
	}
	if (lo > hi) {
		m->b = m->nominal_ns; /* no run with two marks on its hull */
	} else {
		for (int it = 0; it < 200 && hi - lo > fabs(hi) * 1e-15; it++) {
			double mid = lo + (hi - lo) / 2;

			if (slope_derivative(m, mid) >= 0)
				hi = mid;
			else
				lo = mid;
		}
		m->b = hi;
	}
}

double ifbh_tm_period_ns(const struct ifbh_tm *m)
{
	return m->b > 0 ? m->b : 0;
}

/* The run holding stream offset off: the last one starting at or before it. */
static const struct ifbh_tm_run *run_of(const struct ifbh_tm *m, uint64_t off)
{
	size_t lo = 0, hi = m->nrun;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->run[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return m->nrun && m->run[lo].start <= off ? &m->run[lo] : NULL;
}

/* Drop every other inner hull point (a hostile device's convex marks). */
static void thin(struct ifbh_tm_run *r)
{
	size_t w = 1;

	for (size_t i = 1; i + 1 < r->nhull; i += 2)
		r->hull[w++] = r->hull[i];
	r->hull[w++] = r->hull[r->nhull - 1];
	r->nhull = w;
}

static int hull_push(struct ifbh_tm_run *r, double k, double t);

static int hull_add(struct ifbh_tm *m, struct ifbh_tm_run *r, double k, double t)
{
	size_t before = r->nhull;
	int ret = hull_push(r, k, t);

	m->npts = m->npts - before + r->nhull;
	return ret;
}

static int hull_push(struct ifbh_tm_run *r, double k, double t)
{
	/* lower hull, k increasing: keep left turns only */
	while (r->nhull >= 2) {
		const struct ifbh_tm_pt *o = &r->hull[r->nhull - 2], *a = &r->hull[r->nhull - 1];

		if ((a->k - o->k) * (t - o->t) - (a->t - o->t) * (k - o->k) > 0)
			break;
		r->nhull--;
	}
	if (r->nhull == TM_HULL_MAX)
		thin(r);
	if (r->nhull == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct ifbh_tm_pt *h = realloc(r->hull, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		r->hull = h;
		r->cap = cap;
	}
	r->hull[r->nhull++] = (struct ifbh_tm_pt){ .k = k, .t = t };
	return 0;
}

/* A point of the current run's envelope: a mark (counted, its height
 * measured) or a bound (bound: off may equal the last mark's). */
static int add_point(struct ifbh_tm *m, uint64_t off, uint64_t ns, bool bound)
{
	struct ifbh_tm_run *r;
	double k, t;
	int ret;

	if (off % m->scan_size || ns > TM_NS_MAX || (m->have_ref && (ns < (uint64_t)m->ref ?
		(uint64_t)m->ref - ns : ns - (uint64_t)m->ref) > TM_NS_MAX / 2))
		return -EINVAL;
	if (m->marks && (bound ? off < m->last_off : off <= m->last_off))
		return -EINVAL;
	if (!m->nrun && (ret = push_run(m, 0)) < 0)
		return ret;
	if (off < m->run[m->nrun - 1].start)
		return -EINVAL;
	if (!m->have_ref) {
		m->ref = (int64_t)ns;
		m->have_ref = true;
	}
	r = &m->run[m->nrun - 1];
	k = (double)off / m->scan_size;
	t = (double)((int64_t)ns - m->ref);
	if (r->nhull && r->hull[r->nhull - 1].k >= k)
		return -EINVAL; /* not after the run's last point (its hull's last) */
	if (!bound && r->nhull && m->b > 0) {
		/* its height above the envelope as it stands */
		const struct ifbh_tm_pt *p = lowest(r, m->b);
		double e = t - (p->t + m->b * (k - p->k));

		m->nerr++;
		m->err2 += (e * e - m->err2) / (double)(m->nerr < TM_ERR_WINDOW ? m->nerr : TM_ERR_WINDOW);
	}
	ret = hull_add(m, r, k, t);
	if (ret < 0)
		return ret;
	r->n++;
	r->sumk += k;
	if (!bound) {
		m->marks++;
		m->last_off = off;
		m->last_ns = ns;
	}
	if (m->npts > TM_PTS_MAX && m->nrun > 1)
		forget_old_runs(m); /* moves the runs: r is stale from here */
	return 0;
}

int ifbh_tm_mark(struct ifbh_tm *m, uint64_t off, uint64_t ns)
{
	return add_point(m, off, ns, false);
}

int ifbh_tm_bound(struct ifbh_tm *m, uint64_t off, uint64_t ns)
{
	return add_point(m, off, ns, true);
}

int ifbh_tm_time(const struct ifbh_tm *m, uint64_t off, int64_t *ret_ns)
{
	const struct ifbh_tm_run *r = run_of(m, off);
	const struct ifbh_tm_pt *p;
	double t;

	if (!r || !r->nhull || !(m->b > 0))
		return -EAGAIN;
	/* the envelope of the run: through its lowest point at slope b */
	p = lowest(r, m->b);
	t = p->t + m->b * ((double)off / m->scan_size - p->k);
	if (!(fabs(t) < (double)(TM_NS_MAX / 2)))
		return -ERANGE; /* centuries away: nothing a board's clock says */
	*ret_ns = m->ref + (int64_t)llround(t);
	return 0;
}

double ifbh_tm_jitter_ns(const struct ifbh_tm *m)
{
	return m->nerr ? sqrt(m->err2) : 0;
}
