// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-dmabuf: DMABUF probes for the VM rig.
 *
 *   rig-dmabuf iio ALLOC IIODIR CHANNELS SIZE COUNT ROUNDS
 *       Allocates COUNT DMABUFs of SIZE bytes (ALLOC: udmabuf or heap),
 *       attaches them to buffer0 of the IIO device at IIODIR
 *       (/sys/bus/iio/devices/iio:deviceN; channels already enabled, buffer
 *       disabled), enqueues them, enables the buffer and, ROUNDS times,
 *       waits for each block in turn, checks (between DMA_BUF_IOCTL_SYNC
 *       START/END) that it continues the pattern and re-enqueues it. Then
 *       disables the buffer and detaches.
 *
 *   rig-dmabuf fault ALLOC IIODIR SIZE
 *       Both channels enabled and sim_fail_blocks=1 written by the caller:
 *       enqueues blocks A and B, takes a sync_file of each (before enable,
 *       so the fences are still pending), enables, and checks that A's
 *       fence signals with an error and B's without, B's data starting
 *       right after the scans A would have held.
 *
 *   rig-dmabuf abort ALLOC IIODIR SIZE
 *       With the DMA stalled by the caller (sim_stall_ms): enqueues two
 *       blocks, enables, checks both are still pending, disables the buffer
 *       and checks that both fences then signal an error (aborted).
 *
 *   rig-dmabuf paced ALLOC IIODIR SIZE
 *       With sim_paced=1 and sampling_frequency set by the caller (at
 *       250 kHz a 1 MiB block takes about 1 s, time enough to check the
 *       other block even on the debug kernel): two blocks re-enqueued while
 *       the other one is still filling continue the counter; a block
 *       enqueued 0.3 s after every block completed starts after a gap of
 *       at least 0.25 s worth of scans.
 *
 *   rig-dmabuf ffs ALLOC EPFILE SIZE [send]
 *       Attaches a DMABUF to a FunctionFS endpoint (the function must be
 *       bound). With "send", fills it with the counter pattern (u32 LE
 *       0,1,2,...), transfers it with FUNCTIONFS_DMABUF_TRANSFER and waits
 *       until the USB side has read it. Then detaches.
 */
#include <endian.h>
#include <stdint.h>

#include "rig-common.h"
#include "rig-pattern.h"

static void iio_attach(int bfd, int fd)
{
	if (ioctl(bfd, IIO_BUFFER_DMABUF_ATTACH_IOCTL, &fd))
		rig_die("IIO_BUFFER_DMABUF_ATTACH_IOCTL: %s", strerror(errno));
}

static void iio_detach(int bfd, int fd)
{
	if (ioctl(bfd, IIO_BUFFER_DMABUF_DETACH_IOCTL, &fd))
		rig_die("IIO_BUFFER_DMABUF_DETACH_IOCTL: %s", strerror(errno));
}

static void iio_enqueue(int bfd, int fd, size_t size)
{
	struct iio_dmabuf req = { .fd = fd, .bytes_used = size };

	if (ioctl(bfd, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req))
		rig_die("IIO_BUFFER_DMABUF_ENQUEUE_IOCTL: %s", strerror(errno));
}

static void check_block(int fd, size_t size, struct rig_pattern *pat, const char *what)
{
	void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		rig_die("mmap of %s: %s", what, strerror(errno));
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "start read");
	if (rig_pattern_check(pat, map, size, what))
		exit(1);
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "end read");
	munmap(map, size);
}

static int cmd_iio(char **argv)
{
	const char *alloc = argv[0], *iiodir = argv[1];
	size_t size = strtoul(argv[3], NULL, 0);
	int count = atoi(argv[4]), rounds = atoi(argv[5]);
	struct rig_pattern pat;
	int bfd, i, r, *fds;
	char what[64];

	if (rig_pattern_init(&pat, argv[2]))
		rig_die("bad CHANNELS '%s'", argv[2]);
	if (!size || count < 1 || rounds < 1)
		rig_die("SIZE, COUNT and ROUNDS must be positive");
	fds = calloc(count, sizeof(*fds));
	if (!fds)
		rig_die("out of memory");
	bfd = rig_iio_buffer_fd(iiodir);
	for (i = 0; i < count; i++) {
		fds[i] = rig_dmabuf_alloc(alloc, size);
		iio_attach(bfd, fds[i]);
	}
	for (i = 0; i < count; i++)
		iio_enqueue(bfd, fds[i], size);
	rig_iio_enable(iiodir, 1);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < count; i++) {
			snprintf(what, sizeof(what), "%s block %d round %d", alloc, i, r);
			rig_poll(fds[i], POLLIN, 10, what);
			check_block(fds[i], size, &pat, what);
			if (r + 1 < rounds)
				iio_enqueue(bfd, fds[i], size);
		}
	}
	rig_iio_enable(iiodir, 0);
	for (i = 0; i < count; i++) {
		iio_detach(bfd, fds[i]);
		close(fds[i]);
	}
	close(bfd);
	printf("%s: %d DMABUFs x %d rounds of %zu bytes held the pattern (%llu scans)\n", alloc,
	       count, rounds, size, (unsigned long long)pat.n);
	free(fds);
	return 0;
}

