// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/control.h"

int ifb_control_decode(const struct usb_ctrlrequest *s)
{
	uint16_t value = le16toh(s->wValue), index = le16toh(s->wIndex);
	uint16_t length = le16toh(s->wLength);
	bool in = s->bRequestType & USB_DIR_IN;

	if ((s->bRequestType & USB_TYPE_MASK) != USB_TYPE_VENDOR ||
	    (s->bRequestType & USB_RECIP_MASK) != USB_RECIP_INTERFACE)
		return -EOPNOTSUPP;
	/* FunctionFS has mapped wIndex to one of the function's interfaces
	 * (its low byte); the high byte is no interface's */
	if (index > 0xff)
		return -EOPNOTSUPP;
	/* wValue: GET_INFO the host's version, GET_GAPS and GET_TIMES a
	 * sequence number */
	if (value != 0 && s->bRequest != IFB_REQ_GET_INFO && s->bRequest != IFB_REQ_GET_GAPS &&
	    s->bRequest != IFB_REQ_GET_TIMES)
		return -EOPNOTSUPP;

	switch (s->bRequest) {
	case IFB_REQ_GET_INFO:
	case IFB_REQ_GET_STATS:
	case IFB_REQ_GET_GAPS:
	case IFB_REQ_GET_TIMES:
	case IFB_REQ_GET_CLOCK:
		if (!in || length == 0)
			return -EOPNOTSUPP;
		return s->bRequest;
	case IFB_REQ_GET_STATUS:
	case IFB_REQ_GET_STREAM:
		if (!in || length == 0)
			return -EOPNOTSUPP;
		return s->bRequest;
	case IFB_REQ_START:
		/* an output stream's may ask for a cyclic stream (16 bytes,
		 * version 5) or a timed one (24, version 6) */
		if (in || (length != 0 && length != IFB_START_LEN_V5 &&
			   length != sizeof(struct ifb_start)))
			return -EOPNOTSUPP;
		return s->bRequest;
	case IFB_REQ_STOP:
		/* an output stream's may say where its data ends */
		if (in || (length != 0 && length != sizeof(struct ifb_stop)))
			return -EOPNOTSUPP;
		return s->bRequest;
	case IFB_REQ_SET_SAMPLE_RATE:
		if (in || length != sizeof(struct ifb_set_rate))
			return -EOPNOTSUPP;
		return s->bRequest;
	default:
		return -EOPNOTSUPP;
	}
}

uint16_t ifb_control_version(uint16_t host_version)
{
	if (host_version == 0)
		return 1; /* a version-1 host sends 0 */
	return host_version < IFB_PROTOCOL_VERSION ? host_version : IFB_PROTOCOL_VERSION;
}

int ifb_control_info(const struct ifb_stream_desc *d, uint8_t state, uint16_t version,
		     uint8_t *buf, size_t size)
{
	struct ifb_info h;
	size_t len;

	if (d->num_channels > IFB_MAX_CHANNELS)
		return -EINVAL;
	len = sizeof(h) + (size_t)d->num_channels * sizeof(struct ifb_channel_info);
	if (len > size || len > IFB_MAX_REPLY)
		return -ENOSPC;

	memset(&h, 0, sizeof(h));
	h.magic = htole32(IFB_INFO_MAGIC);
	h.version = htole16(version);
	h.length = htole16((uint16_t)len);
	h.mode = d->mode;
	h.state = state;
	h.num_channels = htole16(d->num_channels);
	h.block_size = htole32(d->block_size);
	h.block_count = htole32(d->block_count);
	h.scan_size = htole32(d->scan_size);
	h.sample_rate_mhz = htole64(d->sample_rate_mhz);
	memcpy(h.device_name, d->device_name, sizeof(h.device_name));
	h.device_name[IFB_NAME_LEN - 1] = '\0';
	memcpy(buf, &h, sizeof(h));

	for (unsigned i = 0; i < d->num_channels; i++) {
		struct ifb_channel_info c = d->channels[i];

		c.name[IFB_CHANNEL_NAME_LEN - 1] = '\0';
		c.scan_index = htole16(c.scan_index);
		/* the sign letters S and U are version 4's: before, their sign */
		if (version < 4 && c.is_signed == IFB_SIGN_SIGNED_EXTENDED)
			c.is_signed = IFB_SIGN_SIGNED;
		else if (version < 4 && c.is_signed == IFB_SIGN_UNSIGNED_EXTENDED)
			c.is_signed = IFB_SIGN_UNSIGNED;
		c.offset = htole16(c.offset);
		/* the I/Q hint is version 3's; a partner outside the list or
		 * naming itself is no hint */
		if (version < 3 || c.iq > IFB_IQ_Q || c.iq == IFB_IQ_NONE ||
		    c.iq_partner >= d->num_channels || c.iq_partner == i) {
			c.iq = IFB_IQ_NONE;
			c.iq_partner = 0;
		}
		memcpy(buf + sizeof(h) + i * sizeof(c), &c, sizeof(c));
	}
	return (int)len;
}

