// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-iiod-raw URI: a hostile IIOD client through usbfs, for the daemon's
 * IIOD interface (docs/protocol.md "The IIOD interface"). URI is libiio's
 * usb:BUS.DEV.INTF. Opens pipes that do not exist (must be stalled, the
 * daemon must go on), then on pipe 0 sends garbage, an overlong line,
 * huge and negative numbers, a path in an attribute name, a CYCLIC input
 * buffer, libiio 1.x's BINARY, an oversized WRITE value, and checks each
 * reply (iiod's error codes, one reply per line, nothing hangs), then EXIT.
 * With DAC (its device id, e.g. iio:device1; voltage0 and voltage1 its
 * first two channels): WRITEBUF's refusals (not open, too long, an input
 * device's), data sent with the line (refused, skipped, the next command
 * read where it begins), three 4096-byte buffers of the DAC's counter
 * pattern WRITEBUF'd and CLOSEd (the case checks 12288 bytes played), then
 * a WRITEBUF cut off halfway by a pipe reset, and the service goes on.
 * Pipe 0's endpoints are the interface's first two, IN then OUT, as libiio
 * takes them; the addresses are the ones the UDC gave (read from the
 * configuration descriptor, as FunctionFS rewrites them).
 */
#include <stdint.h>

#include "rig-common.h"

#include <linux/usbdevice_fs.h>

static int fd;
static unsigned intf;
static uint8_t ep_in, ep_out;

/* usbfs gives the device descriptor, then the active configuration's. */
static void find_endpoints(void)
{
	uint8_t d[4096];
	ssize_t n = read(fd, d, sizeof(d));
	int in_intf = 0, k = 0;

	for (ssize_t off = 18; n > 0 && off + 2 <= n && d[off] >= 2; off += d[off]) {
		if (d[off + 1] == 4) /* interface */
			in_intf = d[off + 2] == intf;
		else if (d[off + 1] == 5 && in_intf && k < 2) /* endpoint */
			*(k++ == 0 ? &ep_in : &ep_out) = d[off + 2];
	}
	if (k < 2 || !(ep_in & 0x80) || (ep_out & 0x80))
		rig_die("interface %u has no IN/OUT endpoint pair first", intf);
}

static int ctrl(uint8_t req, uint16_t value)
{
	struct usbdevfs_ctrltransfer c = {
		.bRequestType = 0x41, .bRequest = req, .wValue = value, .wIndex = intf,
		.wLength = 0, .timeout = 2000, .data = NULL,
	};

	return ioctl(fd, USBDEVFS_CONTROL, &c) < 0 ? -errno : 0;
}

static void send_bytes(const void *data, size_t len)
{
	struct usbdevfs_bulktransfer b = {
		.ep = ep_out, .len = (unsigned)len, .timeout = 5000, .data = (void *)data,
	};

	if (ioctl(fd, USBDEVFS_BULK, &b) != (int)len)
		rig_die("bulk OUT of %zu bytes: %s", len, strerror(errno));
}