static int export_sync_file(int fd)
{
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ };

	if (ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp))
		rig_die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s", strerror(errno));
	return exp.fd;
}

static int sync_file_status(int sfd, int wait, const char *what)
{
	struct sync_file_info info;

	if (wait)
		rig_poll(sfd, POLLIN, 10, what);
	memset(&info, 0, sizeof(info));
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		rig_die("SYNC_IOC_FILE_INFO (%s): %s", what, strerror(errno));
	return info.status;
}

static int cmd_fault(char **argv)
{
	const char *alloc = argv[0], *iiodir = argv[1];
	size_t size = strtoul(argv[2], NULL, 0);
	struct rig_pattern pat;
	int bfd, a, b, sa, sb, st;
	char path[512];
	long failed_before, failed;

	rig_pattern_init(&pat, "both");
	snprintf(path, sizeof(path), "%s/sim_blocks_failed", iiodir);
	failed_before = rig_sysfs_read_long(path);
	bfd = rig_iio_buffer_fd(iiodir);
	a = rig_dmabuf_alloc(alloc, size);
	b = rig_dmabuf_alloc(alloc, size);
	iio_attach(bfd, a);
	iio_attach(bfd, b);
	iio_enqueue(bfd, a, size);
	iio_enqueue(bfd, b, size);
	sa = export_sync_file(a);
	sb = export_sync_file(b);
	st = sync_file_status(sa, 0, "block A's fence before enable");
	if (st != 0)
		rig_die("block A's fence has status %d before the buffer was enabled, want 0 (pending)", st);
	rig_iio_enable(iiodir, 1);

	st = sync_file_status(sa, 1, "block A's fence");
	if (st >= 0)
		rig_die("block A (injected fault) signalled status %d, want an error", st);
	printf("block A's fence signalled %d (%s)\n", st, strerror(-st));
	st = sync_file_status(sb, 1, "block B's fence");
	if (st != 1)
		rig_die("block B signalled status %d, want 1 (success)", st);
	pat.n = size / pat.scan_bytes;	/* A's scans were consumed */
	check_block(b, size, &pat, "block B after the fault");

	failed = rig_sysfs_read_long(path);
	if (failed != failed_before + 1)
		rig_die("sim_blocks_failed went from %ld to %ld, want +1", failed_before, failed);
	rig_iio_enable(iiodir, 0);
	iio_detach(bfd, a);
	iio_detach(bfd, b);
	close(sa);
	close(sb);
	close(a);
	close(b);
	close(bfd);
	printf("injected fault reached userspace as a fence error; next block intact\n");
	return 0;
}

static int cmd_abort(char **argv)
{
	const char *alloc = argv[0], *iiodir = argv[1];
	size_t size = strtoul(argv[2], NULL, 0);
	int bfd, fd[2], sf[2], i, st;

	bfd = rig_iio_buffer_fd(iiodir);
	for (i = 0; i < 2; i++) {
		fd[i] = rig_dmabuf_alloc(alloc, size);
		iio_attach(bfd, fd[i]);
	}
	for (i = 0; i < 2; i++) {
		iio_enqueue(bfd, fd[i], size);
		sf[i] = export_sync_file(fd[i]);
	}
	rig_iio_enable(iiodir, 1);
	usleep(200000);
	for (i = 0; i < 2; i++) {
		st = sync_file_status(sf[i], 0, "a stalled block");
		if (st != 0)
			rig_die("block %d has fence status %d during the stall, want 0 (pending)", i, st);
	}
	rig_iio_enable(iiodir, 0);
	for (i = 0; i < 2; i++) {
		st = sync_file_status(sf[i], 1, "an aborted block's fence");
		if (st >= 0)
			rig_die("block %d's fence signalled %d after disable, want an error", i, st);
		printf("block %d aborted by disable: fence status %d (%s)\n", i, st, strerror(-st));
	}
	for (i = 0; i < 2; i++) {
		iio_detach(bfd, fd[i]);
		close(sf[i]);
		close(fd[i]);
	}
	close(bfd);
	return 0;
}

/* First scan (both channels) held by a completed block. */
static uint64_t first_scan(int fd)
{
	uint32_t *map = mmap(NULL, 4, PROT_READ, MAP_SHARED, fd, 0);
	uint32_t v;

	if (map == MAP_FAILED)
		rig_die("mmap: %s", strerror(errno));
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "start read");
	v = le32toh(map[0]);
	rig_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "end read");
	munmap(map, 4);
	return v;
}

