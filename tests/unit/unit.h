/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit-test harness: every tests/unit/test-*.c file registers its Check
 * suite with IFB_UNIT_SUITE(fn) and main.c runs them all, so adding a test
 * file needs no edit anywhere else.
 */
#ifndef IFB_UNIT_H
#define IFB_UNIT_H

#include <check.h>
#include <stddef.h>

void ifb_unit_register(Suite *(*make)(void));

/*
 * With IFB_UNIT_SEEDS=DIR in the environment, saves len bytes of an input a
 * test feeds to a parser as DIR/kind/<hash>: the fuzzers' seed corpora are
 * every unit-test input up to 64 KiB (make fuzz-seeds). Does nothing
 * otherwise.
 */
void ifb_unit_save_seed(const char *kind, const void *data, size_t len);

#define IFB_UNIT_SUITE(fn)                                                   \
	static void __attribute__((constructor)) ifb_unit_reg_##fn(void) \
	{                                                                    \
		ifb_unit_register(fn);                                       \
	}

#endif
