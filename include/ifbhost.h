/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libifbhost: the host side of an iio-ffs-bridge USB device.
 *
 * An iio-ffs-bridge device streams the scans of an IIO device over a
 * bulk IN endpoint and answers a few vendor control requests (GET_INFO,
 * START, STOP, GET_STATS, GET_GAPS, SET_SAMPLE_RATE, GET_STATUS,
 * GET_STREAM; docs/protocol.md). From protocol version 4 a device may
 * serve several such streams, each on its own USB interface with its own
 * state: the library lists and opens each one on its own (a struct
 * ifbh_dev is one stream of a device). This library finds such
 * devices, reads what they stream (the scan layout), starts and stops the
 * stream, keeps many libusb bulk transfers in flight, and tells where the
 * device reported missing samples ("gaps").
 *
 * Objects (each opaque, each with a _new/_open and a _free/_close):
 *   struct ifbh_ctx     a libusb context plus the last error message of
 *                       calls that have no other handle (find, open)
 *   struct ifbh_list    the matching devices' streams found by ifbh_find()
 *   struct ifbh_dev     one opened stream of a device (its interface
 *                       claimed, GET_INFO read): "device" below
 *   struct ifbh_stream  one stream of a device: transfers, gaps, delivery
 *
 * Errors: every function that can fail returns 0 (or a count) on success
 * and a negative errno on failure; a sentence saying what failed is then
 * available from ifbh_ctx_error() (ifbh_find, ifbh_dev_open) or
 * ifbh_dev_error() (everything on a device or its stream). The errno
 * values used:
 *   -ENODEV      the device is gone (unplugged, disconnected)
 *   -EACCES      permission denied opening the device or its interface
 *   -EBUSY       the interface is claimed by another program
 *   -EPIPE       the device refused (stalled) a request: no daemon?
 *   -EPROTO, -EBADMSG, -EPROTONOSUPPORT
 *                a reply that is not our protocol, is malformed, or has a
 *                protocol version this library does not speak
 *   -ECONNRESET  the device ended the stream without being asked to (an
 *                end-of-stream packet, or GET_STATS idle, before any STOP)
 *   -ETIMEDOUT   a control request or the end of a stream timed out
 *   -EOPNOTSUPP  the device's protocol version lacks the request
 *   -ERANGE      a value out of the protocol's range
 *   -ENOENT, -ENOTUNIQ
 *                no stream of that name, or several devices have one
 *                (ifbh_list_open_stream)
 *   -ENOMEM, -EINVAL, -EIO (other USB errors)
 *
 * Thread safety: a context and everything made from it (lists, devices,
 * streams) may be used by one thread at a time; callbacks run inside
 * ifbh_stream_poll() / ifbh_stream_read() on the calling thread. Different
 * contexts are independent and may be used from different threads.
 *
 * Units: offsets and sizes are bytes of the stream (offset 0 is the first
 * byte of a stream after START); "scans" hold one sample of every enabled
 * channel; rates are scans per second.
 */
#ifndef IFBHOST_H
#define IFBHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version. The major is the soname's (libifbhost.so.1):
 * 1.0 grew struct ifbh_channel (iq, iq_partner), which changed the size
 * of struct ifbh_info, so programs built against 0.x must be rebuilt.
 * From 1.0 on the library grows by added functions only ("added in 1.1"
 * below says how). */
#define IFBH_VERSION_MAJOR 1
#define IFBH_VERSION_MINOR 5
#define IFBH_VERSION_MICRO 0

/* Sizes of the wire protocol's fixed strings and lists (protocol.h). */
#define IFBH_NAME_LEN 32
#define IFBH_CHANNEL_NAME_LEN 24
#define IFBH_MAX_CHANNELS 64
#define IFBH_STATS_MAX_GAPS 32

/* Stream mode and state as the device reports them (protocol.h). */
/* How the device moves blocks (protocol.h enum ifb_mode): hybrid reads the
 * IIO buffer into DMABUFs that USB sends (one CPU copy). */
enum ifbh_mode { IFBH_MODE_ZERO_COPY = 1, IFBH_MODE_COPY = 2, IFBH_MODE_HYBRID = 3 };
enum ifbh_state { IFBH_STATE_IDLE = 0, IFBH_STATE_STREAMING = 1, IFBH_STATE_STOPPING = 2 };

/* One enabled channel, in scan order (IIO's *_type and *_index). */
struct ifbh_channel {
	char name[IFBH_CHANNEL_NAME_LEN]; /* e.g. "voltage0", NUL-terminated */
	unsigned int scan_index;
	unsigned int offset;       /* byte offset of the channel within a scan */
	unsigned int is_signed;    /* 0 or 1: 'S' reads 1, 'U' 0 (ifbh_dev_channel_sign) */
	unsigned int is_be;        /* 0 little-endian, 1 big-endian */
	unsigned int bits;         /* valid bits */
	unsigned int storage_bits; /* 8, 16, 32 or 64 */
	unsigned int shift;        /* right shift before masking to bits */
	unsigned int repeat;       /* samples of this channel per scan, >= 1 */
	/*
	 * The device's I/Q hint (protocol version 3, its config's [iio] iq;
	 * 0 from older devices): enum ifbh_iq_role, and the index in
	 * ifbh_info.ch of the other half of the pair (checked: it names this
	 * channel back with the other role).
	 */
	unsigned int iq;
	unsigned int iq_partner;
};

enum ifbh_iq_role { IFBH_IQ_ROLE_NONE = 0, IFBH_IQ_ROLE_I = 1, IFBH_IQ_ROLE_Q = 2 };

/* GET_INFO: what the device streams (the scan layout) and how. */
struct ifbh_info {
	unsigned int version; /* the device's protocol version */
	unsigned int mode;    /* enum ifbh_mode */
	unsigned int state;   /* enum ifbh_state, when GET_INFO was read */
	unsigned int num_channels; /* 1..IFBH_MAX_CHANNELS */
	uint32_t block_size;  /* bytes per device block, a whole number of scans */
	uint32_t block_count; /* blocks in the device's pool */
	uint32_t scan_size;   /* bytes per scan, > 0 */
	uint64_t sample_rate_mhz; /* scans per second in milli-hertz; 0: unknown */
	char device_name[IFBH_NAME_LEN]; /* IIO device name */
	struct ifbh_channel ch[IFBH_MAX_CHANNELS];
};

/* GET_STATS: the device's counters for the current (or last) stream. */
struct ifbh_stats {
	unsigned int version, mode, state;
	unsigned int num_gaps; /* entries in gap_offset */
	uint32_t stream_id;    /* 1 for the device's first stream, +1 per START */
	uint64_t bytes_sent;   /* bytes of this stream the device has sent */
	uint64_t blocks_sent;
	uint64_t starvations;  /* times the ADC ran out of blocks */
	uint64_t adc_errors;   /* blocks the ADC failed */
	uint64_t usb_errors;   /* transfers that failed on the device */
	uint64_t gaps_total;   /* gaps in this stream, >= num_gaps */
	uint64_t gap_offset[IFBH_STATS_MAX_GAPS]; /* the most recent, oldest first */
};

