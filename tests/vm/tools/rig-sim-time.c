// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-sim-time: checks the paced simulated ADC's time base against
 * CLOCK_MONOTONIC. The module's "Paced time": scan n is produced at
 * t(n) = t0 + n * 1e15 / (f * (1e6 + ppm)) ns (f = sampling_frequency,
 * ppm = sim_ppm, t0 = sim_t0_ns), so by time T the scans produced number
 * count(T) = (T - t0) * f * (1e6 + ppm) / 1e15; a block of scans a .. a+k-1
 * completes at t(a + k); a block submitted while the DMA is idle (every
 * earlier block completed) starts at count(its submission time).
 *
 *   rig-sim-time read IIODIR SECONDS
 *       Reads the enabled buffer (the caller enabled it: voltage0 and
 *       voltage1, paced) with read(), each read() taking one whole fileio
 *       block, for SECONDS (up to 3 x SECONDS, see "brackets").
 *
 *   rig-sim-time fence ALLOC IIODIR SIZE COUNT SECONDS
 *       COUNT DMABUFs of SIZE bytes (ALLOC: udmabuf or heap) attached to
 *       buffer0 of IIODIR (disabled; voltage0 and voltage1 enabled, paced),
 *       enqueued, the buffer enabled; then each block in turn waited for
 *       and enqueued again, its fence's timestamp (SYNC_IOC_FILE_INFO on a
 *       sync_file exported right after the enqueue) taken as its time.
 *       Disables the buffer and detaches at the end.
 *
 * Checks (exit 1 when one fails; the figures are printed either way):
 * - No block comes before its time: each read() returns (fence: signals)
 *   at or after t(n_end), n_end = its last scan + 1 (1 us of slack). The
 *   latency after t(n_end) is printed (min, median, 90th percentile, max).
 * - Brackets, the scans counted between two times: every ~100 ms the tool
 *   starves the ADC (reads nothing, enqueues nothing, for longer than the
 *   queued blocks last), so that the next block is submitted while the DMA
 *   is idle and starts at count(its submission), after a gap. Its
 *   submission happens within a known window [T1, T2]: the enqueue ioctl
 *   (fence), or the read() that consumed it (read: the DMA buffer core's
 *   fileio has two blocks used in turn, 6.1 and 6.12, and read() submits
 *   a block again once it is read whole, so the block read by the m-th
 *   read() was submitted by read m - 2). Its first scan must lie in
 *   [count(T1), count(T2)] (1 scan of slack): the tolerance is the
 *   window's width, nothing statistical. At least one bracket must also
 *   exclude the nominal count (sim_ppm taken as 0; with ppm 100 at 1 MHz
 *   it is 100 scans a second behind), which needs a window narrower than
 *   the difference: the run goes on (up to 3 x SECONDS) until one does.
 *   The two narrowest brackets of the first and last quarter give the
 *   true rate's bounds, printed in ppm of f.
 * sim_t0_ns must be positive and not after the moment it is read (just
 * after enable). RIG_SIM_TIME_DUMP=FILE writes the blocks and brackets.
 */
#include <endian.h>
#include <stdint.h>

#include "rig-common.h"

#define STARVE_EVERY_NS	100000000LL	/* a bracket every 100 ms */

struct block {
	int64_t t;		/* read() returned / fence timestamp; -1: unknown */
	uint64_t first;		/* its first scan */
	uint64_t n_end;		/* first scan after it */
};

struct bracket {
	int64_t t1, t2;		/* the submission happened within [t1, t2] */
	uint64_t first;		/* the block's first scan: count(submission) */
};

static struct block *blocks;
static size_t nblocks, cap_blocks;
static struct bracket *brackets;
static size_t nbrackets, cap_brackets;
static uint64_t gaps, gap_scans;
static long long freq, ppm, t0;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 4096;
	p = realloc(p, *cap * size);
	if (!p)
		rig_die("out of memory");
	return p;
}

static void add_block(int64_t t, uint64_t first, uint64_t n_end)
{
	blocks = grow(blocks, &cap_blocks, nblocks, sizeof(*blocks));
	blocks[nblocks++] = (struct block){ .t = t, .first = first, .n_end = n_end };
}

