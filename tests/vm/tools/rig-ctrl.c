// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-ctrl: a USB host that speaks the bridge's control protocol one
 * request at a time, through usbfs, so that cases can put things between
 * requests (a reload between GET_INFO and START) or send them as fast as a
 * host can (the next request right after a reply).
 *
 * Commands run in order in one process (one claim of the interface,
 * which usbfs needs for requests to it), e.g. "rig-ctrl DEV start flood
 * 1000 stop":
 *
 *   rig-ctrl SYSFSDEV info                 print "scan_size=N channels=N device=NAME"
 *   rig-ctrl SYSFSDEV stream               print GET_STREAM (version 4):
 *                                          "index=N count=N name=NAME"
 *   rig-ctrl SYSFSDEV start | stop         send START / STOP
 *   rig-ctrl SYSFSDEV stats                print "state=S stream=N bytes=N
 *                                          adc_errors=N usb_errors=N"
 *   rig-ctrl SYSFSDEV flood N              N GET_STATS and GET_INFO back to
 *                                          back; fails on the first that fails
 *   rig-ctrl SYSFSDEV badrate              a SET_SAMPLE_RATE with 4 bytes of
 *                                          data (8 expected); fails unless
 *                                          the device stalls it
 *   rig-ctrl SYSFSDEV status               print GET_STATUS: "request=N
 *                                          error=E rate_mhz=N"
 *   rig-ctrl SYSFSDEV abandon              a GET_STATS the host gives up on
 *                                          after ABANDON_MS; fails if it is
 *                                          answered (the case stopped the
 *                                          daemon) or fails otherwise
 *   rig-ctrl SYSFSDEV abandon-reset MS     an IIOD "reset pipes" request (no
 *                                          data: the device's status stage is
 *                                          what the host waits for) given up
 *                                          after MS; as abandon
 *
 * RIG_CTRL_IFACE=N claims interface N instead of 0 (1: the IIOD one, which
 * a second host can use while a capture holds the native interface; with
 * several streams, 2 and on are the other streams' interfaces).
 *
 * Exit 0 on success, 1 on failure (the reason on stderr), 2 usage.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include "rig-common.h"

#include <iio-ffs-bridge/protocol.h>
#include <linux/usbdevice_fs.h>

#define CTRL_TIMEOUT_MS 5000 /* as rig-ep0-hostile: a loaded rig can take over a second */
/* Long enough for the SETUP to reach the gadget (dummy_hcd moves it within
 * a millisecond or two), far shorter than the daemon's 2 s stage timeout. */
#define ABANDON_MS 500

static int fd = -1;
static unsigned int iface;

static void open_dev(const char *sysfs)
{
	char path[512], devnode[64];
	const char *env = getenv("RIG_CTRL_IFACE");
	long bus, dev;

	if (env)
		iface = (unsigned int)strtoul(env, NULL, 10);
	snprintf(path, sizeof(path), "%s/busnum", sysfs);
	bus = rig_sysfs_read_long(path);
	snprintf(path, sizeof(path), "%s/devnum", sysfs);
	dev = rig_sysfs_read_long(path);
	snprintf(devnode, sizeof(devnode), "/dev/bus/usb/%03ld/%03ld", bus, dev);
	fd = open(devnode, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rig_die("open %s: %s", devnode, strerror(errno));
	if (ioctl(fd, USBDEVFS_CLAIMINTERFACE, &iface))
		rig_die("USBDEVFS_CLAIMINTERFACE %u on %s: %s", iface, devnode, strerror(errno));
}

/* One vendor request to the interface; returns bytes or -errno. */
static int ctrl_timeout(uint8_t req, bool in, void *buf, uint16_t len, unsigned int timeout_ms)
{
	struct usbdevfs_ctrltransfer c = {
		.bRequestType = (in ? 0x80 : 0x00) | (2 << 5) | 1, /* vendor, interface */
		.bRequest = req,
		.wValue = 0,
		.wIndex = (uint16_t)iface,
		.wLength = len,
		.timeout = timeout_ms,
		.data = buf,
	};
	int n = ioctl(fd, USBDEVFS_CONTROL, &c);

	return n < 0 ? -errno : n;
}

static int ctrl(uint8_t req, bool in, void *buf, uint16_t len)
{
	return ctrl_timeout(req, in, buf, len, CTRL_TIMEOUT_MS);
}

static void get_info(struct ifb_info *info)
{
	static uint8_t buf[IFB_MAX_REPLY];
	int n = ctrl(IFB_REQ_GET_INFO, true, buf, sizeof(buf));

	if (n < (int)sizeof(*info))
		rig_die("GET_INFO failed: %s", n < 0 ? strerror(-n) : "short reply");
	memcpy(info, buf, sizeof(*info));
	if (le32toh(info->magic) != IFB_INFO_MAGIC)
		rig_die("GET_INFO: bad magic");
}

static void get_stats(struct ifb_stats *st)
{
	int n = ctrl(IFB_REQ_GET_STATS, true, st, sizeof(*st));

	if (n != (int)sizeof(*st))
		rig_die("GET_STATS failed: %s", n < 0 ? strerror(-n) : "short reply");
	if (le32toh(st->magic) != IFB_STATS_MAGIC)
		rig_die("GET_STATS: bad magic");
}

static void flood(unsigned long n)
{
	struct ifb_stats st;
	struct ifb_info info;
	double t0 = rig_now();

	for (unsigned long i = 0; i < n; i++) {
		int r = i % 2 ? ctrl(IFB_REQ_GET_INFO, true, &info, sizeof(info))
			      : ctrl(IFB_REQ_GET_STATS, true, &st, sizeof(st));

		if (r < 0)
			rig_die("request %lu of %lu (%s) failed: %s", i + 1, n,
				i % 2 ? "GET_INFO" : "GET_STATS", strerror(-r));
	}
	printf("%lu control requests answered in %.1f s\n", n, rig_now() - t0);
}

int main(int argc, char **argv)
{
	struct ifb_stats st;
	struct ifb_info info;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SYSFSDEV COMMAND...\n", argv[0]);
		return 2;
	}
	open_dev(argv[1]);
	/* Commands run in order on one claim of the interface. */
	for (int i = 2; i < argc; i++) {
		const char *cmd = argv[i];

		if (!strcmp(cmd, "info")) {
			get_info(&info);
			printf("scan_size=%u channels=%u device=%.*s\n", le32toh(info.scan_size),
			       le16toh(info.num_channels), (int)sizeof(info.device_name),
			       info.device_name);
		} else if (!strcmp(cmd, "stream")) {
			struct ifb_stream_info si;

			r = ctrl(IFB_REQ_GET_STREAM, true, &si, sizeof(si));
			if (r != (int)sizeof(si) || le32toh(si.magic) != IFB_STREAM_MAGIC)
				rig_die("GET_STREAM failed: %s", r < 0 ? strerror(-r) : "bad reply");
			printf("index=%u count=%u name=%.*s\n", si.index, si.count,
			       (int)sizeof(si.name), si.name);
		} else if (!strcmp(cmd, "start") || !strcmp(cmd, "stop")) {
			r = ctrl(cmd[2] == 'a' ? IFB_REQ_START : IFB_REQ_STOP, false, NULL, 0);
			if (r < 0)
				rig_die("%s failed: %s", cmd, strerror(-r));
		} else if (!strcmp(cmd, "stats")) {
			get_stats(&st);
			printf("state=%u stream=%u bytes=%llu adc_errors=%llu usb_errors=%llu\n",
			       st.state, le32toh(st.stream_id),
			       (unsigned long long)le64toh(st.bytes_sent),
			       (unsigned long long)le64toh(st.adc_errors),
			       (unsigned long long)le64toh(st.usb_errors));
		} else if (!strcmp(cmd, "badrate")) {
			uint8_t half[4] = { 0x40, 0x42, 0x0f, 0 };

			r = ctrl(IFB_REQ_SET_SAMPLE_RATE, false, half, sizeof(half));
			if (r != -EPIPE)
				rig_die("a 4-byte SET_SAMPLE_RATE was %s, expected a stall",
					r < 0 ? strerror(-r) : "taken");
			printf("a 4-byte SET_SAMPLE_RATE stalled\n");
		} else if (!strcmp(cmd, "status")) {
			struct ifb_status sr;

			r = ctrl(IFB_REQ_GET_STATUS, true, &sr, sizeof(sr));
			if (r != (int)sizeof(sr) || le32toh(sr.magic) != IFB_STATUS_MAGIC)
				rig_die("GET_STATUS failed: %s", r < 0 ? strerror(-r) : "bad reply");
			printf("request=%u error=%d rate_mhz=%llu version=%u\n", sr.request,
			       (int32_t)le32toh((uint32_t)sr.error),
			       (unsigned long long)le64toh(sr.rate_mhz), le16toh(sr.version));
		} else if (!strcmp(cmd, "abandon-reset") && i + 1 < argc) {
			unsigned long ms = strtoul(argv[++i], NULL, 10);
			struct usbdevfs_ctrltransfer c = {
				.bRequestType = (2 << 5) | 1, /* OUT, vendor, interface */
				.bRequest = 0,                /* IIOD: reset pipes */
				.wIndex = (uint16_t)iface,
				.timeout = (unsigned int)ms,
			};

			r = ioctl(fd, USBDEVFS_CONTROL, &c) < 0 ? -errno : 0;
			if (r != -ETIMEDOUT)
				rig_die("abandon-reset: %s, expected a timeout",
					r < 0 ? strerror(-r) : "answered");
			printf("IIOD reset pipes abandoned after %lu ms\n", ms);
		} else if (!strcmp(cmd, "abandon")) {
			r = ctrl_timeout(IFB_REQ_GET_STATS, true, &st, sizeof(st), ABANDON_MS);
			if (r != -ETIMEDOUT)
				rig_die("abandon: GET_STATS %s, expected a timeout", r < 0 ? strerror(-r) :
				        "answered");
			printf("GET_STATS abandoned after %d ms\n", ABANDON_MS);
		} else if (!strcmp(cmd, "flood") && i + 1 < argc) {
			flood(strtoul(argv[++i], NULL, 0));
		} else {
			fprintf(stderr, "%s: unknown command %s\n", argv[0], cmd);
			return 2;
		}
	}
	return 0;
}