static int cmd_paced(char **argv)
{
	const char *alloc = argv[0], *iiodir = argv[1];
	size_t size = strtoul(argv[2], NULL, 0);
	struct rig_pattern pat;
	char path[512];
	long freq;
	int bfd, a, b;
	uint64_t expect, got, min_gap;

	rig_pattern_init(&pat, "both");
	snprintf(path, sizeof(path), "%s/sampling_frequency", iiodir);
	freq = rig_sysfs_read_long(path);
	bfd = rig_iio_buffer_fd(iiodir);
	a = rig_dmabuf_alloc(alloc, size);
	b = rig_dmabuf_alloc(alloc, size);
	iio_attach(bfd, a);
	iio_attach(bfd, b);
	iio_enqueue(bfd, a, size);
	iio_enqueue(bfd, b, size);
	rig_iio_enable(iiodir, 1);

	/* Kept fed: A, B, A again, B again, all consecutive from 0. */
	rig_poll(a, POLLIN, 10, "paced block A");
	check_block(a, size, &pat, "paced block A");
	iio_enqueue(bfd, a, size);
	rig_poll(b, POLLIN, 10, "paced block B");
	check_block(b, size, &pat, "paced block B");
	iio_enqueue(bfd, b, size);
	rig_poll(a, POLLIN, 10, "paced block A, 2nd");
	check_block(a, size, &pat, "paced block A, 2nd (enqueued while B filled)");
	rig_poll(b, POLLIN, 10, "paced block B, 2nd");
	check_block(b, size, &pat, "paced block B, 2nd (enqueued while A filled)");

	/* Starved: nothing queued for 0.3 s, then A. */
	usleep(300000);
	iio_enqueue(bfd, a, size);
	rig_poll(a, POLLIN, 10, "paced block A after starvation");
	got = first_scan(a);
	expect = pat.n;
	min_gap = (uint64_t)freq / 4;
	if (got < expect + min_gap)
		rig_die("after 0.3 s starved at %ld Hz the block starts at scan %llu, want >= %llu",
			freq, (unsigned long long)got, (unsigned long long)(expect + min_gap));
	pat.n = got;
	check_block(a, size, &pat, "paced block A after starvation");
	printf("paced: fed blocks consecutive; starvation gap of %llu scans\n",
	       (unsigned long long)(got - expect));

	rig_iio_enable(iiodir, 0);
	iio_detach(bfd, a);
	iio_detach(bfd, b);
	close(a);
	close(b);
	close(bfd);
	return 0;
}

static int cmd_ffs(char **argv, int send)
{
	const char *alloc = argv[0], *epfile = argv[1];
	size_t size = strtoul(argv[2], NULL, 0);
	int ep, fd;

	ep = open(epfile, O_RDWR | O_CLOEXEC);
	if (ep < 0)
		rig_die("open %s: %s", epfile, strerror(errno));
	fd = rig_dmabuf_alloc(alloc, size);
	if (ioctl(ep, FUNCTIONFS_DMABUF_ATTACH, &fd))
		rig_die("FUNCTIONFS_DMABUF_ATTACH of a %s DMABUF to %s: %s", alloc, epfile,
			strerror(errno));
	printf("%s DMABUF attached to %s\n", alloc, epfile);
	if (send) {
		struct usb_ffs_dmabuf_transfer_req req = { .fd = fd, .length = size };
		uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		size_t i;

		if (map == MAP_FAILED)
			rig_die("mmap of the DMABUF: %s", strerror(errno));
		rig_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, "start write");
		for (i = 0; i < size / 4; i++)
			map[i] = htole32((uint32_t)i);
		rig_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, "end write");
		munmap(map, size);
		if (ioctl(ep, FUNCTIONFS_DMABUF_TRANSFER, &req))
			rig_die("FUNCTIONFS_DMABUF_TRANSFER of %zu bytes on %s: %s", size, epfile,
				strerror(errno));
		/* POLLOUT: every fence, the USB transfer's read fence included */
		rig_poll(fd, POLLOUT, 30, "the USB transfer of the DMABUF");
		printf("%zu bytes sent from a %s DMABUF\n", size, alloc);
	}
	if (ioctl(ep, FUNCTIONFS_DMABUF_DETACH, &fd))
		rig_die("FUNCTIONFS_DMABUF_DETACH: %s", strerror(errno));
	close(fd);
	close(ep);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: rig-dmabuf iio udmabuf|heap IIODIR both|0|1 SIZE COUNT ROUNDS\n"
			"       rig-dmabuf fault udmabuf|heap IIODIR SIZE\n"
			"       rig-dmabuf abort udmabuf|heap IIODIR SIZE\n"
			"       rig-dmabuf paced udmabuf|heap IIODIR SIZE\n"
			"       rig-dmabuf ffs udmabuf|heap EPFILE SIZE [send]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "iio") && argc == 8)
		return cmd_iio(argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "fault") && argc == 5)
		return cmd_fault(argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "abort") && argc == 5)
		return cmd_abort(argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "paced") && argc == 5)
		return cmd_paced(argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "ffs") && (argc == 5 || argc == 6)) {
		if (argc == 6 && strcmp(argv[5], "send"))
			usage();
		return cmd_ffs(argv + 2, argc == 6);
	}
	usage();
}