static void add_bracket(int64_t t1, int64_t t2, uint64_t first)
{
	brackets = grow(brackets, &cap_brackets, nbrackets, sizeof(*brackets));
	brackets[nbrackets++] = (struct bracket){ .t1 = t1, .t2 = t2, .first = first };
}

/* Scans produced by @t (the model's formula; fractional). */
static double model_count(int64_t t, long long p)
{
	return (double)(t - t0) * (double)freq * (1e6 + (double)p) / 1e15;
}

/* t(n) - t0 in ns (fractional). */
static double model_offset(uint64_t n, long long p)
{
	return (double)n * 1e15 / ((double)freq * (1e6 + (double)p));
}

/* Does bracket @b hold for the model with @p ppm (1 scan of slack)? */
static int bracket_fits(const struct bracket *b, long long p)
{
	return (double)b->first >= model_count(b->t1, p) - 1 &&
	       (double)b->first <= model_count(b->t2, p) + 1;
}

/* Has a bracket ruled out the nominal rate (sim_ppm ignored)? */
static int nominal_excluded(void)
{
	size_t i;

	for (i = 0; i < nbrackets; i++)
		if (!bracket_fits(&brackets[i], 0))
			return 1;
	return 0;
}

/* Once the buffer is enabled. */
static void read_model(const char *iiodir)
{
	int64_t now;

	freq = rig_sysfs_attr_ll(iiodir, "sampling_frequency");
	ppm = rig_sysfs_attr_ll(iiodir, "sim_ppm");
	t0 = rig_sysfs_attr_ll(iiodir, "sim_t0_ns");
	now = now_ns();
	if (freq <= 0)
		rig_die("sampling_frequency %lld", freq);
	if (t0 <= 0 || t0 > now)
		rig_die("sim_t0_ns %lld is not a time of this enable (now %lld)", t0, (long long)now);
}

/* u32 counter (both channels) to the 64-bit scan number after @prev. */
static uint64_t extend(uint64_t prev, uint32_t v)
{
	return prev + (uint32_t)(v - (uint32_t)prev);
}

