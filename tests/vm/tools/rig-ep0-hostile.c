// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-ep0-hostile: a hostile USB host on ep0, through usbfs.
 *
 *   rig-ep0-hostile SYSFSDEV SECONDS [SEED]
 *
 * Sends control requests for SECONDS in each of five stream states, in
 * this order: idle (no START yet), streaming with nobody reading the bulk
 * endpoint (every block waits for USB), streaming while a thread reads it,
 * stopping (STOP sent, blocks still waiting for the host; at most 2 s, as
 * the device cancels a STOP nobody drains after 3) and stopped (the
 * stream drained to its end). The requests are drawn from SEED (default
 * 1): unknown requests, wrong directions, data stages where none belong
 * and none where one does, wValue != 0, a SET_SAMPLE_RATE that is not an
 * OUT of exactly 8 bytes with wValue 0 (version 3), class requests, all of which
 * docs/protocol.md says must be stalled; and well-formed GET_INFO (with
 * any version offered in wValue), GET_STATS and GET_GAPS (from any
 * sequence number), which must be answered (protocol version 2).
 *
 * A request fails when it is not stalled or answered as the protocol says
 * within the usbfs timeout of 5 s. A stall the host never sees shows as
 * that timeout ("lost"); the daemon answers in a millisecond or two
 * (median), and 5 s leaves room for a loaded machine emulating the VM
 * (single replies of up to 1.6 s were seen with other VMs running, with
 * a p99 of 20-210 ms).
 * Each failure is printed as "bmRequestType bRequest wValue wIndex wLength"
 * in hex (the form of "41 05 0002 0000 63"), with what happened and when;
 * each state's line gives the median, 99th percentile and slowest reply.
 * The last line: "hostile: N requests, S stalled, A answered, L lost
 * (...), F failed". Exit 0 when nothing failed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rig-common.h"

#include <linux/usbdevice_fs.h>

#define TIMEOUT_MS 5000
#define FAILURES_SHOWN 20

enum { IFB_GET_INFO = 1, IFB_START = 2, IFB_STOP = 3, IFB_GET_STATS = 4, IFB_GET_GAPS = 5,
       IFB_SET_SAMPLE_RATE = 6, IFB_GET_STATUS = 7, IFB_GET_STREAM = 8, IFB_GET_TIMES = 9,
       IFB_GET_CLOCK = 10 };

