// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: one opened device (struct ifbh_dev): interface claimed,
 * alternate setting selected, GET_INFO read; the synchronous control
 * requests.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/internal.h"
#include "host/proto.h"
#include "iio-ffs-bridge/protocol.h"

uint8_t ifbh_req_type(bool in)
{
	return LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_INTERFACE |
	       (in ? LIBUSB_ENDPOINT_IN : LIBUSB_ENDPOINT_OUT);
}

int ifbh_dev_ctrl_value(struct ifbh_dev *dev, uint8_t req, uint16_t value, uint8_t *buf,
			uint16_t len)
{
	int ret = libusb_control_transfer(dev->h, ifbh_req_type(true), req, value,
					  dev->desc.iface, buf, len, IFBH_CTRL_TIMEOUT_MS);

	if (ret == LIBUSB_ERROR_NO_DEVICE)
		dev->gone = true;
	return ret;
}

int ifbh_dev_gaps_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	int ret = ifbh_dev_ctrl_value(user, IFB_REQ_GET_GAPS, seq, buf, len);

	return ret < 0 ? ifbh_errno_from_usb(ret) : ret;
}

int ifbh_dev_times_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len)
{
	int ret = ifbh_dev_ctrl_value(user, IFB_REQ_GET_TIMES, seq, buf, len);

	return ret < 0 ? ifbh_errno_from_usb(ret) : ret;
}

int ifbh_dev_ctrl(struct ifbh_dev *dev, uint8_t req, bool in, uint8_t *buf, uint16_t len)
{
	int ret = libusb_control_transfer(dev->h, ifbh_req_type(in), req, 0, dev->desc.iface, buf,
					  len, IFBH_CTRL_TIMEOUT_MS);

	if (ret == LIBUSB_ERROR_NO_DEVICE)
		dev->gone = true;
	return ret;
}

static const char *refused_hint(int usb_err)
{
	return usb_err == LIBUSB_ERROR_PIPE
		       ? " (the device refused the request: is the iio-ffs-bridge daemon running?)"
		       : "";
}

/* GET_INFO into out and its channels' sign letters into sign. */
static int read_info(struct ifbh_dev *dev, struct ifbh_info *out, char sign[IFBH_MAX_CHANNELS],
		     char *errbuf)
{
	uint8_t *buf = malloc(IFB_MAX_REPLY);
	char msg[256];
	int ret;

	if (!buf)
		return ifbh_fail(errbuf, -ENOMEM, "out of memory");
	/*
	 * Offer our highest protocol version; a version-1 device stalls a
	 * GET_INFO with wValue != 0, then we speak version 1. Not so on an
	 * output stream's interface: only version 5 has them, and a device
	 * stalls a GET_INFO there that offers less.
	 */
	ret = ifbh_dev_ctrl_value(dev, IFB_REQ_GET_INFO, IFB_PROTOCOL_VERSION, buf, IFB_MAX_REPLY);
	if (ret == LIBUSB_ERROR_PIPE && dev->direction == IFBH_DIRECTION_IN)
		ret = ifbh_dev_ctrl(dev, IFB_REQ_GET_INFO, true, buf, IFB_MAX_REPLY);
	if (ret < 0) {
		free(buf);
		return ifbh_fail(errbuf, ifbh_errno_from_usb(ret), "GET_INFO failed: %s%s",
				 libusb_strerror(ret), refused_hint(ret));
	}
	ret = ifbh_parse_info_signs(buf, (size_t)ret, out, sign, msg, sizeof(msg));
	free(buf);
	if (ret)
		return ifbh_fail(errbuf, ret, "%s", msg);
	if (dev->direction == IFBH_DIRECTION_OUT && out->version < IFBH_OUTPUT_MIN_VERSION)
		return ifbh_fail(errbuf, -EPROTONOSUPPORT,
				 "interface %u is an output stream, which needs protocol version "
				 "%d, but the device agreed on version %u: refusing it",
				 dev->desc.iface, IFBH_OUTPUT_MIN_VERSION, out->version);
	return 0;
}

/*
 * Version 4: which stream this interface carries (GET_STREAM), checked
 * against the interface's place among the device's native ones (the
 * protocol's order: the k-th carries stream k). Before version 4 the
 * device has one stream, unnamed.
 */