/* Names for logs: "zero-copy"/"copy", "idle"/"streaming"/"stopping". */
const char *ifbh_mode_name(unsigned int mode);
const char *ifbh_state_name(unsigned int state);
/* (1.5) current_timestamp_clock's word for an enum ifbh_ts_clock
 * ("realtime", "monotonic", ...), "none" or "unknown". */
const char *ifbh_ts_clock_name(unsigned int clock);
/*
 * (1.5) The index in info->ch of IIO's timestamp channel (named
 * "timestamp", s64 ns of the device's timestamp clock, 64-bit storage,
 * once per scan: IIO_CHAN_SOFT_TIMESTAMP), or -ENOENT.
 */
int ifbh_info_timestamp_channel(const struct ifbh_info *info);

/* --- the scan layout as typed fields -------------------------------------- */

/* How ifbh_layout_fields() pairs channels into complex (I/Q) fields. */
enum ifbh_iq {
	IFBH_IQ_NONE = 0,     /* every channel is its own real field */
	IFBH_IQ_BY_NAME = 1,  /* "X_i" followed by "X_q" (IIO's I/Q modifiers) */
	IFBH_IQ_ADJACENT = 2, /* every two neighbouring channels, I first */
	IFBH_IQ_DEVICE = 3,   /* the pairs the device names (ifbh_channel.iq), others real */
};

/*
 * One field of a scan. A real field is one channel; an I/Q field is two
 * channels of the same type, Q stored right after I (bytes apart), both
 * with repeat 1.
 */
struct ifbh_field {
	char name[IFBH_CHANNEL_NAME_LEN]; /* channel name; for I/Q the I name without "_i" */
	unsigned int offset;   /* byte offset in the scan */
	unsigned int count;    /* samples per scan (the channel's repeat) */
	unsigned int bytes;    /* storage bytes of one component: 1, 2, 4 or 8 */
	bool is_signed, is_be;
	bool iq;               /* two components, I at offset, Q at offset + bytes */
	unsigned int ch, ch_q; /* index in ifbh_info.ch of the (I) channel and of Q */
	char typestr[4];       /* numpy array-interface type of one component, "<i2" */
};

/*
 * The fields of a scan, in scan order, into out[0..max). *ret_n gets the
 * count (<= num_channels). Returns 0, or -EINVAL when IFBH_IQ_ADJACENT
 * (or IFBH_IQ_BY_NAME for an "_i" channel, IFBH_IQ_DEVICE for a pair the
 * device names) finds channels that cannot pair (different types,
 * repeat > 1, Q not right after I, odd count), or -ENOSPC when max is
 * too small. Pure: no device needed.
 */
int ifbh_layout_fields(const struct ifbh_info *info, enum ifbh_iq iq, struct ifbh_field *out,
		       size_t max, size_t *ret_n);

/* --- context ------------------------------------------------------------ */

struct ifbh_ctx;

enum ifbh_log_level { IFBH_LOG_WARNING = 1, IFBH_LOG_INFO = 2 };
/* Receives notes the library does not treat as errors (one line, no '\n'). */
typedef void (*ifbh_log_fn)(void *user, enum ifbh_log_level level, const char *msg);

/* Returns 0 or -ENOMEM / -EIO (libusb could not start). */
int ifbh_ctx_new(struct ifbh_ctx **ret_ctx);
/* Accepts NULL. Every list, device and stream of it must be freed first. */
void ifbh_ctx_free(struct ifbh_ctx *ctx);
/* The message of the last failed ifbh_find()/ifbh_dev_open(); "" if none. */
const char *ifbh_ctx_error(const struct ifbh_ctx *ctx);
/* Notes go to fn (NULL: dropped, the default). */
void ifbh_ctx_set_log(struct ifbh_ctx *ctx, ifbh_log_fn fn, void *user);

/* --- finding devices ------------------------------------------------------ */

/* Which devices ifbh_find() returns; a zeroed struct matches every device. */
struct ifbh_match {
	bool have_vidpid;
	uint16_t vid, pid;
	const char *serial; /* NULL: any */
	const char *path;   /* bus path "BUS-PORT[.PORT]...", NULL: any */
};

enum ifbh_speed { /* the values of libusb's enum libusb_speed */
	IFBH_SPEED_UNKNOWN = 0,
	IFBH_SPEED_LOW = 1,
	IFBH_SPEED_FULL = 2,
	IFBH_SPEED_HIGH = 3,
	IFBH_SPEED_SUPER = 4,
	IFBH_SPEED_SUPER_PLUS = 5,
};

/* One found device's stream (its interface): where it is, what it says
 * about itself. The entries of one device share path and the strings. */
struct ifbh_device_desc {
	char path[40];     /* bus path, "1-2.3" */
	uint16_t vid, pid;
	uint8_t iface, alt; /* our interface (class ff/49/01) and its setting */
	uint8_t ep_in;      /* its bulk IN endpoint address (an output stream's, listed by
			     * ifbh_find_streams of 1.3: its bulk OUT one) */
	uint16_t max_packet; /* bytes per packet of that endpoint */
	int speed;           /* enum ifbh_speed */
	bool strings_ok;     /* could be opened to read the strings below */
	int open_error;      /* negative errno of that attempt, 0 if none */
	char manufacturer[128], product[128], serial[128];
};

struct ifbh_list;

/*
 * Every USB device with an iio-ffs-bridge interface (class 0xff, subclass
 * 0x49, protocol 0x01, a bulk IN endpoint) that matches m (NULL: all).
 * One entry per such interface, i.e. per stream (protocol version 4 gives
 * each stream its own; older devices have one): a device's entries come
 * one after the other, in interface order, the first being its stream 0
 * (the one a host of protocol version 1 to 3 is served). Nothing is
 * opened or claimed but to read the strings: names come at open
 * (ifbh_dev_stream_name, ifbh_list_open_stream). Input streams only: a
 * device's output streams (protocol version 5, 1.3) are listed by
 * ifbh_find_streams().
 * Returns 0 and a list (possibly empty; free with ifbh_list_free), or a
 * negative errno (message in ifbh_ctx_error).
 */
int ifbh_find(struct ifbh_ctx *ctx, const struct ifbh_match *m, struct ifbh_list **ret_list);
void ifbh_list_free(struct ifbh_list *list); /* accepts NULL */
size_t ifbh_list_count(const struct ifbh_list *list);
/* Devices that matched by descriptor but could not be opened to compare
 * their serial number (permission): not in the list. */
