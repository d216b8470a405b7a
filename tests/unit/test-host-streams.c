// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libifbhost and protocol version 4: the GET_STREAM reply against good and
 * hostile bytes, the sign letters by version, stream names, and a
 * configuration's native interfaces (one list entry per stream, in
 * interface order) from hand-made descriptors, without USB.
 */
#include <endian.h>
#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <string.h>

#include "host/internal.h"
#include "host/proto.h"
#include "unit.h"

static int parse_stream(const void *buf, size_t len, struct ifbh_stream_reply *out)
{
	char err[256] = "";
	int ret;

	ifb_unit_save_seed("capture-proto", buf, len);
	ret = ifbh_parse_stream(buf, len, out, err, sizeof(err));
	/* a refusal always says why */
	ck_assert(ret == 0 || err[0]);
	return ret;
}

static void good_stream(struct ifb_stream_info *s, unsigned int index, unsigned int count,
			const char *name)
{
	memset(s, 0, sizeof(*s));
	s->magic = htole32(IFB_STREAM_MAGIC);
	s->version = htole16(4);
	s->length = htole16(sizeof(*s));
	s->index = (uint8_t)index;
	s->count = (uint8_t)count;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

START_TEST(stream_good)
{
	struct ifb_stream_info s;
	struct ifbh_stream_reply r;

	good_stream(&s, 1, 3, "rx-B_2");
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), 0);
	ck_assert_uint_eq(r.version, 4);
	ck_assert_uint_eq(r.index, 1);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_str_eq(r.name, "rx-B_2");
	/* the reserved bytes are ignored (a later version may use them) */
	s.reserved = 7;
	s.reserved2 = htole32(0xdeadbeef);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), 0);
	/* the longest name, and the most streams */
	good_stream(&s, IFB_MAX_STREAMS - 1, IFB_MAX_STREAMS, "");
	memset(s.name, 'a', sizeof(s.name) - 1);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), 0);
	ck_assert_uint_eq(strlen(r.name), IFB_NAME_LEN - 1);
}
END_TEST

START_TEST(stream_truncated_everywhere)
{
	struct ifb_stream_info s;
	struct ifbh_stream_reply r;

	good_stream(&s, 0, 1, "main");
	for (size_t l = 0; l < sizeof(s); l++)
		ck_assert_msg(parse_stream(&s, l, &r) == -EBADMSG, "accepted %zu bytes", l);
}
END_TEST

START_TEST(stream_bad_fields)
{
	struct ifb_stream_info s;
	struct ifbh_stream_reply r;
	static const char *const bad_names[] = { "", "a b", "rx/0", "rx.0", "r\xc3\xa9", "x\n" };

	good_stream(&s, 0, 1, "main");
	s.magic = htole32(IFB_INFO_MAGIC);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EPROTO);

	good_stream(&s, 0, 1, "main");
	s.version = htole16(3); /* no GET_STREAM before version 4 */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EPROTONOSUPPORT);
	s.version = htole16(IFB_PROTOCOL_VERSION + 1);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EPROTONOSUPPORT);

	good_stream(&s, 0, 1, "main");
	s.length = htole16(sizeof(s) - 1);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	s.length = htole16(sizeof(s) + 1);
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);

	good_stream(&s, 0, 0, "main"); /* no streams */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	good_stream(&s, 0, IFB_MAX_STREAMS + 1, "main");
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	good_stream(&s, 2, 2, "main"); /* index == count */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	good_stream(&s, 255, 1, "main");
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);

	good_stream(&s, 0, 1, "main");
	s.direction = 1; /* host to device: not in version 4 */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	s.version = htole16(5); /* ...from version 5 */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), 0);
	ck_assert_uint_eq(r.direction, IFB_DIRECTION_OUT);
	s.direction = 0;
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), 0);
	ck_assert_uint_eq(r.direction, IFB_DIRECTION_IN);
	s.direction = 2; /* no such direction */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);

	good_stream(&s, 0, 1, "main");
	memset(s.name, 'a', sizeof(s.name)); /* not terminated */
	ck_assert_int_eq(parse_stream(&s, sizeof(s), &r), -EBADMSG);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		good_stream(&s, 0, 1, bad_names[i]);
		ck_assert_msg(parse_stream(&s, sizeof(s), &r) == -EBADMSG, "took name '%s'",
			      bad_names[i]);
	}
}
END_TEST