static int read_stream(struct ifbh_dev *dev, const struct ifbh_list_entry *e, char *errbuf)
{
	uint8_t buf[sizeof(struct ifb_stream_info)];
	struct ifbh_stream_reply r;
	char msg[256];
	int ret;

	dev->stream_name[0] = '\0';
	dev->stream_index = 0;
	dev->stream_count = 1;
	if (dev->info.version < 4)
		return 0;
	ret = ifbh_dev_ctrl(dev, IFB_REQ_GET_STREAM, true, buf, sizeof(buf));
	if (ret < 0)
		return ifbh_fail(errbuf, ret == LIBUSB_ERROR_PIPE ? -EPROTO : ifbh_errno_from_usb(ret),
				 "GET_STREAM failed: %s (the device agreed on protocol version %u, "
				 "which has it)",
				 libusb_strerror(ret), dev->info.version);
	ret = ifbh_parse_stream(buf, (size_t)ret, &r, msg, sizeof(msg));
	if (ret)
		return ifbh_fail(errbuf, ret, "%s", msg);
	if (r.version != dev->info.version)
		return ifbh_fail(errbuf, -EBADMSG,
				 "GET_STREAM has version %u, GET_INFO agreed on %u", r.version,
				 dev->info.version);
	if (r.direction != dev->direction)
		return ifbh_fail(errbuf, -EBADMSG,
				 "interface %u is an %s stream's, but GET_STREAM says direction %u",
				 dev->desc.iface,
				 dev->direction == IFBH_DIRECTION_OUT ? "output" : "input",
				 r.direction);
	if (r.index != e->pos || r.count != e->nnative)
		return ifbh_fail(errbuf, -EBADMSG,
				 "interface %u says it carries stream %u of %u, but it is native "
				 "interface %u of %u",
				 dev->desc.iface, r.index, r.count, e->pos, e->nnative);
	memcpy(dev->stream_name, r.name, sizeof(dev->stream_name));
	dev->stream_index = r.index;
	dev->stream_count = r.count;
	return 0;
}

static const char *UDEV_HINT =
	"Hint: install conf/60-iio-ffs-bridge.rules into /etc/udev/rules.d/, run "
	"'udevadm control --reload' and replug the device (or run as root).";

int ifbh_dev_open(struct ifbh_ctx *ctx, const struct ifbh_list *l, size_t i,
		  struct ifbh_dev **ret_dev)
{
	struct ifbh_dev *dev;
	int ret;

	if (i >= l->n)
		return ifbh_fail(ctx->err, -EINVAL, "no device %zu in a list of %zu", i, l->n);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return ifbh_fail(ctx->err, -ENOMEM, "out of memory");
	dev->ctx = ctx;
	dev->desc = l->e[i].desc;
	dev->direction = l->e[i].dir;
	dev->usbdev = libusb_ref_device(l->e[i].dev);
	ret = libusb_open(dev->usbdev, &dev->h);
	if (ret == LIBUSB_ERROR_ACCESS) {
		ret = ifbh_fail(ctx->err, -EACCES,
				"permission denied opening the device at %s (%04x:%04x).\n%s",
				dev->desc.path, dev->desc.vid, dev->desc.pid, UDEV_HINT);
		goto err_unref;
	}
	if (ret) {
		ret = ifbh_fail(ctx->err, ifbh_errno_from_usb(ret),
				"cannot open the device at %s: %s", dev->desc.path,
				libusb_strerror(ret));
		goto err_unref;
	}
	libusb_set_auto_detach_kernel_driver(dev->h, 1);
	ret = libusb_claim_interface(dev->h, dev->desc.iface);
	if (ret == LIBUSB_ERROR_BUSY) {
		ret = ifbh_fail(ctx->err, -EBUSY,
				"interface %u of the device at %s is in use by another program",
				dev->desc.iface, dev->desc.path);
		goto err_close;
	}
	if (ret == LIBUSB_ERROR_ACCESS) {
		ret = ifbh_fail(ctx->err, -EACCES,
				"permission denied claiming interface %u.\n%s", dev->desc.iface,
				UDEV_HINT);
		goto err_close;
	}
	if (ret) {
		ret = ifbh_fail(ctx->err, ifbh_errno_from_usb(ret),
				"cannot claim interface %u: %s", dev->desc.iface,
				libusb_strerror(ret));
		goto err_close;
	}
	if (dev->desc.alt) {
		ret = libusb_set_interface_alt_setting(dev->h, dev->desc.iface, dev->desc.alt);
		if (ret) {
			ret = ifbh_fail(ctx->err, ifbh_errno_from_usb(ret),
					"cannot select alternate setting %u: %s", dev->desc.alt,
					libusb_strerror(ret));
			goto err_release;
		}
	}
	ret = read_info(dev, &dev->info, dev->sign, ctx->err);
	if (ret)
		goto err_release;
	ret = read_stream(dev, &l->e[i], ctx->err);
	if (ret)
		goto err_release;
	*ret_dev = dev;
	return 0;

err_release:
	if (ret != -ENODEV)
		libusb_release_interface(dev->h, dev->desc.iface);
err_close:
	libusb_close(dev->h);
err_unref:
	libusb_unref_device(dev->usbdev);
	free(dev);
	return ret;
}