struct req {
	uint8_t type, request;
	uint16_t value, index, length;
	bool stall; /* what docs/protocol.md says must happen */
};

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: reproducible from the seed the case prints. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* A bRequest the protocol does not define (0xcd is left out: composite's MS OS vendor code). */
static uint8_t unknown_request(void)
{
	uint8_t r;

	do
		r = (uint8_t)rnd(256);
	while ((r >= IFB_GET_INFO && r <= IFB_GET_CLOCK) || r == 0xcd);
	return r;
}

static struct req draw(void)
{
	struct req q = { .index = 0, .stall = true };

	switch (rnd(11)) {
	case 0: /* unknown OUT request, with or without data (41 05 0002 0000 63) */
		q = (struct req){ 0x41, unknown_request(), (uint16_t)rnd(4), 0,
				  (uint16_t)(rnd(2) ? rnd(256) : 0), true };
		break;
	case 1: /* unknown IN request */
		q = (struct req){ 0xc1, unknown_request(), (uint16_t)rnd(4), 0,
				  (uint16_t)(1 + rnd(4096)), true };
		break;
	case 2: /* GET_STATS with wValue != 0 (GET_INFO's is the host's version,
		 * GET_GAPS's a sequence number: protocol version 2) */
		q = (struct req){ 0xc1, IFB_GET_STATS, (uint16_t)(1 + rnd(0xffff)), 0,
				  (uint16_t)(1 + rnd(4096)), true };
		break;
	case 3: /* GET_* without a data stage */
		q = (struct req){ 0xc1, rnd(2) ? IFB_GET_INFO : IFB_GET_STATS, 0, 0, 0, true };
		break;
	case 4: /* GET_* the wrong way (OUT), with data */
		q = (struct req){ 0x41, rnd(2) ? IFB_GET_INFO : IFB_GET_STATS, 0, 0,
				  (uint16_t)(1 + rnd(256)), true };
		break;
	case 5: /* START/STOP with a data stage, either direction */
		q = (struct req){ rnd(2) ? 0x41 : 0xc1, rnd(2) ? IFB_START : IFB_STOP, 0, 0,
				  (uint16_t)(1 + rnd(64)), true };
		break;
	case 6: /* START/STOP with wValue != 0, or a malformed SET_SAMPLE_RATE
		 * (protocol version 3: OUT with exactly 8 bytes and wValue 0 only) */
		if (rnd(2)) {
			q = (struct req){ 0x41, rnd(2) ? IFB_START : IFB_STOP,
					  (uint16_t)(1 + rnd(0xffff)), 0, 0, true };
		} else {
			uint16_t len = (uint16_t)rnd(64);

			if (len == 8)
				len = rnd(2) ? 9 : 4096;
			switch (rnd(3)) {
			case 0: /* the wrong length */
				q = (struct req){ 0x41, IFB_SET_SAMPLE_RATE, 0, 0, len, true };
				break;
			case 1: /* IN */
				q = (struct req){ 0xc1, IFB_SET_SAMPLE_RATE, 0, 0, 8, true };
				break;
			default: /* wValue != 0 */
				q = (struct req){ 0x41, IFB_SET_SAMPLE_RATE,
						  (uint16_t)(1 + rnd(0xffff)), 0, 8, true };
				break;
			}
		}
		break;
	case 7: /* class requests to the interface */
		q = (struct req){ rnd(2) ? 0x21 : 0xa1, (uint8_t)rnd(256), (uint16_t)rnd(0x10000), 0,
				  (uint16_t)rnd(64), true };
		if (q.type == 0xa1 && !q.length)
			q.length = 1;
		break;
	case 8: /* GET_STREAM (version 4), GET_CLOCK (6) the wrong way or with wValue != 0;
		 * GET_TIMES (6) the wrong way or without a data stage */
		switch (rnd(5)) {
		case 0:
			q = (struct req){ 0x41, IFB_GET_STREAM, 0, 0, (uint16_t)rnd(64), true };
			break;
		case 1:
			q = (struct req){ 0xc1, IFB_GET_STREAM, (uint16_t)(1 + rnd(0xffff)), 0,
					  (uint16_t)(1 + rnd(4096)), true };
			break;
		case 2:
			q = (struct req){ 0xc1, IFB_GET_CLOCK, (uint16_t)(1 + rnd(0xffff)), 0,
					  (uint16_t)(1 + rnd(4096)), true };
			break;
		case 3:
			q = (struct req){ 0x41, rnd(2) ? IFB_GET_CLOCK : IFB_GET_TIMES, 0, 0,
					  (uint16_t)rnd(64), true };
			break;
		default:
			q = (struct req){ 0xc1, rnd(2) ? IFB_GET_CLOCK : IFB_GET_TIMES, 0, 0, 0, true };
			break;
		}
		break;
	default: /* well-formed GET_INFO (any version offered), GET_STATS, GET_GAPS and
		  * GET_TIMES (from any sequence number), GET_STREAM (version 4), GET_CLOCK:
		  * answered */
		switch (rnd(6)) {
		case 0:
			q = (struct req){ 0xc1, IFB_GET_INFO, (uint16_t)(rnd(2) ? 0 : rnd(0x10000)),
					  0, (uint16_t)(1 + rnd(4096)), false };
			break;
		case 1:
			q = (struct req){ 0xc1, IFB_GET_STATS, 0, 0, (uint16_t)(1 + rnd(4096)),
					  false };
			break;
		case 2:
			q = (struct req){ 0xc1, IFB_GET_STREAM, 0, 0, (uint16_t)(1 + rnd(4096)),
					  false };
			break;
		case 3:
			q = (struct req){ 0xc1, IFB_GET_TIMES, (uint16_t)rnd(0x10000), 0,
					  (uint16_t)(1 + rnd(4096)), false };
			break;
		case 4:
			q = (struct req){ 0xc1, IFB_GET_CLOCK, 0, 0, (uint16_t)(1 + rnd(4096)), false };
			break;
		default:
			q = (struct req){ 0xc1, IFB_GET_GAPS, (uint16_t)rnd(0x10000), 0,
					  (uint16_t)(1 + rnd(4096)), false };
			break;
		}
		break;
	}
	return q;
}

static int control(int fd, const struct req *q, void *buf, unsigned timeout_ms)
{
	struct usbdevfs_ctrltransfer c = {
		.bRequestType = q->type, .bRequest = q->request, .wValue = q->value,
		.wIndex = q->index, .wLength = q->length, .timeout = timeout_ms, .data = buf,
	};
	int n = ioctl(fd, USBDEVFS_CONTROL, &c);

	return n < 0 ? -errno : n;
}

struct totals {
	unsigned long requests, stalled, answered, lost, failed;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void run_phase(int fd, const char *phase, double seconds, struct totals *t)
{
	static uint8_t buf[4096];
	static double lat[1 << 20];
	unsigned long count = 0, stalled = 0, answered = 0, lost = 0, failed = 0;
	double end = rig_now() + seconds;

	while (rig_now() < end && count < sizeof(lat) / sizeof(lat[0])) {
		struct req q = draw();
		double t0, dt;
		int n;

		memset(buf, 0x5a, sizeof(buf));
		t0 = rig_now();
		n = control(fd, &q, buf, TIMEOUT_MS);
		dt = rig_now() - t0;
		lat[count++] = dt;
		if (n == -EPIPE)
			stalled++;
		else if (n >= 0)
			answered++;
		else if (n == -ETIMEDOUT)
			lost++;
		if ((q.stall && n == -EPIPE) || (!q.stall && n > 0))
			continue;
		if (++failed <= FAILURES_SHOWN)
			printf("FAIL %s #%lu: %02x %02x %04x %04x %x: %s%s after %.1f ms (want %s)\n",
			       phase, count - 1, q.type, q.request, q.value, q.index, q.length,
			       n == -EPIPE ? "stalled" : n >= 0 ? "answered" : "error ",
			       n < 0 && n != -EPIPE ? strerror(-n) : "", dt * 1e3,
			       q.stall ? "a stall" : "an answer");
	}
	qsort(lat, count, sizeof(lat[0]), cmp_double);
	printf("phase %s: %lu requests, %lu stalled, %lu answered, %lu lost, %lu failed; "
	       "reply in %.1f ms median, %.1f ms p99, %.1f ms slowest\n",
	       phase, count, stalled, answered, lost, failed, count ? lat[count / 2] * 1e3 : 0,
	       count ? lat[count * 99 / 100] * 1e3 : 0, count ? lat[count - 1] * 1e3 : 0);
	fflush(stdout);
	t->requests += count;
	t->stalled += stalled;
	t->answered += answered;
	t->lost += lost;
	t->failed += failed;
}

/* START and STOP themselves must be acknowledged. */
static void command(int fd, uint8_t request)
{
	struct req q = { 0x41, request, 0, 0, 0, false };
	int n = control(fd, &q, NULL, TIMEOUT_MS);

	if (n < 0)
		rig_die("rig-ep0-hostile: %s: %s", request == IFB_START ? "START" : "STOP",
			strerror(-n));
}

struct reader {
	int fd;
	volatile bool stop;
	unsigned long long bytes;
};

/* Drains the bulk IN endpoint until told to stop or the stream ends. */
static void *reader_main(void *arg)
{
	static uint8_t buf[1 << 16];
	struct reader *r = arg;

	while (!r->stop) {
		struct usbdevfs_bulktransfer b = {
			.ep = 0x81, .len = sizeof(buf), .timeout = 200, .data = buf,
		};
		int n = ioctl(r->fd, USBDEVFS_BULK, &b);

		if (n < 0) {
			if (errno == ETIMEDOUT)
				continue;
			break;
		}
		r->bytes += (unsigned)n;
	}
	return NULL;
}

/* Reads what is left of a stopped stream, up to its short or empty end. */
static unsigned long long drain(int fd)
{
	static uint8_t buf[1 << 16];
	unsigned long long bytes = 0;

	for (;;) {
		struct usbdevfs_bulktransfer b = {
			.ep = 0x81, .len = sizeof(buf), .timeout = 2000, .data = buf,
		};
		int n = ioctl(fd, USBDEVFS_BULK, &b);

		if (n < 0)
			rig_die("rig-ep0-hostile: draining the stopped stream: %s", strerror(errno));
		bytes += (unsigned)n;
		if ((size_t)n < sizeof(buf))
			return bytes;
	}
}

int main(int argc, char **argv)
{
	struct totals t = { 0 };
	char path[512], devnode[64];
	struct reader rd = { 0 };
	double seconds;
	unsigned iface = 0;
	pthread_t th;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s SYSFSDEV SECONDS [SEED]\n", argv[0]);
		return 2;
	}
	seconds = strtod(argv[2], NULL);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	rng_state = rng_state ? rng_state : 1;

	snprintf(path, sizeof(path), "%s/busnum", argv[1]);
	snprintf(devnode, sizeof(devnode), "/dev/bus/usb/%03ld/", rig_sysfs_read_long(path));
	snprintf(path, sizeof(path), "%s/devnum", argv[1]);
	snprintf(devnode + strlen(devnode), sizeof(devnode) - strlen(devnode), "%03ld",
		 rig_sysfs_read_long(path));
	fd = open(devnode, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rig_die("open %s: %s", devnode, strerror(errno));
	if (ioctl(fd, USBDEVFS_CLAIMINTERFACE, &iface))
		rig_die("USBDEVFS_CLAIMINTERFACE 0 on %s: %s", devnode, strerror(errno));

	run_phase(fd, "idle", seconds, &t);
	command(fd, IFB_START);
	run_phase(fd, "streaming-unread", seconds, &t);
	rd.fd = fd;
	if (pthread_create(&th, NULL, reader_main, &rd))
		rig_die("pthread_create failed");
	run_phase(fd, "streaming-read", seconds, &t);
	/* The reader stops first, so blocks are left for the stopping state. */
	rd.stop = true;
	pthread_join(th, NULL);
	printf("reader: %llu bytes\n", rd.bytes);
	command(fd, IFB_STOP);
	/* At most 2 s: a STOP the host does not drain for 3 s is cancelled
	 * (IFB_STOP_DRAIN_USEC), which would end this state early and the
	 * stream without its end-of-stream packet. */
	run_phase(fd, "stopping", seconds < 2.0 ? seconds : 2.0, &t);
	printf("drained: %llu bytes to the end of the stream\n", drain(fd));
	run_phase(fd, "stopped", seconds, &t);

	ioctl(fd, USBDEVFS_RELEASEINTERFACE, &iface);
	close(fd);
	printf("hostile: %lu requests, %lu stalled, %lu answered, %lu lost (no reply in %d ms), %lu failed\n",
	       t.requests, t.stalled, t.answered, t.lost, TIMEOUT_MS, t.failed);
	return t.failed ? 1 : 0;
}
