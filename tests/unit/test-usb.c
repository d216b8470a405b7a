// SPDX-License-Identifier: GPL-2.0-or-later
/* FunctionFS descriptor/string bytes and the vendor control protocol. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "daemon/control.h"
#include "daemon/usb-desc.h"
#include "unit.h"

static const struct ifb_usb_layout native = IFB_USB_LAYOUT_NATIVE;

START_TEST(descriptor_bytes)
{
	static const uint8_t expected[] = {
		3, 0, 0, 0,          /* FUNCTIONFS_DESCRIPTORS_MAGIC_V2 */
		24 + 3 * 16 + 6, 0, 0, 0, /* length */
		7, 0, 0, 0,          /* FS | HS | SS */
		2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, /* counts */
		/* full speed */
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 64, 0, 0,
		/* high speed */
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 0x00, 0x02, 0,
		/* super speed, with companion: burst of 16 packets */
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 0x00, 0x04, 0,
		6, 0x30, 15, 0, 0, 0,
	};
	uint8_t buf[256];
	int len = ifb_usb_descriptors(buf, sizeof(buf), &native, NULL, 0);

	ck_assert_int_eq(len, (int)sizeof(expected));
	ck_assert_mem_eq(buf, expected, sizeof(expected));
	ck_assert_int_eq(ifb_usb_descriptors(buf, 40, &native, NULL, 0), -ENOSPC);
}
END_TEST

/*
 * Microsoft OS 1.0 descriptors as FunctionFS takes them (layout in
 * include/uapi/linux/usb/functionfs.h; f_fs turns them into the extended
 * compat ID and extended properties descriptors of the MS OS 1.0 spec).
 */
START_TEST(ms_os_descriptor_bytes)
{
	static const char guid[] = "{01234567-89ab-cdef-0123-456789abcdef}";
	static const uint8_t compat[] = {
		0,                      /* interface 0 */
		35, 0, 0, 0,            /* dwLength: 11-byte header + one 24-byte function */
		0x00, 0x01,             /* bcdVersion 1.00 */
		4, 0,                   /* wIndex 4: extended compat ID */
		1, 0,                   /* bCount 1, reserved */
		0,                      /* bFirstInterfaceNumber */
		1,                      /* Reserved1 = 1 */
		'W', 'I', 'N', 'U', 'S', 'B', 0, 0, /* CompatibleID */
		0, 0, 0, 0, 0, 0, 0, 0, /* SubCompatibleID */
		0, 0, 0, 0, 0, 0,       /* Reserved2 */
	};
	static const uint8_t prop_head[] = {
		0,                      /* interface 0 */
		11 + 73, 0, 0, 0,       /* dwLength */
		0x00, 0x01,             /* bcdVersion 1.00 */
		5, 0,                   /* wIndex 5: extended properties */
		1, 0,                   /* wCount 1 */
		73, 0, 0, 0,            /* dwSize: 14 + name 20 + data 39 */
		1, 0, 0, 0,             /* REG_SZ */
		20, 0,                  /* wPropertyNameLength, NUL included */
	};
	uint8_t buf[512];
	uint32_t v;
	size_t off = 24 + 4 + 3 * 16 + 6; /* header, os_count, FS/HS/SS descriptors */
	int len = ifb_usb_descriptors(buf, sizeof(buf), &native, guid, IFB_MS_OS_BCD_SPEC);

	ck_assert_int_eq(len, (int)(off + sizeof(compat) + 11 + 73));
	memcpy(&v, buf + 4, 4);
	ck_assert_uint_eq(le32toh(v), (unsigned)len);
	memcpy(&v, buf + 8, 4);
	ck_assert_uint_eq(le32toh(v), 7 | 8); /* FS | HS | SS | MS_OS */
	memcpy(&v, buf + 24, 4);
	ck_assert_uint_eq(le32toh(v), 2);     /* os_count */
	ck_assert_mem_eq(buf + off, compat, sizeof(compat));
	off += sizeof(compat);
	ck_assert_mem_eq(buf + off, prop_head, sizeof(prop_head));
	off += sizeof(prop_head);
	ck_assert_mem_eq(buf + off, "DeviceInterfaceGUID", 20);
	off += 20;
	memcpy(&v, buf + off, 4);
	ck_assert_uint_eq(le32toh(v), 39);
	ck_assert_mem_eq(buf + off + 4, guid, 39);

	ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &native, "{not-a-guid}",
					     IFB_MS_OS_BCD_SPEC), -EINVAL);
	ck_assert(!ifb_usb_guid_valid("01234567-89ab-cdef-0123-456789abcdef"));
	ck_assert(!ifb_usb_guid_valid("{01234567-89ab-cdef-0123-456789abcdeg}"));
	ck_assert(ifb_usb_guid_valid(IFB_DEFAULT_INTERFACE_GUID));
}
END_TEST

/*
 * The bcdVersion of both MS OS headers follows the argument (Linux 3.16-6.2
 * take only 0x0001, 6.3+ want 0x0100, see usb-desc.h); nothing else moves.
 */
