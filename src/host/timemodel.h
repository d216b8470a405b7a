// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: a stream's time model (protocol version 6). The
 * device sends time marks (protocol.h "Board time"): a block's end offset
 * and the board's CLOCK_MONOTONIC when the converter finished it. A mark
 * is never early (the fence cannot signal before the last sample is
 * taken) and late by the completion's latency, which has a floor (the
 * interrupt latency) and occasional spikes (a busy CPU): one-sided noise.
 * So the model is the lower envelope of the marks, not a least-squares
 * line through them: the line board time = a + b * scan index that lies
 * below every mark and as close to them as can be (the support line of
 * their lower convex hull, a linear programme: the sum of the marks'
 * heights above the line is least). Between gaps the converter's scans
 * are contiguous, so each gap-free run has its own intercept a; the slope
 * b (ns per scan: the converter's real rate) is shared by every run, as
 * one clock drives them. A gap starts a new run: its samples' times come
 * from its own marks, so the model needs no knowledge of how many samples
 * a gap lost (the device does not know either). The fit is over the whole
 * stream: it assumes the rate constant over it (a crystal's drift over
 * minutes is well below the marks' jitter on the boards this serves). A
 * late spike moves nothing: only the earliest marks shape the envelope.
 *
 * Pure: no I/O, no clock. Offsets are stream byte offsets; times ns.
 */
#ifndef IFBH_TIMEMODEL_H
#define IFBH_TIMEMODEL_H

#include <stddef.h>
#include <stdint.h>

struct ifbh_tm_pt {
	double k, t; /* scan index; time - ref */
};

struct ifbh_tm_run {
	uint64_t start;  /* stream offset where the run begins (0, or a gap's) */
	uint64_t n;      /* marks in it */
	double sumk;     /* sum of their scan indices */
	struct ifbh_tm_pt *hull; /* the marks' lower convex hull, k increasing */
	size_t nhull, cap;
};

struct ifbh_tm {
	uint32_t scan_size;
	double nominal_ns;  /* ns per scan at the nominal rate; 0 unknown */
	int64_t ref;        /* the first point's time: times are kept relative to it */
	bool have_ref;
	struct ifbh_tm_run *run;
	size_t nrun, cap;
	size_t npts;        /* hull points of all runs */
	uint64_t marks;
	uint64_t last_off;  /* the last mark's offset: marks must go forward */
	uint64_t last_ns;   /* and its time */
	double b;           /* ns per scan of the last fit; 0: none */
	double err2;        /* running mean of squared heights of new marks above
			     * the envelope as it was (ns^2) */
	uint64_t nerr;
};

/* scan_size > 0; nominal_hz: GET_INFO's rate (0 unknown). */
void ifbh_tm_init(struct ifbh_tm *m, uint32_t scan_size, double nominal_hz);
void ifbh_tm_free(struct ifbh_tm *m);
/*
 * A gap at stream offset off (samples are missing before it): a new run
 * starts there. Gaps and marks go in stream order. -EINVAL for an offset
 * behind the last mark, -ENOMEM.
 */
int ifbh_tm_gap(struct ifbh_tm *m, uint64_t off);
/* A mark: the block ending at stream offset off finished at board time
 * ns. 0; -EINVAL (not a whole scan, not after the last mark, a time out
 * of int64_t's half range or that far from the first mark), -ENOMEM. */
int ifbh_tm_mark(struct ifbh_tm *m, uint64_t off, uint64_t ns);
/*
 * Fit the envelope to the marks so far (the slope over every run, each
 * run's intercept). Marks are taken by ifbh_tm_mark() as they come; the
 * answers below are of the last fit.
 */
void ifbh_tm_fit(struct ifbh_tm *m);
/*
 * An upper bound: the scan starting at stream offset off (in the current
 * run, at or after the last mark's offset) was taken no later than board
 * time ns (a run's first block, queued to an idle converter: protocol.h
 * "Board time"). It shapes the envelope as a mark does. 0; -EINVAL (not
 * a whole scan, behind the last mark or the run's start, a time out of
 * range), -ENOMEM.
 */
int ifbh_tm_bound(struct ifbh_tm *m, uint64_t off, uint64_t ns);
/* ns per scan the marks show; 0 until a run holds two marks. */
double ifbh_tm_period_ns(const struct ifbh_tm *m);
/*
 * The board time of the scan that starts at stream offset off: 0, or
 * -EAGAIN while the run holding off has no mark (or no rate is known,
 * neither measured nor nominal), -ERANGE for a time beyond int64_t's
 * range (only a hostile device's marks lead there).
 */
int ifbh_tm_time(const struct ifbh_tm *m, uint64_t off, int64_t *ret_ns);
/* Root mean square of the new marks' heights above the envelope as it
 * was when they came (how late a completion typically is beyond the
 * earliest ones), ns; 0 until known. */
double ifbh_tm_jitter_ns(const struct ifbh_tm *m);

#endif
