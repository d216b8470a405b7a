// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-bench: the two halves of the zero-copy pipeline, each alone, for
 * `make bench` (pipeline efficiency = bridge MiB/s / min(halves)). Built on
 * the daemon's own wrappers (libifb-daemon.a), so it moves blocks exactly
 * the way the daemon does.
 *
 *   rig-bench adc ALLOC SIZE COUNT SECONDS
 *       IIO DMABUF cycling with no USB: COUNT DMABUFs of SIZE bytes attached
 *       to buffer0 of iio-sim-adc (all channels), each re-enqueued as soon
 *       as its fence signals. Prints "adc_mib_s=N".
 *
 *   rig-bench usb ALLOC SIZE COUNT FFSDIR
 *       FunctionFS with no ADC: writes the daemon's descriptors to
 *       FFSDIR/ep0, prints "ready", answers GET_INFO/START/STOP/GET_STATS
 *       like the daemon, and on START sends the same COUNT DMABUFs over and
 *       over (their content is whatever the allocator gave: zeros), each
 *       resubmitted as soon as its fence signals; after STOP, a ZLP. Runs
 *       until SIGTERM. The host side is iio-ffs-capture without --verify.
 *
 * ALLOC: udmabuf, dma-heap or auto, as in the daemon's config.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/dmabuf.h"
#include "daemon/ffs.h"
#include "daemon/usb-desc.h"
#include "daemon/iio.h"

#define MAX_BLOCKS 64

static int fds[MAX_BLOCKS];
static int syncs[MAX_BLOCKS]; /* fences of the transfer in flight */
static unsigned nblocks;
static uint32_t block_size;

static void die(const char *what, int r)
{
	fprintf(stderr, "rig-bench: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void alloc_pool(const char *alloc, const char *size, const char *count)
{
	struct ifb_allocator a;
	enum ifb_cfg_alloc kind = IFB_CFG_ALLOC_AUTO;
	int r;

	if (strcmp(alloc, "udmabuf") == 0)
		kind = IFB_CFG_ALLOC_UDMABUF;
	else if (strcmp(alloc, "dma-heap") == 0)
		kind = IFB_CFG_ALLOC_DMA_HEAP;
	block_size = (uint32_t)strtoul(size, NULL, 0);
	nblocks = (unsigned)strtoul(count, NULL, 0);
	if (!block_size || !nblocks || nblocks > MAX_BLOCKS)
		die("bad SIZE or COUNT", EINVAL);
	r = ifb_allocator_open(&a, kind, "system");
	if (r < 0)
		die(a.name, r);
	for (unsigned i = 0; i < nblocks; i++) {
		fds[i] = ifb_dmabuf_new(&a, block_size);
		if (fds[i] < 0)
			die("DMABUF allocation", fds[i]);
	}
	ifb_allocator_close(&a);
}

/* Wait for events on one DMABUF (POLLIN: writers done, POLLOUT: all). */
static void wait_fence(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, 10000);

	if (r == 0)
		die("fence wait", ETIMEDOUT);
	if (r < 0)
		die("poll", errno);
}

static int bench_adc(char **argv)
{
	struct ifb_iio io;
	uint64_t bytes = 0;
	double t0, secs = strtod(argv[3], NULL);
	int r;

	alloc_pool(argv[0], argv[1], argv[2]);
	r = ifb_iio_find(&io, "iio-sim-adc", 0, NULL);
	if (r < 0)
		die("iio-sim-adc", r);
	if (ifb_iio_select(&io, true, NULL, 0, NULL) < 0 || ifb_iio_buffer_enable(&io, false) < 0 ||
	    ifb_iio_apply_channels(&io) < 0)
		die("IIO channel setup", EIO);
	r = ifb_iio_open(&io);
	if (r < 0)
		die("IIO buffer open", r);
	for (unsigned i = 0; i < nblocks; i++) {
		r = ifb_iio_dmabuf_attach(&io, fds[i]);
		if (r < 0)
			die("IIO DMABUF attach", r);
	}
	r = ifb_iio_buffer_enable(&io, true);
	if (r < 0)
		die("IIO buffer enable", r);
	for (unsigned i = 0; i < nblocks; i++) {
		r = ifb_iio_dmabuf_enqueue(&io, fds[i], block_size, 0);
		if (r < 0)
			die("IIO enqueue", r);
	}
	t0 = now();
	for (unsigned i = 0; now() - t0 < secs; i = (i + 1) % nblocks) {
		wait_fence(fds[i], POLLIN);
		bytes += block_size;
		r = ifb_iio_dmabuf_enqueue(&io, fds[i], block_size, 0);
		if (r < 0)
			die("IIO enqueue", r);
	}
	printf("adc_mib_s=%.1f\n", (double)bytes / 1048576.0 / (now() - t0));
	ifb_iio_buffer_enable(&io, false);
	for (unsigned i = 0; i < nblocks; i++) {
		wait_fence(fds[i], POLLOUT);
		ifb_iio_dmabuf_detach(&io, fds[i]);
	}
	ifb_iio_close(&io);
	return 0;
}

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	quit = 1;
}

