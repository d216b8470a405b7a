// SPDX-License-Identifier: GPL-2.0-or-later
/* iio-ffs-capture: the helpers every part uses (see cap.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capture/cap.h"

volatile sig_atomic_t cap_got_signals;

int cap_exit_code(int err)
{
	switch (-err) {
	case ENODEV:
	case ECONNRESET:
		return EXIT_GONE;
	case EACCES:
	case EBUSY:
		return EXIT_ACCESS;
	case EPIPE:
	case ESTALE: /* START refused: the device's configuration changed */
	case EPROTO:
	case EBADMSG:
	case EPROTONOSUPPORT:
		return EXIT_PROTO;
	default:
		return EXIT_USB;
	}
}

int cap_refresh_gaps(struct cap *c)
{
	size_t n = ifbh_stream_unlisted_gaps(c->s);
	uint64_t count = 0;

	/* the listed offsets first: the library's pointer of before may be
	 * gone (it is valid until the next poll or read only) */
	c->gaps.n = ifbh_stream_gap_offsets(c->s, &c->gaps.off);
	if (n > c->unlisted_cap) {
		struct ifbh_gap *u = realloc(c->unlisted, n * sizeof(*u));

		if (!u) {
			c->gaps.nunlisted = 0;
			c->gaps.unlisted_count = 0;
			return -ENOMEM;
		}
		c->unlisted = u;
		c->unlisted_cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		ifbh_stream_unlisted_gap(c->s, i, &c->unlisted[i]);
		count += c->unlisted[i].count;
	}
	c->gaps.unlisted = c->unlisted;
	c->gaps.nunlisted = n;
	c->gaps.unlisted_count = count;
	return 0;
}

void cap_set_reason(struct cap *c, enum end_reason r)
{
	/* the first reason wins, except that a disconnect explains errors */
	if (c->reason == END_NONE || (r == END_DEVICE && c->reason == END_ERROR))
		c->reason = r;
}

double cap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cap_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("iio-ffs-capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cap_set_fatal(struct cap *c, int code, const char *fmt, ...)
{
	va_list ap;

	/* a disconnect explains the transfer errors that may come first */
	if (c->fatal && !(code == EXIT_GONE && c->fatal == EXIT_USB))
		return;
	c->fatal = code;
	va_start(ap, fmt);
	vsnprintf(c->fatal_msg, sizeof(c->fatal_msg), fmt, ap);
	va_end(ap);
}