size_t ifbh_list_denied(const struct ifbh_list *list);
/* Entry i < ifbh_list_count(), owned by the list. */
const struct ifbh_device_desc *ifbh_list_get(const struct ifbh_list *list, size_t i);
/* One line for humans ("1d6b:0104 at 1-1, high-speed, "..." serial ..."). */
void ifbh_device_describe(const struct ifbh_device_desc *d, char *buf, size_t len);
const char *ifbh_speed_name(int speed);

/* --- a device ------------------------------------------------------------ */

struct ifbh_dev;

/*
 * Opens entry i of list, claims the interface, selects its alternate
 * setting and reads GET_INFO (and, protocol version 4, GET_STREAM: a
 * device whose answer is malformed or disagrees with its interface
 * order is refused with -EBADMSG). The device stays valid after the list is
 * freed. Returns 0 or a negative errno (message in ifbh_ctx_error):
 * -EACCES, -EBUSY, -ENODEV, -EPIPE, -EPROTO/-EBADMSG/-EPROTONOSUPPORT,
 * -ETIMEDOUT, -EIO, -ENOMEM, -EINVAL (i out of range).
 */
int ifbh_dev_open(struct ifbh_ctx *ctx, const struct ifbh_list *list, size_t i,
		  struct ifbh_dev **ret_dev);
/* Releases the interface (unless the device is gone). Accepts NULL. A
 * stream of it must be freed first. */
void ifbh_dev_close(struct ifbh_dev *dev);
/* The message of the device's (or its stream's) last error; "" if none. */
const char *ifbh_dev_error(const struct ifbh_dev *dev);
const struct ifbh_device_desc *ifbh_dev_desc(const struct ifbh_dev *dev);
/* The GET_INFO read by ifbh_dev_open() (or the last ifbh_dev_get_info()). */
const struct ifbh_info *ifbh_dev_info(const struct ifbh_dev *dev);

/*
 * Synchronous control requests (2 s timeout each). Not while a stream of
 * this device has transfers in flight: the stream sends its own.
 * ifbh_dev_get_info also refreshes ifbh_dev_info() (only with a reply
 * that parses: a failed one leaves it as it was).
 */
int ifbh_dev_get_info(struct ifbh_dev *dev, struct ifbh_info *ret_info);
/*
 * START. A device that refuses it because its description changed since
 * GET_INFO (a config reload on the board; docs/protocol.md) is read again:
 * when only the sample rate changed, ifbh_dev_info() takes the new one and
 * START is sent again (up to 4 times); when the channels, their layout or
 * their I/Q pairs changed, -ESTALE and ifbh_dev_error() names what changed
 * (buffers and fields built from the old layout would read wrongly: open
 * the device again). Other refusals carry the cause the device gives in
 * GET_STATUS: -EBUSY (a libiio client streams), -EPROTO with the board's
 * errno in ifbh_dev_error() (its stream could not start); a device that
 * gives none (before GET_STATUS told START's) is asked once more after
 * GET_INFO, then -EPIPE.
 */
int ifbh_dev_start(struct ifbh_dev *dev);
int ifbh_dev_stop(struct ifbh_dev *dev);
int ifbh_dev_get_stats(struct ifbh_dev *dev, struct ifbh_stats *ret_stats);
/*
 * Sets the IIO device's sampling_frequency (SET_SAMPLE_RATE, protocol
 * version 3), rate_mhz in milli-hertz (scans per second * 1000), 1 to
 * 10^15; then reads GET_INFO again, so ifbh_dev_info() shows the rate
 * the device took (the driver may round it). Only while no stream runs.
 * *ret_rate_mhz (may be NULL) gets the rate read back from the device.
 * Returns 0, or a negative errno with a message in ifbh_dev_error():
 *   -EOPNOTSUPP  the device speaks protocol version 1 or 2 (nothing sent)
 *   -EBUSY       a stream runs (on this or the libiio interface)
 *   -ENOENT      the IIO device has no sampling_frequency attribute
 *   -EACCES      its sampling_frequency is read-only
 *   -ERANGE      rate_mhz out of range (checked here and by the device)
 *   -ESTALE      the rate was set, but the device's scan layout is no
 *                longer the one it had at open (its config was reloaded):
 *                ifbh_dev_info() keeps the old layout with the new rate;
 *                close the device and open it again
 *   any errno the kernel driver refused the value with (often -EINVAL)
 *   and the errors of a control request (-ENODEV, -ETIMEDOUT, -EPROTO...)
 */
int ifbh_dev_set_sample_rate(struct ifbh_dev *dev, uint64_t rate_mhz, uint64_t *ret_rate_mhz);

/* --- a stream -------------------------------------------------------------- */

struct ifbh_stream;

struct ifbh_stream_opts {
	/* Bulk transfers in flight; 0: 16 (but at most half of usbfs's
	 * memory limit, so that a second stream of the device fits beside:
	 * 7 under the default 16 MiB). Asked for (either field not 0), as many
	 * as fit in all but a sixteenth of the limit. */
	unsigned int transfers;
	size_t transfer_size;   /* bytes each; 0: 1 MiB; rounded up to whole packets */
	/*
	 * Seconds between GET_STATS polls while streaming; 0: 1 s with a data
	 * callback, 0.05 s in pull mode (pull mode holds data until the device
	 * has confirmed the gaps before it, so it polls more often).
	 */
	double stats_period;
};

/*
 * A gap: samples are missing between stream byte offset-1 and offset.
 * When the device reported more gaps between two GET_STATS polls than its
 * list holds, their offsets are unknown: exact is false, count gaps lie
 * somewhere in [lo, hi] (offset is then lo).
 */
struct ifbh_gap {
	uint64_t offset;
	bool exact;
	uint64_t count, lo, hi;
};

/* Called with every chunk of the stream, in order, from offset on. data is
 * valid during the call only. Return 0; a negative errno stops the stream
 * and becomes its error. */
typedef int (*ifbh_data_fn)(void *user, const void *data, size_t len, uint64_t offset);
/* Called once per gap, in stream order, when a GET_STATS reply reveals it:
 * usually after the data around it was delivered. */
typedef void (*ifbh_gap_fn)(void *user, const struct ifbh_gap *gap);
/* Called after every GET_STATS reply of the stream (and the final one). */
typedef void (*ifbh_stats_fn)(void *user, const struct ifbh_stats *stats);

/*
 * Allocates the transfers (fewer or smaller ones when usbfs's memory
 * limit, /sys/module/usbcore/parameters/usbfs_memory_mb, shared by every
 * program reading USB, would refuse them: a note says so; see
 * struct ifbh_stream_opts). opts may be NULL. Returns 0 or -ENOMEM/-EINVAL.
 */
