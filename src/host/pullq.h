// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: the pull-mode queue. Completed bulk transfers wait
 * here, unread and uncopied, until the reader takes their bytes; a
 * transfer goes back to libusb (release) once every byte of it was taken.
 * So a slow reader holds transfers, the device runs out of room and
 * reports the gap itself: nothing is dropped silently on the host.
 *
 * A take returns bytes only below `settled` (the device's bytes_sent of
 * its latest GET_STATS: every gap before that offset is known), never
 * across a listed gap, in whole units (scans), reassembling units split
 * across transfers. Pure: unit-tested without USB.
 */
#ifndef IFBH_PULLQ_H
#define IFBH_PULLQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/gaps.h"
#include "ifbhost.h"

struct ifbh_pullq_seg {
	const uint8_t *data;
	size_t len;
	uint64_t offset; /* stream offset of data[0] */
	void *token;     /* handed back to release() */
};

typedef void (*ifbh_pullq_release_fn)(void *user, void *token);

struct ifbh_pullq {
	struct ifbh_pullq_seg *seg; /* ring of cap entries */
	size_t cap, head, n;
	size_t pos;           /* bytes of seg[head] already taken */
	uint64_t flagged_end; /* gaps at offsets < this were reported already */
	uint64_t dropped;     /* bytes dropped: a partial unit before a gap */
	ifbh_pullq_release_fn release;
	void *user;
};

/* Room for cap segments. Returns 0 or -ENOMEM. */
int ifbh_pullq_init(struct ifbh_pullq *q, size_t cap, ifbh_pullq_release_fn release, void *user);
void ifbh_pullq_free(struct ifbh_pullq *q);
/* Queue a segment (in stream order). Returns 0 or -ENOSPC. */
int ifbh_pullq_push(struct ifbh_pullq *q, const void *data, size_t len, uint64_t offset,
		    void *token);
/* Bytes queued and not yet taken. */
uint64_t ifbh_pullq_bytes(const struct ifbh_pullq *q);
/*
 * Copies at most len bytes (a multiple of unit) into buf, as described
 * above; info gets the offset of the first byte and whether a gap
 * precedes it. Returns the bytes copied (0: nothing takeable yet).
 */
size_t ifbh_pullq_take(struct ifbh_pullq *q, void *buf, size_t len, size_t unit, uint64_t settled,
		       const struct ifbh_gaps *gaps, struct ifbh_read_info *info);
/* Hands every queued segment back to release() (at the end of a stream). */
void ifbh_pullq_clear(struct ifbh_pullq *q);

#endif
