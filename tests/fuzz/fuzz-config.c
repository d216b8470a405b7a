// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the daemon's config reader (src/daemon/config.c) on
 * any bytes, as ifb_config_load_buffer() takes them.
 *
 * Beyond "no crash, no sanitizer report" it checks what a misread would
 * break: an accepted file gives values inside every key's documented
 * range, and the effective configuration printed by --check-config
 * (ifb_config_dump) reads back to exactly the same configuration. A
 * rejected file gives one message that starts with the file name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz-config: %s:%d: %s does not hold\n", __FILE__, \
				__LINE__, #cond);                                         \
			abort();                                                          \
		}                                                                         \
	} while (0)

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_stream(const struct ifb_stream_config *c)
{
	CHECK(terminated(c->name, sizeof(c->name)) && c->name[0]);
	CHECK(terminated(c->device, sizeof(c->device)) && c->device[0]);
	CHECK(c->buffer <= 255);
	CHECK(c->all_channels || (c->num_channels >= 1 && c->num_channels <= IFB_MAX_CHANNELS));
	for (unsigned i = 0; !c->all_channels && i < c->num_channels; i++)
		CHECK(terminated(c->channels[i], sizeof(c->channels[i])) && c->channels[i][0]);
	CHECK(c->block_size >= IFB_BLOCK_SIZE_MIN && c->block_size <= IFB_BLOCK_SIZE_MAX &&
	      c->block_size % 4096 == 0);
	CHECK(c->block_count >= IFB_BLOCK_COUNT_MIN && c->block_count <= IFB_BLOCK_COUNT_MAX);
	CHECK(terminated(c->heap, sizeof(c->heap)) && !strchr(c->heap, '/'));
}

static void check_ranges(const struct ifb_config *c)
{
	CHECK(c->num_streams >= 1 && c->num_streams <= IFB_MAX_STREAMS);
	for (unsigned i = 0; i < c->num_streams; i++) {
		check_stream(&c->stream[i]);
		for (unsigned k = 0; k < i; k++)
			CHECK(strcmp(c->stream[i].name, c->stream[k].name) != 0);
	}
	CHECK(c->functionfs[0] == '/' && terminated(c->functionfs, sizeof(c->functionfs)));
	CHECK(c->max_power <= 900 && c->ms_vendor_code != 0);
	CHECK(c->log_level >= 3 && c->log_level <= 7);
}

/* Everything the file sets, without where it was set. */
static int same_settings(const struct ifb_config *a, const struct ifb_config *b)
{
	size_t from = offsetof(struct ifb_config, functionfs), to = offsetof(struct ifb_config, line);
	size_t sfrom = offsetof(struct ifb_stream_config, device);
	size_t sto = offsetof(struct ifb_stream_config, line);

	if (a->num_streams != b->num_streams)
		return 0;
	for (unsigned i = 0; i < a->num_streams; i++) {
		const struct ifb_stream_config *x = &a->stream[i], *y = &b->stream[i];

		if (strcmp(x->name, y->name) || x->named != y->named ||
		    memcmp((const char *)x + sfrom, (const char *)y + sfrom, sto - sfrom) != 0)
			return 0;
	}
	return memcmp((const char *)a + from, (const char *)b + from, to - from) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ifb_config a, b;
	static char err[8192], dump[65536];
	FILE *f;
	int r;

	ifb_config_defaults(&a);
	r = ifb_config_load_buffer(&a, (const char *)data, size, "fuzz.conf", err, sizeof(err));
	if (r < 0) {
		CHECK(strncmp(err, "fuzz.conf", 9) == 0);
		return 0;
	}
	check_ranges(&a);

	f = fmemopen(dump, sizeof(dump), "w");
	CHECK(f);
	ifb_config_dump(&a, f);
	CHECK(!ferror(f));
	fclose(f);
	ifb_config_defaults(&b);
	r = ifb_config_load_buffer(&b, dump, strlen(dump), "fuzz.conf", err, sizeof(err));
	if (r < 0 || !same_settings(&a, &b)) {
		fprintf(stderr, "fuzz-config: the dump does not read back the same (%s):\n%s\n",
			r < 0 ? err : "different values", dump);
		abort();
	}
	return 0;
}
