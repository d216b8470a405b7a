// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-dac: feeds the simulated DAC (iio-sim-dac) the counter pattern and
 * checks, in its sysfs statistics, that it played what it was given. Each
 * command enables buffer0 of the DAC at IIODIR (channels and length set by
 * the caller), does its part, and disables it; the statistics stay readable
 * until the next enable. Prints what the DAC reported; exits 1 when that is
 * not what was sent.
 *
 *   rig-dac write IIODIR CHANNELS BYTES [CORRUPT]
 *       write() BYTES of the pattern to the buffer fd, in chunks of varied
 *       sizes (BYTES: a multiple of the fileio block, length x scan / 2:
 *       the core hands a block to the DAC only once it is full). With
 *       CORRUPT, the byte at that stream offset is flipped: the DAC must
 *       report exactly one mismatch there.
 *
 *   rig-dac dmabuf ALLOC IIODIR CHANNELS SIZE COUNT TOTAL
 *       COUNT DMABUFs of SIZE bytes (ALLOC: udmabuf or heap), attached,
 *       filled and enqueued over and over until TOTAL bytes were queued;
 *       every third block has bytes_used SIZE/2 + 1 (half a block and a
 *       partial scan, which the DAC drops), the others SIZE.
 *
 *   rig-dac tiny ALLOC IIODIR
 *       Both channels: bytes_used 0 is refused by the enqueue ioctl
 *       (EINVAL); bytes_used 1 (less than a scan) is accepted by the ioctl
 *       and refused by the DAC at enable, so the block's fence signals
 *       EINVAL. Then prints what enqueueing that DMABUF again gives.
 *
 *   rig-dac paced ALLOC IIODIR SIZE PAUSE_MS
 *       sim_paced=1 and sampling_frequency set by the caller; both
 *       channels. Blocks A and B: kept fed for 4 blocks, then left dry for
 *       PAUSE_MS, fed 2 blocks, dry again, 1 block: 2 underflows, at
 *       4 x SIZE and 6 x SIZE, and the counter continuous throughout.
 *
 *   rig-dac cyclic ALLOC IIODIR SIZE MIN_REPEATS
 *       Both channels. A cyclic block C of SIZE bytes (scans 0...) plays
 *       until sim_cyclic_repeats reaches MIN_REPEATS with no further
 *       enqueue (C's fence still pending); then block D (continuing C's
 *       scans, as a writer that cannot know the repetitions would) replaces
 *       it: C and D complete, the DAC reports one mismatch at D's first
 *       byte (it counts C's repetitions) and none for block E after D. Last,
 *       a cyclic block F is aborted by disabling the buffer (fence error).
 */
#include <endian.h>
#include <stdint.h>

#include "rig-common.h"
#include "rig-pattern.h"

static const char *g_dir;
static int failures;

static void stat_str(const char *name, char *buf, size_t size)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	rig_sysfs_read(path, buf, size);
	buf[strcspn(buf, "\n")] = 0;
}

/* Compares a statistic with what it should be; counts a failure. */
static void expect(const char *name, long long want)
{
	long long got = rig_sysfs_attr_ll(g_dir, name);

	if (got != want) {
		fprintf(stderr, "%s is %lld, want %lld\n", name, got, want);
		failures++;
	}
}

/* Writes scans p->n... into @len bytes (whole scans) at @dst. */
static void fill(struct rig_pattern *p, uint8_t *dst, size_t len)
{
	size_t off;

	if (p->mask == 3) {
		for (off = 0; off + 4 <= len; off += 4, p->n++) {
			uint32_t v = htole32((uint32_t)p->n);

			memcpy(dst + off, &v, 4);
		}
		return;
	}
	for (off = 0; off + p->scan_bytes <= len; off += p->scan_bytes, p->n++)
		rig_pattern_scan(p, p->n, dst + off);
}

