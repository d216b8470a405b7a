// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-pattern-check CHANNELS BYTES [START]: read exactly BYTES from stdin
 * and check every scan against the simulated ADC's pattern (rig-pattern.h)
 * for CHANNELS (both, 0 or 1). START is the first scan's number, or
 * "first" (default) to take it from the first scan (both: its u32 value;
 * 0: its u16; 1: not allowed, the low half of n is not in the data).
 * Exits 0 when every byte matched and stdin then ended, 1 otherwise,
 * saying where.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig-pattern.h"

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	struct rig_pattern pat;
	unsigned long long want, got = 0;
	bool first;
	size_t have = 0;

	if (argc < 3 || argc > 4 || rig_pattern_init(&pat, argv[1])) {
		fprintf(stderr, "usage: %s both|0|1 BYTES [START|first]\n", argv[0]);
		return 2;
	}
	want = strtoull(argv[2], NULL, 0);
	first = argc < 4 || !strcmp(argv[3], "first");
	if (!first)
		pat.n = strtoull(argv[3], NULL, 0);
	else if (pat.mask == 2) {
		fprintf(stderr, "%s: START is needed for channel 1 alone\n", argv[0]);
		return 2;
	}
	for (;;) {
		ssize_t n = read(0, buf + have, sizeof(buf) - have);
		size_t whole;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "read stdin: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		whole = have - have % pat.scan_bytes;
		if (first && whole) {
			pat.n = buf[0] | buf[1] << 8;
			if (pat.mask == 3)
				pat.n |= (uint64_t)(buf[2] | buf[3] << 8) << 16;
			fprintf(stderr, "first scan: %llu\n", (unsigned long long)pat.n);
			first = false;
		}
		if (rig_pattern_check(&pat, buf, whole, "stdin"))
			return fprintf(stderr, "(after %llu bytes)\n", got), 1;
		got += whole;
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	if (got + have != want) {
		fprintf(stderr, "got %llu bytes, want %llu\n", got + have, want);
		return 1;
	}
	printf("%llu bytes verified\n", got);
	return 0;
}
