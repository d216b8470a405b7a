// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost, private: the objects' shared parts (context, device) and the
 * one error convention: negative errno, and a message kept in the handle
 * the caller holds (the context for find/open, the device for the rest).
 */
#ifndef IFBH_INTERNAL_H
#define IFBH_INTERNAL_H

#include <libusb.h>
#include <stdarg.h>

#include "host/times.h"
#include "ifbhost.h"

#define IFBH_ERR_LEN 512
#define IFBH_CTRL_TIMEOUT_MS 2000
/* The protocol version that has output streams (protocol.h). */
#define IFBH_OUTPUT_MIN_VERSION 5


struct ifbh_ctx {
	libusb_context *usb;
	ifbh_log_fn log;
	void *log_user;
	char err[IFBH_ERR_LEN];
};

struct ifbh_dev {
	struct ifbh_ctx *ctx;
	libusb_device *usbdev; /* referenced */
	libusb_device_handle *h;
	struct ifbh_device_desc desc;
	struct ifbh_info info;
	char sign[IFBH_MAX_CHANNELS]; /* info's channels' sign letters: 'u', 's', 'S', 'U' */
	/* GET_STREAM (protocol version 4); "", 0 and 1 before it */
	char stream_name[IFBH_NAME_LEN];
	unsigned int stream_index, stream_count;
	/* enum ifbh_direction: the interface's (bInterfaceProtocol), which
	 * GET_STREAM confirms */
	unsigned int direction;
	bool gone; /* the device disconnected: do not release the interface */
	struct ifbh_clock_est clk; /* GET_CLOCK round trips (version 6) */
	char err[IFBH_ERR_LEN];
};

/*
 * One entry per native interface (per stream): a device's entries come
 * together, in interface order. pos: the entry's place among its
 * device's native interfaces (which is its stream's index, protocol
 * version 4), of nnative.
 */
struct ifbh_list_entry {
	struct ifbh_device_desc desc;
	libusb_device *dev; /* referenced */
	uint8_t pos, nnative;
	uint8_t dir; /* enum ifbh_direction */
	/* The interface's string (iInterface; "" none or unreadable): a
	 * version-4 daemon ends it with the stream's name, a hint read
	 * without claiming the interface (GET_STREAM has the last word). */
	char iface_str[128];
};

struct ifbh_list {
	struct ifbh_list_entry *e;
	size_t n, cap, denied;
};

/* A native interface of a configuration: the first of its alternate
 * settings with our class and subclass and either protocol
 * IFB_USB_PROTOCOL and a bulk IN endpoint (an input stream) or, protocol
 * version 5, IFB_USB_PROTOCOL_OUT and a bulk OUT endpoint (an output
 * stream). ep_in holds the endpoint's address whichever its direction
 * (the name of struct ifbh_device_desc's field, frozen since 1.0). */
struct ifbh_iface_slot {
	uint8_t iface, alt, ep_in;
	uint16_t max_packet;
	uint8_t istr; /* iInterface */
	uint8_t dir;  /* enum ifbh_direction */
};
/* The configuration's native interfaces of both directions, in interface
 * order (the k-th carries stream k), into out[0..max); returns how many
 * there are (may exceed max). Pure. */
size_t ifbh_native_ifaces(const struct libusb_config_descriptor *cfg, struct ifbh_iface_slot *out,
			  size_t max);

/* Store a message in buf and return ret (a negative errno). */
int ifbh_fail(char *buf, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ifbh_log(const struct ifbh_ctx *ctx, enum ifbh_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* libusb error (LIBUSB_ERROR_*) to negative errno. */
int ifbh_errno_from_usb(int usb_err);
double ifbh_now(void);
/* usbfs's limit on memory in flight for all its users (0: none/unknown). */
uint64_t ifbh_usbfs_limit(void);

/* Synchronous vendor request on our interface; returns bytes or a libusb error. */
int ifbh_dev_ctrl(struct ifbh_dev *dev, uint8_t req, bool in, uint8_t *buf, uint16_t len);
/* An output stream's STOP with its data stage: the data ends at stream
 * offset end (protocol.h, struct ifb_stop). 0 or -errno (message in
 * dev->err). */
int ifbh_dev_stop_at(struct ifbh_dev *dev, uint64_t end);
/* An output stream's START with its data stage (struct ifb_start): a
 * cyclic waveform of cyclic bytes (0: none), at board time at_ns (0: at
 * once; version 6). The outcome from GET_STATUS: 0 or -errno (message in
 * dev->err). */
int ifbh_dev_start_with(struct ifbh_dev *dev, uint64_t cyclic, uint64_t at_ns);
/* What GET_STATUS tells of the last START (protocol version 3): 0, its
 * -errno (a timed burst that missed its time: -ETIME), or 0 when it
 * cannot tell. */
int ifbh_dev_start_status(struct ifbh_dev *dev);
uint8_t ifbh_req_type(bool in);
/* The same with a wValue (GET_INFO's version, GET_GAPS's sequence number). */
int ifbh_dev_ctrl_value(struct ifbh_dev *dev, uint8_t req, uint16_t value, uint8_t *buf,
			uint16_t len);

/* GET_GAPS with wValue seq, synchronously: the reply's length or a
 * negative errno (user: the struct ifbh_dev; an ifbh_gaps_get_fn). */
int ifbh_dev_gaps_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len);
/* GET_TIMES the same way (version 6; an ifbh_gaps_get_fn too). */
int ifbh_dev_times_get(void *user, uint16_t seq, uint8_t *buf, uint16_t len);
/* The host's CLOCK_MONOTONIC in ns. */
int64_t ifbh_now_ns(void);
/*
 * Version 6: rounds GET_CLOCK round trips into a fresh dev->clk (earlier
 * ones are dropped, as the clocks drift; a stream adds one a second). 0, -EOPNOTSUPP before version 6, or the first failure's -errno
 * (a bad reply: -EBADMSG/-EPROTO, logged once; dev->clk is then kept).
 */
int ifbh_dev_clock_sync(struct ifbh_dev *dev, unsigned int rounds);

#endif