/* Polls @name until it reaches @want (or @timeout_s passes). */
static long long wait_stat(const char *name, long long want, double timeout_s)
{
	double end = rig_now() + timeout_s;
	long long v;

	while ((v = rig_sysfs_attr_ll(g_dir, name)) < want && rig_now() < end)
		usleep(10000);
	return v;
}

static void report(const char *what)
{
	char offs[512];

	stat_str("sim_underflow_offsets", offs, sizeof(offs));
	printf("%s: sim_bytes_played %lld sim_blocks_done %lld sim_mismatches %lld "
	       "sim_first_mismatch %lld sim_underflows %lld [%s] sim_cyclic_repeats %lld\n",
	       what, rig_sysfs_attr_ll(g_dir, "sim_bytes_played"), rig_sysfs_attr_ll(g_dir, "sim_blocks_done"),
	       rig_sysfs_attr_ll(g_dir, "sim_mismatches"), rig_sysfs_attr_ll(g_dir, "sim_first_mismatch"),
	       rig_sysfs_attr_ll(g_dir, "sim_underflows"), offs, rig_sysfs_attr_ll(g_dir, "sim_cyclic_repeats"));
}

static int cmd_write(char **argv, int argc)
{
	static const size_t chunks[] = { 65536, 12, 40000, 4096, 262144, 4 };
	long long total = strtoll(argv[1], NULL, 0), corrupt = argc > 2 ? strtoll(argv[2], NULL, 0) : -1;
	struct rig_pattern pat;
	char path[512];
	size_t block, off = 0, i = 0;
	uint8_t *buf;
	int bfd;

	if (rig_pattern_init(&pat, argv[0]))
		rig_die("bad CHANNELS '%s'", argv[0]);
	snprintf(path, sizeof(path), "%s/buffer0/length", g_dir);
	block = (size_t)rig_sysfs_read_long(path) * pat.scan_bytes / 2;
	if (total <= 0 || total % block)
		rig_die("BYTES %lld is not a positive multiple of the fileio block (%zu bytes)",
			total, block);
	buf = malloc(262144);
	if (!buf)
		rig_die("out of memory");
	bfd = rig_iio_buffer_fd(g_dir);
	rig_iio_enable(g_dir, 1);
	while (off < (size_t)total) {
		size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))], done = 0;

		n -= n % pat.scan_bytes;
		if (n > total - off)
			n = total - off;
		fill(&pat, buf, n);
		if (corrupt >= (long long)off && corrupt < (long long)(off + n))
			buf[corrupt - off] ^= 0xff;
		while (done < n) {
			ssize_t w = write(bfd, buf + done, n - done);

			if (w < 0)
				rig_die("write of %zu bytes at stream offset %zu: %s", n - done,
					off + done, strerror(errno));
			if (w == 0)
				rig_die("write returned 0 at stream offset %zu", off + done);
			done += w;
		}
		off += n;
	}
	if (wait_stat("sim_bytes_played", total, 60) != total)
		failures++;
	rig_iio_enable(g_dir, 0);
	close(bfd);
	free(buf);
	report("write()");
	expect("sim_bytes_played", total);
	expect("sim_blocks_done", total / block);
	expect("sim_mismatches", corrupt >= 0 ? 1 : 0);
	expect("sim_first_mismatch", corrupt >= 0 ? corrupt - corrupt % pat.scan_bytes : -1);
	expect("sim_underflows", 0);
	return failures ? 1 : 0;
}

static void attach(int bfd, int fd)
{
	if (ioctl(bfd, IIO_BUFFER_DMABUF_ATTACH_IOCTL, &fd))
		rig_die("IIO_BUFFER_DMABUF_ATTACH_IOCTL: %s", strerror(errno));
}

static void detach(int bfd, int fd)
{
	if (ioctl(bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL, &fd))
		rig_die("IIO_BUFFER_DMABUF_DETACH_IOCTL: %s", strerror(errno));
}