/* Appends to a message of IFBH_ERR_LEN bytes, cutting what does not fit. */
static void append(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char *buf, const char *fmt, ...)
{
	size_t used = strnlen(buf, IFBH_ERR_LEN);
	va_list ap;

	if (used + 1 >= IFBH_ERR_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, IFBH_ERR_LEN - used, fmt, ap);
	va_end(ap);
}

/* Does the interface string hint at stream name? A version-4 daemon names
 * a named stream's interface "<its [usb] interface> NAME". */
static bool hints(const struct ifbh_list_entry *e, const char *name)
{
	size_t ls = strlen(e->iface_str), ln = strlen(name);

	return ln && ls > ln && e->iface_str[ls - ln - 1] == ' ' &&
	       !strcmp(e->iface_str + ls - ln, name);
}

int ifbh_list_open_stream(struct ifbh_ctx *ctx, const struct ifbh_list *l, const char *name,
			  struct ifbh_dev **ret_dev)
{
	char seen[IFBH_ERR_LEN] = "", failed[IFBH_ERR_LEN] = "";
	struct ifbh_dev *found = NULL, *dev;
	bool *asked;
	int first_err = 0, ret;

	asked = calloc(l->n ? l->n : 1, sizeof(*asked));
	if (!asked)
		return ifbh_fail(ctx->err, -ENOMEM, "out of memory");
	/*
	 * Asking a stream its name claims its interface, which fails while
	 * another program reads that stream (and makes that program's own
	 * claim fail meanwhile): first the entries whose interface string
	 * names the stream (read without a claim), then, for a device that
	 * has none such (an older daemon), the others in turn.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < l->n; i++) {
			const struct ifbh_list_entry *e = &l->e[i];
			const char *have;
			bool hinted = false;

			if (asked[i])
				continue;
			if (pass == 0 && !hints(e, name))
				continue;
			/* names are unique on a device: the rest of a matched one,
			 * and in the second pass a device that hinted, are skipped */
			if (found && !strcmp(found->desc.path, e->desc.path))
				continue;
			for (size_t k = 0; pass == 1 && k < l->n && !hinted; k++)
				hinted = asked[k] && !strcmp(l->e[k].desc.path, e->desc.path) &&
					 hints(&l->e[k], name);
			if (hinted)
				continue;
			asked[i] = true;
			ret = ifbh_dev_open(ctx, l, i, &dev);
			if (ret) {
				append(failed, "%s%s interface %u (%s)", *failed ? ", " : "",
				       e->desc.path, e->desc.iface, strerror(-ret));
				if (!first_err)
					first_err = ret;
				continue;
			}
			have = dev->stream_name;
			if (!ifbh_stream_name_matches(have, name)) {
				append(seen, "%s%s at %s", *seen ? ", " : "", *have ? have : "(unnamed)",
				       e->desc.path);
				ifbh_dev_close(dev);
				continue;
			}
			if (found) {
				ret = ifbh_fail(ctx->err, -ENOTUNIQ,
						"devices at %s and %s both have a stream \"%s\": choose "
						"one by serial number or bus path",
						found->desc.path, e->desc.path, name);
				ifbh_dev_close(dev);
				ifbh_dev_close(found);
				free(asked);
				return ret;
			}
			found = dev;
		}
	}
	free(asked);
	if (found) {
		*ret_dev = found;
		return 0;
	}
	ret = ifbh_fail(ctx->err, first_err ? first_err : -ENOENT, "no stream \"%s\"", name);
	if (!l->n)
		append(ctx->err, ": no iio-ffs-bridge device found");
	if (*seen)
		append(ctx->err, "; streams: %s", seen);
	if (*failed)
		append(ctx->err, "; could not ask %s", failed);
	return ret;
}

void ifbh_dev_close(struct ifbh_dev *dev)
{
	if (!dev)
		return;
	if (!dev->gone)
		libusb_release_interface(dev->h, dev->desc.iface);
	libusb_close(dev->h);
	libusb_unref_device(dev->usbdev);
	free(dev);
}