int ifb_control_rate(const void *data, size_t len, uint64_t *ret_mhz)
{
	struct ifb_set_rate r;
	uint64_t v;

	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, data, sizeof(r));
	v = le64toh(r.rate_mhz);
	if (v < IFB_RATE_MHZ_MIN || v > IFB_RATE_MHZ_MAX)
		return -ERANGE;
	*ret_mhz = v;
	return 0;
}

int ifb_control_start(const void *data, size_t len, uint16_t version, struct ifb_start *ret)
{
	struct ifb_start st;

	if (len != IFB_START_LEN_V5 && len != sizeof(st))
		return -EINVAL;
	if (len == sizeof(st) && version < 6)
		return -EPROTONOSUPPORT;
	memset(&st, 0, sizeof(st));
	memcpy(&st, data, len);
	st.flags = le32toh(st.flags);
	st.length = le64toh(st.length);
	st.at_ns = le64toh(st.at_ns);
	if (st.flags & ~(IFB_START_CYCLIC | IFB_START_AT) || st.reserved)
		return -EINVAL;
	if (!(st.flags & IFB_START_AT) != !st.at_ns)
		return -EINVAL;
	*ret = st;
	return 0;
}

int ifb_control_rate_text(uint64_t mhz, char *buf, size_t size)
{
	int n;

	if (mhz % 1000)
		n = snprintf(buf, size, "%llu.%03llu", (unsigned long long)(mhz / 1000),
			     (unsigned long long)(mhz % 1000));
	else
		n = snprintf(buf, size, "%llu", (unsigned long long)(mhz / 1000));
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int ifb_control_status(uint8_t request, int error, uint64_t rate_mhz, uint16_t version,
		       uint8_t *buf, size_t size)
{
	struct ifb_status st;

	if (size < sizeof(st))
		return -ENOSPC;
	memset(&st, 0, sizeof(st));
	st.magic = htole32(IFB_STATUS_MAGIC);
	st.version = htole16(version);
	st.length = htole16(sizeof(st));
	st.request = request;
	st.error = (int32_t)htole32((uint32_t)error);
	st.rate_mhz = htole64(rate_mhz);
	memcpy(buf, &st, sizeof(st));
	return (int)sizeof(st);
}

uint8_t ifb_control_sign(const struct ifb_scan_type *t)
{
	switch (t->sign) {
	case 'S': return IFB_SIGN_SIGNED_EXTENDED;
	case 'U': return IFB_SIGN_UNSIGNED_EXTENDED;
	default: return t->is_signed ? IFB_SIGN_SIGNED : IFB_SIGN_UNSIGNED;
	}
}

int ifb_control_stream(unsigned index, unsigned count, const char *name, bool output,
		       uint16_t version, uint8_t *buf, size_t size)
{
	struct ifb_stream_info si;

	if (size < sizeof(si))
		return -ENOSPC;
	if (index >= count || count > IFB_MAX_STREAMS || strlen(name) >= sizeof(si.name))
		return -EINVAL;
	memset(&si, 0, sizeof(si));
	si.magic = htole32(IFB_STREAM_MAGIC);
	si.version = htole16(version);
	si.length = htole16(sizeof(si));
	si.index = (uint8_t)index;
	si.count = (uint8_t)count;
	si.direction = output ? IFB_DIRECTION_OUT : IFB_DIRECTION_IN;
	memcpy(si.name, name, strlen(name));
	memcpy(buf, &si, sizeof(si));
	return (int)sizeof(si);
}

int ifb_control_clock(const struct ifb_clock_reading *c, uint16_t version, uint8_t *buf,
		      size_t size)
{
	struct ifb_clock h;

	if (size < sizeof(h))
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.magic = htole32(IFB_CLOCK_MAGIC);
	h.version = htole16(version);
	h.length = htole16(sizeof(h));
	h.flags = htole32(c->flags);
	h.read_ns = htole32(c->read_ns);
	h.monotonic_ns = htole64(c->monotonic_ns);
	h.realtime_ns = (int64_t)htole64((uint64_t)c->realtime_ns);
	h.tai_ns = (int64_t)htole64((uint64_t)c->tai_ns);
	h.boottime_ns = htole64(c->boottime_ns);
	h.esterror_us = htole32(c->esterror_us);
	h.maxerror_us = htole32(c->maxerror_us);
	memcpy(buf, &h, sizeof(h));
	return (int)sizeof(h);
}
