/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit-test harness: every tests/unit/test-*.c file registers its Check
 * suite with IFB_UNIT_SUITE(fn) and main.c runs them all, so adding a test
 * file needs no edit anywhere else.
 */
#ifndef IFB_UNIT_H
#define IFB_UNIT_H

#include <check.h>

void ifb_unit_register(Suite *(*make)(void));

#define IFB_UNIT_SUITE(fn)                                                   \
	static void __attribute__((constructor)) ifb_unit_reg_##fn(void) \
	{                                                                    \
		ifb_unit_register(fn);                                       \
	}

#endif
