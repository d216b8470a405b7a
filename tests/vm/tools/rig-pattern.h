/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated ADC's pattern, for the rig's probe tools: scan n holds
 * voltage0 = n & 0xffff and voltage1 = (n >> 16) & 0xffff, each le:u16,
 * enabled channels only, in scan index order.
 */
#ifndef RIG_PATTERN_H
#define RIG_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct rig_pattern {
	unsigned int mask;	/* bit 0: voltage0 enabled, bit 1: voltage1 */
	unsigned int scan_bytes;
	uint64_t n;		/* next expected scan */
};

static inline int rig_pattern_init(struct rig_pattern *p, const char *channels)
{
	p->mask = 0;
	p->n = 0;
	if (!strcmp(channels, "both") || !strcmp(channels, "0,1"))
		p->mask = 3;
	else if (!strcmp(channels, "0"))
		p->mask = 1;
	else if (!strcmp(channels, "1"))
		p->mask = 2;
	else
		return -1;
	p->scan_bytes = p->mask == 3 ? 4 : 2;
	return 0;
}

static inline void rig_pattern_scan(const struct rig_pattern *p, uint64_t n, uint8_t *scan)
{
	unsigned int pos = 0;

	if (p->mask & 1) {
		scan[pos++] = n & 0xff;
		scan[pos++] = (n >> 8) & 0xff;
	}
	if (p->mask & 2) {
		scan[pos++] = (n >> 16) & 0xff;
		scan[pos++] = (n >> 24) & 0xff;
	}
}

/*
 * Checks that @buf (whole scans) continues the pattern at p->n; advances
 * p->n. On a mismatch prints what was expected where (@what names the data)
 * and returns -1.
 */
static inline int rig_pattern_check(struct rig_pattern *p, const uint8_t *buf, size_t len,
				    const char *what)
{
	uint8_t scan[4];
	size_t off;

	if (len % p->scan_bytes) {
		fprintf(stderr, "%s: %zu bytes is not a whole number of %u-byte scans\n", what,
			len, p->scan_bytes);
		return -1;
	}
	for (off = 0; off < len; off += p->scan_bytes, p->n++) {
		rig_pattern_scan(p, p->n, scan);
		if (memcmp(buf + off, scan, p->scan_bytes)) {
			unsigned long got = 0, want = 0;
			unsigned int i;

			for (i = 0; i < p->scan_bytes; i++) {
				got |= (unsigned long)buf[off + i] << (8 * i);
				want |= (unsigned long)scan[i] << (8 * i);
			}
			fprintf(stderr,
				"%s: pattern mismatch at byte %zu: scan %llu should be 0x%0*lx, got 0x%0*lx\n",
				what, off, (unsigned long long)p->n, (int)p->scan_bytes * 2, want,
				(int)p->scan_bytes * 2, got);
			return -1;
		}
	}
	return 0;
}

#endif /* RIG_PATTERN_H */