static int enqueue(int bfd, int fd, size_t bytes_used, unsigned int flags)
{
	struct iio_dmabuf req = { .fd = fd, .flags = flags, .bytes_used = bytes_used };

	return ioctl(bfd, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req) ? -errno : 0;
}

static void enqueue_or_die(int bfd, int fd, size_t bytes_used, unsigned int flags)
{
	int r = enqueue(bfd, fd, bytes_used, flags);

	if (r)
		rig_die("IIO_BUFFER_DMABUF_ENQUEUE_IOCTL (bytes_used %zu, flags %#x): %s",
			bytes_used, flags, strerror(-r));
}

/* Fills the DMABUF with @scans_bytes of the pattern, then @extra junk bytes. */
static void fill_dmabuf(int fd, size_t size, struct rig_pattern *p, size_t bytes, size_t extra)
{
	uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		rig_die("mmap of a DMABUF: %s", strerror(errno));
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, "start write");
	fill(p, map, bytes);
	memset(map + bytes, 0xa5, extra);
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, "end write");
	munmap(map, size);
}

/*
 * Waits until the DAC is done with the DMABUF. IIO adds an output buffer's
 * fence as a READ fence (the device reads): POLLIN would not wait for it;
 * POLLOUT (may the CPU write?) does.
 */
static void wait_done(int fd, double timeout_s, const char *what)
{
	rig_poll(fd, POLLOUT, timeout_s, what);
}

/* A sync_file of the DMABUF's fences, the DAC's read fence included. */
static int sync_file(int fd)
{
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_WRITE };

	if (ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp))
		rig_die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s", strerror(errno));
	return exp.fd;
}

/* 0 pending, 1 signalled, < 0 signalled with that error. */
static int fence_status(int sfd, double wait_s, const char *what)
{
	struct sync_file_info info;

	if (wait_s > 0)
		rig_poll(sfd, POLLIN, wait_s, what);
	memset(&info, 0, sizeof(info));
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		rig_die("SYNC_IOC_FILE_INFO (%s): %s", what, strerror(errno));
	return info.status;
}

static int cmd_dmabuf(char **argv)
{
	const char *alloc = argv[0];
	size_t size = strtoul(argv[2], NULL, 0);
	int count = atoi(argv[3]);
	long long total = strtoll(argv[4], NULL, 0), queued = 0, played = 0, blocks = 0;
	struct rig_pattern pat;
	int bfd, i, *fds, *busy;
	char what[64];

	if (rig_pattern_init(&pat, argv[1]))
		rig_die("bad CHANNELS '%s'", argv[1]);
	if (!size || size % (2 * pat.scan_bytes) || count < 1 || total <= 0)
		rig_die("SIZE (a multiple of two scans), COUNT and TOTAL must be positive");
	fds = calloc(count, sizeof(*fds));
	busy = calloc(count, sizeof(*busy));
	if (!fds || !busy)
		rig_die("out of memory");
	bfd = rig_iio_buffer_fd(g_dir);
	for (i = 0; i < count; i++) {
		fds[i] = rig_dmabuf_alloc(alloc, size);
		attach(bfd, fds[i]);
	}
	for (i = 0; queued < total; i = (i + 1) % count) {
		/* every third block: half of it and one byte of a scan */
		size_t used = blocks % 3 == 2 ? size / 2 + 1 : size;
		size_t bytes = used - used % pat.scan_bytes;

		if (busy[i]) {
			snprintf(what, sizeof(what), "%s block %d", alloc, i);
			wait_done(fds[i], 30, what);
		}
		fill_dmabuf(fds[i], size, &pat, bytes, used - bytes);
		enqueue_or_die(bfd, fds[i], used, 0);
		busy[i] = 1;
		if (++blocks == count)
			rig_iio_enable(g_dir, 1);	/* the first COUNT were queued before enable */
		queued += used;
		played += bytes;
	}
	if (blocks < count)
		rig_iio_enable(g_dir, 1);
	for (i = 0; i < count; i++) {
		if (busy[i])
			wait_done(fds[i], 30, "the last blocks");
	}
	rig_iio_enable(g_dir, 0);
	for (i = 0; i < count; i++) {
		detach(bfd, fds[i]);
		close(fds[i]);
	}
	close(bfd);
	report(alloc);
	expect("sim_bytes_played", played);
	expect("sim_blocks_done", blocks);
	expect("sim_mismatches", 0);
	expect("sim_first_mismatch", -1);
	printf("%s: %lld blocks, %lld bytes queued, %lld played (partial scans dropped)\n", alloc,
	       blocks, queued, played);
	free(fds);
	free(busy);
	return failures ? 1 : 0;
}