START_TEST(ms_os_descriptor_bcd)
{
	static const char guid[] = "{01234567-89ab-cdef-0123-456789abcdef}";
	const size_t off = 24 + 4 + 3 * 16 + 6;     /* first MS OS header */
	const size_t off2 = off + 35;               /* second one */
	uint8_t spec[512], old[512];
	int len = ifb_usb_descriptors(spec, sizeof(spec), &native, guid, IFB_MS_OS_BCD_SPEC);

	ck_assert_int_eq(ifb_usb_descriptors(old, sizeof(old), &native, guid, IFB_MS_OS_BCD_OLD), len);
	ck_assert_mem_eq(spec + off + 5, ((uint8_t[]){ 0x00, 0x01 }), 2);
	ck_assert_mem_eq(spec + off2 + 5, ((uint8_t[]){ 0x00, 0x01 }), 2);
	ck_assert_mem_eq(old + off + 5, ((uint8_t[]){ 0x01, 0x00 }), 2);
	ck_assert_mem_eq(old + off2 + 5, ((uint8_t[]){ 0x01, 0x00 }), 2);
	ck_assert_mem_eq(spec, old, off + 5);
	ck_assert_mem_eq(spec + off + 7, old + off + 7, off2 + 5 - (off + 7));
	ck_assert_mem_eq(spec + off2 + 7, old + off2 + 7, (size_t)len - (off2 + 7));
}
END_TEST

START_TEST(string_bytes)
{
	static const uint8_t expected[] = {
		2, 0, 0, 0, 16 + 2 + 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
		0x09, 0x04, 'I', 'I', 'O', 0,
	};
	uint8_t buf[64];

	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &native, (const char *[]){ "IIO" }), (int)sizeof(expected));
	ck_assert_mem_eq(buf, expected, sizeof(expected));
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &native, (const char *[]){ "" }), -EINVAL);
	ck_assert_int_eq(ifb_usb_strings(buf, 10, &native, (const char *[]){ "IIO" }), -ENOSPC);
}
END_TEST


/*
 * Native and IIOD interfaces in one blob: the IIOD interface is vendor
 * class, string 2, and its endpoints come as IN/OUT pairs, IN first
 * (libiio 0.24 usb.c usb_verify_eps), each pair sharing one endpoint
 * number, so FunctionFS numbers the files ep1 (native), ep2/ep3 (pipe 0),
 * ep4/ep5 (pipe 1).
 */
START_TEST(iiod_descriptor_bytes)
{
	static const uint8_t head[] = {
		3, 0, 0, 0,
		0xd5, 0, 0, 0, /* length: 24 + 53 (FS) + 53 (HS) + 83 (SS) */
		7, 0, 0, 0,
		7, 0, 0, 0, 7, 0, 0, 0, 12, 0, 0, 0,
	};
	static const uint8_t hs[] = {
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 0x00, 0x02, 0,
		9, 4, 1, 0, 4, 0xff, 0x00, 0x00, 2,
		7, 5, 0x82, 2, 0x00, 0x02, 0,
		7, 5, 0x02, 2, 0x00, 0x02, 0,
		7, 5, 0x83, 2, 0x00, 0x02, 0,
		7, 5, 0x03, 2, 0x00, 0x02, 0,
	};
	static const uint8_t ss_iiod[] = {
		9, 4, 1, 0, 4, 0xff, 0x00, 0x00, 2,
		7, 5, 0x82, 2, 0x00, 0x04, 0, 6, 0x30, 15, 0, 0, 0,
		7, 5, 0x02, 2, 0x00, 0x04, 0, 6, 0x30, 15, 0, 0, 0,
		7, 5, 0x83, 2, 0x00, 0x04, 0, 6, 0x30, 15, 0, 0, 0,
		7, 5, 0x03, 2, 0x00, 0x04, 0, 6, 0x30, 15, 0, 0, 0,
	};
	const struct ifb_usb_layout both = { .native = true, .iiod_pipes = 2 };
	uint8_t buf[1024];
	int len = ifb_usb_descriptors(buf, sizeof(buf), &both, NULL, 0);
	size_t fs_len = 9 + 7 + 9 + 4 * 7;

	ck_assert_int_eq(len, 24 + 2 * (int)fs_len + (int)(fs_len + 5 * 6));
	ck_assert_mem_eq(buf, head, sizeof(head));
	ck_assert_mem_eq(buf + 24 + fs_len, hs, sizeof(hs));
	ck_assert_mem_eq(buf + 24 + 2 * fs_len + 9 + 7 + 6, ss_iiod, sizeof(ss_iiod));
	ck_assert_uint_eq(ifb_usb_iiod_interface(&both), 1);
	/* MS OS extended compat ID: both interfaces WinUSB */
	{
		static const uint8_t compat[] = {
			0, 11 + 48, 0, 0, 0, 0x00, 0x01, 4, 0, 2, 0,
			0, 1, 'W', 'I', 'N', 'U', 'S', 'B', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			1, 1, 'W', 'I', 'N', 'U', 'S', 'B', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		};
		const size_t at = 28 + 2 * fs_len + fs_len + 30;
		int l2 = ifb_usb_descriptors(buf, sizeof(buf), &both, IFB_DEFAULT_INTERFACE_GUID,
					     IFB_MS_OS_BCD_SPEC);

		ck_assert_int_gt(l2, (int)(at + sizeof(compat)));
		ck_assert_mem_eq(buf + at, compat, sizeof(compat));
		/* Linux 3.16-6.2's bcdVersion: the same entries, only the header's
		 * bcdVersion differs. */
		ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &both,
						     IFB_DEFAULT_INTERFACE_GUID, IFB_MS_OS_BCD_OLD), l2);
		ck_assert_mem_eq(buf + at, compat, 5);
		ck_assert_mem_eq(buf + at + 5, ((uint8_t[]){ 0x01, 0x00 }), 2);
		ck_assert_mem_eq(buf + at + 7, compat + 7, sizeof(compat) - 7);
	}
	ck_assert_uint_eq(ifb_usb_ep_pipe_in(&both, 0), 2);
	ck_assert_uint_eq(ifb_usb_ep_pipe_out(&both, 0), 3);
	ck_assert_uint_eq(ifb_usb_ep_pipe_in(&both, 1), 4);
	ck_assert_uint_eq(ifb_usb_ep_pipe_out(&both, 1), 5);
}
END_TEST

