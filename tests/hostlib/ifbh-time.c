// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The board time libifbhost gives, against the simulated ADC's truth. A
 * libifbhost application built as users build one (installed header,
 * pkg-config; Makefile HOSTLIB_RIG). Pull mode: reads BYTES of the
 * stream of the simulated ADC (two le:u16 channels: scan n holds the u32
 * n, n counting every scan the ADC produced since the buffer was enabled,
 * lost ones included; with timestamp=1 its timestamp channel may follow
 * them, at byte 8 of a 16-byte scan). For each read it asks the board time of the read's
 * first scan at once (what an application gets as it reads: "online"),
 * and again from the final model once the stream has ended ("final").
 * The truth of scan n is t0 + n * 1e9 / (rate * (1 + ppm / 1e6)) ns on
 * CLOCK_MONOTONIC, from the module's sim_t0_ns, sampling_frequency and
 * sim_ppm, which the case passes in (t0 as the file to read it from once
 * the stream has ended: it is set when START enables the buffer); the
 * rig's host and board share one kernel, so the host-time estimate's
 * truth is the board time itself.
 *
 *   ifbh-time BYTES --t0-file PATH --rate HZ --ppm PPM [--stall-at BYTES --stall-ms MS]
 *             [--dump FILE] [--until-unflagged]
 *
 * --until-unflagged: copy and hybrid mode cannot see the ADC run dry, so
 * their gaps are not flagged; the measurement ends at the first counter
 * jump no gap explains (what follows is wrongly placed by as much as the
 * samples it lost, which no host can know), and says where.
 *
 * --dump writes one line per read: stream offset, counter, truth, the
 * time as read, from the final model, and whether a gap preceded it.
 *
 * Prints one JSON object: the errors' median, 99th percentile and maximum
 * in ns (online, final and host), the measured and true ppm, the model's
 * jitter, its runs and the gaps flagged. Exits 0, or 1 saying what failed
 * (a read, a counter that jumps where no gap is flagged, a time missing).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ifbhost.h>

#define MAX_READS 200000

struct sample {
	uint64_t offset, n;  /* stream offset and counter (unwrapped) of a read's first scan */
	bool gap;
	int64_t online, host; /* board and host time given right after the read */
};

static struct sample reads[MAX_READS];
static int64_t err_on[MAX_READS], err_fin[MAX_READS], err_host[MAX_READS];

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "ifbh-time: %s: %s\n", what, why);
	return 1;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* "NAME_median_ns":..,"NAME_p99_ns":..,"NAME_max_ns":.. of |errors| (flat:
 * a shell reads it with sed) */