static int cmd_tiny(char **argv)
{
	const char *alloc = argv[0];
	struct rig_pattern pat;
	int bfd, fd, sf, r, st;

	rig_pattern_init(&pat, "both");
	bfd = rig_iio_buffer_fd(g_dir);
	fd = rig_dmabuf_alloc(alloc, 4096);
	attach(bfd, fd);
	r = enqueue(bfd, fd, 0, 0);
	if (r != -EINVAL)
		rig_die("enqueue with bytes_used 0 returned %d, want -EINVAL", r);
	/*
	 * Queued before enable, so its fence is still pending when exported:
	 * a sync_file taken after the fence signalled would not hold it.
	 */
	fill_dmabuf(fd, 4096, &pat, 0, 1);
	enqueue_or_die(bfd, fd, 1, 0);
	sf = sync_file(fd);
	st = fence_status(sf, 0, "the fence of a block of 1 byte, before enable");
	if (st != 0)
		rig_die("a block of 1 byte queued before enable has fence status %d, want 0", st);
	rig_iio_enable(g_dir, 1);
	st = fence_status(sf, 10, "the fence of a block of 1 byte");
	if (st != -EINVAL)
		rig_die("a block of 1 byte (less than a 4-byte scan) signalled %d, want -EINVAL", st);
	printf("bytes_used 0: enqueue EINVAL; bytes_used 1: fence %d (%s)\n", st, strerror(-st));
	/* What the core does with a DMABUF whose block the driver refused. */
	fill_dmabuf(fd, 4096, &pat, 4096, 0);
	r = enqueue(bfd, fd, 4096, 0);
	printf("the refused DMABUF enqueued again: %s\n", r ? strerror(-r) : "accepted");
	expect("sim_blocks_done", 0);
	expect("sim_bytes_played", 0);
	rig_iio_enable(g_dir, 0);
	close(sf);
	detach(bfd, fd);
	close(fd);
	close(bfd);
	return failures ? 1 : 0;
}