int ifbh_stream_new(struct ifbh_dev *dev, const struct ifbh_stream_opts *opts,
		    struct ifbh_stream **ret_stream);
/* Cancels what is in flight (waiting up to 5 s). Accepts NULL. */
void ifbh_stream_free(struct ifbh_stream *s);
unsigned int ifbh_stream_transfers(const struct ifbh_stream *s);
size_t ifbh_stream_transfer_size(const struct ifbh_stream *s);

/*
 * Delivery: with a data callback the stream is in callback mode (data as
 * it arrives, gaps later through the gap callback); without one it is in
 * pull mode (ifbh_stream_read). Set before ifbh_stream_start().
 */
void ifbh_stream_set_data_cb(struct ifbh_stream *s, ifbh_data_fn fn, void *user);
void ifbh_stream_set_gap_cb(struct ifbh_stream *s, ifbh_gap_fn fn, void *user);
void ifbh_stream_set_stats_cb(struct ifbh_stream *s, ifbh_stats_fn fn, void *user);

/*
 * Starts the stream: if the device is streaming already (an earlier host
 * that did not stop) sends STOP; reads and discards what waits in the
 * endpoint; submits every transfer; sends START. Once per stream object.
 * Returns 0 or a negative errno.
 */
int ifbh_stream_start(struct ifbh_stream *s);
/* Bytes of an earlier stream discarded by ifbh_stream_start(). */
uint64_t ifbh_stream_stale_bytes(const struct ifbh_stream *s);

/*
 * Asks the device to stop (STOP, asynchronously): data keeps arriving up
 * to its end-of-stream packet. Safe inside a data callback. Returns 0.
 */
int ifbh_stream_stop(struct ifbh_stream *s);
/* Stops waiting for the end of the stream: cancels every transfer. */
void ifbh_stream_cancel(struct ifbh_stream *s);

/*
 * Runs the stream for up to timeout_ms (callbacks are called from here):
 * returns 0 while the stream goes on, 1 once it has ended (end-of-stream
 * packet, disconnect, cancel or error) and every transfer is back; the
 * final GET_STATS has then been read. Ended by an error, it still returns
 * 1: see ifbh_stream_status()->error. Negative only for misuse (-EINVAL).
 */
int ifbh_stream_poll(struct ifbh_stream *s, int timeout_ms);

/* Where a pulled chunk sits in the stream. */
struct ifbh_read_info {
	uint64_t offset; /* stream offset of its first byte */
	bool gap;        /* the device reported missing samples right before it */
};

/*
 * Pull mode: copies the next bytes of the stream into buf, at most len,
 * never across a gap (a chunk either starts at a gap, info->gap, or has
 * none before it). Returns only bytes the device has confirmed the gaps
 * of, so a gap is never reported after its data. Waits up to timeout_ms
 * (-1: no limit) for data. Returns the number of bytes (> 0), 0 when the
 * stream has ended and everything was read, -EAGAIN on timeout, or the
 * stream's error once its data is exhausted.
 */
ssize_t ifbh_stream_read(struct ifbh_stream *s, void *buf, size_t len,
			 struct ifbh_read_info *info, int timeout_ms);
/*
 * The same in whole scans: buf holds max_scans * scan_size bytes; scans
 * split across transfers are reassembled. Returns the number of scans.
 */
ssize_t ifbh_stream_read_scans(struct ifbh_stream *s, void *buf, size_t max_scans,
			       struct ifbh_read_info *info, int timeout_ms);

/* What happened to a stream so far. */
struct ifbh_stream_status {
	uint64_t received;     /* bytes received from the device */
	bool started;          /* START was acknowledged */
	bool stop_sent;        /* STOP was sent (or is being) */
	bool eos;              /* the end-of-stream packet arrived */
	bool ended;            /* ifbh_stream_poll() returned 1 */
	bool stuck;            /* transfers libusb never gave back */
	int error;             /* first error (negative errno), 0 if none */
	unsigned int host_errors; /* failed bulk transfers on this host */
	unsigned int proto_errors; /* bad or failed GET_STATS (and GET_GAPS, GET_TIMES, GET_CLOCK) replies */
	bool have_stats;       /* stats below are valid */
	struct ifbh_stats stats; /* the last GET_STATS reply */
	uint64_t gaps;         /* gaps known (listed + unlisted) */
	uint64_t gaps_unlisted; /* of those, without a known offset */
	double t_start, t_end; /* CLOCK_MONOTONIC seconds: START sent, stream ended */
	struct timespec start_wall; /* CLOCK_REALTIME just before START was sent */
};
const struct ifbh_stream_status *ifbh_stream_status(const struct ifbh_stream *s);

/*
 * The listed gaps so far, stream order: *ret_offsets (owned by the stream,
 * valid until the next poll/read) and their count.
 */
size_t ifbh_stream_gap_offsets(const struct ifbh_stream *s, const uint64_t **ret_offsets);

/* --- added in 1.1 ---------------------------------------------------------- */
/*
 * How this library grows: the structs above are frozen as they were in
 * 1.0 (a program allocates them or indexes their arrays, so their size is
 * ABI) and never gain a field; a fact added later comes through a new
 * function, exported under a new version node of the soname (1.1:
 * LIBIFBHOST_1.1 in libifbhost.map). A program that uses a function of a
 * minor version needs at least that version; nothing is ever removed, so
 * programs built against 1.0 keep working with every 1.x.
 */

/*
 * The ranges of gaps the device counted without listing their offsets
 * (more gaps between two polls than its reply lists: see struct ifbh_gap,
 * exact false): how many ranges so far.
 */
size_t ifbh_stream_unlisted_gaps(const struct ifbh_stream *s);
/*
 * Range i (< ifbh_stream_unlisted_gaps(), oldest first) into *ret_gap:
 * count gaps somewhere in [lo, hi], offset = lo, exact false. 0, or
 * -ERANGE when i is out of range.
 */
int ifbh_stream_unlisted_gap(const struct ifbh_stream *s, size_t i, struct ifbh_gap *ret_gap);

/* --- added in 1.2: several streams per device (protocol version 4) ------- */

/*
 * The stream the device (its interface) carries, as GET_STREAM told at
 * open: its name (letters, digits, '-' and '_', unique on the device;
 * "main" for a daemon with one unnamed stream in its config), its index
 * (0..count-1, the daemon's config order; stream 0 is the one a host of
 * protocol version 1 to 3 is served) and the number of native streams the
 * device serves. A device of protocol version 1 to 3 names no stream:
 * name "", index 0, count 1. The name is owned by dev.
 */
const char *ifbh_dev_stream_name(const struct ifbh_dev *dev);
unsigned int ifbh_dev_stream_index(const struct ifbh_dev *dev);
unsigned int ifbh_dev_stream_count(const struct ifbh_dev *dev);