START_TEST(iiod_only_and_bad_layouts)
{
	static const uint8_t fs[] = {
		9, 4, 0, 0, 2, 0xff, 0x00, 0x00, 1,
		7, 5, 0x81, 2, 64, 0, 0,
		7, 5, 0x01, 2, 64, 0, 0,
	};
	static const uint8_t strings_both[] = {
		2, 0, 0, 0, 16 + 2 + 11 + 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0,
		0x09, 0x04, 'I', 'I', 'O', ' ', 's', 't', 'r', 'e', 'a', 'm', 0, 'I', 'I', 'O', 0,
	};
	static const uint8_t strings_iiod[] = {
		2, 0, 0, 0, 16 + 2 + 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
		0x09, 0x04, 'I', 'I', 'O', 0,
	};
	const struct ifb_usb_layout iiod = { .native = false, .iiod_pipes = 1 };
	const struct ifb_usb_layout both = { .native = true, .iiod_pipes = 1 };
	const struct ifb_usb_layout none = { .native = false, .iiod_pipes = 0 };
	const struct ifb_usb_layout many = { .native = true, .iiod_pipes = IFB_IIOD_MAX_PIPES + 1 };
	uint8_t buf[1024];

	ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &iiod, NULL, 0), 24 + 2 * 23 + 23 + 12);
	ck_assert_mem_eq(buf + 24, fs, sizeof(fs));
	ck_assert_uint_eq(ifb_usb_iiod_interface(&iiod), 0);
	ck_assert_uint_eq(ifb_usb_ep_pipe_in(&iiod, 0), 1);
	ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &none, NULL, 0), -EINVAL);
	ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &many, NULL, 0), -EINVAL);

	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &both, (const char *[]){ "IIO stream" }), (int)sizeof(strings_both));
	ck_assert_mem_eq(buf, strings_both, sizeof(strings_both));
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &iiod, NULL), (int)sizeof(strings_iiod));
	ck_assert_mem_eq(buf, strings_iiod, sizeof(strings_iiod));
	/* libiio would take a native interface named "IIO" for the IIOD one */
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &both, (const char *[]){ "IIO" }), -EINVAL);
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &none, (const char *[]){ "x" }), -EINVAL);
}
END_TEST

static struct usb_ctrlrequest req(uint8_t type, uint8_t request, uint16_t value, uint16_t index,
				  uint16_t length)
{
	struct usb_ctrlrequest r = {
		.bRequestType = type,
		.bRequest = request,
		.wValue = htole16(value),
		.wIndex = htole16(index),
		.wLength = htole16(length),
	};

	ifb_unit_save_seed("control", &r, sizeof(r)); /* fuzzer seed: SETUP alone */
	return r;
}

#define VIN (USB_DIR_IN | USB_TYPE_VENDOR | USB_RECIP_INTERFACE)
#define VOUT (USB_DIR_OUT | USB_TYPE_VENDOR | USB_RECIP_INTERFACE)

START_TEST(control_decode)
{
	struct usb_ctrlrequest r;

	r = req(VIN, IFB_REQ_GET_INFO, 0, 0, 4096);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_GET_INFO);
	r = req(VIN, IFB_REQ_GET_STATS, 0, 0, 1);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_GET_STATS);
	r = req(VOUT, IFB_REQ_START, 0, 0, 0);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_START);
	r = req(VOUT, IFB_REQ_STOP, 0, 0, 0);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_STOP);
	/* an output stream's STOP says where its data ends (version 5) */
	r = req(VOUT, IFB_REQ_STOP, 0, 0, sizeof(struct ifb_stop));
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_STOP);
	/* an output stream's START: a cyclic waveform (version 5, 16 bytes),
	 * a board time (version 6, 24) */
	r = req(VOUT, IFB_REQ_START, 0, 0, IFB_START_LEN_V5);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_START);
	r = req(VOUT, IFB_REQ_START, 0, 0, sizeof(struct ifb_start));
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_START);
	/* version 6: GET_TIMES takes a sequence number as GET_GAPS does */
	r = req(VIN, IFB_REQ_GET_TIMES, 0xfffe, 0, 4096);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_GET_TIMES);
	r = req(VIN, IFB_REQ_GET_CLOCK, 0, 0, sizeof(struct ifb_clock));
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_GET_CLOCK);
}
END_TEST

