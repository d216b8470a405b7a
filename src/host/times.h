// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: a stream's board time (protocol version 6). The
 * time book takes GET_TIMES replies into the stream's time model
 * (timemodel.h), interleaving the gaps the gap book holds so that each
 * gap-free run gets its own marks; the clock estimate is what GET_CLOCK
 * round trips tell of the board's clocks against the host's.
 *
 * A stream with the device's own timestamp channel (protocol version 7
 * says its clock) has a better source than the daemon's marks: each
 * transfer's first timestamp is when the driver stamped that very scan.
 * When the clock is one the board's GET_CLOCK relates to CLOCK_MONOTONIC
 * by an offset that only a step of the clock changes (MONOTONIC itself,
 * REALTIME, TAI, BOOTTIME: NTP's slewing moves them and MONOTONIC alike),
 * those timestamps, moved onto MONOTONIC by that offset, are the model's
 * marks, and the daemon's are not used (one source per model: the two
 * are late by different amounts). MONOTONIC_RAW runs at another rate and
 * the _COARSE clocks are a tick early: their timestamps are recorded, not
 * modelled. A timestamp's scan is the one at its offset, so the gaps up
 * to and at that offset come before it (a daemon mark's block ends at
 * its offset: the gaps before it only).
 */
#ifndef IFBH_TIMES_H
#define IFBH_TIMES_H

#include <stdbool.h>
#include <stdint.h>

#include "host/gaps.h"
#include "host/proto.h"
#include "host/timemodel.h"

struct ifbh_ts_sample {
	uint64_t off; /* stream offset of the scan */
	int64_t ns;   /* its timestamp, in the device's timestamp clock */
};

struct ifbh_timebook {
	struct ifbh_tm tm;
	uint64_t seq;       /* the next mark's sequence number */
	uint64_t lost;      /* marks the device's ring dropped before we asked */
	uint64_t refused;   /* marks the model refused (not forward, out of range) */
	uint64_t gap_from;  /* gaps from this offset on are not in the model yet */
	uint32_t stream_id; /* the first reply's */
	bool replied;       /* a reply came */
	/* the device's timestamp channel (version 7) */
	unsigned int ts_clock; /* enum ifb_ts_clock the device said; 0 none */
	int ts_use;            /* -1 not decided yet, 0 the daemon's marks, 1 the timestamps */
	bool ts_failed;        /* the timestamps were the source, and were none */
	bool ts_shift_known;   /* the GET_CLOCK offsets below hold */
	int64_t ts_shift[3];   /* REALTIME, TAI, BOOTTIME - MONOTONIC (ns) */
	int64_t ts_shift_used; /* the one of the stream's clock, when it was decided */
	uint64_t ts_refused;   /* timestamps the model refused */
	unsigned int mark_source; /* enum ifb_time_source of the daemon's marks */
	/* with the timestamps as the source, the daemon's marks are kept
	 * beside them: the model if the timestamps turn out to be none */
	struct ifbh_tm alt;
	uint64_t alt_gap_from, alt_refused;
	uint64_t known;        /* every gap before this offset is in the gap book */
	struct ifbh_ts_sample *pend; /* timestamps waiting for their gaps, or for the
				      * decision; offsets increasing */
	size_t npend;
	uint64_t ts_dropped;   /* timestamps not taken: no room while waiting */
};

/* Timestamps waiting at most (a stream's transfers over a few stats polls). */
#define IFBH_TS_PENDING_MAX 4096
/* The first this many timestamps all refused: they are none (a driver
 * that leaves the channel 0 or counts in its own units); the marks are
 * the model from then on. */
#define IFBH_TS_FALLBACK 16

/* has_ts: the stream's scans carry the device's timestamp channel. */
void ifbh_timebook_init(struct ifbh_timebook *b, uint32_t scan_size, double nominal_hz,
			bool has_ts);
void ifbh_timebook_free(struct ifbh_timebook *b);
/* enum ifbh_time_source of the marks in the model: the timestamps while
 * they are the source, else the daemon's marks' (0 before a reply). */
unsigned int ifbh_timebook_source(const struct ifbh_timebook *b);
/*
 * Take the marks of reply r up to stream offset bound (beyond it the gap
 * book may not hold every gap yet), each after the gaps of g before it.
 * Returns 1 when the device holds more marks this host may take now (ask
 * again from b->seq; never for a reply that brought none), 0 when not,
 * -EBADMSG for a reply of another stream, -ENOMEM. A mark the model
 * refuses is skipped and counted in b->refused.
 */
int ifbh_timebook_feed(struct ifbh_timebook *b, const struct ifbh_times_reply *r, uint64_t bound,
		       const struct ifbh_gaps *g);

/*
 * The device's timestamp of the scan at stream offset off (a transfer's
 * first whole scan): into the model now when it is the model's source
 * and every gap up to off is known, else kept until both are decided
 * (dropped, and counted, beyond IFBH_TS_PENDING_MAX). Offsets increase
 * from call to call. Not fitted here (the next ifbh_timebook_feed()
 * fits; the times of a run already known stand meanwhile). 0 or -ENOMEM.
 */
int ifbh_timebook_timestamp(struct ifbh_timebook *b, uint64_t off, int64_t ns,
			    const struct ifbh_gaps *g);
/*
 * The timestamp of the first whole scan of len bytes of the stream that
 * begin at stream offset off (a transfer: scans of scan bytes from offset
 * 0, the channel at ts_off of a scan, big-endian if be): its stream
 * offset and value. false when no whole scan's timestamp is in them.
 */
bool ifbh_ts_first(const uint8_t *buf, size_t len, uint64_t off, uint32_t scan, uint32_t ts_off,
		   bool be, uint64_t *ret_off, int64_t *ret_ns);