START_TEST(stream_names)
{
	ck_assert(ifbh_stream_name_valid("main", IFB_NAME_LEN));
	ck_assert(ifbh_stream_name_valid("A-z_09", IFB_NAME_LEN));
	ck_assert(!ifbh_stream_name_valid("main", 4)); /* no terminator within max */
	ck_assert(ifbh_stream_name_matches("rx", "rx"));
	ck_assert(!ifbh_stream_name_matches("rx", "RX"));
	ck_assert(!ifbh_stream_name_matches("rx", "main"));
	/* an older device's one stream answers to "main" and to nothing else */
	ck_assert(ifbh_stream_name_matches("", "main"));
	ck_assert(!ifbh_stream_name_matches("", "rx"));
	ck_assert(!ifbh_stream_name_matches("main", ""));
}
END_TEST

/* A GET_INFO reply with one 16-bit channel of sign value `sign`. */
struct one_channel {
	struct ifb_info h;
	struct ifb_channel_info c;
} __attribute__((packed));

static int parse_sign(unsigned int version, uint8_t sign, struct ifbh_info *info, char *letter)
{
	struct one_channel r;
	char signs[IFB_MAX_CHANNELS] = { 0 }, err[256];
	int ret;

	memset(&r, 0, sizeof(r));
	r.h.magic = htole32(IFB_INFO_MAGIC);
	r.h.version = htole16((uint16_t)version);
	r.h.length = htole16(sizeof(r));
	r.h.mode = IFB_MODE_COPY;
	r.h.num_channels = htole16(1);
	r.h.block_size = htole32(4096);
	r.h.block_count = htole32(4);
	r.h.scan_size = htole32(2);
	strcpy(r.h.device_name, "ad9361-phy");
	strcpy(r.c.name, "voltage0");
	r.c.is_signed = sign;
	r.c.bits = 12;
	r.c.storage_bits = 16;
	r.c.repeat = 1;
	ifb_unit_save_seed("capture-proto", &r, sizeof(r));
	ret = ifbh_parse_info_signs(&r, sizeof(r), info, signs, err, sizeof(err));
	*letter = signs[0];
	return ret;
}

START_TEST(info_sign_letters_by_version)
{
	struct ifbh_info info;
	struct ifbh_field f;
	size_t n;
	char l;

	for (unsigned int v = 1; v <= 3; v++) {
		ck_assert_int_eq(parse_sign(v, 0, &info, &l), 0);
		ck_assert_uint_eq(info.ch[0].is_signed, 0);
		ck_assert_int_eq(l, 'u');
		ck_assert_int_eq(parse_sign(v, 1, &info, &l), 0);
		ck_assert_uint_eq(info.ch[0].is_signed, 1);
		ck_assert_int_eq(l, 's');
		/* the upper-case letters are version 4's */
		ck_assert_int_eq(parse_sign(v, 2, &info, &l), -EBADMSG);
		ck_assert_int_eq(parse_sign(v, 3, &info, &l), -EBADMSG);
	}
	/* version 4: 'S' reads as signed, 'U' as unsigned */
	ck_assert_int_eq(parse_sign(4, 2, &info, &l), 0);
	ck_assert_uint_eq(info.ch[0].is_signed, 1);
	ck_assert_int_eq(l, 'S');
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_NONE, &f, 1, &n), 0);
	ck_assert(f.is_signed);
	ck_assert_str_eq(f.typestr, "<i2");
	ck_assert_int_eq(parse_sign(4, 3, &info, &l), 0);
	ck_assert_uint_eq(info.ch[0].is_signed, 0);
	ck_assert_int_eq(l, 'U');
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_NONE, &f, 1, &n), 0);
	ck_assert(!f.is_signed);
	ck_assert_str_eq(f.typestr, "<u2");
	ck_assert_int_eq(parse_sign(4, 4, &info, &l), -EBADMSG);
	ck_assert_int_eq(parse_sign(4, 255, &info, &l), -EBADMSG);
}
END_TEST

/* --- a configuration's native interfaces ------------------------------------ */

static const struct libusb_endpoint_descriptor EP_BULK_IN_81 = {
	.bEndpointAddress = 0x81, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK, .wMaxPacketSize = 512
};
static const struct libusb_endpoint_descriptor EP_BULK_IN_82_SS = {
	.bEndpointAddress = 0x82, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK, .wMaxPacketSize = 1024
};
static const struct libusb_endpoint_descriptor EP_BULK_IN_83 = {
	.bEndpointAddress = 0x83, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK, .wMaxPacketSize = 64
};
static const struct libusb_endpoint_descriptor EP_INTR_IN_84 = {
	.bEndpointAddress = 0x84, .bmAttributes = LIBUSB_TRANSFER_TYPE_INTERRUPT,
	.wMaxPacketSize = 64
};
/* IN first, then OUT, as libiio wants its pipes */
static const struct libusb_endpoint_descriptor IIOD_EPS[2] = {
	{ .bEndpointAddress = 0x82, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK,
	  .wMaxPacketSize = 512 },
	{ .bEndpointAddress = 0x01, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK,
	  .wMaxPacketSize = 512 },
};