/* Accounts a block starting at @first after the stream so far (@expect). */
static void account(uint64_t first, uint64_t expect)
{
	if (first < expect)
		rig_die("a block starts at scan %llu, before scan %llu: the counter went back",
			(unsigned long long)first, (unsigned long long)expect);
	if (first > expect) {
		gaps++;
		gap_scans += first - expect;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void dump(const char *what)
{
	const char *path = getenv("RIG_SIM_TIME_DUMP");
	FILE *f;
	size_t i;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		rig_die("%s: %s", path, strerror(errno));
	fprintf(f, "# %s f %lld ppm %lld t0 %lld\n# block T_ns first n_end\n", what, freq, ppm, t0);
	for (i = 0; i < nblocks; i++)
		fprintf(f, "block %lld %llu %llu\n", (long long)blocks[i].t,
			(unsigned long long)blocks[i].first, (unsigned long long)blocks[i].n_end);
	fprintf(f, "# bracket T1_ns T2_ns first\n");
	for (i = 0; i < nbrackets; i++)
		fprintf(f, "bracket %lld %lld %llu\n", (long long)brackets[i].t1,
			(long long)brackets[i].t2, (unsigned long long)brackets[i].first);
	fclose(f);
}

static int report(const char *what, const char *timed_by)
{
	size_t i, n = 0, early = 0, misfit = 0, a = SIZE_MAX, b = SIZE_MAX;
	int64_t t_first = 0, t_last = 0, span;
	double *lat;
	int fail = 0;

	dump(what);
	lat = calloc(nblocks ? nblocks : 1, sizeof(*lat));
	if (!lat)
		rig_die("out of memory");
	for (i = 0; i < nblocks; i++) {
		if (blocks[i].t < 0)
			continue;
		if (!n)
			t_first = blocks[i].t;
		t_last = blocks[i].t;
		lat[n] = blocks[i].t - t0 - model_offset(blocks[i].n_end, ppm);
		if (lat[n] < -1000) {
			if (!early)
				printf("%s: block of scans %llu to %llu %s %.1f us before t(%llu)\n",
				       what, (unsigned long long)blocks[i].first,
				       (unsigned long long)blocks[i].n_end - 1, timed_by,
				       -lat[n] / 1e3, (unsigned long long)blocks[i].n_end);
			early++;
		}
		n++;
	}
	if (n < 8)
		rig_die("%s: only %zu blocks timed", what, n);
	printf("%s: f %lld Hz, sim_ppm %lld, t0 %lld ns: %zu blocks over %.3f s, %llu gaps "
	       "(%llu scans lost)\n", what, freq, ppm, t0, n, (t_last - t_first) / 1e9,
	       (unsigned long long)gaps, (unsigned long long)gap_scans);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%s: blocks %s after t(n_end) by (us): min %.1f, median %.1f, p90 %.1f, max %.1f\n",
	       what, timed_by, lat[0] / 1e3, lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3,
	       lat[n - 1] / 1e3);
	if (early) {
		printf("%s: FAIL: %zu blocks %s before their time\n", what, early, timed_by);
		fail = 1;
	}

	/* the narrowest bracket of the first and of the last quarter */
	span = nbrackets ? brackets[nbrackets - 1].t2 - brackets[0].t1 : 0;
	for (i = 0; i < nbrackets; i++) {
		const struct bracket *k = &brackets[i];

		if (!bracket_fits(k, ppm)) {
			if (!misfit)
				printf("%s: bracket %zu: block submitted within [%+.6f s, %+.6f s] of t0 "
				       "starts at scan %llu, want %.1f to %.1f\n", what, i,
				       (k->t1 - t0) / 1e9, (k->t2 - t0) / 1e9,
				       (unsigned long long)k->first, model_count(k->t1, ppm),
				       model_count(k->t2, ppm));
			misfit++;
		}
		if (k->t1 <= brackets[0].t1 + span / 4 &&
		    (a == SIZE_MAX || k->t2 - k->t1 < brackets[a].t2 - brackets[a].t1))
			a = i;
		if (k->t2 >= brackets[nbrackets - 1].t2 - span / 4 &&
		    (b == SIZE_MAX || k->t2 - k->t1 < brackets[b].t2 - brackets[b].t1))
			b = i;
	}
	if (nbrackets < 2 || a == b) {
		printf("%s: FAIL: %zu brackets, too few to measure the rate\n", what, nbrackets);
		free(lat);
		return 1;
	}
	{
		const struct bracket *x = &brackets[a], *y = &brackets[b];
		double scans = (double)(y->first - x->first);
		/* the submissions were within [x.t1, x.t2] and [y.t1, y.t2] */
		double lo = scans * 1e9 / (double)(y->t2 - x->t1), hi = scans * 1e9 / (double)(y->t1 - x->t2);

		printf("%s: %zu brackets (windows of %.1f us and %.1f us at the ends); "
		       "%.0f scans in %.6f s: true rate %.1f to %.1f Hz, %+.1f to %+.1f ppm of f "
		       "(sim_ppm %lld)\n", what, nbrackets, (x->t2 - x->t1) / 1e3,
		       (y->t2 - y->t1) / 1e3, scans, (y->t1 + y->t2 - x->t1 - x->t2) / 2e9, lo, hi,
		       (lo / freq - 1) * 1e6, (hi / freq - 1) * 1e6, ppm);
	}
	if (misfit) {
		printf("%s: FAIL: %zu of %zu brackets off the true count\n", what, misfit, nbrackets);
		fail = 1;
	}
	if (ppm && !nominal_excluded()) {
		printf("%s: FAIL: no bracket tells the true rate from the nominal one\n", what);
		fail = 1;
	} else if (ppm) {
		for (i = 0; i < nbrackets && bracket_fits(&brackets[i], 0); i++)
			;
		printf("%s: bracket %zu rules out sim_ppm ignored: scan %llu, nominal count "
		       "%.1f to %.1f\n", what, i, (unsigned long long)brackets[i].first,
		       model_count(brackets[i].t1, 0), model_count(brackets[i].t2, 0));
	}
	free(lat);
	return fail;
}

/* Run for @seconds, longer (up to 3x) while no bracket rules out ppm 0. */
static int done(int64_t start, double seconds)
{
	int64_t el = now_ns() - start;

	if (el < (int64_t)(seconds * 1e9))
		return 0;
	return !ppm || nominal_excluded() || el >= (int64_t)(3 * seconds * 1e9);
}

static int cmd_read(char **argv)
{
	const char *iiodir = argv[0], *name = strrchr(iiodir, '/');
	double seconds = atof(argv[1]);
	size_t bufsz = 1 << 20, nreads = 0, cap = 0;
	struct { int64_t t1, t2; } *reads = NULL;	/* each read()'s window */
	int64_t start, next_starve;
	uint64_t n = 0, expect = 0;
	uint8_t *buf;
	char dev[256];
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", name ? name + 1 : iiodir);
	read_model(iiodir);
	buf = malloc(bufsz);
	if (!buf)
		rig_die("out of memory");
	fd = open(dev, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		rig_die("open %s: %s", dev, strerror(errno));
	start = now_ns();
	next_starve = start + STARVE_EVERY_NS;
	while (!done(start, seconds)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t t1, t2;
		uint64_t first;
		ssize_t r, off;

		if (now_ns() >= next_starve) {
			/* longer than the 2 blocks take at any rate this runs at */
			usleep(30000);
			next_starve = now_ns() + STARVE_EVERY_NS;
		}
		r = poll(&pfd, 1, 1000);
		if (r < 0 && errno != EINTR)
			rig_die("poll %s: %s", dev, strerror(errno));
		if (r <= 0)
			continue;
		t1 = now_ns();
		r = read(fd, buf, bufsz);
		t2 = now_ns();
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0)
			rig_die("read %s: %s", dev, strerror(errno));
		if (r == 0)
			continue;
		if (r % 4)
			rig_die("read() returned %zd bytes, not whole scans", r);
		if ((size_t)r == bufsz)
			rig_die("read() filled all %zu bytes: a block is not read whole", bufsz);
		first = extend(n, le32toh(*(uint32_t *)buf));
		account(first, expect);
		/* the block read now was submitted by read nreads - 2 */
		if (first > expect && nreads >= 2)
			add_bracket(reads[nreads - 2].t1, reads[nreads - 2].t2, first);
		for (off = 0, n = first; off < r; off += 4) {
			n = extend(n, le32toh(*(uint32_t *)(buf + off)));
			if (n != first + off / 4)
				rig_die("scan %llu inside a block that started at scan %llu, offset %zd",
					(unsigned long long)n, (unsigned long long)first, off / 4);
		}
		expect = n + 1;
		add_block(t2, first, expect);
		reads = grow(reads, &cap, nreads, sizeof(*reads));
		reads[nreads].t1 = t1;
		reads[nreads].t2 = t2;
		nreads++;
	}
	close(fd);
	free(buf);
	free(reads);
	return report("read", "read");
}

/*
 * Enqueues @fd whole (within [*t1, *t2] when asked); returns a sync_file
 * of its fence, exported while it is still pending (an export after it
 * signalled gives the kernel's signalled stub fence instead).
 */
static int enqueue(int bfd, int fd, size_t size, int64_t *t1, int64_t *t2)
{
	struct iio_dmabuf req = { .fd = fd, .bytes_used = size };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ };
	int r;

	if (t1)
		*t1 = now_ns();
	r = ioctl(bfd, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req);
	if (t2)
		*t2 = now_ns();
	if (r)
		rig_die("IIO_BUFFER_DMABUF_ENQUEUE_IOCTL: %s", strerror(errno));
	if (ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp))
		rig_die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s", strerror(errno));
	return exp.fd;
}

