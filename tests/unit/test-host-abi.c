// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libifbhost's ABI: the public structs are frozen as they were in 1.0
 * (include/ifbhost.h, "added in 1.1"). A program built against 1.0
 * allocates them and indexes their arrays, so a field added to one would
 * break it without a soname bump; the library grows by added functions
 * instead. These sizes are the 1.0 ones: a change that trips this test
 * needs a new function, not a new field.
 */
#include <stddef.h>

#include "ifbhost.h"
#include "unit.h"

START_TEST(public_structs_frozen)
{
	/* Fixed-width members only: the same on every ABI where a uint64_t
	 * is 8-byte aligned (x86-64, arm64, armhf EABI). */
#if defined(__LP64__) || defined(__ARM_EABI__)
	ck_assert_uint_eq(sizeof(struct ifbh_channel), 64);
	ck_assert_uint_eq(sizeof(struct ifbh_info), 4168);
	ck_assert_uint_eq(offsetof(struct ifbh_info, ch), 72);
	ck_assert_uint_eq(sizeof(struct ifbh_stats), 328);
	ck_assert_uint_eq(sizeof(struct ifbh_field), 52);
	ck_assert_uint_eq(sizeof(struct ifbh_gap), 40);
	ck_assert_uint_eq(sizeof(struct ifbh_read_info), 16);
#endif
	/* With pointers, size_t, double or struct timespec: per data model. */
#if defined(__LP64__)
	ck_assert_uint_eq(sizeof(struct ifbh_device_desc), 448);
	ck_assert_uint_eq(sizeof(struct ifbh_match), 24);
	ck_assert_uint_eq(sizeof(struct ifbh_stream_opts), 24);
	ck_assert_uint_eq(sizeof(struct ifbh_stream_status), 408);
	/* 1.3's, frozen at their first size */
	ck_assert_uint_eq(sizeof(struct ifbh_writer_opts), 24);
	ck_assert_uint_eq(sizeof(struct ifbh_writer_status), 416);
	ck_assert_uint_eq(offsetof(struct ifbh_writer_status, stats), 56);
#endif
}
END_TEST

static Suite *host_abi_suite(void)
{
	Suite *s = suite_create("host-abi");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, public_structs_frozen);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_abi_suite)