static struct libusb_interface_descriptor alt(uint8_t num, uint8_t setting, uint8_t cls,
					      uint8_t sub, uint8_t proto,
					      const struct libusb_endpoint_descriptor *eps,
					      uint8_t neps)
{
	return (struct libusb_interface_descriptor){
		.bInterfaceNumber = num,
		.bAlternateSetting = setting,
		.bNumEndpoints = neps,
		.bInterfaceClass = cls,
		.bInterfaceSubClass = sub,
		.bInterfaceProtocol = proto,
		.endpoint = eps,
	};
}

#define NATIVE IFB_USB_CLASS, IFB_USB_SUBCLASS, IFB_USB_PROTOCOL
#define NATIVE_OUT IFB_USB_CLASS, IFB_USB_SUBCLASS, IFB_USB_PROTOCOL_OUT

static const struct libusb_endpoint_descriptor EP_BULK_OUT_02 = {
	.bEndpointAddress = 0x02, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK, .wMaxPacketSize = 512
};

START_TEST(native_ifaces)
{
	/*
	 * stream 0, IIOD (vendor class, no subclass), stream 1 (its endpoint
	 * in alternate setting 1), a look-alike without a bulk IN endpoint,
	 * stream 2 (OUT endpoint first)
	 */
	struct libusb_interface_descriptor s0 = alt(0, 0, NATIVE, &EP_BULK_IN_81, 1);
	struct libusb_interface_descriptor iiod = alt(1, 0, 0xff, 0, 0, IIOD_EPS, 2);
	struct libusb_interface_descriptor s1[2] = { alt(2, 0, NATIVE, NULL, 0),
						     alt(2, 1, NATIVE, &EP_BULK_IN_82_SS, 1) };
	struct libusb_interface_descriptor intr = alt(3, 0, NATIVE, &EP_INTR_IN_84, 1);
	struct libusb_endpoint_descriptor s2_eps[2] = { IIOD_EPS[1], EP_BULK_IN_83 };
	struct libusb_interface_descriptor s2 = alt(4, 0, NATIVE, s2_eps, 2);
	struct libusb_interface itf[5] = {
		{ .altsetting = &s0, .num_altsetting = 1 },
		{ .altsetting = &iiod, .num_altsetting = 1 },
		{ .altsetting = s1, .num_altsetting = 2 },
		{ .altsetting = &intr, .num_altsetting = 1 },
		{ .altsetting = &s2, .num_altsetting = 1 },
	};
	struct libusb_config_descriptor cfg = { .bNumInterfaces = 5, .interface = itf };
	struct ifbh_iface_slot s[4];

	ck_assert_uint_eq(ifbh_native_ifaces(&cfg, s, 4), 3);
	ck_assert_uint_eq(s[0].iface, 0);
	ck_assert_uint_eq(s[0].alt, 0);
	ck_assert_uint_eq(s[0].ep_in, 0x81);
	ck_assert_uint_eq(s[0].max_packet, 512);
	ck_assert_uint_eq(s[1].iface, 2);
	ck_assert_uint_eq(s[1].alt, 1);
	ck_assert_uint_eq(s[1].ep_in, 0x82);
	ck_assert_uint_eq(s[1].max_packet, 1024);
	ck_assert_uint_eq(s[2].iface, 4);
	ck_assert_uint_eq(s[2].ep_in, 0x83);
	ck_assert_uint_eq(s[2].max_packet, 64);
	/* counted beyond the room given, written up to it */
	memset(s, 0xee, sizeof(s));
	ck_assert_uint_eq(ifbh_native_ifaces(&cfg, s, 1), 3);
	ck_assert_uint_eq(s[0].iface, 0);
	ck_assert_uint_eq(s[1].iface, 0xee);
	/* today's device: the native interface and the IIOD one, one entry,
	 * the one the search before streams found */
	cfg.bNumInterfaces = 2;
	memset(s, 0xee, sizeof(s));
	ck_assert_uint_eq(ifbh_native_ifaces(&cfg, s, 4), 1);
	ck_assert_uint_eq(s[0].iface, 0);
	ck_assert_uint_eq(s[0].ep_in, 0x81);
	ck_assert_uint_eq(s[1].iface, 0xee);
}
END_TEST