/*
 * The sign letter of channel i (< ifbh_dev_info()->num_channels) as the
 * kernel's scan type gives it: 'u' or 's', and from protocol version 4 'S'
 * (signed, already sign-extended by the driver to storage_bits: ADI's
 * AD9361-class drivers) or 'U'. struct ifbh_channel's is_signed says 1
 * for 's' and 'S', 0 for 'u' and 'U', which reads every value right;
 * this is for a program that shows or passes on the type. A device
 * before version 4 sends 's' for 'S' and 'u' for 'U'. Returns the
 * letter, or -ERANGE when i is out of range.
 */
int ifbh_dev_channel_sign(const struct ifbh_dev *dev, unsigned int i);

/*
 * Entry i's stream index as its place tells it, without opening it: the
 * k-th native interface of a device carries stream k (docs/protocol.md),
 * so 0 is a device's first entry (and an old device's only one). Returns
 * it, or -ERANGE when i is out of range.
 */
int ifbh_list_stream_index(const struct ifbh_list *list, size_t i);

/*
 * Opens the stream called name among the list's entries: each entry is
 * opened in list order (claiming its interface, reading GET_INFO and
 * GET_STREAM) and closed again unless it is the one, and a device's
 * remaining entries are skipped once one of them matched, so a device's
 * earlier streams are opened briefly (not later ones). A device of protocol
 * version 1 to 3 has one unnamed stream, which answers to "main" (what a
 * version-4 daemon calls the stream of the same single-stream config).
 * Returns 0 and *ret_dev (close with ifbh_dev_close), or a negative errno
 * with a message in ifbh_ctx_error() that names the streams there are:
 *   -ENOENT    no entry has a stream of that name
 *   -ENOTUNIQ  two devices have one (narrow the list: serial, path)
 *   the errno of the first entry that could not be opened (-EBUSY,
 *   -EACCES, ...), when none matched and some could not be asked
 *   -ENOMEM
 */
int ifbh_list_open_stream(struct ifbh_ctx *ctx, const struct ifbh_list *list, const char *name,
			  struct ifbh_dev **ret_dev);

/* --- added in 1.3: output streams (protocol version 5) ----------------- */
/* (Its structs, struct ifbh_writer_opts and struct ifbh_writer_status, are
 * frozen at their 1.3 size as the others at 1.0's.) */
/*
 * An output stream carries samples the other way, host to device, to an
 * IIO output buffer (a DAC): its interface has bInterfaceProtocol 2 and a
 * bulk OUT endpoint, and a device serves it only to a host of protocol
 * version 5 (docs/protocol.md, "Output streams"). ifbh_find() and every
 * function of 1.0 to 1.2 keep seeing input streams alone, so that their
 * programs never mistake an output stream for one to read;
 * ifbh_find_streams() lists output streams too, ifbh_writer_*() plays to
 * them.
 */

/* Which way a stream carries samples (protocol.h enum ifb_direction). */
enum ifbh_direction {
	IFBH_DIRECTION_IN = 0,  /* device to host: an ADC's samples, read with ifbh_stream_* */
	IFBH_DIRECTION_OUT = 1, /* host to device: a DAC's, written with ifbh_writer_* */
};

/* The directions ifbh_find_streams() lists: a mask. */
#define IFBH_FIND_IN 1u
#define IFBH_FIND_OUT 2u

/*
 * ifbh_find() for the streams of the directions in dirs (IFBH_FIND_IN,
 * IFBH_FIND_OUT or both): ifbh_find(ctx, m, ret) is
 * ifbh_find_streams(ctx, m, IFBH_FIND_IN, ret). Entries in interface
 * order, both directions mixed; an entry's direction is
 * ifbh_list_direction()'s, its stream index (ifbh_list_stream_index)
 * counts the streams of both directions, and its desc's ep_in holds its
 * endpoint's address, an OUT one (bit 7 clear) for an output stream.
 * ifbh_list_open_stream() and ifbh_dev_open() open entries of either
 * direction: an output stream's only when the device agrees on protocol
 * version 5 or later (else -EPROTONOSUPPORT, which says so). Returns 0 or a
 * negative errno as ifbh_find(), and -EINVAL for dirs 0 or unknown bits.
 */
int ifbh_find_streams(struct ifbh_ctx *ctx, const struct ifbh_match *m, unsigned int dirs,
		      struct ifbh_list **ret_list);
/* Entry i's direction (enum ifbh_direction), or -ERANGE when i is out of
 * range. */
int ifbh_list_direction(const struct ifbh_list *list, size_t i);
/*
 * The direction of the stream the device carries (enum ifbh_direction),
 * as its interface says and GET_STREAM confirmed at open.
 * ifbh_stream_new() refuses an output stream (-EINVAL), ifbh_writer_new()
 * an input stream.
 */
int ifbh_dev_direction(const struct ifbh_dev *dev);

/*
 * A writer: plays samples to an output stream, keeping bulk OUT
 * transfers in flight as a stream keeps IN ones. Its own object, not a
 * direction of struct ifbh_stream: a stream's calls are about delivery
 * (callbacks or pull reads, the device's end-of-stream packet, stale data
 * in the endpoint), a writer's about filling buffers and waiting for the
 * DAC, and struct ifbh_stream_status is frozen with a reader's fields.
 * What they share, the book of gaps from GET_STATS and GET_GAPS, is one
 * piece of code inside the library; here a gap is an underflow.
 *
 * Its life: ifbh_writer_new(), ifbh_writer_start() (START), then
 * ifbh_writer_write() or ifbh_writer_write_scans() as often as needed
 * (each copies into free transfer buffers and submits every one it fills),
 * then ifbh_writer_end() (the rest, STOP, and the wait until the DAC has
 * played the last sample) or ifbh_writer_cancel(); ifbh_writer_free().
 * Every call runs libusb's events and, every stats_period, a GET_STATS
 * (and the GET_GAPS it calls for) on the calling thread: the callbacks
 * are called from inside them. Data are whole scans in the layout of
 * ifbh_dev_info() (ifbh_layout_fields): the device plays a block up to
 * its last whole scan.
 */
struct ifbh_writer;

struct ifbh_writer_opts {
	/* Bulk transfers in flight; 0: 8 (fewer when usbfs's memory limit,
	 * half of it for this writer, would refuse them; at least 2). */
	unsigned int transfers;
	/* Bytes each, rounded up to whole device blocks (ifbh_info.block_size,
	 * a whole number of scans), so that every full transfer ends the
	 * device's blocks where the device would; 0: the whole blocks
	 * closest to 1 MiB (at least one). */
	size_t transfer_size;
	/* Seconds between GET_STATS polls while writing; 0: 0.5 s. */
	double stats_period;
};