/* One reply transfer (a line, or a payload of up to size bytes). */
static int recv_reply(char *buf, size_t size, unsigned timeout_ms)
{
	struct usbdevfs_bulktransfer b = {
		.ep = ep_in, .len = (unsigned)size - 1, .timeout = timeout_ms, .data = buf,
	};
	int n = ioctl(fd, USBDEVFS_BULK, &b);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static void expect(const char *cmd, const char *want)
{
	char buf[1024];
	int n;

	send_bytes(cmd, strlen(cmd));
	n = recv_reply(buf, sizeof(buf), 5000);
	if (n < 0)
		rig_die("'%.40s': no reply: %s", cmd, strerror(-n));
	if (strcmp(buf, want))
		rig_die("'%.40s': reply '%s', want '%s'", cmd, buf, want);
	printf("ok: %.40s -> %s", cmd[0] >= ' ' ? cmd : "(garbage)", buf);
}

static void expect_silence(const char *what)
{
	char buf[1024];
	int n = recv_reply(buf, sizeof(buf), 500);

	if (n != -ETIMEDOUT)
		rig_die("%s: expected no reply, got %d: '%s'", what, n, n > 0 ? buf : "");
}

/* The DAC's counter pattern with two u16 channels: u32 scans 0, 1, 2... */
static void counter(uint8_t *p, size_t len, uint32_t *n)
{
	for (size_t i = 0; i + 4 <= len; i += 4, (*n)++) {
		p[i] = (uint8_t)*n;
		p[i + 1] = (uint8_t)(*n >> 8);
		p[i + 2] = (uint8_t)(*n >> 16);
		p[i + 3] = (uint8_t)(*n >> 24);
	}
}

static void writebuf_abuse(const char *dac)
{
	char cmd[128], buf[1024];
	static uint8_t data[4096 + 64];
	uint32_t n = 0;
	int r;

	snprintf(cmd, sizeof(cmd), "WRITEBUF %s 4096\r\n", dac);
	expect(cmd, "-9\n"); /* EBADF: not open */
	expect("WRITEBUF iio:device0 4096\r\n", "-9\n");
	snprintf(cmd, sizeof(cmd), "OPEN %s 1024 00000003\r\n", dac);
	expect(cmd, "0\n");
	snprintf(cmd, sizeof(cmd), "WRITEBUF %s 8192\r\n", dac);
	expect(cmd, "-22\n"); /* more than the buffer */
	snprintf(cmd, sizeof(cmd), "WRITEBUF %s 2\r\n", dac);
	expect(cmd, "0\n"); /* less than a scan: nothing taken */
	snprintf(cmd, sizeof(cmd), "READBUF %s 4096\r\n", dac);
	expect(cmd, "-9\n");
	/* the data with the line, before the 0 that asks for it */
	r = snprintf((char *)data, 64, "WRITEBUF %s 4096\r\n", dac);
	memset(data + r, 0xee, 4096);
	send_bytes(data, (size_t)r + 4096);
	if (recv_reply(buf, sizeof(buf), 5000) < 0 || strcmp(buf, "-71\n"))
		rig_die("WRITEBUF with its data in one transfer: reply '%s', want -71 (EPROTO)", buf);
	expect_silence("after the refused WRITEBUF");
	expect("TIMEOUT 1000\r\n", "0\n");
	printf("ok: data sent with the WRITEBUF line refused and skipped\n");
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "WRITEBUF %s 4096\r\n", dac);
		expect(cmd, "0\n");
		counter(data, 4096, &n);
		send_bytes(data, 4096);
		if (recv_reply(buf, sizeof(buf), 5000) < 0 || strcmp(buf, "4096\n"))
			rig_die("WRITEBUF %d: reply after the data '%s', want 4096", i, buf);
	}
	printf("ok: three 4096-byte WRITEBUFs\n");
	snprintf(cmd, sizeof(cmd), "CLOSE %s\r\n", dac);
	expect(cmd, "0\n");
	/* a client gone halfway through a WRITEBUF's data */
	snprintf(cmd, sizeof(cmd), "OPEN %s 1024 00000003\r\n", dac);
	expect(cmd, "0\n");
	snprintf(cmd, sizeof(cmd), "WRITEBUF %s 4096\r\n", dac);
	expect(cmd, "0\n");
	send_bytes(data, 2048);
	if ((r = ctrl(0, 0)))
		rig_die("reset pipes mid-WRITEBUF: %s", strerror(-r));
	if ((r = ctrl(1, 0)))
		rig_die("open pipe 0 after the reset: %s", strerror(-r));
	expect("TIMEOUT 1000\r\n", "0\n");
	printf("ok: a WRITEBUF cut off by a pipe reset, the pipe answers again\n");
}