const char *ifbh_dev_error(const struct ifbh_dev *dev)
{
	return dev->err;
}

const struct ifbh_device_desc *ifbh_dev_desc(const struct ifbh_dev *dev)
{
	return &dev->desc;
}

const struct ifbh_info *ifbh_dev_info(const struct ifbh_dev *dev)
{
	return &dev->info;
}

/* A fresh GET_INFO becomes the device's description, signs included. */
static void take_info(struct ifbh_dev *dev, const struct ifbh_info *fresh,
		      const char sign[IFBH_MAX_CHANNELS])
{
	dev->info = *fresh;
	memcpy(dev->sign, sign, sizeof(dev->sign));
}

int ifbh_dev_get_info(struct ifbh_dev *dev, struct ifbh_info *ret_info)
{
	struct ifbh_info fresh;
	char sign[IFBH_MAX_CHANNELS];
	int ret = read_info(dev, &fresh, sign, dev->err);

	if (ret)
		return ret; /* ifbh_dev_info() keeps the last good reply */
	take_info(dev, &fresh, sign);
	if (ret_info)
		*ret_info = dev->info;
	return 0;
}

static int simple_request(struct ifbh_dev *dev, uint8_t req, const char *name)
{
	int ret = ifbh_dev_ctrl(dev, req, false, NULL, 0);

	if (ret < 0)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "%s failed: %s%s", name,
				 libusb_strerror(ret), refused_hint(ret));
	return 0;
}

/* The same scans: channel for channel, as parsed (names, types, offsets,
 * I/Q hints) and the scan size. */
static bool same_layout(const struct ifbh_info *a, const struct ifbh_info *b)
{
	if (a->num_channels != b->num_channels || a->scan_size != b->scan_size)
		return false;
	for (unsigned int i = 0; i < a->num_channels; i++)
		if (memcmp(&a->ch[i], &b->ch[i], sizeof(a->ch[i])) != 0)
			return false;
	return true;
}

/* What a host reads the stream by, changed from a to b: the channels (the
 * scan layout), their I/Q pairing, the rate. Into buf; false when none. */
static bool info_changes(const struct ifbh_info *a, const struct ifbh_info *b, char *buf,
			 size_t size)
{
	bool chans = a->num_channels != b->num_channels || a->scan_size != b->scan_size, iq = false;
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; !chans && i < a->num_channels; i++) {
		const struct ifbh_channel *x = &a->ch[i], *y = &b->ch[i];

		chans |= strcmp(x->name, y->name) || x->scan_index != y->scan_index ||
			 x->offset != y->offset || x->is_signed != y->is_signed ||
			 x->is_be != y->is_be || x->bits != y->bits ||
			 x->storage_bits != y->storage_bits || x->shift != y->shift ||
			 x->repeat != y->repeat;
		iq |= x->iq != y->iq || x->iq_partner != y->iq_partner;
	}
	if (chans)
		len += (size_t)snprintf(buf + len, size - len,
					"its channels (%u in %u-byte scans, now %u in %u-byte scans)",
					a->num_channels, a->scan_size, b->num_channels, b->scan_size);
	else if (iq)
		len += (size_t)snprintf(buf + len, size - len, "its I/Q pairs");
	if (a->sample_rate_mhz != b->sample_rate_mhz && len < size)
		len += (size_t)snprintf(buf + len, size - len,
					"%sits sample rate (%" PRIu64 ".%03u Hz, now %" PRIu64
					".%03u Hz)",
					len ? " and " : "", a->sample_rate_mhz / 1000,
					(unsigned)(a->sample_rate_mhz % 1000), b->sample_rate_mhz / 1000,
					(unsigned)(b->sample_rate_mhz % 1000));
	return len > 0;
}

/* Why the device stalled START: GET_STATUS (protocol version 3; 0 when
 * it tells nothing of a START), or 0. */
int ifbh_dev_start_status(struct ifbh_dev *dev)
{
	uint8_t buf[sizeof(struct ifb_status)];
	struct ifbh_status_reply st;
	char msg[256];
	int ret;

	if (dev->info.version < 3)
		return 0;
	ret = ifbh_dev_ctrl(dev, IFB_REQ_GET_STATUS, true, buf, sizeof(buf));
	if (ret < 0 || ifbh_parse_status(buf, (size_t)ret, &st, msg, sizeof(msg)))
		return 0;
	return st.request == IFB_REQ_START ? st.error : 0;
}

/* How many times START is tried again after the device said the
 * description changed, each time after reading it again. */
#define START_TRIES 4