struct usb_state {
	struct ifb_ffs ffs;
	struct ifb_ffs_ep ep;
	struct ifb_stream_desc desc;
	bool attached, streaming;
	unsigned inflight, head; /* transfers queued, oldest first from head */
	uint64_t bytes;
	uint32_t stream_id;
};

static void usb_detach(struct usb_state *u)
{
	for (unsigned i = 0; u->attached && i < nblocks; i++)
		ifb_ffs_dmabuf_detach(&u->ep, fds[i]);
	u->attached = false;
	ifb_ffs_close_ep(&u->ep);
}

static void usb_submit(struct usb_state *u, unsigned i)
{
	int r = ifb_ffs_dmabuf_transfer(&u->ep, fds[i], block_size);

	if (r < 0) {
		fprintf(stderr, "rig-bench: transfer: %s\n", strerror(-r));
		u->streaming = false;
		return;
	}
	syncs[i] = ifb_dmabuf_export_fences(fds[i], false);
	u->inflight++;
}

static void usb_setup(struct usb_state *u, const struct usb_ctrlrequest *s)
{
	uint8_t reply[IFB_MAX_REPLY];
	uint16_t wlength = le16toh(s->wLength);
	struct ifb_stats st;
	int len;

	switch (ifb_control_decode(s)) {
	case IFB_REQ_GET_INFO:
		len = ifb_control_info(&u->desc, u->streaming, IFB_PROTOCOL_VERSION_MIN, reply,
				       sizeof(reply));
		ifb_ffs_reply(&u->ffs, reply, (size_t)len < wlength ? (size_t)len : wlength);
		return;
	case IFB_REQ_GET_STATS:
		memset(&st, 0, sizeof(st));
		st.magic = htole32(IFB_STATS_MAGIC);
		st.version = htole16(IFB_PROTOCOL_VERSION_MIN);
		st.length = htole16(sizeof(st));
		st.mode = IFB_MODE_ZERO_COPY;
		st.state = u->streaming ? IFB_STATE_STREAMING : IFB_STATE_IDLE;
		st.stream_id = htole32(u->stream_id);
		st.bytes_sent = htole64(u->bytes);
		st.blocks_sent = htole64(u->bytes / block_size);
		ifb_ffs_reply(&u->ffs, &st, sizeof(st) < wlength ? sizeof(st) : wlength);
		return;
	case IFB_REQ_START:
		if (!u->attached) {
			ifb_ffs_stall(&u->ffs, s);
			return;
		}
		ifb_ffs_ack(&u->ffs);
		if (!u->streaming && !u->inflight) {
			u->streaming = true;
			u->stream_id++;
			u->bytes = 0;
			u->head = 0;
			for (unsigned i = 0; i < nblocks; i++)
				usb_submit(u, i);
		}
		return;
	case IFB_REQ_STOP:
		ifb_ffs_ack(&u->ffs);
		u->streaming = false;
		return;
	default:
		ifb_ffs_stall(&u->ffs, s);
	}
}