/*
 * Protocol version 5: an output stream's interface (protocol 2, a bulk OUT
 * endpoint) is a native one too, counted in the streams' order; a
 * protocol-2 interface with only an IN endpoint, or a protocol-1 one with
 * only an OUT endpoint, is none.
 */
START_TEST(native_ifaces_out)
{
	struct libusb_interface_descriptor s0 = alt(0, 0, NATIVE, &EP_BULK_IN_81, 1);
	struct libusb_interface_descriptor iiod = alt(1, 0, 0xff, 0, 0, IIOD_EPS, 2);
	struct libusb_interface_descriptor tx = alt(2, 0, NATIVE_OUT, &EP_BULK_OUT_02, 1);
	struct libusb_interface_descriptor bad_out = alt(3, 0, NATIVE_OUT, &EP_BULK_IN_83, 1);
	struct libusb_interface_descriptor bad_in = alt(4, 0, NATIVE, &EP_BULK_OUT_02, 1);
	/* an output stream whose OUT endpoint comes after an IN one */
	struct libusb_interface_descriptor tx2 = alt(5, 0, NATIVE_OUT, IIOD_EPS, 2);
	struct libusb_interface itf[6] = {
		{ .altsetting = &s0, .num_altsetting = 1 },
		{ .altsetting = &iiod, .num_altsetting = 1 },
		{ .altsetting = &tx, .num_altsetting = 1 },
		{ .altsetting = &bad_out, .num_altsetting = 1 },
		{ .altsetting = &bad_in, .num_altsetting = 1 },
		{ .altsetting = &tx2, .num_altsetting = 1 },
	};
	struct libusb_config_descriptor cfg = { .bNumInterfaces = 6, .interface = itf };
	struct ifbh_iface_slot s[4];

	ck_assert_uint_eq(ifbh_native_ifaces(&cfg, s, 4), 3);
	ck_assert_uint_eq(s[0].iface, 0);
	ck_assert_uint_eq(s[0].dir, IFBH_DIRECTION_IN);
	ck_assert_uint_eq(s[1].iface, 2);
	ck_assert_uint_eq(s[1].dir, IFBH_DIRECTION_OUT);
	ck_assert_uint_eq(s[1].ep_in, 0x02);
	ck_assert_uint_eq(s[1].max_packet, 512);
	ck_assert_uint_eq(s[2].iface, 5);
	ck_assert_uint_eq(s[2].dir, IFBH_DIRECTION_OUT);
	ck_assert_uint_eq(s[2].ep_in, 0x01);
}
END_TEST

/* Opening by name where there is nothing to open: the message says so. */
START_TEST(open_stream_in_empty_list)
{
	const struct ifbh_match nowhere = { .path = "999-99" };
	struct ifbh_list *list;
	struct ifbh_ctx *ctx;
	struct ifbh_dev *dev = NULL;

	if (ifbh_ctx_new(&ctx))
		return; /* no libusb here (a sandbox without usbfs): nothing to test */
	ck_assert_int_eq(ifbh_find(ctx, &nowhere, &list), 0);
	ck_assert_uint_eq(ifbh_list_count(list), 0);
	ck_assert_int_eq(ifbh_list_stream_index(list, 0), -ERANGE);
	ck_assert_int_eq(ifbh_list_direction(list, 0), -ERANGE);
	ck_assert_int_eq(ifbh_list_open_stream(ctx, list, "rx", &dev), -ENOENT);
	ck_assert_ptr_null(dev);
	ck_assert_str_eq(ifbh_ctx_error(ctx), "no stream \"rx\": no iio-ffs-bridge device found");
	ifbh_list_free(list);
	/* both directions; nothing else */
	ck_assert_int_eq(ifbh_find_streams(ctx, &nowhere, IFBH_FIND_IN | IFBH_FIND_OUT, &list), 0);
	ck_assert_uint_eq(ifbh_list_count(list), 0);
	ifbh_list_free(list);
	ck_assert_int_eq(ifbh_find_streams(ctx, &nowhere, 0, &list), -EINVAL);
	ck_assert_int_eq(ifbh_find_streams(ctx, &nowhere, 4, &list), -EINVAL);
	ifbh_ctx_free(ctx);
}
END_TEST

static Suite *host_streams_suite(void)
{
	Suite *s = suite_create("host-streams");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, stream_good);
	tcase_add_test(tc, stream_truncated_everywhere);
	tcase_add_test(tc, stream_bad_fields);
	tcase_add_test(tc, stream_names);
	tcase_add_test(tc, info_sign_letters_by_version);
	tcase_add_test(tc, native_ifaces);
	tcase_add_test(tc, native_ifaces_out);
	tcase_add_test(tc, open_stream_in_empty_list);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_streams_suite)