int ifbh_dev_start(struct ifbh_dev *dev)
{
	struct ifbh_info fresh;
	char what[256], sign[IFBH_MAX_CHANNELS];
	int ret, why;

	for (int attempt = 1;; attempt++) {
		ret = ifbh_dev_ctrl(dev, IFB_REQ_START, false, NULL, 0);
		if (ret >= 0)
			return 0;
		if (ret != LIBUSB_ERROR_PIPE)
			return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "START failed: %s",
					 libusb_strerror(ret));
		/*
		 * Refused. protocol.md: a device whose stream description
		 * changed since GET_INFO (a reload) refuses START until the host
		 * reads GET_INFO again. A version-3 device says so in GET_STATUS
		 * (-ESTALE), an older one only by a description that differs.
		 */
		why = ifbh_dev_start_status(dev);
		if (why == -EBUSY)
			return ifbh_fail(dev->err, -EBUSY,
					 "the device refused START: busy, a libiio client is streaming");
		if (why && why != -ESTALE) /* its start failed: the board's errno, not ours */
			return ifbh_fail(dev->err, -EPROTO,
					 "the device refused START: its stream could not start (%s; "
					 "the iio-ffs-bridge daemon's log says more)",
					 strerror(-why));
		ret = read_info(dev, &fresh, sign, dev->err);
		if (ret)
			return ret;
		if (!info_changes(&dev->info, &fresh, what, sizeof(what))) {
			/* the same values ('s' may have become 'S') */
			memcpy(dev->sign, sign, sizeof(dev->sign));
			/* ESTALE: changed and changed back. No reason given (a
			 * daemon before GET_STATUS told START's, which refused
			 * any change, the block size's too): GET_INFO again
			 * was what it wanted. Once more either way. */
			if (attempt < START_TRIES && (why == -ESTALE || attempt == 1))
				continue;
			return ifbh_fail(dev->err, why ? why : -EPIPE,
					 "the device refused START%s",
					 why ? " (its description changes while we start)"
					     : " and gave no reason: see the iio-ffs-bridge daemon's "
					       "log");
		}
		if (!same_layout(&dev->info, &fresh))
			return ifbh_fail(dev->err, -ESTALE,
					 "the device refused START: %s changed since it was opened "
					 "(its configuration was reloaded): open it again",
					 what);
		/* Only the rate: the caller's buffers and fields still hold.
		 * Take the new description and ask again. */
		take_info(dev, &fresh, sign);
		if (attempt >= START_TRIES)
			return ifbh_fail(dev->err, -ESTALE,
					 "the device refused START %d times: its description keeps "
					 "changing (%s)", attempt, what);
	}
}

int ifbh_dev_stop(struct ifbh_dev *dev)
{
	return simple_request(dev, IFB_REQ_STOP, "STOP");
}

int ifbh_dev_start_with(struct ifbh_dev *dev, uint64_t cyclic, uint64_t at_ns)
{
	struct ifb_start data = {
		.flags = htole32((cyclic ? IFB_START_CYCLIC : 0) | (at_ns ? IFB_START_AT : 0)),
		.length = htole64(cyclic),
		.at_ns = htole64(at_ns),
	};
	/* a device of version 5 knows the 16 bytes only */
	uint16_t len = at_ns ? sizeof(data) : IFB_START_LEN_V5;
	const char *what = cyclic && at_ns ? "the timed cyclic waveform"
			   : cyclic	    ? "the cyclic waveform"
					    : "the timed burst";
	int ret, why;

	if (at_ns && dev->info.version < 6)
		return ifbh_fail(dev->err, -EOPNOTSUPP,
				 "the device speaks protocol version %u: a burst at a board time "
				 "needs 6",
				 dev->info.version);
	ret = ifbh_dev_ctrl(dev, IFB_REQ_START, false, (uint8_t *)&data, len);
	if (ret < 0 && ret != LIBUSB_ERROR_PIPE)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "START failed: %s",
				 libusb_strerror(ret));
	/* stalled (busy) or taken, GET_STATUS tells the outcome */
	why = ifbh_dev_start_status(dev);
	if (why == -ETIME)
		return ifbh_fail(dev->err, why,
				 "the burst is late: the device could not start it at board time "
				 "%" PRIu64 " ns (already past when it came to it); nothing of it "
				 "is played",
				 at_ns);
	if (why)
		return ifbh_fail(dev->err, why, "the device refused %s: %s%s", what,
				 strerror(-why),
				 why == -EINVAL && cyclic ? " (whole scans, at most the device's pool)"
				 : why == -ERANGE	    ? " (more than an hour ahead of the board's "
							      "clock)"
				 : why == -EOPNOTSUPP
					 ? " (a cyclic waveform or a board time needs the stream in "
					   "zero-copy mode)"
					 : "");
	if (ret < 0)
		return ifbh_fail(dev->err, -EPROTO, "the device stalled START with data without "
				 "telling why (GET_STATUS)");
	return 0;
}