/* START's data stage: the 16 bytes of version 5, the 24 of version 6 */
START_TEST(control_start_data)
{
	struct ifb_start in, out;
	uint8_t raw[32];

	memset(&in, 0, sizeof(in));
	in.flags = htole32(IFB_START_CYCLIC);
	in.length = htole64(4096);
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, IFB_START_LEN_V5, 5, &out), 0);
	ck_assert_uint_eq(out.flags, IFB_START_CYCLIC);
	ck_assert_uint_eq(out.length, 4096);
	ck_assert_uint_eq(out.at_ns, 0);
	/* a time: version 6's 24 bytes only */
	in.flags = htole32(IFB_START_AT);
	in.length = 0;
	in.at_ns = htole64(123456789012ull);
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), 0);
	ck_assert_uint_eq(out.flags, IFB_START_AT);
	ck_assert_uint_eq(out.at_ns, 123456789012ull);
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 5, &out), -EPROTONOSUPPORT);
	/* the 16 bytes cannot say when */
	ck_assert_int_eq(ifb_control_start(raw, IFB_START_LEN_V5, 6, &out), -EINVAL);
	in.flags = htole32(IFB_START_AT | IFB_START_CYCLIC);
	in.length = htole64(8);
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), 0);
	/* malformed: unknown flags, reserved, a time without the flag or
	 * the flag without a time, other lengths */
	in.flags = htole32(0x4);
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), -EINVAL);
	in.flags = htole32(IFB_START_AT);
	in.reserved = htole32(1);
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), -EINVAL);
	in.reserved = 0;
	in.flags = 0;
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), -EINVAL);
	in.flags = htole32(IFB_START_AT);
	in.at_ns = 0;
	memcpy(raw, &in, sizeof(in));
	ck_assert_int_eq(ifb_control_start(raw, sizeof(in), 6, &out), -EINVAL);
	ck_assert_int_eq(ifb_control_start(raw, 0, 6, &out), -EINVAL);
	ck_assert_int_eq(ifb_control_start(raw, 20, 6, &out), -EINVAL);
	ck_assert_int_eq(ifb_control_start(raw, 32, 6, &out), -EINVAL);
}
END_TEST

START_TEST(control_malformed)
{
	static const struct {
		uint8_t type, request;
		uint16_t value, index, length;
	} bad[] = {
		{ VIN, 0x00, 0, 0, 64 },                 /* unknown request */
		{ VIN, 0x0b, 0, 0, 64 },
		{ VOUT, IFB_REQ_GET_TIMES, 0, 0, 64 },   /* version 6: IN with a data stage */
		{ VIN, IFB_REQ_GET_TIMES, 0, 0, 0 },
		{ VIN, IFB_REQ_GET_CLOCK, 1, 0, 56 },    /* wValue not 0 */
		{ VIN, IFB_REQ_GET_CLOCK, 0, 0, 0 },
		{ VOUT, IFB_REQ_GET_CLOCK, 0, 0, 56 },
		{ VIN, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 8 },   /* wrong direction */
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 0 },  /* not exactly 8 bytes */
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 7 },
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 9 },
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 0xffff },
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 1, 0, 8 },  /* wValue not 0 */
		{ VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0x100, 8 }, /* no interface's */
		{ VOUT, IFB_REQ_GET_STATUS, 0, 0, 24 },
		{ VIN, IFB_REQ_GET_STATUS, 0, 0, 0 },
		{ VIN, IFB_REQ_GET_STATUS, 3, 0, 24 },
		{ VOUT, IFB_REQ_GET_GAPS, 0, 0, 64 },
		{ VIN, IFB_REQ_GET_STATS, 1, 0, 64 },    /* wValue not 0 */
		{ VOUT, IFB_REQ_START, 2, 0, 0 },
		{ VIN, 0xff, 0, 0, 64 },
		{ VOUT, IFB_REQ_GET_INFO, 0, 0, 64 },    /* wrong direction */
		{ VIN, IFB_REQ_START, 0, 0, 0 },
		{ VIN, IFB_REQ_GET_INFO, 0, 0, 0 },      /* IN without a data stage */
		{ VOUT, IFB_REQ_START, 0, 0, 4 },        /* START's data: 16 or 24 bytes or none */
		{ VOUT, IFB_REQ_START, 0, 0, 15 },
		{ VOUT, IFB_REQ_START, 0, 0, 17 },
		{ VOUT, IFB_REQ_START, 0, 0, 23 },
		{ VOUT, IFB_REQ_START, 0, 0, 25 },
		{ VOUT, IFB_REQ_START, 0, 0, 0xffff },
		{ VIN, IFB_REQ_START, 0, 0, 24 },
		{ VOUT, IFB_REQ_STOP, 0, 0, 0xffff },
		{ VOUT, IFB_REQ_STOP, 0, 0, 4 },         /* STOP's data: 8 bytes or none */
		{ VOUT, IFB_REQ_STOP, 0, 0, 9 },
		{ VIN, IFB_REQ_STOP, 0, 0, 8 },
		{ VIN, IFB_REQ_GET_INFO, 0, 0x100, 64 }, /* no interface's (ep0.c maps the rest) */
		{ USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIP_INTERFACE, IFB_REQ_GET_INFO, 0, 0, 64 },
		{ USB_DIR_IN | USB_TYPE_CLASS | USB_RECIP_INTERFACE, IFB_REQ_GET_INFO, 0, 0, 64 },
		{ USB_DIR_IN | USB_TYPE_VENDOR | USB_RECIP_DEVICE, IFB_REQ_GET_INFO, 0, 0, 64 },
		{ USB_DIR_IN | USB_TYPE_VENDOR | USB_RECIP_ENDPOINT, IFB_REQ_GET_INFO, 0, 0, 64 },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct usb_ctrlrequest r =
			req(bad[i].type, bad[i].request, bad[i].value, bad[i].index, bad[i].length);

		ck_assert_msg(ifb_control_decode(&r) == -EOPNOTSUPP, "request %u not stalled", i);
	}
}
END_TEST

