// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/verify.h"

int cap_verify_init(struct cap_verify *v, const struct ifbh_info *info, char *err, size_t errlen)
{
	int ts = ifbh_info_timestamp_channel(info);

	memset(v, 0, sizeof(*v));
	v->scan_size = info->scan_size;
	for (unsigned int i = 0; i < info->num_channels; i++) {
		const struct ifbh_channel *c = &info->ch[i];
		struct cap_vchan *vc;

		/* IIO's timestamp channel rides along: the pattern is the others' */
		if ((int)i == ts)
			continue;
		if (c->scan_index > 1 || c->bits != 16 || c->repeat != 1) {
			snprintf(err, errlen,
				 "--verify checks the simulated ADC's pattern (16-bit channels with "
				 "scan index 0 and 1); channel %s (index %u, %u bits, repeat %u) "
				 "does not fit it",
				 c->name, c->scan_index, c->bits, c->repeat);
			return -EINVAL;
		}
		vc = &v->ch[v->nch++];
		vc->info_idx = (int)i;
		vc->offset = c->offset;
		vc->bytes = c->storage_bits / 8;
		vc->is_be = c->is_be;
		vc->shift = c->shift;
		vc->half = c->scan_index;
		if (vc->half)
			v->has_high = true;
		else
			v->has_low = true;
	}
	v->carry = malloc(v->scan_size);
	if (!v->carry) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void cap_verify_free(struct cap_verify *v)
{
	free(v->carry);
	free(v->sus);
	free(v->jumps);
	memset(v, 0, sizeof(*v));
}

static uint64_t load(const uint8_t *p, unsigned int bytes, bool be)
{
	uint64_t w = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int k = be ? i : bytes - 1 - i;

		w = (w << 8) | p[k];
	}
	return w;
}

/* Offset (within the sample) of the first byte whose valid bits differ. */
static unsigned int first_bad_byte(const struct cap_vchan *c, uint64_t got_word, uint32_t expected)
{
	uint64_t mask = (uint64_t)0xffff << c->shift;
	uint64_t diff = (got_word ^ ((uint64_t)expected << c->shift)) & mask;

	for (unsigned int i = 0; i < c->bytes; i++) {
		/* byte i in memory holds word bits ... */
		unsigned int sig = c->is_be ? c->bytes - 1 - i : i;

		if ((diff >> (8 * sig)) & 0xff)
			return i;
	}
	return 0;
}

static void add_suspect(struct cap_verify *v, const struct cap_suspect *s)
{
	if (v->nsus == CAP_VERIFY_MAX_PENDING) {
		/* more breaks than any gap list explains: judge without one */
		v->unexplained++;
		if (!v->failed) {
			v->failed = true;
			v->overflow = true;
			v->fail = v->sus[0];
		}
		return;
	}
	if (v->nsus == v->sus_cap) {
		size_t ncap = v->sus_cap ? 2 * v->sus_cap : 16;
		struct cap_suspect *n = realloc(v->sus, ncap * sizeof(*n));

		if (!n) {
			v->oom = true;
			v->unexplained++;
			if (!v->failed) {
				v->failed = true;
				v->fail = *s;
			}
			return;
		}
		v->sus = n;
		v->sus_cap = ncap;
	}
	v->sus[v->nsus++] = *s;
}

static void check_scan(struct cap_verify *v, const uint8_t *scan, uint64_t off)
{
	uint64_t word[2];
	uint32_t got[2];
	uint32_t lo = 0, hi = 0;
	int bad = -1;
	struct cap_suspect s;

	for (unsigned int i = 0; i < v->nch; i++) {
		const struct cap_vchan *c = &v->ch[i];

		word[i] = load(scan + c->offset, c->bytes, c->is_be);
		got[i] = (uint32_t)(word[i] >> c->shift) & 0xffff;
		if (c->half)
			hi = got[i];
		else
			lo = got[i];
	}

	if (!v->synced) {
		/* the first scan sets the count (see verify.h) */
		v->synced = true;
		if (v->has_high && !v->has_low) {
			v->n = hi << 16;
			v->low_unknown = true;
			v->unknown_since = off;
			v->run = 1;
		} else {
			v->n = ((v->has_high ? hi : 0) << 16 | lo) + 1;
		}
		v->first_n = (hi << 16) | lo;
		return;
	}
	if (v->low_unknown) {
		/* only the high half is present: accept hi for up to 65536 scans */
		uint32_t cur = v->n >> 16;

		if (hi == cur && v->run < 65536) {
			v->run++;
			return;
		}
		if (hi == ((cur + 1) & 0xffff)) {
			v->low_unknown = false;
			v->provisional = true;
			v->n = (hi << 16) + 1;
			return;
		}
		bad = 0;
	} else {
		for (unsigned int i = 0; i < v->nch; i++) {
			uint32_t exp = (v->n >> (16 * v->ch[i].half)) & 0xffff;

			if (got[i] != exp &&
			    (bad < 0 || v->ch[i].offset < v->ch[bad].offset))
				bad = (int)i;
		}
		if (bad < 0) {
			/* a step of the high half exactly where expected confirms n */
			if (v->provisional && (v->n & 0xffff) == 0)
				v->provisional = false;
			v->n++;
			return;
		}
	}

	/* the count broke here: remember where, resynchronise from the data */
	memset(&s, 0, sizeof(s));
	s.scan_off = off;
	s.chan = v->ch[bad].info_idx;
	s.got = got[bad];
	s.expected = (v->n >> (16 * v->ch[bad].half)) & 0xffff;
	s.byte_off = off + v->ch[bad].offset;
	s.explain_from = v->low_unknown || v->provisional ? v->unknown_since : off;
	if (!v->low_unknown)
		s.byte_off += first_bad_byte(&v->ch[bad], word[bad], s.expected);
	if (v->has_low && v->has_high) {
		uint32_t nn = (hi << 16) | lo;

		s.missing_known = true;
		s.missing = nn - v->n;
		v->n = nn + 1;
	} else if (v->has_low) {
		v->n = ((v->n & ~0xffffu) | lo) + 1;
	} else {
		v->n = hi << 16;
		v->low_unknown = true;
		v->provisional = false;
		v->unknown_since = off;
		v->run = 1;
	}
	add_suspect(v, &s);
}