/* Waits for the sync_file; the timestamp of its IIO fence, or -1 (stub). */
static int64_t fence_time(int sfd)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int64_t t = -1;
	unsigned int i;

	rig_poll(sfd, POLLIN, 10, "a block's fence");
	memset(&info, 0, sizeof(info));
	memset(fi, 0, sizeof(fi));
	info.num_fences = 4;
	info.sync_fence_info = (uintptr_t)fi;
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		rig_die("SYNC_IOC_FILE_INFO: %s", strerror(errno));
	if (info.status != 1)
		rig_die("a block's fence signalled status %d", info.status);
	for (i = 0; i < info.num_fences && i < 4; i++)
		if (!strcmp(fi[i].driver_name, "iio") && (int64_t)fi[i].timestamp_ns > t)
			t = fi[i].timestamp_ns;
	close(sfd);
	return t;
}

struct dbuf {
	int fd, sfd;
	uint32_t *map;
	int bracketed;		/* enqueued while the DMA was idle */
	int64_t t1, t2;		/* ... within [t1, t2] */
};

/* Waits for @d, reads its first scan, accounts it; returns its first scan. */
static uint64_t fence_collect(struct dbuf *d, size_t size, uint64_t *expect)
{
	int64_t t = fence_time(d->sfd);
	uint64_t first;

	rig_dmabuf_sync(d->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "start read");
	first = extend(*expect ? *expect - 1 : 0, le32toh(d->map[0]));
	rig_dmabuf_sync(d->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "end read");
	account(first, *expect);
	if (d->bracketed && first > *expect)
		add_bracket(d->t1, d->t2, first);
	*expect = first + size / 4;
	add_block(t, first, *expect);
	return first;
}