START_TEST(info_reply)
{
	struct ifb_stream_desc d;
	struct ifb_info h;
	struct ifb_channel_info c;
	uint8_t buf[IFB_MAX_REPLY];
	int len;

	memset(&d, 0, sizeof(d));
	strcpy(d.device_name, "iio-sim-adc");
	d.mode = IFB_MODE_ZERO_COPY;
	d.block_size = 1 << 20;
	d.block_count = 4;
	d.scan_size = 4;
	d.sample_rate_mhz = 10000000000ULL;
	d.num_channels = 2;
	strcpy(d.channels[0].name, "voltage0");
	d.channels[0].storage_bits = 16;
	d.channels[0].bits = 16;
	strcpy(d.channels[1].name, "voltage1");
	d.channels[1].scan_index = 1;
	d.channels[1].offset = 2;
	d.channels[0].iq = IFB_IQ_I;
	d.channels[0].iq_partner = 1;
	d.channels[1].iq = IFB_IQ_Q;
	d.channels[1].iq_partner = 0;

	{
		/* fuzzer seed: a SETUP (bRequest is the state), then the description */
		uint8_t seed[8 + sizeof(d)] = { 0xc1, IFB_STATE_STREAMING };

		memcpy(seed + 8, &d, sizeof(d));
		ifb_unit_save_seed("control", seed, sizeof(seed));
	}
	len = ifb_control_info(&d, IFB_STATE_STREAMING, IFB_PROTOCOL_VERSION, buf, sizeof(buf));
	ck_assert_int_eq(len, 64 + 2 * 36);
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(le32toh(h.magic), IFB_INFO_MAGIC);
	ck_assert_mem_eq(buf, "IFBI", 4);
	ck_assert_uint_eq(le16toh(h.version), IFB_PROTOCOL_VERSION);
	ck_assert_uint_eq(le16toh(h.length), (unsigned)len);
	ck_assert_uint_eq(h.state, IFB_STATE_STREAMING);
	ck_assert_uint_eq(le16toh(h.num_channels), 2);
	ck_assert_uint_eq(le32toh(h.block_size), 1 << 20);
	ck_assert_uint_eq(le64toh(h.sample_rate_mhz), 10000000000ULL);
	ck_assert_str_eq(h.device_name, "iio-sim-adc");
	memcpy(&c, buf + 64 + 36, sizeof(c));
	ck_assert_str_eq(c.name, "voltage1");
	ck_assert_uint_eq(le16toh(c.offset), 2);
	ck_assert_uint_eq(c.iq, IFB_IQ_Q);
	ck_assert_uint_eq(c.iq_partner, 0);
	memcpy(&c, buf + 64, sizeof(c));
	ck_assert_uint_eq(c.iq, IFB_IQ_I);
	ck_assert_uint_eq(c.iq_partner, 1);

	/* versions 1 and 2 had these bytes reserved: 0 */
	for (uint16_t v = 1; v <= 2; v++) {
		ck_assert_int_eq(ifb_control_info(&d, 0, v, buf, sizeof(buf)), 64 + 2 * 36);
		ck_assert_uint_eq(buf[64 + 34], 0);
		ck_assert_uint_eq(buf[64 + 35], 0);
		ck_assert_uint_eq(buf[64 + 36 + 34], 0);
		ck_assert_uint_eq(buf[64 + 36 + 35], 0);
	}
	/* a partner outside the list, or itself, is no hint */
	d.channels[1].iq_partner = 2;
	d.channels[0].iq_partner = 0;
	ck_assert_int_eq(ifb_control_info(&d, 0, 3, buf, sizeof(buf)), 64 + 2 * 36);
	ck_assert_uint_eq(buf[64 + 34], 0);
	ck_assert_uint_eq(buf[64 + 36 + 34], 0);
	ck_assert_uint_eq(buf[64 + 36 + 35], 0);
	d.channels[1].iq = 7;
	d.channels[1].iq_partner = 0;
	ck_assert_int_eq(ifb_control_info(&d, 0, 3, buf, sizeof(buf)), 64 + 2 * 36);
	ck_assert_uint_eq(buf[64 + 36 + 34], 0);

	d.num_channels = IFB_MAX_CHANNELS + 1;
	ck_assert_int_eq(ifb_control_info(&d, 0, 1, buf, sizeof(buf)), -EINVAL);
	d.num_channels = 2;
	ck_assert_int_eq(ifb_control_info(&d, 0, 1, buf, 100), -ENOSPC);
}
END_TEST