static int cmd_paced(char **argv)
{
	const char *alloc = argv[0];
	size_t size = strtoul(argv[1], NULL, 0);
	int pause_ms = atoi(argv[2]);
	struct rig_pattern pat;
	char offs[512], want[128];
	long long freq;
	double t0, took, min_s;
	int bfd, a, b;

	rig_pattern_init(&pat, "both");
	freq = rig_sysfs_attr_ll(g_dir, "sampling_frequency");
	if (rig_sysfs_attr_ll(g_dir, "sim_paced") != 1)
		rig_die("sim_paced is not 1");
	bfd = rig_iio_buffer_fd(g_dir);
	a = rig_dmabuf_alloc(alloc, size);
	b = rig_dmabuf_alloc(alloc, size);
	attach(bfd, a);
	attach(bfd, b);

	/* Fed: A B A B, each refilled while the other plays. */
	fill_dmabuf(a, size, &pat, size, 0);
	enqueue_or_die(bfd, a, size, 0);
	fill_dmabuf(b, size, &pat, size, 0);
	enqueue_or_die(bfd, b, size, 0);
	t0 = rig_now();
	rig_iio_enable(g_dir, 1);
	wait_done(a, 30, "paced block 1");
	fill_dmabuf(a, size, &pat, size, 0);
	enqueue_or_die(bfd, a, size, 0);
	wait_done(b, 30, "paced block 2");
	fill_dmabuf(b, size, &pat, size, 0);
	enqueue_or_die(bfd, b, size, 0);
	wait_done(a, 30, "paced block 3");
	wait_done(b, 30, "paced block 4");

	/* Dry, then two blocks. */
	usleep(pause_ms * 1000);
	fill_dmabuf(a, size, &pat, size, 0);
	enqueue_or_die(bfd, a, size, 0);
	fill_dmabuf(b, size, &pat, size, 0);
	enqueue_or_die(bfd, b, size, 0);
	wait_done(a, 30, "paced block 5");
	wait_done(b, 30, "paced block 6");

	/* Dry again, then one block. */
	usleep(pause_ms * 1000);
	fill_dmabuf(a, size, &pat, size, 0);
	enqueue_or_die(bfd, a, size, 0);
	wait_done(a, 30, "paced block 7");
	took = rig_now() - t0;
	rig_iio_enable(g_dir, 0);

	report("paced");
	stat_str("sim_underflow_offsets", offs, sizeof(offs));
	snprintf(want, sizeof(want), "%zu %zu", 4 * size, 6 * size);
	if (strcmp(offs, want)) {
		fprintf(stderr, "sim_underflow_offsets is '%s', want '%s'\n", offs, want);
		failures++;
	}
	expect("sim_underflows", 2);
	expect("sim_bytes_played", 7 * (long long)size);
	expect("sim_blocks_done", 7);
	expect("sim_mismatches", 0);
	/* 7 blocks' play time and 2 pauses, less a little for timer slack */
	min_s = 7.0 * size / pat.scan_bytes / freq + 2 * pause_ms / 1000.0;
	if (took < 0.95 * min_s) {
		fprintf(stderr, "7 paced blocks took %.3f s, want >= %.3f s\n", took, min_s);
		failures++;
	}
	printf("paced: 7 blocks in %.3f s (>= %.3f s), underflows at %s\n", took, min_s, offs);
	detach(bfd, a);
	detach(bfd, b);
	close(a);
	close(b);
	close(bfd);
	return failures ? 1 : 0;
}

