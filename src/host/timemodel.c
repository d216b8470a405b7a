// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/timemodel.h"

/* Weight of the newest error in the running mean once warmed up: about
 * the last 256 marks. */
#define TM_ERR_WINDOW 256
/* Times are int64_t ns: marks and answers stay well inside (146 years). */
#define TM_NS_MAX ((uint64_t)INT64_MAX / 2)

void ifbh_tm_init(struct ifbh_tm *m, uint32_t scan_size, double nominal_hz)
{
	memset(m, 0, sizeof(*m));
	m->scan_size = scan_size ? scan_size : 1;
	m->nominal_ns = nominal_hz > 0 ? 1e9 / nominal_hz : 0;
}

void ifbh_tm_free(struct ifbh_tm *m)
{
	free(m->run);
	memset(m, 0, sizeof(*m));
}

static int push_run(struct ifbh_tm *m, uint64_t start)
{
	if (m->nrun) {
		const struct ifbh_tm_run *last = &m->run[m->nrun - 1];

		m->sxx += last->sxx;
		m->sxy += last->sxy;
	}
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

double ifbh_tm_period_ns(const struct ifbh_tm *m)
{
	double sxx = m->sxx, sxy = m->sxy;

	if (m->nrun) {
		sxx += m->run[m->nrun - 1].sxx;
		sxy += m->run[m->nrun - 1].sxy;
	}
	return sxx > 0 ? sxy / sxx : 0;
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

/* Time relative to m->ref of scan index k in run r; false if unknown. */
static bool predict(const struct ifbh_tm *m, const struct ifbh_tm_run *r, double k, double *t)
{
	double b = ifbh_tm_period_ns(m);

	if (b <= 0)
		b = m->nominal_ns;
	if (!r || !r->n || b <= 0)
		return false;
	*t = r->mt + b * (k - r->mk);
	return true;
}

int ifbh_tm_mark(struct ifbh_tm *m, uint64_t off, uint64_t ns)
{
	struct ifbh_tm_run *r;
	double k, t, dk, dt, pred;
	int ret;

	if (off % m->scan_size || (m->marks && off <= m->last_off) || ns > TM_NS_MAX ||
	    (m->marks && (ns < (uint64_t)m->ref ? (uint64_t)m->ref - ns : ns - (uint64_t)m->ref) >
				 TM_NS_MAX / 2))
		return -EINVAL;
	if (!m->nrun && (ret = push_run(m, 0)) < 0)
		return ret;
	if (!m->marks)
		m->ref = (int64_t)ns;
	r = &m->run[m->nrun - 1];
	k = (double)off / m->scan_size;
	t = (double)((int64_t)ns - m->ref);
	if (r->n && predict(m, r, k, &pred)) {
		double e = t - pred;

		m->nerr++;
		m->err2 += (e * e - m->err2) / (double)(m->nerr < TM_ERR_WINDOW ? m->nerr : TM_ERR_WINDOW);
	}
	r->n++;
	dk = k - r->mk;
	r->mk += dk / (double)r->n;
	dt = t - r->mt;
	r->mt += dt / (double)r->n;
	r->sxx += dk * (k - r->mk);
	r->sxy += dk * (t - r->mt);
	m->marks++;
	m->last_off = off;
	return 0;
}

int ifbh_tm_time(const struct ifbh_tm *m, uint64_t off, int64_t *ret_ns)
{
	double t;

	if (!predict(m, run_of(m, off), (double)off / m->scan_size, &t))
		return -EAGAIN;
	if (!(fabs(t) < (double)(TM_NS_MAX / 2)))
		return -ERANGE; /* centuries away: nothing a board's clock says */
	*ret_ns = m->ref + (int64_t)llround(t);
	return 0;
}

double ifbh_tm_jitter_ns(const struct ifbh_tm *m)
{
	return m->nerr ? sqrt(m->err2) : 0;
}