START_TEST(set_rate_and_status)
{
	struct usb_ctrlrequest r = req(VOUT, IFB_REQ_SET_SAMPLE_RATE, 0, 0, 8);
	uint8_t data[9] = { 0x80, 0x84, 0x1e, 0, 0, 0, 0, 0 }; /* 2000000 mHz, LE */
	struct ifb_status st;
	uint8_t buf[64];
	char text[32];
	uint64_t mhz = 0;

	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_SET_SAMPLE_RATE);
	r = req(VIN, IFB_REQ_GET_STATUS, 0, 0, 4096);
	ck_assert_int_eq(ifb_control_decode(&r), IFB_REQ_GET_STATUS);

	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), 0);
	ck_assert_uint_eq(mhz, 2000000);
	ck_assert_int_eq(ifb_control_rate(data, 7, &mhz), -EINVAL);
	ck_assert_int_eq(ifb_control_rate(data, 9, &mhz), -EINVAL);
	ck_assert_int_eq(ifb_control_rate(data, 0, &mhz), -EINVAL);
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), -ERANGE); /* 0 Hz */
	data[0] = 1;
	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), 0);
	ck_assert_uint_eq(mhz, 1);
	memset(data, 0xff, sizeof(data)); /* 2^64 - 1 mHz */
	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), -ERANGE);
	mhz = htole64(IFB_RATE_MHZ_MAX);
	memcpy(data, &mhz, 8);
	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), 0);
	ck_assert_uint_eq(mhz, IFB_RATE_MHZ_MAX);
	mhz = htole64(IFB_RATE_MHZ_MAX + 1);
	memcpy(data, &mhz, 8);
	ck_assert_int_eq(ifb_control_rate(data, 8, &mhz), -ERANGE);

	ck_assert_int_eq(ifb_control_rate_text(2000000000, text, sizeof(text)), 7);
	ck_assert_str_eq(text, "2000000");
	ck_assert_int_eq(ifb_control_rate_text(2500, text, sizeof(text)), 5);
	ck_assert_str_eq(text, "2.500");
	ck_assert_int_eq(ifb_control_rate_text(7, text, sizeof(text)), 5);
	ck_assert_str_eq(text, "0.007");
	ck_assert_int_eq(ifb_control_rate_text(IFB_RATE_MHZ_MAX, text, sizeof(text)), 13);
	ck_assert_int_eq(ifb_control_rate_text(2500, text, 5), -ENOSPC);

	ck_assert_int_eq(ifb_control_status(IFB_REQ_SET_SAMPLE_RATE, -EINVAL, 10000000000ULL, 3,
					    buf, sizeof(buf)),
			 24);
	ck_assert_mem_eq(buf, "IFBR", 4);
	memcpy(&st, buf, sizeof(st));
	ck_assert_uint_eq(le16toh(st.version), 3);
	ck_assert_uint_eq(le16toh(st.length), 24);
	ck_assert_uint_eq(st.request, IFB_REQ_SET_SAMPLE_RATE);
	ck_assert_int_eq((int32_t)le32toh((uint32_t)st.error), -EINVAL);
	ck_assert_uint_eq(le64toh(st.rate_mhz), 10000000000ULL);
	ck_assert_int_eq(ifb_control_status(0, 0, 0, 3, buf, 23), -ENOSPC);
}
END_TEST

/*
 * Issue 16: one native interface per stream. Stream 0 stays interface 0
 * with endpoint 0x81 (a version 1-3 host's), the IIOD interface stays 1
 * (libiio's usb:BUS.ADDR.1), the other streams follow, each with one bulk
 * IN endpoint numbered after the pipes'.
 */
/* An output stream (protocol 5): its interface says protocol 2 and its
 * endpoint is OUT, at the place and endpoint file an input stream's would
 * have; the others are unchanged. */
START_TEST(output_stream_interface)
{
	static const uint8_t fs[] = {
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 64, 0, 0,
		9, 4, 1, 0, 2, 0xff, 0x00, 0x00, 2,
		7, 5, 0x82, 2, 64, 0, 0,
		7, 5, 0x02, 2, 64, 0, 0,
		9, 4, 2, 0, 1, 0xff, 0x49, 0x02, 3,
		7, 5, 0x03, 2, 64, 0, 0,
	};
	const struct ifb_usb_layout l = { .native = true, .streams = 2, .iiod_pipes = 1,
					  .outputs = 1u << 1 };
	uint8_t buf[2048];
	int len = ifb_usb_descriptors(buf, sizeof(buf), &l, NULL, 0);

	ck_assert_int_gt(len, 24 + (int)sizeof(fs));
	ck_assert_mem_eq(buf + 24, fs, sizeof(fs));
	ck_assert(!ifb_usb_stream_is_output(&l, 0));
	ck_assert(ifb_usb_stream_is_output(&l, 1));
	ck_assert_uint_eq(ifb_usb_ep_stream(&l, 1), 4);
}
END_TEST