int ifbh_dev_stop_at(struct ifbh_dev *dev, uint64_t end)
{
	struct ifb_stop data = { .end = htole64(end) };
	int ret = ifbh_dev_ctrl(dev, IFB_REQ_STOP, false, (uint8_t *)&data, sizeof(data));

	if (ret < 0)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "STOP failed: %s%s",
				 libusb_strerror(ret), refused_hint(ret));
	return 0;
}

int ifbh_dev_get_stats(struct ifbh_dev *dev, struct ifbh_stats *ret_stats)
{
	uint8_t buf[sizeof(struct ifb_stats)];
	char msg[256];
	int ret = ifbh_dev_ctrl(dev, IFB_REQ_GET_STATS, true, buf, sizeof(buf));

	if (ret < 0)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "GET_STATS failed: %s%s",
				 libusb_strerror(ret), refused_hint(ret));
	ret = ifbh_parse_stats(buf, (size_t)ret, ret_stats, msg, sizeof(msg));
	if (ret)
		return ifbh_fail(dev->err, ret, "%s", msg);
	return 0;
}

static const char *rate_refusal(int error)
{
	switch (error) {
	case -EBUSY:
		return "a stream runs (stop it first)";
	case -ENOENT:
		return "the IIO device has no sampling_frequency attribute";
	case -EACCES:
		return "the IIO device's sampling_frequency is read-only";
	case -ERANGE:
		return "out of range (1 mHz to 1 THz)";
	default:
		return NULL;
	}
}

int ifbh_dev_set_sample_rate(struct ifbh_dev *dev, uint64_t rate_mhz, uint64_t *ret_rate_mhz)
{
	struct ifb_set_rate data = { .rate_mhz = htole64(rate_mhz) };
	uint8_t buf[sizeof(struct ifb_status)];
	struct ifbh_info fresh;
	struct ifbh_status_reply st;
	char msg[256], sign[IFBH_MAX_CHANNELS];
	int set, ret;

	if (dev->info.version < 3)
		return ifbh_fail(dev->err, -EOPNOTSUPP,
				 "the device speaks protocol version %u: setting the sample rate "
				 "needs version 3 (update the daemon)",
				 dev->info.version);
	if (rate_mhz < IFB_RATE_MHZ_MIN || rate_mhz > IFB_RATE_MHZ_MAX)
		return ifbh_fail(dev->err, -ERANGE,
				 "sample rate %" PRIu64 " mHz: expected 1 mHz to 1 THz", rate_mhz);
	/* stalled or not, GET_STATUS tells the outcome */
	set = ifbh_dev_ctrl(dev, IFB_REQ_SET_SAMPLE_RATE, false, (uint8_t *)&data, sizeof(data));
	if (set < 0 && set != LIBUSB_ERROR_PIPE)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(set), "SET_SAMPLE_RATE failed: %s",
				 libusb_strerror(set));
	ret = ifbh_dev_ctrl(dev, IFB_REQ_GET_STATUS, true, buf, sizeof(buf));
	if (ret < 0)
		return ifbh_fail(dev->err, ifbh_errno_from_usb(ret), "GET_STATUS failed: %s",
				 libusb_strerror(ret));
	ret = ifbh_parse_status(buf, (size_t)ret, &st, msg, sizeof(msg));
	if (ret)
		return ifbh_fail(dev->err, ret, "%s", msg);
	if (st.request != IFB_REQ_SET_SAMPLE_RATE || (set < 0 && st.error == 0))
		return ifbh_fail(dev->err, -EPROTO,
				 "the device %s SET_SAMPLE_RATE but its GET_STATUS tells no "
				 "outcome of it",
				 set < 0 ? "stalled" : "took");
	if (st.error)
		return ifbh_fail(dev->err, st.error,
				 "the device refused sample rate %" PRIu64 ".%03u Hz: %s (it is at %" PRIu64
				 ".%03u Hz)",
				 rate_mhz / 1000, (unsigned)(rate_mhz % 1000),
				 rate_refusal(st.error) ?: strerror(-st.error), st.rate_mhz / 1000,
				 (unsigned)(st.rate_mhz % 1000));
	if (ret_rate_mhz)
		*ret_rate_mhz = st.rate_mhz;
	/* The rate the device took, in a fresh GET_INFO read aside: dev->info
	 * changes only if it parses, and only while the scan layout is the one
	 * the caller built its buffers and fields from at open. */
	ret = read_info(dev, &fresh, sign, dev->err);
	if (ret)
		return ret;
	if (!same_layout(&fresh, &dev->info)) {
		dev->info.sample_rate_mhz = fresh.sample_rate_mhz;
		return ifbh_fail(dev->err, -ESTALE,
				 "the device's scan layout changed since it was opened (a config "
				 "reload?): close and open it again");
	}
	take_info(dev, &fresh, sign);
	return 0;
}

