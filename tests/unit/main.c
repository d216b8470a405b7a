// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs every registered Check suite; prints Check's own summary line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "unit.h"

#define MAX_SUITES 64
#define IFB_UNIT_SEED_MAX 65536 /* larger inputs make poor seeds (libFuzzer -max_len) */

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

void ifb_unit_save_seed(const char *kind, const void *data, size_t len)
{
	const char *dir = getenv("IFB_UNIT_SEEDS");
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: one file per distinct input */
	char path[4096];
	FILE *f;

	if (!dir || len > IFB_UNIT_SEED_MAX)
		return;
	for (size_t i = 0; i < len; i++)
		h = (h ^ ((const unsigned char *)data)[i]) * 0x100000001b3ull;
	snprintf(path, sizeof(path), "%s/%s", dir, kind);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/unit-%016llx", dir, kind, (unsigned long long)h);
	f = fopen(path, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "unit: cannot write seed %s\n", path);
		abort();
	}
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