static int bench_usb(char **argv)
{
	struct usb_state u = { .ep = { .fd = -1, .num = IFB_USB_EP_NATIVE } };
	int r;

	alloc_pool(argv[0], argv[1], argv[2]);
	r = ifb_ffs_open(&u.ffs, argv[3], NULL, (const char *[]){ "rig-bench" }, NULL);
	if (r < 0)
		die("FunctionFS", r);
	snprintf(u.desc.device_name, sizeof(u.desc.device_name), "rig-bench-usb-only");
	u.desc.mode = IFB_MODE_ZERO_COPY;
	u.desc.block_size = block_size;
	u.desc.block_count = nblocks;
	u.desc.scan_size = 4;
	u.desc.num_channels = 2;
	for (unsigned c = 0; c < 2; c++) {
		snprintf(u.desc.channels[c].name, sizeof(u.desc.channels[c].name), "voltage%u", c);
		u.desc.channels[c].scan_index = (uint16_t)c;
		u.desc.channels[c].offset = (uint16_t)(2 * c);
		u.desc.channels[c].bits = 16;
		u.desc.channels[c].storage_bits = 16;
		u.desc.channels[c].repeat = 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);

	while (!quit) {
		struct pollfd p[2] = { { .fd = u.ffs.ep0, .events = POLLIN } };
		unsigned n = 1;

		if (u.inflight) {
			p[1].fd = fds[u.head];
			p[1].events = POLLOUT;
			n = 2;
		}
		r = poll(p, n, 1000);
		if (r < 0 && errno != EINTR)
			die("poll", errno);
		if (n == 2 && (p[1].revents & POLLOUT)) {
			unsigned done = u.head;
			int status = syncs[done] < 0 ? 0 : ifb_sync_file_status(syncs[done]);

			if (syncs[done] >= 0)
				close(syncs[done]);
			syncs[done] = -1;

			u.inflight--;
			u.head = (u.head + 1) % nblocks;
			if (status < 0)
				u.streaming = false;
			else
				u.bytes += block_size;
			if (u.streaming)
				usb_submit(&u, done);
			else if (!u.inflight && status == 0) {
				static const char nothing;

				(void)!write(u.ep.fd, &nothing, 0); /* end of stream */
			}
		}
		if (p[0].revents & POLLIN) {
			struct usb_functionfs_event ev[4];
			int k = ifb_ffs_read_events(&u.ffs, ev, 4);

			for (int i = 0; i < k; i++) {
				switch (ev[i].type) {
				case FUNCTIONFS_ENABLE:
					if (ifb_ffs_open_ep(&u.ffs, &u.ep) < 0)
						die("ep1", errno);
					for (unsigned j = 0; j < nblocks; j++) {
						r = ifb_ffs_dmabuf_attach(&u.ep, fds[j]);
						if (r < 0)
							die("FunctionFS DMABUF attach", r);
					}
					u.attached = true;
					break;
				case FUNCTIONFS_DISABLE:
				case FUNCTIONFS_UNBIND:
					u.streaming = false;
					/* the UDC gives every request back; wait, then detach */
					for (unsigned j = 0; j < u.inflight; j++)
						wait_fence(fds[(u.head + j) % nblocks], POLLOUT);
					u.inflight = 0;
					usb_detach(&u);
					break;
				case FUNCTIONFS_SETUP:
					usb_setup(&u, &ev[i].u.setup);
					break;
				default:
					break;
				}
			}
		}
	}
	for (unsigned j = 0; j < u.inflight; j++)
		wait_fence(fds[(u.head + j) % nblocks], POLLOUT);
	usb_detach(&u);
	ifb_ffs_close(&u.ffs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "adc") == 0)
		return bench_adc(argv + 2);
	if (argc == 6 && strcmp(argv[1], "usb") == 0)
		return bench_usb(argv + 2);
	fprintf(stderr, "usage: rig-bench adc ALLOC SIZE COUNT SECONDS\n"
			"       rig-bench usb ALLOC SIZE COUNT FFSDIR\n");
	return 2;
}