/* What happened to a writer so far. */
struct ifbh_writer_status {
	uint64_t queued;    /* bytes ifbh_writer_write() took */
	uint64_t submitted; /* bytes handed to USB */
	uint64_t sent;      /* bytes the device took (transfers completed) */
	uint64_t dropped;   /* bytes of a partial scan ifbh_writer_end() did not send */
	bool started;       /* START was acknowledged */
	bool stop_sent;     /* STOP was sent */
	bool played;        /* GET_STATS said idle after STOP: every sample left the DAC */
	bool ended;         /* ifbh_writer_end() or ifbh_writer_cancel() is done */
	int error;          /* first error (negative errno), 0 if none */
	unsigned int host_errors;  /* bulk transfers that failed on this host */
	unsigned int proto_errors; /* bad or failed GET_STATS / GET_GAPS / GET_TIMES /
				    * GET_CLOCK replies */
	bool have_stats;    /* stats below are valid */
	struct ifbh_stats stats; /* the last GET_STATS reply: bytes_sent = bytes given to
				  * the DAC, starvations = underflows */
	uint64_t underflows;          /* underflows known (listed + unlisted) */
	uint64_t underflows_unlisted; /* of those, without a known offset */
	double t_start, t_end; /* CLOCK_MONOTONIC seconds: START sent, DAC done / cancelled */
};

/*
 * A writer for dev, an output stream (ifbh_dev_direction() ==
 * IFBH_DIRECTION_OUT; an input stream is refused with -EINVAL). Allocates
 * the transfers. opts may be NULL. Returns 0 or -EINVAL (options out of
 * range, an input stream), -ENOMEM; the message in ifbh_dev_error().
 * One writer per device at a time; no ifbh_dev_* request while it runs.
 */
int ifbh_writer_new(struct ifbh_dev *dev, const struct ifbh_writer_opts *opts,
		    struct ifbh_writer **ret_writer);
/* Cancels a writer not ended (ifbh_writer_cancel) and frees it. Accepts NULL. */
void ifbh_writer_free(struct ifbh_writer *w);
unsigned int ifbh_writer_transfers(const struct ifbh_writer *w);
size_t ifbh_writer_transfer_size(const struct ifbh_writer *w);

/*
 * Called once per underflow, in stream order, when a GET_STATS reply
 * reveals it: gap->offset is the stream offset of the first byte played
 * after the DAC ran dry (exact false: count underflows somewhere in
 * [lo, hi], their offsets lost). Set before ifbh_writer_start().
 */
void ifbh_writer_set_underflow_cb(struct ifbh_writer *w, ifbh_gap_fn fn, void *user);
/* Called after every GET_STATS reply (the final one included). */
void ifbh_writer_set_stats_cb(struct ifbh_writer *w, ifbh_stats_fn fn, void *user);

/*
 * Starts the stream: a device still playing an earlier stream (a host
 * that did not end it) is sent STOP and waited for (up to 10 s, then
 * -EBUSY); then START (as ifbh_dev_start(), with its errors: -ESTALE,
 * -EBUSY, -EPROTO...). Once per writer. Returns 0 or a negative errno.
 */
int ifbh_writer_start(struct ifbh_writer *w);

/*
 * Starts a cyclic stream instead (protocol version 5, IFB_START_CYCLIC):
 * wave, len bytes (whole scans, at most the device's pool: block_size x
 * block_count of ifbh_dev_info()), is sent once and the DAC repeats it
 * with no further USB traffic until ifbh_writer_end() (STOP; the DAC
 * stops) or ifbh_writer_cancel(). The device repeats a one-block waveform
 * in the DAC (IIO's cyclic flag) and queues a longer one's blocks again
 * as they play (an underflow if it falls behind). Waits up to timeout_ms
 * (-1: no limit) for the device to take the waveform. No
 * ifbh_writer_write() after it. Returns 0, -EINVAL (a waveform out of
 * range, started already), -ETIMEDOUT, or as ifbh_writer_start() (the
 * device's refusal from GET_STATUS).
 */
int ifbh_writer_start_cyclic(struct ifbh_writer *w, const void *wave, size_t len,
			     int timeout_ms);

/*
 * Copies up to len bytes of buf into free transfer buffers, submitting
 * each one it fills; waits up to timeout_ms (-1: no limit, 0: not at all)
 * for a transfer to come back when none is free. The bytes are the
 * stream's next ones (a scan may be split across calls; only whole scans
 * are ever sent). Returns the bytes taken (> 0; fewer than len when the
 * time ran out), -EAGAIN when none could be taken in time, -EINVAL before
 * start or after end, or the writer's error (-ENODEV, -EIO...: the
 * stream is then over; end or cancel it).
 */
ssize_t ifbh_writer_write(struct ifbh_writer *w, const void *buf, size_t len, int timeout_ms);
/*
 * The same in whole scans: buf holds nscans * scan_size bytes; returns
 * the scans taken. -EINVAL when what was written before is not whole
 * scans.
 */
ssize_t ifbh_writer_write_scans(struct ifbh_writer *w, const void *buf, size_t nscans,
				int timeout_ms);

/*
 * Runs the writer for up to timeout_ms without writing: transfers
 * coming back, GET_STATS when due (the callbacks are called from here).
 * For a program that waits between writes. Returns 0, or the writer's
 * error.
 */
int ifbh_writer_poll(struct ifbh_writer *w, int timeout_ms);

/*
 * Ends the stream: submits what is buffered (whole scans: a partial
 * scan's bytes are dropped, status->dropped; a zero-length packet after
 * it when its length is a multiple of the endpoint's packet size, so
 * that the device's block ends there), waits for every transfer, sends
 * STOP and polls GET_STATS until the device is idle: the DAC has played
 * every sample (status->played). Then reads the last underflows.
 * timeout_ms (-1: no limit) bounds the whole wait, which lasts as long as
 * the device's queued blocks take to play: on -ETIMEDOUT call it again to
 * wait on, or cancel. Returns 0, -ETIMEDOUT, or the writer's error (the
 * stream was still stopped: STOP is sent whatever happened).
 */
int ifbh_writer_end(struct ifbh_writer *w, int timeout_ms);
/*
 * Gives up: cancels the transfers in flight (waiting up to 5 s for them)
 * and sends STOP. What the device holds already is still played. The
 * writer has ended (status->ended; played false).
 */
void ifbh_writer_cancel(struct ifbh_writer *w);

const struct ifbh_writer_status *ifbh_writer_status(const struct ifbh_writer *w);
/*
 * The listed underflows so far, stream order: *ret_offsets (owned by
 * the writer, valid until its next call) and their count.
 */
size_t ifbh_writer_underflow_offsets(const struct ifbh_writer *w, const uint64_t **ret_offsets);