static int cmd_cyclic(char **argv)
{
	const char *alloc = argv[0];
	size_t size = strtoul(argv[1], NULL, 0), dsize = 65536;
	long long min_rep = strtoll(argv[2], NULL, 0), rep, rep2, played;
	struct rig_pattern pat;
	int bfd, c, d, f, sc, sd, sf, st;

	rig_pattern_init(&pat, "both");
	bfd = rig_iio_buffer_fd(g_dir);
	c = rig_dmabuf_alloc(alloc, size);
	d = rig_dmabuf_alloc(alloc, dsize);
	f = rig_dmabuf_alloc(alloc, size);
	attach(bfd, c);
	attach(bfd, d);
	attach(bfd, f);

	fill_dmabuf(c, size, &pat, size, 0);
	enqueue_or_die(bfd, c, size, IIO_BUFFER_DMABUF_CYCLIC);
	sc = sync_file(c);
	rig_iio_enable(g_dir, 1);
	rep = wait_stat("sim_cyclic_repeats", min_rep, 30);
	if (rep < min_rep)
		rig_die("sim_cyclic_repeats reached only %lld in 30 s, want >= %lld", rep, min_rep);
	st = fence_status(sc, 0, "the cyclic block");
	if (st != 0)
		rig_die("the cyclic block's fence has status %d while it repeats, want 0 (pending)",
			st);
	printf("cyclic: %lld repetitions with no enqueue, fence pending\n", rep);
	{
		/* the DAC's fence is a read fence: POLLIN does not wait for it */
		struct pollfd pfd = { .fd = c, .events = POLLIN | POLLOUT };

		if (poll(&pfd, 1, 0) < 0)
			rig_die("poll of the cyclic DMABUF: %s", strerror(errno));
		printf("poll of the playing cyclic DMABUF: POLLIN %s, POLLOUT %s\n",
		       pfd.revents & POLLIN ? "ready" : "waits",
		       pfd.revents & POLLOUT ? "ready" : "waits");
	}
	if (enqueue(bfd, c, size, IIO_BUFFER_DMABUF_CYCLIC) != -EBUSY)
		rig_die("enqueueing the playing cyclic block again did not fail with EBUSY");

	/* D: what a writer would send next, C's scans continued. */
	fill_dmabuf(d, dsize, &pat, dsize, 0);
	enqueue_or_die(bfd, d, dsize, 0);
	sd = sync_file(d);
	st = fence_status(sd, 10, "block D after the cyclic block");
	if (st != 1)
		rig_die("block D signalled %d, want 1", st);
	st = fence_status(sc, 0, "the replaced cyclic block");
	if (st != 1)
		rig_die("the replaced cyclic block signalled %d, want 1", st);
	rep = rig_sysfs_attr_ll(g_dir, "sim_cyclic_repeats");
	played = (long long)size * (rep + 1);
	expect("sim_bytes_played", played + dsize);
	expect("sim_blocks_done", 2);
	expect("sim_mismatches", 1);
	expect("sim_first_mismatch", played);
	report("cyclic then D");

	/* E continues D: the DAC resynchronised to D, so no new mismatch. */
	wait_done(d, 10, "block D");
	fill_dmabuf(d, dsize, &pat, dsize, 0);
	enqueue_or_die(bfd, d, dsize, 0);
	wait_done(d, 10, "block E");
	expect("sim_mismatches", 1);
	expect("sim_bytes_played", played + 2 * dsize);
	rep2 = rig_sysfs_attr_ll(g_dir, "sim_cyclic_repeats");
	if (rep2 != rep) {
		fprintf(stderr, "sim_cyclic_repeats went on from %lld to %lld after the cyclic block ended\n",
			rep, rep2);
		failures++;
	}
	report("then E");

	/* F, cyclic, aborted by disable. */
	fill_dmabuf(f, size, &pat, size, 0);
	enqueue_or_die(bfd, f, size, IIO_BUFFER_DMABUF_CYCLIC);
	sf = sync_file(f);
	usleep(100000);
	rig_iio_enable(g_dir, 0);
	st = fence_status(sf, 10, "the aborted cyclic block");
	if (st >= 0)
		rig_die("cyclic block F signalled %d after disable, want an error", st);
	printf("cyclic block F aborted by disable: fence %d (%s)\n", st, strerror(-st));
	report("after F");

	close(sc);
	close(sd);
	close(sf);
	detach(bfd, c);
	detach(bfd, d);
	detach(bfd, f);
	close(c);
	close(d);
	close(f);
	close(bfd);
	return failures ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: rig-dac write IIODIR both|0|1 BYTES [CORRUPT]\n"
			"       rig-dac dmabuf udmabuf|heap IIODIR both|0|1 SIZE COUNT TOTAL\n"
			"       rig-dac tiny udmabuf|heap IIODIR\n"
			"       rig-dac paced udmabuf|heap IIODIR SIZE PAUSE_MS\n"
			"       rig-dac cyclic udmabuf|heap IIODIR SIZE MIN_REPEATS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "write") && (argc == 5 || argc == 6)) {
		g_dir = argv[2];
		return cmd_write(argv + 3, argc - 3);
	}
	if (argc < 4)
		usage();
	g_dir = argv[3];
	argv[3] = argv[2];	/* ALLOC first, then the command's own arguments */
	if (!strcmp(argv[1], "dmabuf") && argc == 8)
		return cmd_dmabuf(argv + 3);
	if (!strcmp(argv[1], "tiny") && argc == 4)
		return cmd_tiny(argv + 3);
	if (!strcmp(argv[1], "paced") && argc == 6)
		return cmd_paced(argv + 3);
	if (!strcmp(argv[1], "cyclic") && argc == 6)
		return cmd_cyclic(argv + 3);
	usage();
}