START_TEST(one_interface_per_stream)
{
	static const uint8_t fs[] = {
		9, 4, 0, 0, 1, 0xff, 0x49, 0x01, 1,
		7, 5, 0x81, 2, 64, 0, 0,
		9, 4, 1, 0, 2, 0xff, 0x00, 0x00, 2,
		7, 5, 0x82, 2, 64, 0, 0,
		7, 5, 0x02, 2, 64, 0, 0,
		9, 4, 2, 0, 1, 0xff, 0x49, 0x01, 3,
		7, 5, 0x83, 2, 64, 0, 0,
		9, 4, 3, 0, 1, 0xff, 0x49, 0x01, 4,
		7, 5, 0x84, 2, 64, 0, 0,
	};
	static const uint8_t strings[] = {
		2, 0, 0, 0, 16 + 2 + 3 + 4 + 3 + 3, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0,
		0x09, 0x04, 'r', 'x', 0, 'I', 'I', 'O', 0, 'h', 'k', 0, 't', 'x', 0,
	};
	const struct ifb_usb_layout l = { .native = true, .streams = 3, .iiod_pipes = 1 };
	const struct ifb_usb_layout alone = { .native = true, .streams = 2 };
	uint8_t buf[2048];
	int len = ifb_usb_descriptors(buf, sizeof(buf), &l, NULL, 0);

	/* 4 interfaces and 5 endpoints per speed, a companion each at SuperSpeed */
	ck_assert_int_eq(len, 24 + 3 * (int)sizeof(fs) + 5 * 6);
	ck_assert_mem_eq(buf + 12, ((uint8_t[]){ 9, 0, 0, 0, 9, 0, 0, 0, 14, 0, 0, 0 }), 12);
	ck_assert_mem_eq(buf + 24, fs, sizeof(fs));
	ck_assert_uint_eq(ifb_usb_streams(&l), 3);
	ck_assert_uint_eq(ifb_usb_stream_interface(&l, 0), 0);
	ck_assert_uint_eq(ifb_usb_iiod_interface(&l), 1);
	ck_assert_uint_eq(ifb_usb_stream_interface(&l, 1), 2);
	ck_assert_uint_eq(ifb_usb_stream_interface(&l, 2), 3);
	ck_assert_int_eq(ifb_usb_interface_stream(&l, 0), 0);
	ck_assert_int_eq(ifb_usb_interface_stream(&l, 1), -1); /* IIOD's */
	ck_assert_int_eq(ifb_usb_interface_stream(&l, 3), 2);
	ck_assert_int_eq(ifb_usb_interface_stream(&l, 4), -1);
	/* endpoint files in the order the endpoints appear */
	ck_assert_uint_eq(ifb_usb_ep_stream(&l, 0), 1);
	ck_assert_uint_eq(ifb_usb_ep_pipe_in(&l, 0), 2);
	ck_assert_uint_eq(ifb_usb_ep_pipe_out(&l, 0), 3);
	ck_assert_uint_eq(ifb_usb_ep_stream(&l, 1), 4);
	ck_assert_uint_eq(ifb_usb_ep_stream(&l, 2), 5);
	ck_assert_uint_eq(ifb_usb_stream_interface(&alone, 1), 1);
	ck_assert_uint_eq(ifb_usb_ep_stream(&alone, 1), 2);

	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &l, (const char *[]){ "rx", "hk", "tx" }),
			 (int)sizeof(strings));
	ck_assert_mem_eq(buf, strings, sizeof(strings));
	/* libiio would take a stream named "IIO" for its interface */
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &l, (const char *[]){ "rx", "IIO", "tx" }),
			 -EINVAL);
	ck_assert_int_eq(ifb_usb_strings(buf, sizeof(buf), &l, (const char *[]){ "rx", "", "tx" }),
			 -EINVAL);
	{
		const struct ifb_usb_layout over = { .native = true, .streams = IFB_MAX_STREAMS + 1 };

		ck_assert_int_eq(ifb_usb_descriptors(buf, sizeof(buf), &over, NULL, 0), -EINVAL);
	}
}
END_TEST

/*
 * Without the native interface ([usb] native = no) no stream has an
 * endpoint of its own; a stream's endpoint file is then one the function
 * has (the daemon opens it to ask whether the UDC takes DMABUFs), never
 * a number past the IIOD pipes' files: two streams with native = no
 * must not make the daemon open an endpoint file that does not exist.
 */
START_TEST(stream_endpoint_without_native)
{
	for (unsigned pipes = 2; pipes <= IFB_IIOD_MAX_PIPES; pipes++) {
		const struct ifb_usb_layout l = { .native = false, .streams = 3, .iiod_pipes = pipes };
		unsigned nfiles = 2 * pipes; /* ep1..epN: the pipes' IN and OUT */

		for (unsigned k = 0; k < 3; k++) {
			unsigned ep = ifb_usb_ep_stream(&l, k);

			ck_assert_msg(ep >= 1 && ep <= nfiles,
				      "stream %u: ep%u with %u pipes (files ep1..ep%u)", k, ep, pipes,
				      nfiles);
			ck_assert_uint_eq(ep, ifb_usb_ep_pipe_in(&l, 0));
		}
	}
}
END_TEST