/* --- added in 1.4: board time (protocol version 6) ----------------------- */

/*
 * A device of protocol version 6 tells when its converter finished each
 * block, by the board's CLOCK_MONOTONIC (docs/protocol.md "Board time").
 * A stream (reader) of such a device keeps a time model: the converter's
 * real rate, measured from those marks over the whole stream (one rate
 * for the stream: a crystal's drift over minutes is below the marks'
 * jitter), and, per gap-free run, where its scans fall on the board's
 * clock. A gap starts a new run placed by its own marks, so the model
 * needs no count of the samples a gap lost. ifbh_stream_start() also
 * measures the host's clock against the board's (GET_CLOCK round trips).
 * Marks are fetched with the GET_STATS polls, before the data they cover
 * is handed to a pull-mode reader: the time of what ifbh_stream_read()
 * returned is known when it returns.
 */

/* Where the board's times come from (enum ifb_time_source). */
enum ifbh_time_source {
	IFBH_TIME_NONE = 0,  /* no board time: a device before version 6, or no mark yet */
	IFBH_TIME_FENCE = 1, /* the DMABUF fence's signal time (zero-copy): microseconds late */
	IFBH_TIME_READ = 2,  /* when the daemon's read() returned (hybrid, copy): up to a
			      * block late */
	IFBH_TIME_TIMESTAMP = 3, /* (1.5) the device's own timestamp channel: each
				  * transfer's first scan as its driver stamped it, on a
				  * clock the board relates to MONOTONIC (timestamp_clock) */
};

/*
 * The clock of a stream's IIO timestamp channel (protocol version 7: the
 * device's current_timestamp_clock when the stream started; enum
 * ifb_ts_clock, whose names ifbh_ts_clock_name() gives).
 */
enum ifbh_ts_clock {
	IFBH_TS_CLOCK_NONE = 0, /* no timestamp channel, or a device before version 7 */
	IFBH_TS_CLOCK_REALTIME = 1,
	IFBH_TS_CLOCK_MONOTONIC = 2,
	IFBH_TS_CLOCK_MONOTONIC_RAW = 3,
	IFBH_TS_CLOCK_REALTIME_COARSE = 4,
	IFBH_TS_CLOCK_MONOTONIC_COARSE = 5,
	IFBH_TS_CLOCK_BOOTTIME = 6,
	IFBH_TS_CLOCK_TAI = 7,
	IFBH_TS_CLOCK_UNKNOWN = 255, /* a timestamp channel whose clock the board could not tell */
};

/* The board's clock state (GET_CLOCK's flags, adjtimex(2) on the board). */
#define IFBH_CLOCK_SYNCED 0x1u     /* a daemon (NTP, PTP, GNSS) disciplines CLOCK_REALTIME */
#define IFBH_CLOCK_PPS 0x2u        /* a PPS signal is present */
#define IFBH_CLOCK_TAI_SET 0x4u    /* the kernel knows TAI - UTC */
#define IFBH_CLOCK_STATE_KNOWN 0x8u /* the board could tell (else the above mean nothing) */

/*
 * A stream's time model. The caller sets size to sizeof(struct
 * ifbh_time_model); the library fills that many bytes (a later version
 * may append fields; an older program's smaller struct is filled as far
 * as it goes).
 */
struct ifbh_time_model {
	size_t size;              /* set by the caller */
	int source;               /* enum ifbh_time_source */
	uint64_t marks;           /* marks taken into the model */
	uint64_t runs;            /* gap-free runs (1 + gaps placed) */
	double nominal_hz;        /* GET_INFO's rate; 0 unknown */
	double rate_hz;           /* measured scans per second of board time; 0 until a run
				   * holds two marks */
	double ppm;               /* (rate_hz / nominal_hz - 1) * 1e6; 0 without both */
	double jitter_ns;         /* rms distance of new marks from the model's prediction */
	int clock_known;          /* the fields below hold a GET_CLOCK estimate */
	int64_t host_offset_ns;   /* host CLOCK_MONOTONIC - board CLOCK_MONOTONIC */
	int64_t host_offset_unc_ns; /* the offset is within this at clock_at_ns (half the
				     * tightest recent round trip) */
	int64_t realtime_offset_ns; /* board CLOCK_REALTIME - board CLOCK_MONOTONIC */
	int64_t tai_offset_ns;    /* board CLOCK_TAI - board CLOCK_MONOTONIC */
	unsigned int clock_flags; /* IFBH_CLOCK_* */
	uint32_t esterror_us;     /* the board's estimate of its REALTIME's error */
	/* 1.5 */
	int timestamp_clock;      /* enum ifbh_ts_clock of the stream's timestamp channel:
				   * its values are the model's marks (source TIMESTAMP)
				   * when it is MONOTONIC, or REALTIME, TAI or BOOTTIME and
				   * clock_known; MONOTONIC_RAW (another rate) and the
				   * _COARSE clocks (a tick early) are recorded, not modelled */
	uint64_t refused;         /* marks the model refused (out of order, out of range) */
	/*
	 * 1.5: the clock estimate moves. A stream measures host against board
	 * at START and then once a second (GET_CLOCK round trips); the two
	 * crystals differ by tens of ppm. host_offset_ns and its uncertainty
	 * are as of host CLOCK_MONOTONIC clock_at_ns; once the round trips
	 * span 4 s the drift is known: the offset at host time h is
	 * host_offset_ns + clock_drift_ppm * 1e-6 * (h - clock_at_ns), within
	 * host_offset_unc_ns + clock_drift_unc_ppm * 1e-6 * |h - clock_at_ns|
	 * (ifbh_stream_host_time() applies it). A drift within its bound of 0
	 * is not applied (the offset stays host_offset_ns; its bound grows by
	 * |clock_drift_ppm| + clock_drift_unc_ppm, at most 200 ppm). Until
	 * the drift is measured (clock_drift_known 0) the offset is the
	 * tightest recent round trip's and its bound grows by 200 ppm (two
	 * crystals rated +/- 100 ppm: an assumption, which clock_drift_unc_ppm
	 * then says). A sample's host time is refined as the estimate is: it
	 * may move within its bound from one read to the next.
	 */
	int64_t clock_at_ns;
	int clock_drift_known;
	double clock_drift_ppm;      /* d(host - board) / d(host time), ppm */
	double clock_drift_unc_ppm;
	uint64_t clock_rounds;       /* GET_CLOCK round trips taken */
};

/*
 * (1.5) host CLOCK_MONOTONIC - board CLOCK_MONOTONIC at host time host_ns
 * (CLOCK_MONOTONIC ns), by a model's clock fields and the rule above, and
 * its uncertainty (ret_unc may be NULL): board now = host now - *ret_off.
 * 0; -EINVAL (NULL, or a struct too small for the 1.5 fields); -EAGAIN
 * (clock_known 0); -ERANGE.
 */
