// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A libifbhost application built the way a user builds one: only the
 * installed <ifbhost.h> and `pkg-config --cflags --libs libifbhost`
 * (Makefile target hostlib-example). Pull mode: reads BYTES of the stream
 * in whole scans and checks the simulated ADC's counter (two le:u16
 * channels: scan n holds the u32 n). The counter may jump only where the
 * library flags a gap; with --stall-at it stops reading for a while once,
 * so the device runs out of blocks and reports one.
 *
 *   ifbh-read BYTES [--stall-at BYTES --stall-ms MS]
 *
 * Prints "ifbh-read: N bytes, G gap(s) flagged, J jump(s), counter ok" and
 * exits 0, or says what was wrong and exits 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ifbhost.h>

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "ifbh-read: %s: %s\n", what, why);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t want, stall_at = UINT64_MAX, got = 0, jumps = 0, gaps = 0;
	unsigned int stall_ms = 0;
	struct ifbh_ctx *ctx;
	struct ifbh_list *list;
	struct ifbh_dev *dev;
	struct ifbh_stream *s;
	const struct ifbh_info *info;
	static uint8_t buf[1 << 20];
	uint32_t next = 0;
	bool synced = false;
	int ret;

	if (argc < 2)
		return fail("usage", "ifbh-read BYTES [--stall-at BYTES --stall-ms MS]");
	want = strtoull(argv[1], NULL, 0);
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--stall-at"))
			stall_at = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--stall-ms"))
			stall_ms = (unsigned int)strtoul(argv[i + 1], NULL, 0);
	}
	if (ifbh_ctx_new(&ctx))
		return fail("ifbh_ctx_new", "no libusb");
	if (ifbh_find(ctx, NULL, &list))
		return fail("ifbh_find", ifbh_ctx_error(ctx));
	if (ifbh_list_count(list) != 1)
		return fail("ifbh_find", "expected exactly one device");
	ret = ifbh_dev_open(ctx, list, 0, &dev);
	ifbh_list_free(list);
	if (ret)
		return fail("ifbh_dev_open", ifbh_ctx_error(ctx));
	info = ifbh_dev_info(dev);
	if (info->scan_size != 4 || info->num_channels != 2)
		return fail("layout", "expected the simulated ADC's two u16 channels");
	if (ifbh_stream_new(dev, NULL, &s) || ifbh_stream_start(s))
		return fail("start", ifbh_dev_error(dev));
	while (got < want) {
		struct ifbh_read_info ri;
		ssize_t n = ifbh_stream_read_scans(s, buf, sizeof(buf) / 4, &ri, 5000);

		if (n <= 0)
			return fail("ifbh_stream_read_scans",
				    n == 0 ? "the stream ended early" : ifbh_dev_error(dev));
		if (ri.offset != got)
			return fail("offset", "a read does not continue the previous one");
		if (ri.gap)
			gaps++;
		for (ssize_t k = 0; k < n; k++) {
			uint32_t v = (uint32_t)buf[4 * k] | (uint32_t)buf[4 * k + 1] << 8 |
				     (uint32_t)buf[4 * k + 2] << 16 | (uint32_t)buf[4 * k + 3] << 24;

			if (synced && v != next) {
				if (!(k == 0 && ri.gap)) {
					fprintf(stderr,
						"ifbh-read: counter 0x%08" PRIx32 " at byte %" PRIu64
						", expected 0x%08" PRIx32 ", no gap flagged there\n",
						v, got + 4 * (uint64_t)k, next);
					return 1;
				}
				jumps++;
			}
			synced = true;
			next = v + 1;
		}
		if (got < stall_at && got + 4 * (uint64_t)n >= stall_at) {
			struct timespec ts = { stall_ms / 1000, (long)(stall_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
		got += 4 * (uint64_t)n;
	}
	ifbh_stream_stop(s);
	while ((ret = (int)ifbh_stream_read(s, buf, sizeof(buf), NULL, 5000)) > 0)
		;
	if (ret < 0)
		return fail("draining after STOP", ifbh_dev_error(dev));
	printf("ifbh-read: %" PRIu64 " bytes, %" PRIu64 " gap(s) flagged, %" PRIu64
	       " jump(s), counter ok; device: %" PRIu64 " gap(s) in total\n",
	       got, gaps, jumps, ifbh_stream_status(s)->gaps);
	ifbh_stream_free(s);
	ifbh_dev_close(dev);
	ifbh_ctx_free(ctx);
	return 0;
}
