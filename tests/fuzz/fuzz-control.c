// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the daemon's ep0 protocol (src/daemon/control.c).
 *
 * Input: 8 bytes of SETUP packet as the untrusted host sends it, then the
 * bytes of a struct ifb_stream_desc (zero-filled if short) for the
 * GET_INFO reply builder. Checks the decoder against the table of
 * docs/protocol.md, written out again here, and the reply against
 * struct ifb_info's contract (length, bounds, terminated names, the I/Q
 * hint only in version 3 and only pointing at another channel). The
 * first 8 bytes after the SETUP are also SET_SAMPLE_RATE's data stage
 * (of every length up to 8, plus one byte more): accepted exactly when
 * 8 bytes hold a rate in range, whose sysfs text must read back as it;
 * and GET_STATUS is built from them.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control.h"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz-control: %s:%d: %s does not hold\n", __FILE__, \
				__LINE__, #cond);                                          \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* docs/protocol.md, "Control requests": what must not be stalled. */
static int expected(const struct usb_ctrlrequest *s)
{
	uint16_t value = le16toh(s->wValue), index = le16toh(s->wIndex);
	uint16_t length = le16toh(s->wLength);

	/* an interface of the function's (ep0.c finds the stream) */
	if (index > 0xff)
		return -EOPNOTSUPP;
	/* wValue: GET_INFO's host version, GET_GAPS's sequence number (version
	 * 2), GET_TIMES's (version 6) */
	if (value && s->bRequest != IFB_REQ_GET_INFO && s->bRequest != IFB_REQ_GET_GAPS &&
	    s->bRequest != IFB_REQ_GET_TIMES)
		return -EOPNOTSUPP;
	if (s->bRequestType == 0xc1 && length >= 1 &&
	    (s->bRequest == IFB_REQ_GET_INFO || s->bRequest == IFB_REQ_GET_STATS ||
	     s->bRequest == IFB_REQ_GET_GAPS || s->bRequest == IFB_REQ_GET_STATUS ||
	     s->bRequest == IFB_REQ_GET_STREAM || s->bRequest == IFB_REQ_GET_TIMES ||
	     s->bRequest == IFB_REQ_GET_CLOCK))
		return s->bRequest;
	if (s->bRequestType == 0x41 && length == 0 &&
	    (s->bRequest == IFB_REQ_START || s->bRequest == IFB_REQ_STOP))
		return s->bRequest;
	/* version 3: SET_SAMPLE_RATE, exactly its 8 bytes */
	if (s->bRequestType == 0x41 && length == 8 && s->bRequest == IFB_REQ_SET_SAMPLE_RATE)
		return s->bRequest;
	/* version 5, an output stream's: START's 16 bytes (a cyclic waveform),
	 * STOP's 8 (where the data end); ep0.c refuses them on an input one;
	 * version 6: START's 24 bytes (a board time) */
	if (s->bRequestType == 0x41 && (((length == 16 || length == 24) &&
					 s->bRequest == IFB_REQ_START) ||
					(length == 8 && s->bRequest == IFB_REQ_STOP)))
		return s->bRequest;
	return -EOPNOTSUPP;
}

static void check_info(const struct ifb_stream_desc *d, uint8_t state, uint16_t version)
{
	static uint8_t buf[IFB_MAX_REPLY + 64];
	struct ifb_info h;
	int len;

	memset(buf, 0xa5, sizeof(buf));
	len = ifb_control_info(d, state, version, buf, IFB_MAX_REPLY);
	if (d->num_channels > IFB_MAX_CHANNELS) {
		CHECK(len == -EINVAL);
		return;
	}
	CHECK(len == (int)(sizeof(h) + d->num_channels * sizeof(struct ifb_channel_info)));
	for (size_t i = (size_t)len; i < sizeof(buf); i++)
		CHECK(buf[i] == 0xa5); /* nothing written past the reply */
	memcpy(&h, buf, sizeof(h));
	CHECK(le32toh(h.magic) == IFB_INFO_MAGIC);
	CHECK(le16toh(h.version) == version);
	CHECK(le16toh(h.length) == len);
	CHECK(le16toh(h.num_channels) == d->num_channels);
	CHECK(h.state == state && h.mode == d->mode);
	CHECK(le32toh(h.block_size) == d->block_size && le64toh(h.sample_rate_mhz) == d->sample_rate_mhz);
	CHECK(memchr(h.device_name, '\0', sizeof(h.device_name)));
	for (unsigned i = 0; i < d->num_channels; i++) {
		struct ifb_channel_info c;

		memcpy(&c, buf + sizeof(h) + i * sizeof(c), sizeof(c));
		CHECK(memchr(c.name, '\0', sizeof(c.name)));
		CHECK(le16toh(c.scan_index) == d->channels[i].scan_index);
		CHECK(le16toh(c.offset) == d->channels[i].offset);
		CHECK(c.iq <= IFB_IQ_Q);
		if (version < 3 || c.iq == IFB_IQ_NONE) {
			CHECK(c.iq == IFB_IQ_NONE && c.iq_partner == 0);
		} else {
			CHECK(c.iq_partner < d->num_channels && c.iq_partner != i);
			CHECK(c.iq == d->channels[i].iq && c.iq_partner == d->channels[i].iq_partner);
		}
	}
	/* A buffer one byte short is refused, not overrun. */
	CHECK(ifb_control_info(d, state, version, buf, (size_t)len - 1) == -ENOSPC);
}