static void print_errs(const char *name, int64_t *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		e[i] = e[i] < 0 ? -e[i] : e[i];
	qsort(e, n, sizeof(e[0]), cmp64);
	printf("\"%s_median_ns\":%" PRId64 ",\"%s_p99_ns\":%" PRId64 ",\"%s_max_ns\":%" PRId64, name,
	       n ? e[n / 2] : 0, name, n ? e[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0,
	       name, n ? e[n - 1] : 0);
}

int main(int argc, char **argv)
{
	uint64_t want, stall_at = UINT64_MAX, got = 0, gaps = 0, hi = 0;
	unsigned int stall_ms = 0;
	double rate = 0, ppm = 0, t0 = -1, true_rate;
	const char *t0_file = NULL, *dump = NULL;
	FILE *df = NULL;
	FILE *f;
	struct ifbh_ctx *ctx;
	struct ifbh_list *list;
	struct ifbh_dev *dev;
	struct ifbh_stream *s;
	struct ifbh_time_model m = { .size = sizeof(m) };
	static uint8_t buf[1 << 20];
	uint32_t prev = 0;
	bool synced = false, until_unflagged = false;
	uint64_t cut_at = 0;
	size_t nreads = 0, nhost = 0;
	uint32_t scan;
	int ret;

	if (argc < 2)
		return fail("usage", "ifbh-time BYTES --t0-file PATH --rate HZ --ppm PPM "
				     "[--stall-at BYTES --stall-ms MS]");
	want = strtoull(argv[1], NULL, 0);
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 == argc && strcmp(argv[i], "--until-unflagged"))
			return fail("usage", argv[i]);
		if (!strcmp(argv[i], "--t0-file"))
			t0_file = argv[i + 1];
		else if (!strcmp(argv[i], "--rate"))
			rate = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--ppm"))
			ppm = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--stall-at"))
			stall_at = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--until-unflagged")) {
			until_unflagged = true;
			i--;
		} else if (!strcmp(argv[i], "--dump"))
			dump = argv[i + 1];
		else if (!strcmp(argv[i], "--stall-ms"))
			stall_ms = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else
			return fail("usage", argv[i]);
	}
	if (!t0_file || rate <= 0)
		return fail("usage", "--t0-file and --rate are required");
	true_rate = rate * (1 + ppm * 1e-6);
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
	scan = ifbh_dev_info(dev)->scan_size;
	if (ifbh_dev_info(dev)->num_channels < 2 || ifbh_dev_info(dev)->ch[0].offset != 0 ||
	    ifbh_dev_info(dev)->ch[1].offset != 2 || ifbh_dev_info(dev)->ch[1].storage_bits != 16 ||
	    (scan != 4 && !(scan == 16 && ifbh_info_timestamp_channel(ifbh_dev_info(dev)) == 2)))
		return fail("layout", "expected the simulated ADC's two u16 channels (and its "
				      "timestamp)");
	/* 4 x 128 KiB in flight, as a latency-minded application has: a
	 * stall of a second (--stall-ms) then starves a 2 MB/s ADC */
	if (ifbh_stream_new(dev, &(struct ifbh_stream_opts){ .transfers = 4, .transfer_size = 128 << 10 },
			    &s) ||
	    ifbh_stream_start(s))
		return fail("start", ifbh_dev_error(dev));
	while (got < want) {
		struct ifbh_read_info ri;
		ssize_t n = ifbh_stream_read_scans(s, buf, sizeof(buf) / scan, &ri, 5000);
		struct sample *r = &reads[nreads];
		uint32_t v;

		if (n <= 0)
			return fail("ifbh_stream_read_scans",
				    n == 0 ? "the stream ended early" : ifbh_dev_error(dev));
		v = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
		    (uint32_t)buf[3] << 24;
		if (synced && v < prev)
			hi += 1ull << 32; /* the u32 counter wrapped */
		if (synced && v != (uint32_t)(prev + 1) && !ri.gap) {
			if (!until_unflagged)
				return fail("counter", "a jump where no gap is flagged");
			cut_at = ri.offset;
			break;
		}
		gaps += ri.gap;
		synced = true;
		if (nreads < MAX_READS) {
			r->offset = ri.offset;
			r->gap = ri.gap;
			r->n = hi | v;
			ret = ifbh_stream_board_time(s, ri.offset, &r->online);
			if (ret < 0)
				return fail("ifbh_stream_board_time", strerror(-ret));
			r->host = 0;
			if (ifbh_stream_host_time(s, ri.offset, &r->host) == 0)
				nhost++;
			nreads++;
		}
		prev = (uint32_t)(v + (uint32_t)n - 1);
		if (got < stall_at && got + scan * (uint64_t)n >= stall_at) {
			struct timespec ts = { stall_ms / 1000, (long)(stall_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
		got += scan * (uint64_t)n;
	}
	ifbh_stream_stop(s);
	while ((ret = (int)ifbh_stream_read(s, buf, sizeof(buf), NULL, 5000)) > 0)
		;
	if (ret < 0)
		return fail("draining after STOP", ifbh_dev_error(dev));
	f = fopen(t0_file, "re");
	if (!f || fscanf(f, "%lf", &t0) != 1 || t0 <= 0)
		return fail(t0_file, "no t0");
	fclose(f);
	if (ifbh_stream_time_model(s, &m))
		return fail("ifbh_stream_time_model", "no board time (a device before version 6?)");
	if (dump && !(df = fopen(dump, "we")))
		return fail(dump, strerror(errno));
	for (size_t i = 0; i < nreads; i++) {
		int64_t truth = (int64_t)llround(t0 + (double)reads[i].n * 1e9 / true_rate), fin;

		if (ifbh_stream_board_time(s, reads[i].offset, &fin))
			return fail("final model", "a read's time is no longer known");
		if (df)
			fprintf(df, "%" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %d\n",
				reads[i].offset, reads[i].n, truth, reads[i].online, fin, reads[i].gap);
		err_on[i] = reads[i].online - truth;
		err_fin[i] = fin - truth;
		err_host[i] = reads[i].host - truth;
	}
	if (df)
		fclose(df);
	printf("{\"reads\":%zu,\"bytes\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"cut_at\":%" PRIu64 ",",
	       nreads, got, gaps, cut_at);
	print_errs("online", err_on, nreads);
	putchar(',');
	print_errs("final", err_fin, nreads);
	putchar(',');
	print_errs("host", err_host, nhost == nreads ? nreads : 0);
	printf(",\"source\":%d,\"marks\":%" PRIu64 ",\"runs\":%" PRIu64
	       ",\"nominal_hz\":%.3f,\"rate_hz\":%.3f,\"ppm\":%.3f,\"ppm_true\":%.3f"
	       ",\"jitter_ns\":%.0f,\"clock_known\":%d,\"host_offset_ns\":%" PRId64
	       ",\"host_offset_unc_ns\":%" PRId64 ",\"clock_flags\":%u,\"timestamp_clock\":%d"
	       ",\"refused\":%" PRIu64 ",\"clock_rounds\":%" PRIu64 ",\"clock_drift_known\":%d"
	       ",\"clock_drift_ppm\":%.3f,\"clock_drift_unc_ppm\":%.3f}\n",
	       m.source, m.marks, m.runs, m.nominal_hz, m.rate_hz, m.ppm, ppm, m.jitter_ns,
	       m.clock_known, m.host_offset_ns, m.host_offset_unc_ns, m.clock_flags,
	       m.timestamp_clock, m.refused, m.clock_rounds, m.clock_drift_known, m.clock_drift_ppm,
	       m.clock_drift_unc_ppm);
	ifbh_stream_free(s);
	ifbh_dev_close(dev);
	ifbh_ctx_free(ctx);
	return 0;
}
