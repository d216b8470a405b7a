// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-msos: read a device's Microsoft OS 1.0 descriptors the way Windows
 * does, through usbfs, and check them.
 *
 *   rig-msos SYSFSDEV VENDOR_CODE GUID
 *
 * 1. String descriptor 0xEE must be "MSFT100" with bMS_VendorCode ==
 *    VENDOR_CODE.
 * 2. Vendor request VENDOR_CODE, device recipient, wIndex 4: the extended
 *    compat ID descriptor must give interface 0 the compatible ID "WINUSB".
 * 3. Vendor request VENDOR_CODE, interface recipient, wIndex 5: the
 *    extended properties descriptor must hold DeviceInterfaceGUID (REG_SZ)
 *    = GUID.
 * Prints what it found; exit 0 when all three hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int usb_open(const char *sysdev)
{
	char path[512], node[64];
	unsigned bus, devnum;
	FILE *f;

	snprintf(path, sizeof(path), "%s/busnum", sysdev);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &bus) != 1)
		return -1;
	fclose(f);
	snprintf(path, sizeof(path), "%s/devnum", sysdev);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &devnum) != 1)
		return -1;
	fclose(f);
	snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", bus, devnum);
	return open(node, O_RDWR);
}

static int control(int fd, uint8_t type, uint8_t req, uint16_t value, uint16_t index, void *buf,
		   uint16_t len)
{
	struct usbdevfs_ctrltransfer c = {
		.bRequestType = type, .bRequest = req, .wValue = value, .wIndex = index,
		.wLength = len, .timeout = 2000, .data = buf,
	};

	return ioctl(fd, USBDEVFS_CONTROL, &c);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UTF-16LE (ASCII only) to a C string; returns 0 on success. */
static int utf16_ascii(const uint8_t *p, size_t bytes, char *out, size_t size)
{
	size_t n = bytes / 2;

	if (n >= size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[2 * i + 1] != 0)
			return -1;
		out[i] = (char)p[2 * i];
	}
	out[n] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t buf[512];
	char s[128];
	unsigned code;
	int fd, n;

	if (argc != 4) {
		fprintf(stderr, "usage: rig-msos SYSFSDEV VENDOR_CODE GUID\n");
		return 2;
	}
	code = (unsigned)strtoul(argv[2], NULL, 0);
	fd = usb_open(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "rig-msos: cannot open the usbfs node of %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}

	/* 1. OS string descriptor at index 0xEE. */
	/* Windows asks with language ID 0; so does the composite layer. */
	n = control(fd, 0x80, 6 /* GET_DESCRIPTOR */, 0x03ee, 0, buf, 18);
	if (n < 18 || buf[1] != 3 || utf16_ascii(buf + 2, 14, s, sizeof(s)) || strcmp(s, "MSFT100")) {
		fprintf(stderr, "rig-msos: string 0xEE is not MSFT100 (got %d bytes)\n", n);
		return 1;
	}
	printf("string 0xEE: MSFT100, bMS_VendorCode 0x%02x\n", buf[16]);
	if (buf[16] != code) {
		fprintf(stderr, "rig-msos: vendor code 0x%02x, expected 0x%02x\n", buf[16], code);
		return 1;
	}

	/* 2. Extended compat ID: header 16 bytes, then 24 per function; every
	 * interface of the function (native, IIOD) is WINUSB. */
	n = control(fd, 0xc0, (uint8_t)code, 0, 4, buf, sizeof(buf));
	if (n < 40 || le32(buf) != (uint32_t)n || buf[8] < 1 || n != 16 + 24 * buf[8]) {
		fprintf(stderr, "rig-msos: extended compat ID wrong (%d bytes)\n", n);
		return 1;
	}
	for (int i = 0; i < buf[8]; i++) {
		const uint8_t *f = buf + 16 + 24 * i;

		if (f[0] != i || memcmp(f + 2, "WINUSB\0\0", 8) != 0) {
			fprintf(stderr, "rig-msos: extended compat ID entry %d is not interface %d -> WINUSB\n",
				i, i);
			return 1;
		}
		printf("extended compat ID: interface %d -> WINUSB\n", i);
	}

	/* 3. Extended properties of interface 0: header 10 bytes, then
	 * dwSize, dwPropertyDataType, wPropertyNameLength, name, data length,
	 * data (UTF-16LE). */
	n = control(fd, 0xc1, (uint8_t)code, 0, 5, buf, sizeof(buf));
	if (n < 10 + 14 || le32(buf) != (uint32_t)n || buf[8] != 1) {
		fprintf(stderr, "rig-msos: extended properties wrong (%d bytes)\n", n);
		return 1;
	}
	{
		const uint8_t *p = buf + 10;
		uint32_t type = le32(p + 4);
		unsigned name_len = p[8] | p[9] << 8;
		uint32_t data_len;
		char name[64], value[64];

		if (10 + 10 + name_len + 4 > (unsigned)n) {
			fprintf(stderr, "rig-msos: property name runs past the descriptor\n");
			return 1;
		}
		data_len = le32(p + 10 + name_len);
		if (10 + 14 + name_len + data_len > (unsigned)n ||
		    utf16_ascii(p + 10, name_len, name, sizeof(name)) ||
		    utf16_ascii(p + 14 + name_len, data_len, value, sizeof(value))) {
			fprintf(stderr, "rig-msos: property malformed\n");
			return 1;
		}
		printf("extended property: %s (type %u) = %s\n", name, type, value);
		if (type != 1 || strcmp(name, "DeviceInterfaceGUID") || strcmp(value, argv[3])) {
			fprintf(stderr, "rig-msos: expected DeviceInterfaceGUID (REG_SZ) = %s\n", argv[3]);
			return 1;
		}
	}
	close(fd);
	return 0;
}
