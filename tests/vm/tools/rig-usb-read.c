// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-usb-read: the host side of the rig's USB checks, through usbfs.
 *
 *   rig-usb-read SYSFSDEV BYTES [EP]
 *
 * Opens the device at SYSFSDEV (e.g. /sys/bus/usb/devices/2-1) through
 * /dev/bus/usb/BBB/DDD, claims interface 0, bulk-reads BYTES from endpoint
 * EP (default 0x81) and checks they are the u32 LE counter 0,1,2,...
 */
#include <stdint.h>

#include "rig-common.h"
#include "rig-pattern.h"

#include <linux/usbdevice_fs.h>

int main(int argc, char **argv)
{
	unsigned long long want, got = 0;
	unsigned int ep = 0x81, iface = 0;
	struct rig_pattern pat;
	char path[512], devnode[64];
	long bus, dev;
	uint8_t *buf;
	size_t chunk = 1 << 16;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s SYSFSDEV BYTES [EP]\n", argv[0]);
		return 2;
	}
	want = strtoull(argv[2], NULL, 0);
	if (argc == 4)
		ep = strtoul(argv[3], NULL, 0);
	rig_pattern_init(&pat, "both");

	snprintf(path, sizeof(path), "%s/busnum", argv[1]);
	bus = rig_sysfs_read_long(path);
	snprintf(path, sizeof(path), "%s/devnum", argv[1]);
	dev = rig_sysfs_read_long(path);
	snprintf(devnode, sizeof(devnode), "/dev/bus/usb/%03ld/%03ld", bus, dev);
	fd = open(devnode, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rig_die("open %s: %s", devnode, strerror(errno));
	if (ioctl(fd, USBDEVFS_CLAIMINTERFACE, &iface))
		rig_die("USBDEVFS_CLAIMINTERFACE 0 on %s: %s", devnode, strerror(errno));
	buf = malloc(chunk);
	if (!buf)
		rig_die("out of memory");
	while (got < want) {
		struct usbdevfs_bulktransfer bulk = {
			.ep = ep,
			.len = want - got < chunk ? want - got : chunk,
			.timeout = 20000,
			.data = buf,
		};
		int n = ioctl(fd, USBDEVFS_BULK, &bulk);

		if (n < 0)
			rig_die("bulk IN on ep 0x%02x of %s after %llu bytes: %s", ep, devnode, got,
				strerror(errno));
		if (n % 4)
			rig_die("bulk IN returned %d bytes, not whole u32s", n);
		if (rig_pattern_check(&pat, buf, n, devnode))
			return 1;
		got += n;
	}
	printf("read %llu bytes of the counter pattern from %s ep 0x%02x\n", got, devnode, ep);
	ioctl(fd, USBDEVFS_RELEASEINTERFACE, &iface);
	close(fd);
	free(buf);
	return 0;
}
