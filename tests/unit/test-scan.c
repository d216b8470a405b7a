// SPDX-License-Identifier: GPL-2.0-or-later
/* IIO scan element types and scan layout. */
#include <errno.h>
#include <string.h>

#include "daemon/scan.h"
#include "unit.h"

START_TEST(parse_good)
{
	struct ifb_scan_type t;

	ck_assert_int_eq(ifb_scan_type_parse("le:s12/16>>4", &t), 0);
	ck_assert(!t.is_be);
	ck_assert(t.is_signed);
	ck_assert_uint_eq(t.bits, 12);
	ck_assert_uint_eq(t.storage_bits, 16);
	ck_assert_uint_eq(t.shift, 4);
	ck_assert_uint_eq(t.repeat, 1);
	ck_assert_int_eq(ifb_scan_type_parse("be:u16/16X2>>0", &t), 0);
	ck_assert(t.is_be);
	ck_assert(!t.is_signed);
	ck_assert_uint_eq(t.repeat, 2);
	ck_assert_uint_eq(ifb_scan_type_bytes(&t), 4);
	ck_assert_int_eq(ifb_scan_type_parse("le:u64/64>>0", &t), 0);
	ck_assert_uint_eq(ifb_scan_type_bytes(&t), 8);
}
END_TEST

START_TEST(parse_bad)
{
	static const char *const bad[] = {
		"", "le", "xe:s12/16>>0", "le:x12/16>>0", "le:s12/12>>0", "le:s17/16>>0",
		"le:s0/16>>0", "le:s12/16>>16", "le:s12/16>>5", "le:s12/16", "le:s12/16>>0 ",
		"le:s12/16X0>>0", "le:s12/16>>0junk", "le:s-1/16>>0",
	};
	struct ifb_scan_type t;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ifb_scan_type_parse(bad[i], &t) < 0, "'%s' accepted", bad[i]);
}
END_TEST

/* The type goes back out as the kernel wrote it: the sign letter kept
 * ('S': ADI's sign-extended samples), the repeat only above 1. */
START_TEST(format_round_trip)
{
	static const char *const good[] = {
		"le:s12/16>>4", "be:S12/16>>4", "le:U8/8>>0", "le:s16/16X2>>0", "be:u64/64X255>>0",
	};
	struct ifb_scan_type t;
	char buf[32];

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(ifb_scan_type_parse(good[i], &t), 0);
		ck_assert_int_eq(ifb_scan_type_format(&t, buf, sizeof(buf)), (int)strlen(good[i]));
		ck_assert_str_eq(buf, good[i]);
	}
	ck_assert_int_eq(ifb_scan_type_parse("be:S12/16>>4", &t), 0);
	ck_assert(t.is_signed);
	ck_assert_int_eq(ifb_scan_type_parse("le:s16/16X1>>0", &t), 0);
	ck_assert_int_eq(ifb_scan_type_format(&t, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "le:s16/16>>0");
	ck_assert_int_eq(ifb_scan_type_format(&t, buf, 5), -ENOSPC);
	ck_assert_int_lt(ifb_scan_type_parse("le:s16/16X256>>0", &t), 0);
	ck_assert_int_lt(ifb_scan_type_parse("le:s24/24>>0", &t), 0);
}
END_TEST

START_TEST(layout)
{
	struct ifb_scan_type t[3];
	uint16_t off[3];

	/* u16 + u16: packed, 4 bytes. */
	ifb_scan_type_parse("le:u16/16>>0", &t[0]);
	t[1] = t[0];
	ck_assert_int_eq(ifb_scan_layout(t, 2, off), 4);
	ck_assert_uint_eq(off[1], 2);
	/* u8, u32, u16: 0, 4, 8; padded to 12 (multiple of 4). */
	ifb_scan_type_parse("le:u8/8>>0", &t[0]);
	ifb_scan_type_parse("le:s24/32>>0", &t[1]);
	ifb_scan_type_parse("be:s12/16>>4", &t[2]);
	ck_assert_int_eq(ifb_scan_layout(t, 3, off), 12);
	ck_assert_uint_eq(off[0], 0);
	ck_assert_uint_eq(off[1], 4);
	ck_assert_uint_eq(off[2], 8);
	/* s16 then timestamp-like s64: 0, 8; 16 bytes. */
	ifb_scan_type_parse("le:s16/16>>0", &t[0]);
	ifb_scan_type_parse("le:s64/64>>0", &t[1]);
	ck_assert_int_eq(ifb_scan_layout(t, 2, off), 16);
	ck_assert_uint_eq(off[1], 8);
	ck_assert_int_lt(ifb_scan_layout(t, 0, off), 0);
}
END_TEST

static Suite *scan_suite(void)
{
	Suite *s = suite_create("scan");
	TCase *t = tcase_create("scan");

	tcase_add_test(t, parse_good);
	tcase_add_test(t, parse_bad);
	tcase_add_test(t, format_round_trip);
	tcase_add_test(t, layout);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(scan_suite)