void cap_verify_feed(struct cap_verify *v, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (v->carry_len) {
		size_t take = v->scan_size - v->carry_len;

		if (take > len)
			take = len;
		memcpy(v->carry + v->carry_len, p, take);
		v->carry_len += take;
		p += take;
		len -= take;
		v->pos += take;
		if (v->carry_len < v->scan_size)
			return;
		check_scan(v, v->carry, v->pos - v->scan_size);
		v->carry_len = 0;
	}
	while (len >= v->scan_size) {
		check_scan(v, p, v->pos);
		p += v->scan_size;
		len -= v->scan_size;
		v->pos += v->scan_size;
	}
	if (len)
		memcpy(v->carry, p, len);
	v->carry_len = len;
	v->pos += len;
}

static void add_jump(struct cap_verify *v, const struct cap_suspect *s)
{
	if (v->njumps == v->jumps_cap) {
		size_t ncap = v->jumps_cap ? 2 * v->jumps_cap : 16;
		struct cap_jump *n = realloc(v->jumps, ncap * sizeof(*n));

		if (!n) {
			v->oom = true; /* only loses the count of missing scans */
			return;
		}
		v->jumps = n;
		v->jumps_cap = ncap;
	}
	v->jumps[v->njumps++] = (struct cap_jump){
		.scan_off = s->scan_off,
		.missing_known = s->missing_known,
		.missing = s->missing,
	};
}

/* A listed gap lies in [lo, hi). */
static bool listed_in(const struct cap_gaps *g, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = g->n;

	while (a < b) { /* the first listed offset >= lo */
		size_t m = a + (b - a) / 2;

		if (g->off[m] < lo)
			a = m + 1;
		else
			b = m;
	}
	return a < g->n && g->off[a] < hi;
}

/* off may hold one of the gaps counted without an offset. */
static bool maybe_unlisted(const struct cap_gaps *g, uint64_t off)
{
	for (size_t i = 0; i < g->nunlisted; i++)
		if (off >= g->unlisted[i].lo && off <= g->unlisted[i].hi)
			return true;
	return false;
}

void cap_verify_settle(struct cap_verify *v, const struct cap_gaps *gaps, uint64_t upto)
{
	size_t i;

	for (i = 0; i < v->nsus; i++) {
		const struct cap_suspect *s = &v->sus[i];

		if (s->scan_off >= upto)
			break;
		/* a gap just before the scan, or inside it (or, see above, earlier) */
		if (listed_in(gaps, s->explain_from, s->scan_off + v->scan_size)) {
			add_jump(v, s);
		} else if (maybe_unlisted(gaps, s->scan_off)) {
			v->unlisted++;
		} else {
			v->unexplained++;
			if (!v->failed) {
				v->failed = true;
				v->fail = *s;
			}
		}
	}
	if (i) {
		memmove(v->sus, v->sus + i, (v->nsus - i) * sizeof(*v->sus));
		v->nsus -= i;
	}
}

uint64_t cap_verify_checked(const struct cap_verify *v)
{
	return v->pos - v->carry_len;
}

bool cap_verify_missing_at(const struct cap_verify *v, uint64_t off, uint64_t *missing)
{
	uint64_t scan = off - off % v->scan_size;

	for (size_t i = 0; i < v->njumps; i++) {
		if (v->jumps[i].scan_off == scan) {
			*missing = v->jumps[i].missing;
			return v->jumps[i].missing_known;
		}
	}
	/* no jump there: the count went on unbroken, if we can tell */
	if (v->has_low && v->has_high && !v->oom && !v->overflow && off < cap_verify_checked(v)) {
		for (size_t i = 0; i < v->nsus; i++)
			if (v->sus[i].scan_off == scan)
				return false; /* not settled yet */
		*missing = 0;
		return true;
	}
	return false;
}
