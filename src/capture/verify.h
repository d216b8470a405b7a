// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Streaming checker for the simulated ADC's counter pattern: scan n (from
 * 0 at stream start) holds n & 0xffff in the channel with scan index 0 and
 * (n >> 16) & 0xffff in the channel with scan index 1. IIO's timestamp
 * channel ("timestamp", 64-bit storage; iio-sim-adc timestamp=1) is not
 * part of the pattern and is skipped.
 *
 * The counter runs from when the ADC's buffer was enabled, so the first
 * scan of a stream need not be 0 (a paced ADC produces samples before the
 * first block reaches it): the checker takes its start from the first scan
 * (first_n) and checks continuity from there.
 *
 * Data is fed in chunks of any size. A scan that breaks the count is not
 * judged at once: it is kept as a "suspect" (with the exact byte offset of
 * the first wrong byte) and the count resynchronises from the data. Only
 * cap_verify_settle(), given the gaps the device reported, judges suspects:
 * one at a reported gap is a legitimate jump, any other is a failure (the
 * first is kept in fail; checking goes on, counting them). So a
 * gap the device reports late (next GET_STATS) is still honoured, and
 * memory stays small (the pending suspects, not the stream).
 */
#ifndef CAP_VERIFY_H
#define CAP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ifbhost.h"

#define CAP_VERIFY_MAX_PENDING 65536

/*
 * The gaps a device reported, as libifbhost's public API gives them: the
 * listed offsets (ifbh_stream_gap_offsets, non-decreasing) and the ranges
 * of gaps it counted without listing (ifbh_stream_unlisted_gap).
 */
struct cap_gaps {
	const uint64_t *off;
	size_t n;
	const struct ifbh_gap *unlisted;
	size_t nunlisted;
	uint64_t unlisted_count; /* gaps in those ranges */
};

struct cap_suspect {
	uint64_t scan_off; /* stream offset of the scan that broke the count */
	uint64_t byte_off; /* stream offset of its first wrong byte */
	uint64_t explain_from; /* a gap in [explain_from, scan end) explains it */
	uint32_t expected, got; /* that channel's value */
	int chan;               /* index into ifbh_info.ch */
	bool missing_known;     /* the counter tells how many scans are missing */
	uint32_t missing;
};

struct cap_jump {
	uint64_t scan_off;
	bool missing_known;
	uint32_t missing;
};

struct cap_vchan {
	int info_idx;
	unsigned int offset, bytes, is_be, shift;
	unsigned int half; /* 0: low 16 bits of n, 1: high 16 bits */
};

struct cap_verify {
	unsigned int scan_size, nch;
	struct cap_vchan ch[2];
	bool has_low, has_high;
	uint32_t n;       /* expected counter of the next scan */
	bool synced;      /* the first scan has been seen */
	uint32_t first_n; /* counter of the first scan (its known half/halves) */
	/*
	 * Only the high half present: after a (re)synchronisation the low half
	 * is unknown (low_unknown, since offset unknown_since) until the high
	 * half steps; from then on n is exact *if* no gap hid in between, so
	 * a later break may be explained by a gap anywhere since
	 * unknown_since (provisional), until the next step lands exactly
	 * where expected and confirms n.
	 */
	bool low_unknown;
	uint32_t run; /* scans seen with the current high half */
	uint64_t unknown_since;
	bool provisional;

	uint8_t *carry; /* a scan split across chunks */
	size_t carry_len;
	uint64_t pos; /* stream offset of the next byte fed */

	struct cap_suspect *sus;
	size_t nsus, sus_cap;
	struct cap_jump *jumps; /* suspects explained by a gap */
	size_t njumps, jumps_cap;
	uint64_t unlisted; /* suspects explained only by an unlisted gap */
	uint64_t unexplained; /* breaks no gap explains (the first is in fail) */

	bool failed;
	bool overflow; /* too many pending suspects: failed without a gap check */
	bool oom;
	struct cap_suspect fail;
};

/* Returns 0, or -EINVAL (message in err) if the layout cannot carry the pattern. */
int cap_verify_init(struct cap_verify *v, const struct ifbh_info *info, char *err, size_t errlen);
void cap_verify_free(struct cap_verify *v);
void cap_verify_feed(struct cap_verify *v, const void *data, size_t len);
/* Judge every suspect whose scan starts before `upto` against `gaps`. */
void cap_verify_settle(struct cap_verify *v, const struct cap_gaps *gaps, uint64_t upto);
/* Bytes of whole scans checked so far. */
uint64_t cap_verify_checked(const struct cap_verify *v);
/*
 * Scans missing at a gap at stream offset off, as the counter tells:
 * true and *missing if known (both counter halves present, and that part of
 * the stream checked), false if unknown.
 */
bool cap_verify_missing_at(const struct cap_verify *v, uint64_t off, uint64_t *missing);

#endif