int main(int argc, char **argv)
{
	unsigned bus, dev;
	char node[64], buf[1024];
	static char big[100000];
	int r;

	if ((argc != 2 && argc != 3) || sscanf(argv[1], "usb:%u.%u.%u", &bus, &dev, &intf) != 3) {
		fprintf(stderr, "usage: %s usb:BUS.DEV.INTF [DAC]\n", argv[0]);
		return 2;
	}
	snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", bus, dev);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rig_die("open %s: %s", node, strerror(errno));
	find_endpoints();
	if (ioctl(fd, USBDEVFS_CLAIMINTERFACE, &intf))
		rig_die("claim interface %u: %s", intf, strerror(errno));
	printf("pipe 0: IN 0x%02x, OUT 0x%02x\n", ep_in, ep_out);

	if ((r = ctrl(0, 0)))
		rig_die("reset pipes: %s", strerror(-r));
	/* pipes 2 and 7 do not exist (2 pipes): stalled, not the end of the service */
	if ((r = ctrl(1, 7)) != -EPIPE)
		rig_die("open pipe 7: %s, want a stall (EPIPE)", r ? strerror(-r) : "accepted");
	if ((r = ctrl(1, 2)) != -EPIPE)
		rig_die("open pipe 2: %s, want a stall (EPIPE)", r ? strerror(-r) : "accepted");
	if ((r = ctrl(9, 0)) != -EPIPE)
		rig_die("unknown request 9: %s, want a stall (EPIPE)", r ? strerror(-r) : "accepted");
	if ((r = ctrl(1, 0)))
		rig_die("open pipe 0 after the stalls: %s", strerror(-r));
	printf("ok: unknown pipes and requests stalled, pipe 0 opens after them\n");

	send_bytes("VERSION\r\n", 9);
	r = recv_reply(buf, sizeof(buf), 5000);
	if (r < 0)
		rig_die("VERSION: no reply: %s", strerror(-r));
	if (r < 13 || strncmp(buf, "0.24.", 5))
		rig_die("VERSION: '%s'", buf);
	printf("ok: VERSION -> %s", buf);
	expect("\x01\x02\xff garbage \x7f\r\n", "-22\n");
	expect("BINARY\r\n", "-22\n");
	expect("ZPRINT\r\n", "-22\n");
	/* an overlong line: one refusal, the rest of it dropped */
	memset(big, 'A', 3000);
	memcpy(big + 3000, "\r\n", 2);
	send_bytes(big, 3002);
	if (recv_reply(buf, sizeof(buf), 5000) < 0 || strcmp(buf, "-22\n"))
		rig_die("overlong line: reply '%s', want -22", buf);
	expect_silence("after the overlong line's refusal");
	printf("ok: a 3000-byte line refused once\n");
	expect("READBUF iio:device0 99999999999999999999\r\n", "-22\n");
	expect("READBUF iio:device0 -1\r\n", "-22\n");
	expect("READBUF iio:device0 4096\r\n", "-9\n");       /* EBADF: not open */
	expect("OPEN iio:device0 1024 00000003 CYCLIC\r\n", "-22\n");
	expect("OPEN iio:device0 0 00000003\r\n", "-22\n");
	expect("OPEN iio:device0 1024 0003\r\n", "-22\n");
	expect("OPEN iio:device0 4000000000 00000003\r\n", "-12\n"); /* ENOMEM: 16 GB */
	expect("OPEN iio:device9 1024 00000003\r\n", "-19\n");  /* ENODEV */
	expect("CLOSE iio:device0\r\n", "-6\n");                 /* ENXIO: not open */
	expect("READ iio:device0 ../../../etc/passwd\r\n", "-22\n");
	expect("READ iio:device0 dev\r\n", "-2\n");              /* not an attribute */
	expect("READ iio:device0 BUFFER enable\r\n", "-2\n");    /* the daemon's own */
	expect("READ iio:device0 INPUT voltage7 raw\r\n", "-6\n");
	expect("READ iio:device9 sampling_frequency\r\n", "-19\n");
	expect("SET iio:device0 BUFFERS_COUNT 100000\r\n", "-22\n");
	/* 64 blocks of 64 MB each: a buffer the daemon takes, a pool it does
	 * not (at most 256 MiB per pipe) */
	expect("SET iio:device0 BUFFERS_COUNT 64\r\n", "0\n");
	expect("OPEN iio:device0 16000000 00000003\r\n", "-12\n");
	expect("SET iio:device0 BUFFERS_COUNT 4\r\n", "0\n");
	expect("TIMEOUT 1000\r\n", "0\n");
	/* an oversized WRITE value is drained, then refused */
	snprintf(buf, sizeof(buf), "WRITE iio:device0 sampling_frequency %zu\r\n", sizeof(big));
	send_bytes(buf, strlen(buf));
	memset(big, '7', sizeof(big));
	send_bytes(big, sizeof(big));
	if (recv_reply(buf, sizeof(buf), 5000) < 0 || strcmp(buf, "-27\n"))
		rig_die("100000-byte WRITE value: reply '%s', want -27 (EFBIG)", buf);
	printf("ok: a 100000-byte WRITE value drained and refused\n");
	expect("READ iio:device0 sampling_frequency\r\n", "9\n"); /* 8 digits + NUL, and still answering */
	if (recv_reply(buf, sizeof(buf), 5000) != 10)
		rig_die("the sampling_frequency value did not follow its length");
	if (argc == 3)
		writebuf_abuse(argv[2]);
	send_bytes("EXIT\r\n", 6);
	expect_silence("EXIT");
	if ((r = ctrl(0, 0)))
		rig_die("reset pipes at the end: %s", strerror(-r));
	ioctl(fd, USBDEVFS_RELEASEINTERFACE, &intf);
	close(fd);
	printf("rig-iiod-raw: every abuse answered, the service goes on\n");
	return 0;
}
