// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's STATUS line (sd_notify): every stream's, cut to the buffer. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/bridge-int.h"
#include "unit.h"

/*
 * A line cut in the middle of a stream must stop there: nothing may be
 * read or written past the buffer, which here ends at a page nobody may
 * touch. With two streaming streams and a buffer that the first one's
 * status fills, the "; " before the second one used to move the position
 * past the end and read from there.
 */
START_TEST(cut_status_stays_in_its_buffer)
{
	static struct ifb_bridge b;
	static struct ifb_stream s[3];
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].b = &b;
		snprintf(s[i].logp, sizeof(s[i].logp), "s%u: ", i);
		s[i].mode = IFB_MODE_ZERO_COPY;
		s[i].engine.run = IFB_STATE_STREAMING;
		b.st[i] = &s[i];
	}
	b.nstreams = b.nall = 3;
	for (size_t len = 2; len < 200; len++) {
		char *buf = (char *)map + page - len;
		size_t n;

		memset(buf, 'x', len);
		ifb_bridge_status(&b, buf, len);
		n = strnlen(buf, len);
		ck_assert_uint_lt(n, len);
		ck_assert(strncmp(buf, "s0: Streaming", n < 13 ? n : 13) == 0);
	}
	munmap(map, (size_t)page * 2);
}
END_TEST

static Suite *bridge_status_suite(void)
{
	Suite *s = suite_create("bridge-status");
	TCase *t = tcase_create("status");

	tcase_add_test(t, cut_status_stays_in_its_buffer);
	suite_add_tcase(s, t);
	return s;
}

IFB_UNIT_SUITE(bridge_status_suite)