/* GET_STREAM (version 4), and the sign letters by version. */
START_TEST(stream_reply_and_sign_letters)
{
	struct ifb_stream_info si;
	struct ifb_stream_desc d;
	struct ifb_scan_type t;
	uint8_t buf[IFB_MAX_REPLY];

	ck_assert_int_eq(ifb_control_stream(1, 2, "house-keeping", false, 4, buf, sizeof(buf)), 48);
	memcpy(&si, buf, sizeof(si));
	ck_assert_mem_eq(buf, "IFBN", 4);
	ck_assert_uint_eq(le16toh(si.version), 4);
	ck_assert_uint_eq(le16toh(si.length), 48);
	ck_assert_uint_eq(si.index, 1);
	ck_assert_uint_eq(si.count, 2);
	ck_assert_uint_eq(si.direction, 0);
	ck_assert_str_eq(si.name, "house-keeping");
	ck_assert_mem_eq(buf + 44, ((uint8_t[]){ 0, 0, 0, 0 }), 4);
	ck_assert_int_eq(ifb_control_stream(1, 2, "tx", true, 5, buf, sizeof(buf)), 48);
	ck_assert_uint_eq(buf[10], IFB_DIRECTION_OUT);
	ck_assert_int_eq(ifb_control_stream(2, 2, "x", false, 4, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ifb_control_stream(0, IFB_MAX_STREAMS + 1, "x", false, 4, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ifb_control_stream(0, 1, "0123456789012345678901234567890123", false, 4, buf,
					    sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(ifb_control_stream(0, 1, "x", false, 4, buf, 47), -ENOSPC);

	/* 'S' (AD9361-class drivers) reaches a version-4 host whole */
	ck_assert_int_eq(ifb_scan_type_parse("le:S12/16>>0", &t), 0);
	ck_assert_uint_eq(ifb_control_sign(&t), IFB_SIGN_SIGNED_EXTENDED);
	ck_assert_int_eq(ifb_scan_type_parse("le:U12/16>>0", &t), 0);
	ck_assert_uint_eq(ifb_control_sign(&t), IFB_SIGN_UNSIGNED_EXTENDED);
	ck_assert_int_eq(ifb_scan_type_parse("le:s12/16>>4", &t), 0);
	ck_assert_uint_eq(ifb_control_sign(&t), IFB_SIGN_SIGNED);
	ck_assert_int_eq(ifb_scan_type_parse("be:u16/16>>0", &t), 0);
	ck_assert_uint_eq(ifb_control_sign(&t), IFB_SIGN_UNSIGNED);
	memset(&d, 0, sizeof(d));
	d.scan_size = 4;
	d.block_size = 4096;
	d.num_channels = 2;
	strcpy(d.channels[0].name, "voltage0");
	d.channels[0].storage_bits = 16;
	d.channels[0].bits = 12;
	d.channels[0].is_signed = IFB_SIGN_SIGNED_EXTENDED;
	strcpy(d.channels[1].name, "voltage1");
	d.channels[1].storage_bits = 16;
	d.channels[1].bits = 12;
	d.channels[1].offset = 2;
	d.channels[1].is_signed = IFB_SIGN_UNSIGNED_EXTENDED;
	ck_assert_int_eq(ifb_control_info(&d, 0, 4, buf, sizeof(buf)), 64 + 2 * 36);
	ck_assert_uint_eq(buf[64 + 28], IFB_SIGN_SIGNED_EXTENDED);
	ck_assert_uint_eq(buf[64 + 36 + 28], IFB_SIGN_UNSIGNED_EXTENDED);
	for (uint16_t v = 1; v <= 3; v++) {
		ck_assert_int_eq(ifb_control_info(&d, 0, v, buf, sizeof(buf)), 64 + 2 * 36);
		ck_assert_uint_eq(buf[64 + 28], IFB_SIGN_SIGNED);
		ck_assert_uint_eq(buf[64 + 36 + 28], IFB_SIGN_UNSIGNED);
	}
}
END_TEST

static Suite *usb_suite(void)
{
	Suite *s = suite_create("usb");
	TCase *t = tcase_create("usb");

	tcase_add_test(t, descriptor_bytes);
	tcase_add_test(t, ms_os_descriptor_bytes);
	tcase_add_test(t, ms_os_descriptor_bcd);
	tcase_add_test(t, string_bytes);
	tcase_add_test(t, iiod_descriptor_bytes);
	tcase_add_test(t, iiod_only_and_bad_layouts);
	tcase_add_test(t, control_decode);
	tcase_add_test(t, control_malformed);
	tcase_add_test(t, control_start_data);
	tcase_add_test(t, info_reply);
	tcase_add_test(t, set_rate_and_status);
	tcase_add_test(t, one_interface_per_stream);
	tcase_add_test(t, output_stream_interface);
	tcase_add_test(t, stream_reply_and_sign_letters);
	tcase_add_test(t, stream_endpoint_without_native);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(usb_suite)