const char *ifbh_dev_stream_name(const struct ifbh_dev *dev)
{
	return dev->stream_name;
}

unsigned int ifbh_dev_stream_index(const struct ifbh_dev *dev)
{
	return dev->stream_index;
}

unsigned int ifbh_dev_stream_count(const struct ifbh_dev *dev)
{
	return dev->stream_count;
}

int ifbh_dev_channel_sign(const struct ifbh_dev *dev, unsigned int i)
{
	return i < dev->info.num_channels ? dev->sign[i] : -ERANGE;
}

int ifbh_dev_direction(const struct ifbh_dev *dev)
{
	return (int)dev->direction;
}

int64_t ifbh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ifbh_dev_clock_sync(struct ifbh_dev *dev, unsigned int rounds)
{
	uint8_t buf[sizeof(struct ifb_clock)];
	struct ifbh_clock_reply c;
	char msg[256];

	struct ifbh_clock_est fresh = { 0 };

	if (dev->info.version < 6)
		return -EOPNOTSUPP;
	/* a fresh estimate: the two clocks drift apart, an old tight round
	 * trip says less than a new loose one */
	for (unsigned int i = 0; i < rounds; i++) {
		int64_t t0 = ifbh_now_ns(), t1;
		int ret = ifbh_dev_ctrl_value(dev, IFB_REQ_GET_CLOCK, 0, buf, sizeof(buf));

		t1 = ifbh_now_ns();
		if (ret < 0)
			return ifbh_errno_from_usb(ret);
		ret = ifbh_parse_clock(buf, (size_t)ret, &c, msg, sizeof(msg));
		if (ret < 0) {
			ifbh_log(dev->ctx, IFBH_LOG_WARNING, "%s", msg);
			return ret;
		}
		ifbh_clock_est_add(&fresh, t0, t1, &c);
	}
	if (fresh.valid)
		dev->clk = fresh;
	return 0;
}

int ifbh_dev_clock(struct ifbh_dev *dev, unsigned int rounds, struct ifbh_time_model *ret)
{
	int r;

	if (!ret || ret->size == 0)
		return -EINVAL;
	if (dev->info.version < 6)
		return ifbh_fail(dev->err, -EOPNOTSUPP,
				 "the device speaks protocol version %u: board time needs 6",
				 dev->info.version);
	r = ifbh_dev_clock_sync(dev, rounds ? rounds : 8);
	if (r < 0)
		return ifbh_fail(dev->err, r, "GET_CLOCK failed: %s", strerror(-r));
	ifbh_timebook_model(NULL, (double)dev->info.sample_rate_mhz / 1000.0, &dev->clk, ret);
	return 0;
}

/*
 * One reading of the device's rings into fresh books: GET_STATS, the
 * gaps it counts, the marks up to its bytes_sent. 0; 1 when a reply
 * names another stream than GET_STATS (one began meanwhile); -errno with
 * the message in dev->err.
 */
static int read_rings(struct ifbh_dev *dev, struct ifbh_stats *st, struct ifbh_gaps *g,
		      struct ifbh_timebook *b, struct ifbh_gaps_reply *gr,
		      struct ifbh_times_reply *tr)
{
	char msg[256];
	int ret = ifbh_dev_get_stats(dev, st);

	if (ret < 0 || st->stream_id == 0)
		return ret;
	gr->stream_id = tr->stream_id = st->stream_id;
	ret = ifbh_gaps_fetch(g, st->gaps_total, ifbh_dev_gaps_get, dev, gr, msg, sizeof(msg));
	if (ret == -EBADMSG && gr->stream_id != st->stream_id)
		return 1; /* a later reply of the fetch was of a new stream */
	if (ret < 0)
		return ifbh_fail(dev->err, ret, "%s", msg);
	ret = ifbh_timebook_fetch(b, st->bytes_sent, g, ifbh_dev_times_get, dev, true, tr, msg,
				  sizeof(msg));
	if (ret == -EBADMSG && tr->stream_id != st->stream_id)
		return 1;
	if (ret < 0)
		return ifbh_fail(dev->err, ret, "%s", msg);
	return (g->stream_id && g->stream_id != st->stream_id) ||
	       (b->replied && b->stream_id != st->stream_id);
}