int ifbh_time_model_offset(const struct ifbh_time_model *m, int64_t host_ns, int64_t *ret_off,
			   int64_t *ret_unc);

/*
 * The board's clocks against the host's, now: rounds GET_CLOCK round
 * trips (0: 8), the tightest of them kept (as the device's estimate from
 * then on, for its streams too; it replaces the earlier one, since the
 * two clocks drift apart: a stream measures it at its START and then once
 * a second, and follows the drift: struct ifbh_time_model's clock_drift_*
 * fields). Synchronous: not to be called while another thread runs a
 * stream of the device. Fills the clock fields of *ret (see size; marks
 * 0, nominal_hz GET_INFO's). 0, -EINVAL (size 0), -EOPNOTSUPP (a device
 * before version 6), or a failed request's -errno; message in
 * ifbh_dev_error().
 */
int ifbh_dev_clock(struct ifbh_dev *dev, unsigned int rounds, struct ifbh_time_model *ret);
/* Fills *ret (see size). 0, -EINVAL (size 0), or -EOPNOTSUPP: the
 * device speaks a protocol version before 6 (no board time). */
int ifbh_stream_time_model(const struct ifbh_stream *s, struct ifbh_time_model *ret);
/*
 * The board time (CLOCK_MONOTONIC ns) of the scan starting at stream
 * offset off (e.g. ifbh_read_info.offset). 0; -EAGAIN: no mark of off's
 * run yet; -EOPNOTSUPP: a device before version 6.
 */
int ifbh_stream_board_time(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns);
/* The same on the host's CLOCK_MONOTONIC (through the GET_CLOCK estimate):
 * -EAGAIN also when there is none. */
int ifbh_stream_host_time(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns);
/* The same on the board's CLOCK_REALTIME (ns since 1970, UTC, as the board
 * knows it: see IFBH_CLOCK_SYNCED). */
int ifbh_stream_realtime(const struct ifbh_stream *s, uint64_t off, int64_t *ret_ns);

/*
 * A timed burst (protocol version 6): starts the writer as
 * ifbh_writer_start() does, but the stream's first sample is to leave the
 * DAC at board_ns, the board's CLOCK_MONOTONIC (ifbh_dev_clock() tells
 * it: board now = host CLOCK_MONOTONIC now - host_offset_ns). Write as
 * usual: the device takes blocks until its pool is full and holds its DAC
 * until then (docs/protocol.md "Timed bursts": how precisely). A burst the
 * device cannot start then (no block had arrived, or the time was past
 * by more than a millisecond when it came to it) is late: nothing of it
 * is played, never later than asked, and the writer's calls return
 * -ETIME from when the writer learns it (a GET_STATS poll, at the latest
 * ifbh_writer_end()), status->played false, the message in
 * ifbh_dev_error(). Returns 0, -EINVAL (board_ns <= 0, started already),
 * -EOPNOTSUPP (a device before version 6, or a stream not in zero-copy
 * mode), -ERANGE (more than an hour ahead), -ETIME (already found late),
 * or as ifbh_writer_start().
 */
int ifbh_writer_start_at(struct ifbh_writer *w, int64_t board_ns);

/* --- added in 1.5: the board's time model without a stream -------------- */

/*
 * Which stream the marks ifbh_dev_time_model() read are of, and how much
 * of it the device still held. The caller sets size to sizeof(struct
 * ifbh_mark_ring); the library fills that many bytes (a later version
 * may append fields; a smaller struct is filled as far as it goes).
 */
struct ifbh_mark_ring {
	size_t size;             /* set by the caller */
	uint32_t stream_id;      /* GET_STATS': the current stream, or the last one when idle;
				  * 0: none since the daemon started (then nothing below) */
	int state;               /* that stream's, when read: enum ifbh_state (IDLE: it ended) */
	uint64_t bytes_sent;     /* its bytes so far (GET_STATS) */
	uint64_t marks_total;    /* marks the device made in it (GET_TIMES) */
	uint64_t marks_lost;     /* of those, the ones its ring no longer held (it keeps
				  * the 1024 newest): not in the model (nor are the ones
				  * it made beyond bytes_sent while this was read) */
	uint64_t newest_offset;  /* the newest mark taken: its stream offset, 0 none */
	uint64_t newest_board_ns; /* its board CLOCK_MONOTONIC (ns), 0 none */
	int64_t newest_age_ns;   /* board CLOCK_MONOTONIC now (a GET_CLOCK estimate) minus
				  * newest_board_ns; 0 without a mark (or when a hostile
				  * device's clocks do not subtract) */
};

/*
 * The time model of the device's current stream, or of its last one when
 * it is idle, from what the board holds, without starting a stream (for
 * a device another program streams from, it needs the interface free:
 * see ifbh_dev_open()). The device keeps each stream's 1024 newest time
 * marks and gaps until its next START (docs/protocol.md "Board time",
 * GET_STATS, GET_GAPS, GET_TIMES), and answers those requests in any
 * state. Synchronous, like ifbh_dev_clock(): GET_STATS, then GET_GAPS
 * until it holds the gaps that reply counts, then GET_TIMES until the
 * marks up to its bytes_sent (at most the ring's worth of replies; a
 * reply that brings nothing new ends it), fitted as a stream fits its
 * marks (the rate is the lower envelope's slope over the marks held: a
 * ring of 1024 marks of 32 ms blocks spans about 33 s), then
 * GET_CLOCK round trips as ifbh_dev_clock(rounds 8) (the clock fields,
 * and the age of the newest mark; when they fail, the model without
 * them, clock_known 0, and a warning logged). Not to be called while
 * another thread runs a stream of the device.
 *
 * Fills *ret (see size) as ifbh_stream_time_model() would have at the
 * end of that stream, from its marks the ring still held: marks 0 and
 * source IFBH_TIME_NONE when there were none (no stream since the
 * daemon started, or none finished a block); rate_hz 0 until two marks
 * of one run. *ret_ring (NULL: not wanted; see its size) says which
 * stream and how much of it. Returns 0; -EINVAL (a size 0); -EOPNOTSUPP
 * (a device before protocol version 6, or an output stream's: the device
 * marks the blocks an ADC finishes, a DAC's have no marks); -EAGAIN (a
 * new stream began while the marks were read, three times over: ask
 * again); -ENOMEM; or a failed request's -errno, a malformed or
 * contradictory reply's -EBADMSG/-EPROTO; the message in
 * ifbh_dev_error().
 */
int ifbh_dev_time_model(struct ifbh_dev *dev, struct ifbh_time_model *ret,
			struct ifbh_mark_ring *ret_ring);

#ifdef __cplusplus
}
#endif

#endif /* IFBHOST_H */
