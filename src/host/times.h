// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: a stream's board time (protocol version 6). The
 * time book takes GET_TIMES replies into the stream's time model
 * (timemodel.h), interleaving the gaps the gap book holds so that each
 * gap-free run gets its own marks; the clock estimate is what GET_CLOCK
 * round trips tell of the board's clocks against the host's.
 */
#ifndef IFBH_TIMES_H
#define IFBH_TIMES_H

#include <stdbool.h>
#include <stdint.h>

#include "host/gaps.h"
#include "host/proto.h"
#include "host/timemodel.h"

struct ifbh_timebook {
	struct ifbh_tm tm;
	uint64_t seq;       /* the next mark's sequence number */
	uint64_t lost;      /* marks the device's ring dropped before we asked */
	uint64_t refused;   /* marks the model refused (not forward, out of range) */
	uint64_t gap_from;  /* gaps from this offset on are not in the model yet */
	uint32_t stream_id; /* 0 until the first reply */
	unsigned int source; /* enum ifb_time_source */
};

void ifbh_timebook_init(struct ifbh_timebook *b, uint32_t scan_size, double nominal_hz);
void ifbh_timebook_free(struct ifbh_timebook *b);
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

/* What GET_CLOCK round trips said (ifbh_dev_clock_sync). */
struct ifbh_clock_est {
	bool valid;
	int64_t host_offset_ns; /* host CLOCK_MONOTONIC - board CLOCK_MONOTONIC */
	int64_t unc_ns;         /* the estimate is within this of the truth */
	int64_t realtime_ns;    /* board CLOCK_REALTIME - board CLOCK_MONOTONIC */
	int64_t tai_ns;         /* board CLOCK_TAI - board CLOCK_MONOTONIC */
	uint32_t flags;         /* IFB_CLOCK_* */
	uint32_t esterror_us;
	unsigned int rounds;    /* round trips taken */
};

/*
 * From one round trip: the host's CLOCK_MONOTONIC before the request (t0)
 * and after the reply (t1), and the reply. The board read its clock
 * between the two: the estimate is the midpoint, within half the round
 * trip (and half the board's read time). Keeps the tightest one in *e.
 */
void ifbh_clock_est_add(struct ifbh_clock_est *e, int64_t t0, int64_t t1,
			const struct ifbh_clock_reply *c);
/* The estimate into a model's clock fields (clock_known 0 without one). */
struct ifbh_time_model;
void ifbh_clock_est_fill(const struct ifbh_clock_est *e, struct ifbh_time_model *m);

#endif