static int cmd_fence(char **argv)
{
	const char *alloc = argv[0], *iiodir = argv[1];
	size_t size = strtoul(argv[2], NULL, 0);
	int count = atoi(argv[3]), bfd, i, j, untimed = 0;
	double seconds = atof(argv[4]);
	int64_t start, next_starve;
	uint64_t expect = 0;
	struct dbuf *d;

	if (!size || size % 4 || count < 1)
		rig_die("SIZE must be a positive multiple of 4, COUNT positive");
	d = calloc(count, sizeof(*d));
	if (!d)
		rig_die("out of memory");
	bfd = rig_iio_buffer_fd(iiodir);
	for (i = 0; i < count; i++) {
		d[i].fd = rig_dmabuf_alloc(alloc, size);
		if (ioctl(bfd, IIO_BUFFER_DMABUF_ATTACH_IOCTL, &d[i].fd))
			rig_die("IIO_BUFFER_DMABUF_ATTACH_IOCTL: %s", strerror(errno));
		d[i].map = mmap(NULL, 4, PROT_READ, MAP_SHARED, d[i].fd, 0);
		if (d[i].map == MAP_FAILED)
			rig_die("mmap: %s", strerror(errno));
	}
	for (i = 0; i < count; i++)
		d[i].sfd = enqueue(bfd, d[i].fd, size, NULL, NULL);
	rig_iio_enable(iiodir, 1);
	read_model(iiodir);
	start = now_ns();
	next_starve = start + STARVE_EVERY_NS;
	/* blocks complete in the order enqueued: i, i + 1, ... */
	for (i = 0; !done(start, seconds); i = (i + 1) % count) {
		fence_collect(&d[i], size, &expect);
		if (now_ns() < next_starve) {
			d[i].bracketed = 0;
			d[i].sfd = enqueue(bfd, d[i].fd, size, NULL, NULL);
			continue;
		}
		/* starve: let the others complete too, then enqueue from i on */
		for (j = 1; j < count; j++)
			fence_collect(&d[(i + j) % count], size, &expect);
		usleep(2000);
		for (j = 0; j < count; j++) {
			struct dbuf *e = &d[(i + j) % count];

			e->bracketed = !j;
			e->sfd = enqueue(bfd, e->fd, size, &e->t1, &e->t2);
		}
		next_starve = now_ns() + STARVE_EVERY_NS;
		i = (i + count - 1) % count;	/* the loop's next block is i again */
	}
	rig_iio_enable(iiodir, 0);
	for (i = 0; i < count; i++) {
		close(d[i].sfd);
		munmap(d[i].map, 4);
		if (ioctl(bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL, &d[i].fd))
			rig_die("IIO_BUFFER_DMABUF_DETACH_IOCTL: %s", strerror(errno));
		close(d[i].fd);
	}
	close(bfd);
	for (i = 0; (size_t)i < nblocks; i++)
		untimed += blocks[i].t < 0;
	if (untimed)
		printf("fence: %d blocks had signalled before their export (no timestamp)\n", untimed);
	free(d);
	return report("fence", "signalled");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "read"))
		return cmd_read(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "fence"))
		return cmd_fence(argv + 2);
	fprintf(stderr,
		"usage: %s read IIODIR SECONDS\n"
		"       %s fence ALLOC IIODIR SIZE COUNT SECONDS\n", argv[0], argv[0]);
	return 2;
}