int ifbh_dev_time_model(struct ifbh_dev *dev, struct ifbh_time_model *ret,
			struct ifbh_mark_ring *ret_ring)
{
	double nominal = (double)dev->info.sample_rate_mhz / 1000.0;
	struct ifbh_gaps_reply *gr = NULL;
	struct ifbh_times_reply *tr = NULL;
	struct ifbh_mark_ring ring;
	const struct ifbh_clock_est no_clock = { 0 }, *clk = &dev->clk;
	struct ifbh_timebook b;
	struct ifbh_stats st;
	struct ifbh_gaps g;
	int r = 1;

	if (!ret || ret->size == 0 || (ret_ring && ret_ring->size == 0))
		return -EINVAL;
	if (dev->info.version < 6)
		return ifbh_fail(dev->err, -EOPNOTSUPP,
				 "the device speaks protocol version %u: board time needs 6",
				 dev->info.version);
	if (dev->direction == IFBH_DIRECTION_OUT)
		return ifbh_fail(dev->err, -EOPNOTSUPP,
				 "an output stream has no time marks (they are of the blocks an "
				 "ADC finishes)");
	gr = malloc(sizeof(*gr));
	tr = malloc(sizeof(*tr));
	if (!gr || !tr) {
		r = ifbh_fail(dev->err, -ENOMEM, "out of memory");
		goto out_free;
	}
	ifbh_gaps_init(&g);
	/* the marks: a timestamp channel's values were in the data, which
	 * the board does not keep */
	ifbh_timebook_init(&b, dev->info.scan_size, nominal, false);
	/* a stream that began between the requests: read the new one */
	for (int tries = 0; r == 1 && tries < 3; tries++) {
		if (tries) {
			ifbh_gaps_free(&g);
			ifbh_timebook_free(&b);
			ifbh_gaps_init(&g);
			ifbh_timebook_init(&b, dev->info.scan_size, nominal, false);
		}
		r = read_rings(dev, &st, &g, &b, gr, tr);
	}
	if (r == 1)
		r = ifbh_fail(dev->err, -EAGAIN,
			      "a new stream began while the marks of stream %" PRIu32
			      " were read, three times over",
			      st.stream_id);
	if (r < 0)
		goto out;
	/* the clock fields, and the board's CLOCK_MONOTONIC now */
	r = ifbh_dev_clock_sync(dev, 8);
	if (r == -ENODEV) {
		r = ifbh_fail(dev->err, r, "the device disconnected");
		goto out;
	}
	if (r < 0) {
		/* the model stands without them */
		ifbh_log(dev->ctx, IFBH_LOG_WARNING,
			 "GET_CLOCK failed (%s): the time model without the board's clock",
			 strerror(-r));
		clk = &no_clock;
		r = 0;
	}
	ifbh_timebook_model(&b, nominal, clk, ret);
	if (ret_ring) {
		memset(&ring, 0, sizeof(ring));
		ring.stream_id = st.stream_id;
		if (st.stream_id) {
			ring.state = st.state;
			ring.bytes_sent = st.bytes_sent;
			ring.marks_total = tr->marks_total;
			ring.marks_lost = b.lost;
		}
		if (b.tm.marks) {
			int64_t now, host = ifbh_now_ns(), off;

			ring.newest_offset = b.tm.last_off;
			ring.newest_board_ns = b.tm.last_ns;
			/* board now = host now - (host - board); the model took
			 * only times within int64_t's range; a hostile clock
			 * reply's offset may not subtract: no age */
			if (ifbh_clock_est_offset(clk, host, &off, NULL) < 0 ||
			    __builtin_sub_overflow(host, off, &now) ||
			    __builtin_sub_overflow(now, (int64_t)b.tm.last_ns, &ring.newest_age_ns))
				ring.newest_age_ns = 0;
		}
		ring.size = ret_ring->size < sizeof(ring) ? ret_ring->size : sizeof(ring);
		memcpy(ret_ring, &ring, ring.size);
	}
out:
	ifbh_gaps_free(&g);
	ifbh_timebook_free(&b);
out_free:
	free(gr);
	free(tr);
	return r;
}
