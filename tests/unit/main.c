// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs every registered Check suite; prints Check's own summary line. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define MAX_SUITES 64

static Suite *(*suites[MAX_SUITES])(void);
static int nsuites;

void ifb_unit_register(Suite *(*make)(void))
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "unit: more than %d suites, raise MAX_SUITES\n", MAX_SUITES);
		abort();
	}
	suites[nsuites++] = make;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (nsuites == 0) {
		fprintf(stderr, "unit: no test suites registered\n");
		return EXIT_FAILURE;
	}
	sr = srunner_create(suites[0]());
	for (int i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