/*
 * What GET_CLOCK round trips said (ifbh_dev_clock_sync at START, then one
 * a second while a stream runs). Each round trip bounds host - board
 * CLOCK_MONOTONIC at its midpoint within half its length; the two
 * crystals differ by tens of ppm, so the offset drifts. Of the last
 * IFBH_CLOCK_WINDOW round trips, the tightest is the estimate's anchor
 * (its offset and bound at its time); the drift is the least-squares
 * slope through those within twice the median bound, once they span
 * IFBH_CLOCK_DRIFT_SPAN_NS of host time, within the bound that their
 * loosest bound puts on that slope. At host time h the offset is the
 * anchor's plus the drift times (h - anchor), its bound the anchor's
 * plus the drift's bound times |h - anchor|; a drift within its bound of
 * 0 is not applied (round trips the host's scheduling lengthens would
 * only add their noise), the bound growing by |drift| + its bound.
 */
#define IFBH_CLOCK_WINDOW 64
/* Until the drift is measured, |drift| <= this is assumed: two crystals
 * rated +/- 100 ppm each (what common oscillators are rated over
 * temperature and age). A drift within its bound of 0 is never taken as
 * worse than this either. */
#define IFBH_CLOCK_DRIFT_PRIOR 200e-6
#define IFBH_CLOCK_DRIFT_SPAN_NS 4000000000ll
#define IFBH_CLOCK_DRIFT_MIN_POINTS 4

struct ifbh_clock_sample {
	int64_t host_ns, off_ns, unc_ns; /* the midpoint, the offset there, its bound */
};

struct ifbh_clock_est {
	bool valid;
	int64_t host_offset_ns; /* host CLOCK_MONOTONIC - board CLOCK_MONOTONIC at at_ns */
	int64_t unc_ns;         /* the estimate is within this of the truth at at_ns */
	int64_t at_ns;          /* host CLOCK_MONOTONIC the estimate is of */
	bool drift_known;
	double drift;           /* d(host - board) / d(host time), e.g. 20e-6 */
	double drift_unc;       /* the drift is within this of the truth */
	int64_t realtime_ns;    /* board CLOCK_REALTIME - board CLOCK_MONOTONIC */
	int64_t tai_ns;         /* board CLOCK_TAI - board CLOCK_MONOTONIC */
	int64_t boottime_ns;    /* board CLOCK_BOOTTIME - board CLOCK_MONOTONIC */
	uint32_t flags;         /* IFB_CLOCK_* */
	uint32_t esterror_us;
	unsigned int rounds;    /* round trips taken */
	struct ifbh_clock_sample win[IFBH_CLOCK_WINDOW]; /* the newest, a ring */
	unsigned int nwin, head;
};

/*
 * From one round trip: the host's CLOCK_MONOTONIC before the request (t0)
 * and after the reply (t1), and the reply. The board read its clock
 * between the two: the offset at the midpoint, within half the round
 * trip (and half the board's read time). Into the window, and the
 * estimate made anew (above). The board's own clock relations (REALTIME,
 * TAI, BOOTTIME - MONOTONIC) are the newest round trip's.
 */
void ifbh_clock_est_add(struct ifbh_clock_est *e, int64_t t0, int64_t t1,
			const struct ifbh_clock_reply *c);
/*
 * host - board CLOCK_MONOTONIC at host time host_ns, and its bound (the
 * estimate's, plus the drift's uncertainty times the distance from at_ns;
 * without a known drift, the estimate's alone). -EAGAIN without an
 * estimate, -ERANGE beyond int64_t.
 */
int ifbh_clock_est_offset(const struct ifbh_clock_est *e, int64_t host_ns, int64_t *ret_off,
			  int64_t *ret_unc);
/* The board's clock offsets a timestamp channel's clock needs (those of
 * the stream's START: a clock step after it misplaces the timestamps). */
void ifbh_timebook_set_clock(struct ifbh_timebook *b, const struct ifbh_clock_est *e);
/* The estimate into a model's clock fields (clock_known 0 without one). */
struct ifbh_time_model;
void ifbh_clock_est_fill(const struct ifbh_clock_est *e, struct ifbh_time_model *m);

/*
 * GET_TIMES through get (an ifbh_gaps_get_fn: wValue the first mark
 * wanted, b->seq) until the book holds the device's marks up to stream
 * offset bound, each taken as ifbh_timebook_feed() takes it (the gaps of
 * g before it), replies parsed into scratch. At most as many replies as
 * the device's ring (IFB_TIMES_RING) takes to send, and none after one
 * that brought nothing new: a device that ignores wValue is not asked
 * again and again. ring_only: a book that holds no mark yet skips the
 * gaps before the oldest mark the device still holds when its ring has
 * lost the stream's first marks (the runs those gaps start have no mark
 * left; for a model that places no sample). Returns the marks taken
 * (>= 0), or the getter's negative errno, the parser's (-EBADMSG,
 * -EPROTO, -EPROTONOSUPPORT), -EBADMSG for a reply of another stream,
 * -ENOMEM, with a message in msg. The model is fitted.
 */
int ifbh_timebook_fetch(struct ifbh_timebook *b, uint64_t bound, const struct ifbh_gaps *g,
			ifbh_gaps_get_fn get, void *user, bool ring_only,
			struct ifbh_times_reply *scratch, char *msg, size_t msglen);

/*
 * The book's model into *ret (see its size: a smaller struct is filled
 * as far as it goes): the source, marks, runs, the measured rate and its
 * ppm against nominal_hz (GET_INFO's), the jitter, and the clock
 * estimate c. b NULL: no marks (the clock fields alone).
 */
void ifbh_timebook_model(const struct ifbh_timebook *b, double nominal_hz,
			 const struct ifbh_clock_est *c, struct ifbh_time_model *ret);

#endif
