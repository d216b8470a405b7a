// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-iio-read: reads BYTES from an enabled IIO buffer through read() and
 * checks that it is the simulated ADC's pattern, starting at scan 0.
 *
 *   rig-iio-read /dev/iio:deviceN CHANNELS BYTES [TIMEOUT_S]
 *
 * CHANNELS: "both", "0" or "1" (the scan elements the caller enabled).
 * The buffer must already be enabled. Exit 0 when every byte matched.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rig-pattern.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct rig_pattern pat;
	unsigned long long want, got = 0;
	double deadline;
	uint8_t *buf;
	size_t bufsz = 1 << 16, carry = 0;
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s /dev/iio:deviceN both|0|1 BYTES [TIMEOUT_S]\n", argv[0]);
		return 2;
	}
	if (rig_pattern_init(&pat, argv[2])) {
		fprintf(stderr, "bad CHANNELS '%s'\n", argv[2]);
		return 2;
	}
	want = strtoull(argv[3], NULL, 0);
	deadline = now_s() + (argc == 5 ? atof(argv[4]) : 30);

	fd = open(argv[1], O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	buf = malloc(bufsz);
	if (!buf) {
		perror("malloc");
		return 1;
	}
	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - now_s();
		size_t whole;
		ssize_t n;
		int r;

		if (left <= 0) {
			fprintf(stderr, "timed out: read %llu of %llu bytes\n", got, want);
			return 1;
		}
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r < 0) {
			fprintf(stderr, "poll %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		if (r == 0)
			continue;
		n = read(fd, buf + carry, bufsz - carry);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "read %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		if (n == 0)
			continue;
		carry += n;
		whole = carry - carry % pat.scan_bytes;
		if (rig_pattern_check(&pat, buf, whole, argv[1]))
			return 1;
		memmove(buf, buf + whole, carry - whole);
		carry -= whole;
		got += n;
	}
	printf("read %llu bytes (%llu scans) of the pattern from %s\n", got,
	       (unsigned long long)pat.n, argv[1]);
	free(buf);
	close(fd);
	return 0;
}