/* SET_SAMPLE_RATE's data stage of len bytes, and the GET_STATUS after it. */
static void check_rate(const uint8_t *data, size_t len, uint16_t version)
{
	uint8_t buf[64];
	char text[32];
	uint64_t mhz = 0, wire = 0;
	struct ifb_status st;
	int r = ifb_control_rate(data, len, &mhz), n;

	if (len != 8) {
		CHECK(r == -EINVAL);
	} else {
		memcpy(&wire, data, 8);
		wire = le64toh(wire);
		if (wire < IFB_RATE_MHZ_MIN || wire > IFB_RATE_MHZ_MAX) {
			CHECK(r == -ERANGE);
		} else {
			unsigned long long whole = 0, frac = 0;
			char tail = 0;

			CHECK(r == 0 && mhz == wire);
			n = ifb_control_rate_text(mhz, text, sizeof(text));
			CHECK(n > 0 && (size_t)n == strlen(text));
			/* decimal Hz the kernel parses: digits, at most 3 decimals */
			if (strchr(text, '.'))
				CHECK(sscanf(text, "%llu.%3llu%c", &whole, &frac, &tail) == 2 &&
				      strlen(strchr(text, '.')) == 4 && whole * 1000 + frac == mhz);
			else
				CHECK(sscanf(text, "%llu%c", &whole, &tail) == 1 && whole * 1000 == mhz);
		}
	}
	n = ifb_control_status(IFB_REQ_SET_SAMPLE_RATE, r, mhz, version, buf, sizeof(buf));
	CHECK(n == (int)sizeof(st));
	memcpy(&st, buf, sizeof(st));
	CHECK(le32toh(st.magic) == IFB_STATUS_MAGIC && le16toh(st.length) == sizeof(st));
	CHECK((int32_t)le32toh((uint32_t)st.error) == r && le64toh(st.rate_mhz) == mhz);
	CHECK(st.reserved[0] == 0 && st.reserved[1] == 0 && st.reserved[2] == 0);
}

/* START's data stage of len bytes from a host of that version: the model
 * of protocol.h's struct ifb_start. */
static void check_start(const uint8_t *data, size_t len, uint16_t version)
{
	struct ifb_start w, got;
	int r = ifb_control_start(data, len, version, &got);

	if (len != IFB_START_LEN_V5 && len != sizeof(w)) {
		CHECK(r == -EINVAL);
		return;
	}
	if (len == sizeof(w) && version < 6) {
		CHECK(r == -EPROTONOSUPPORT);
		return;
	}
	memset(&w, 0, sizeof(w));
	memcpy(&w, data, len);
	w.flags = le32toh(w.flags);
	w.length = le64toh(w.length);
	w.at_ns = le64toh(w.at_ns);
	if ((w.flags & ~(IFB_START_CYCLIC | IFB_START_AT)) || w.reserved ||
	    !!(w.flags & IFB_START_AT) != (w.at_ns != 0)) {
		CHECK(r == -EINVAL);
		return;
	}
	CHECK(r == 0 && got.flags == w.flags && got.length == w.length && got.at_ns == w.at_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usb_ctrlrequest setup;
	static struct ifb_stream_desc d;
	size_t n;

	if (size < sizeof(setup))
		return 0;
	memcpy(&setup, data, sizeof(setup));
	CHECK(ifb_control_decode(&setup) == expected(&setup));

	for (size_t l = 0; l <= 9 && l <= size - sizeof(setup); l++)
		check_rate(data + sizeof(setup), l, ifb_control_version(le16toh(setup.wValue)));
	for (size_t l = 15; l <= 25 && l <= size - sizeof(setup); l++)
		check_start(data + sizeof(setup), l, ifb_control_version(le16toh(setup.wValue)));

	memset(&d, 0, sizeof(d));
	n = size - sizeof(setup) < sizeof(d) ? size - sizeof(setup) : sizeof(d);
	memcpy(&d, data + sizeof(setup), n);
	/* the version agreed from the host's wValue: 1..ours */
	check_info(&d, setup.bRequest, ifb_control_version(le16toh(setup.wValue)));
	CHECK(ifb_control_version(le16toh(setup.wValue)) >= IFB_PROTOCOL_VERSION_MIN &&
	      ifb_control_version(le16toh(setup.wValue)) <= IFB_PROTOCOL_VERSION);
	return 0;
}
