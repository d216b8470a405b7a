/* SPDX-License-Identifier: MIT */
/*
 * iio-ffs-bridge USB wire protocol, shared by the daemon (device side) and
 * iio-ffs-capture (host side). docs/protocol.md is the prose version of
 * this file; keep the two in step.
 *
 * One vendor-specific interface (class 0xff, subclass IFB_USB_SUBCLASS,
 * protocol IFB_USB_PROTOCOL) per stream, each with one bulk IN endpoint
 * carrying that stream's samples (a daemon serving one stream has one).
 * Control requests are vendor requests addressed to the stream's
 * interface (bmRequestType: type vendor, recipient interface; wIndex: the
 * interface number); every stream keeps its own state, counters and agreed
 * version. The interfaces come in this order: the first stream's, then
 * the IIOD interface (if any: libiio's "usb:BUS.ADDR.1" stays), then the
 * other streams' in the order of the configuration, so that a host of
 * versions 1 to 3, which takes the first interface with this class
 * triple, is served the first stream exactly as before there were
 * several. All multi-byte fields are little-endian, all
 * structures are packed, and every reply starts with a magic, the protocol
 * version and its own length so that a host can check what it got.
 */
#ifndef IFB_PROTOCOL_H
#define IFB_PROTOCOL_H

#include <stdint.h>

/*
 * The highest protocol version this build speaks, and the lowest it still
 * serves. Version 2 added GET_GAPS; its replies are laid out as in
 * version 1 otherwise. Version 3 added SET_SAMPLE_RATE and GET_STATUS,
 * and fills the channel records' I/Q hint (iq, iq_partner), which earlier
 * versions leave 0. The version of a conversation is agreed by
 * GET_INFO: the host puts the highest version it speaks in wValue (a
 * version-1 host sends 0, meaning 1), the device answers with the lower of
 * that and its own in every reply's `version` (GET_STATS included) until
 * the host goes away. A version-1 device stalls a GET_INFO with wValue
 * != 0: the host then asks again with 0 and speaks version 1. Version 4
 * added GET_STREAM (the stream's name and place among the device's
 * streams) and the channel records' sign letters 2 and 3 (is_signed).
 * The version is agreed per stream (per interface). Version 5 added
 * output streams (see "Output streams" below): a host that speaks 4 or
 * less never finds them, as their interfaces carry IFB_USB_PROTOCOL_OUT.
 * Version 6 added board time: GET_TIMES (when the converter finished each
 * block, by the board's CLOCK_MONOTONIC) and GET_CLOCK (the board's clocks
 * at one instant); see "Board time" below; and timed bursts on output
 * streams (START's data stage of 24 bytes, IFB_START_AT: struct ifb_start).
 * Version 7 says which clock the stream's IIO timestamp channel counts
 * (ifb_times.ts_clock), so that a host can put the device's own
 * timestamps on the board's clock.
 */
#define IFB_PROTOCOL_VERSION 7
#define IFB_PROTOCOL_VERSION_MIN 1

#define IFB_USB_CLASS 0xff
#define IFB_USB_SUBCLASS 0x49 /* 'I' */
#define IFB_USB_PROTOCOL 0x01     /* an input stream: one bulk IN endpoint */
#define IFB_USB_PROTOCOL_OUT 0x02 /* an output stream: one bulk OUT endpoint (version 5) */

/*
 * Output streams (version 5): host to DAC. The interface has the class and
 * subclass above, bInterfaceProtocol IFB_USB_PROTOCOL_OUT and one bulk OUT
 * endpoint; the device serves it to hosts of version 5 or later only (a
 * GET_INFO offering less is stalled). The requests mean what they mean for
 * an input stream, seen from the other side:
 *   GET_INFO     the IIO output device, its enabled channels and the scan
 *                layout the host must send; block_size and num_blocks of
 *                the device's pool.
 *   START        a new stream: the device takes data on the OUT endpoint,
 *                in blocks of at most block_size bytes, and queues each
 *                block to the DAC in the order it arrived.
 *   data         whole scans, in the layout of GET_INFO, received into
 *                blocks of block_size bytes. The device does not learn how
 *                many bytes a transfer brought (Linux's FunctionFS reports
 *                a DMABUF transfer's status only, not its length): every
 *                block counts as block_size bytes, except the one that
 *                holds the end the host announces with STOP's data stage.
 *                So a host sends block_size bytes per block, without short
 *                packets (transfers of a multiple of wMaxPacketSize), until
 *                its last block; a short packet earlier ends a block whose
 *                rest is played as it was. Bytes are played up to the last
 *                whole scan of a block (a scan's fraction is dropped).
 *   STOP         "that was the last data". With wLength 8 (struct
 *                ifb_stop), sent before the data's last block, and followed
 *                by one more request (e.g. GET_STATS) answered before that
 *                block is sent (the device handles ep0 requests in order:
 *                the answer says it has the end; without it the block may
 *                be taken whole, and the end then refused): the stream
 *                ends at that stream offset; the device keeps receiving
 *                until it has that much (the last block may end with a
 *                short packet), the DAC plays it all, then the stream is
 *                idle. With wLength 0: the device takes no more data (what
 *                it has received in whole blocks is played). GET_STATS says
 *                STOPPING until the DAC has played the last block, then
 *                IDLE: a host that waits for IDLE knows every sample has
 *                left the DAC. An end before what was already received is
 *                refused (stall).
 *   GET_STATS    bytes_sent and blocks_sent count what was given to the
 *                DAC; starvations counts underflows (the DAC ran dry: a
 *                block was queued after the DAC had finished every block
 *                before it; the first block of a stream is not one);
 *                adc_errors counts blocks the DAC failed; usb_errors
 *                transfers that failed. gap_offset, gaps_total and
 *                GET_GAPS give the stream offset of each underflow: the
 *                first byte played after the DAC ran dry.
 *   START        with wLength 16 (struct ifb_start) and IFB_START_CYCLIC:
 *                a cyclic stream. The host sends `length` bytes (whole
 *                scans, at most the pool: block_size x block_count), a
 *                waveform the DAC repeats with no further USB traffic until
 *                STOP or the next START (the DAC stops, then plays the new
 *                one: a pause between them). One block is repeated by the
 *                DAC itself (IIO_BUFFER_DMABUF_CYCLIC); a longer waveform's
 *                blocks are queued again by the device as they play. The outcome of a START with
 *                data is told by GET_STATUS (FunctionFS has acknowledged
 *                the data stage before the device can refuse it).
 *   START        with wLength 24 (version 6) and IFB_START_AT: a timed
 *                burst, see struct ifb_start.
 * GET_STREAM says direction 1. Disconnect, shutdown and errors end an
 * output stream as they end an input stream.
 */

/* Vendor requests (bRequest). */
enum ifb_request {
	IFB_REQ_GET_INFO = 0x01,  /* IN,  wValue 0, reply struct ifb_info + channels */
	IFB_REQ_START = 0x02,     /* OUT, wValue 0, wLength 0; an output stream's
				   * also wLength 16: struct ifb_start (version 5),
				   * or 24 with at_ns (version 6) */
	IFB_REQ_STOP = 0x03,      /* OUT, wValue 0, wLength 0; an output stream's
				   * also wLength 8: struct ifb_stop (version 5) */
	IFB_REQ_GET_STATS = 0x04, /* IN,  wValue 0, reply struct ifb_stats */
	IFB_REQ_GET_GAPS = 0x05,  /* IN,  wValue: seq (low 16 bits), reply struct ifb_gaps + offsets;
				   * version 2 */
	IFB_REQ_SET_SAMPLE_RATE = 0x06, /* OUT, wValue 0, wLength 8: struct ifb_set_rate;
					 * version 3 */
	IFB_REQ_GET_STATUS = 0x07,      /* IN,  wValue 0, reply struct ifb_status; version 3 */
	IFB_REQ_GET_STREAM = 0x08,      /* IN,  wValue 0, reply struct ifb_stream_info; version 4 */
	IFB_REQ_GET_TIMES = 0x09,       /* IN,  wValue: seq (low 16 bits), reply struct ifb_times +
					 * marks; version 6 */
	IFB_REQ_GET_CLOCK = 0x0a,       /* IN,  wValue 0, reply struct ifb_clock; version 6 */
};

/* Largest reply the device sends (the gadget's ep0 buffer is 4 KiB). */
#define IFB_MAX_REPLY 4096

#define IFB_INFO_MAGIC 0x49424649u  /* "IFBI" on the wire */
#define IFB_STATS_MAGIC 0x53424649u /* "IFBS" on the wire */
#define IFB_GAPS_MAGIC 0x47424649u  /* "IFBG" on the wire */
#define IFB_STATUS_MAGIC 0x52424649u /* "IFBR" on the wire */
#define IFB_STREAM_MAGIC 0x4e424649u /* "IFBN" on the wire */
#define IFB_TIMES_MAGIC 0x54424649u  /* "IFBT" on the wire */
#define IFB_CLOCK_MAGIC 0x43424649u  /* "IFBC" on the wire */

enum ifb_mode {
	IFB_MODE_ZERO_COPY = 1,
	IFB_MODE_COPY = 2,
	IFB_MODE_HYBRID = 3, /* read() into DMABUFs, FunctionFS DMABUF transfers */
};

enum ifb_state {
	IFB_STATE_IDLE = 0,      /* no stream; START begins one */
	IFB_STATE_STREAMING = 1, /* blocks are flowing */
	IFB_STATE_STOPPING = 2,  /* STOP seen: draining, end-of-stream ZLP next */
};

#define IFB_NAME_LEN 32
#define IFB_CHANNEL_NAME_LEN 24
#define IFB_MAX_CHANNELS 64

/* One enabled channel, in scan order. Mirrors IIO's *_type / *_index. */
struct ifb_channel_info {
	char name[IFB_CHANNEL_NAME_LEN]; /* e.g. "voltage0", NUL-terminated */
	uint16_t scan_index;
	uint16_t offset;      /* byte offset of this channel within one scan */
	uint8_t is_signed;    /* enum ifb_sign: 0 unsigned, 1 signed; version 4 also 2, 3 */
	uint8_t is_be;        /* 0 little-endian, 1 big-endian */
	uint8_t bits;         /* valid bits */
	uint8_t storage_bits; /* bits one sample occupies: 8, 16, 32 or 64 */
	uint8_t shift;        /* right shift to apply before masking */
	uint8_t repeat;       /* 1 unless the channel repeats within a scan */
	/*
	 * Version 3 (0 in earlier versions, which called these two bytes
	 * reserved): the daemon's config ([iio] iq) says this channel is
	 * one half of a complex (I/Q) pair. iq: enum ifb_iq_role;
	 * iq_partner: the index, in this reply's channel list, of the other
	 * half (0 when iq is IFB_IQ_NONE). A host checks that the partner
	 * names this channel back with the other role.
	 */
	uint8_t iq;
	uint8_t iq_partner;
} __attribute__((packed));

/*
 * is_signed: the sign letter of the kernel's scan type (iio_show_fixed_type
 * in drivers/iio/industrialio-buffer.c prints the driver's scan_type.sign).
 * Before version 4 the device sends 0 for 'u' and 'U', 1 for 's' and 'S'.
 * ADI's drivers (AD9361-class) report 'S': the driver has already sign-
 * extended the sample to its storage_bits, so a host may read the whole
 * storage word as signed; masking to `bits` and extending gives the same.
 */
enum ifb_sign {
	IFB_SIGN_UNSIGNED = 0,        /* 'u' */
	IFB_SIGN_SIGNED = 1,          /* 's' */
	IFB_SIGN_SIGNED_EXTENDED = 2, /* 'S', version 4 */
	IFB_SIGN_UNSIGNED_EXTENDED = 3, /* 'U', version 4 */
};

enum ifb_iq_role {
	IFB_IQ_NONE = 0, /* a real channel */
	IFB_IQ_I = 1,    /* the in-phase half of a pair */
	IFB_IQ_Q = 2,    /* the quadrature half */
};

/* IFB_REQ_GET_INFO reply: this header, then num_channels ifb_channel_info. */
struct ifb_info {
	uint32_t magic;   /* IFB_INFO_MAGIC */
	uint16_t version; /* IFB_PROTOCOL_VERSION */
	uint16_t length;  /* bytes of the whole reply, channels included */
	uint8_t mode;     /* enum ifb_mode */
	uint8_t state;    /* enum ifb_state */
	uint16_t num_channels;
	uint32_t block_size;  /* bytes per block (a whole number of scans) */
	uint32_t block_count; /* blocks in the pool */
	uint32_t scan_size;   /* bytes per scan (one sample of every channel) */
	uint64_t sample_rate_mhz; /* scans per second, in milli-hertz; 0: unknown */
	char device_name[IFB_NAME_LEN]; /* IIO device name, NUL-terminated */
} __attribute__((packed));

#define IFB_STATS_MAX_GAPS 32

/* IFB_REQ_GET_STATS reply. Counters cover the current (or last) stream. */
struct ifb_stats {
	uint32_t magic;   /* IFB_STATS_MAGIC */
	uint16_t version; /* IFB_PROTOCOL_VERSION */
	uint16_t length;  /* sizeof(struct ifb_stats) */
	uint8_t mode;     /* enum ifb_mode */
	uint8_t state;    /* enum ifb_state */
	uint16_t num_gaps;  /* valid entries in gap_offset[] */
	uint32_t stream_id; /* 1 for the first stream, +1 at every START */
	uint64_t bytes_sent;  /* stream bytes the host has been sent */
	uint64_t blocks_sent;
	uint64_t starvations; /* times the ADC queue ran dry */
	uint64_t adc_errors;  /* blocks the ADC failed (their data is dropped) */
	uint64_t usb_errors;  /* transfers that failed */
	uint64_t gaps_total;  /* all gaps in this stream, >= num_gaps */
	/*
	 * Stream byte offsets of the most recent gaps, oldest first. A gap at
	 * offset X means samples are missing between stream byte X-1 and X.
	 */
	uint64_t gap_offset[IFB_STATS_MAX_GAPS];
} __attribute__((packed));

/*
 * IFB_REQ_GET_GAPS reply (version 2): this header, then `count` uint64_t
 * stream offsets. The gaps of a stream are numbered from 0 in the order
 * they happen (their sequence numbers); the device keeps the offsets of
 * the IFB_GAPS_RING most recent. wValue carries the low 16 bits of the
 * first sequence number the host wants: the device takes the most recent
 * number <= gaps_total with those low bits. The reply starts there, or at
 * the oldest gap it still keeps (first_seq then exceeds what the host
 * asked for: those gaps' offsets are lost), and holds as many as fit
 * wLength (at most IFB_GAPS_MAX_PER_REPLY). count 0 with first_seq ==
 * gaps_total: the host has every gap.
 */
#define IFB_GAPS_RING 1024
struct ifb_gaps {
	uint32_t magic;     /* IFB_GAPS_MAGIC */
	uint16_t version;   /* the agreed version, >= 2 */
	uint16_t length;    /* bytes of the whole reply: 32 + 8 * count */
	uint32_t stream_id; /* as in ifb_stats */
	uint16_t count;     /* offsets that follow */
	uint16_t reserved;  /* 0 */
	uint64_t first_seq; /* sequence number of the first offset */
	uint64_t gaps_total; /* gaps in this stream so far */
} __attribute__((packed));

#define IFB_GAPS_MAX_PER_REPLY ((IFB_MAX_REPLY - 32) / 8)

/*
 * IFB_REQ_SET_SAMPLE_RATE data stage (version 3, OUT, wLength exactly 8):
 * the scans per second the host wants, in milli-hertz as GET_INFO reports
 * them, IFB_RATE_MHZ_MIN..IFB_RATE_MHZ_MAX. The device writes it to its
 * IIO device's sampling_frequency attribute (never any other file) while
 * no stream runs, and reads the attribute back. Refused before the data
 * stage, with a stall: a stream running (EBUSY), no such attribute
 * (ENOENT) or a read-only one (EACCES). Refused after it (FunctionFS has
 * acknowledged the data stage by then): a value out of range (ERANGE) or
 * one the kernel driver refuses (its errno, e.g. EINVAL). The host reads
 * the outcome of every SET_SAMPLE_RATE, stalled or not, with GET_STATUS.
 */
struct ifb_set_rate {
	uint64_t rate_mhz;
} __attribute__((packed));

#define IFB_RATE_MHZ_MIN 1ull
#define IFB_RATE_MHZ_MAX 1000000000000000ull /* 1e12 Hz */

/*
 * IFB_REQ_GET_STATUS reply (version 3): the outcome of the last
 * SET_SAMPLE_RATE of this host (request 0 and error 0 when there was
 * none since it enabled the interface).
 */
#define IFB_STATUS_VERSION 3 /* GET_STATUS replies in its own version, whatever was agreed */
struct ifb_status {
	uint32_t magic;    /* IFB_STATUS_MAGIC */
	uint16_t version;  /* IFB_STATUS_VERSION: the version of this request */
	uint16_t length;   /* sizeof(struct ifb_status) */
	uint8_t request;   /* the request this is the outcome of, or 0 */
	uint8_t reserved[3]; /* 0 */
	int32_t error;     /* 0 done, or a negative errno (Linux numbering) */
	uint64_t rate_mhz; /* the sampling_frequency read back after it; 0 unknown */
} __attribute__((packed));

/*
 * IFB_REQ_GET_STREAM reply (version 4): which stream this interface
 * carries. Streams are numbered 0..count-1 in the order of the daemon's
 * configuration (stream 0 is the one a version 1-3 host is served); the
 * name is the configuration's ([stream NAME], or "main" for a file with
 * the single-stream [iio] and [stream] sections), unique on the device,
 * of letters, digits, '-' and '_'.
 */
struct ifb_stream_info {
	uint32_t magic;    /* IFB_STREAM_MAGIC */
	uint16_t version;  /* the agreed version, >= 4 */
	uint16_t length;   /* sizeof(struct ifb_stream_info) */
	uint8_t index;     /* this stream's number, < count */
	uint8_t count;     /* native streams the device serves */
	uint8_t direction; /* enum ifb_direction */
	uint8_t reserved;  /* 0 */
	char name[IFB_NAME_LEN]; /* NUL-terminated */
	uint32_t reserved2; /* 0 */
} __attribute__((packed));

#define IFB_MAX_STREAMS 8

/*
 * IFB_REQ_START's data stage on an output stream: wLength 16 (version 5:
 * flags, reserved, length) or 24 (version 6: at_ns too; a host that
 * agreed 5 or less sends 16). The 16-byte form is this struct's first
 * IFB_START_LEN_V5 bytes, with at_ns 0.
 *
 * IFB_START_AT (version 6): a timed burst. The stream's first sample is
 * to leave the DAC at board CLOCK_MONOTONIC at_ns (GET_CLOCK tells the
 * board's clock). The device receives as usual but holds the DAC: at
 * at_ns it queues what it has received, in order, and what follows
 * behind it. If no block has been received by then (a cyclic stream: the
 * whole waveform), or the device cannot queue it within
 * IFB_START_AT_LATE_NS after at_ns, the burst is late: nothing of it is
 * played (never later than asked), the stream ends (GET_STATS: IDLE,
 * bytes_sent 0) and GET_STATUS tells request START, error -ETIME. at_ns
 * more than IFB_START_AT_MAX_AHEAD_NS ahead of the board's clock, or 0,
 * is refused (-ERANGE, -EINVAL). Zero-copy streams only (-EOPNOTSUPP
 * otherwise: write() hides when the DAC starts).
 */
#define IFB_START_CYCLIC 0x1u /* the stream is one waveform, repeated */
#define IFB_START_AT 0x2u     /* the stream starts at board time at_ns (version 6) */
#define IFB_START_LEN_V5 16u  /* the data stage of version 5: no at_ns */
#define IFB_START_AT_LATE_NS 1000000ull /* a burst queued later than at_ns + this is late */
#define IFB_START_AT_MAX_AHEAD_NS 3600000000000ull /* at_ns at most an hour ahead */
struct ifb_start {
	uint32_t flags;    /* IFB_START_*; other bits must be 0 */
	uint32_t reserved; /* 0 */
	uint64_t length;   /* cyclic: the waveform's bytes, whole scans, 1 to the pool; else ignored */
	uint64_t at_ns;    /* version 6, IFB_START_AT: board CLOCK_MONOTONIC of the first
			    * sample; else 0 */
} __attribute__((packed));

/* IFB_REQ_STOP's data stage on an output stream (version 5, wLength 8):
 * the stream offset (bytes since START) where the host's data ends. */
struct ifb_stop {
	uint64_t end;
} __attribute__((packed));

/*
 * Board time (version 6). Every block an input stream's converter
 * finishes gets a time mark: the stream offset of the block's end (the
 * first byte after it, as bytes_sent counts) and the board's
 * CLOCK_MONOTONIC, in ns, at which the converter finished it. The scan
 * that begins at that offset is the first one after the block: a host
 * that knows the scans' rate puts every sample on the board's clock (scan
 * k of a gap-free run: t = mark_ns + (k - offset / scan_size) / rate).
 * Where the time comes from (ifb_times.source):
 *   FENCE  zero-copy: the time the kernel signalled the block's DMABUF
 *          fence (sync_file's timestamp_ns: ktime_get() in
 *          dma_fence_signal, drivers/dma-buf/dma-fence.c). Late by the
 *          DMA completion's interrupt latency, microseconds on a board.
 *   READ   hybrid and copy: when the daemon's read() of the block
 *          returned. Late by the time the block waited for the daemon,
 *          up to a block's duration and the daemon's scheduling latency;
 *          in copy mode also not aligned to the kernel's own blocks.
 * A mark follows the gap before its block: a block after a gap starts a
 * new run, whose samples' times come from its own marks. Blocks the
 * converter failed have no mark. Output streams have no marks yet
 * (count 0, source NONE).
 *
 * A fence is late by its completion's latency, and a busy CPU can delay
 * every fence of a short run. The block that starts a run (the stream's
 * first, or the first after the converter ran dry) says more: it was
 * queued to an idle converter, which began it then. Its mark carries when
 * (zero-copy): the enqueue ioctl began at start_ns and returned
 * start_window_ns later, so the block's first scan (at offset -
 * block_bytes) was taken no later than start_ns + start_window_ns (on a
 * board: plus the converter's next sample period). Other marks have
 * start_ns 0.
 *
 * IFB_REQ_GET_TIMES reply: this header, then `count` struct
 * ifb_time_mark. Marks are numbered from 0 per stream, like gaps, and
 * wValue selects the first wanted exactly as for GET_GAPS; the device
 * keeps the IFB_TIMES_RING most recent. Replies hold at most
 * IFB_TIMES_MAX_PER_REPLY marks.
 */
enum ifb_time_source {
	IFB_TIME_NONE = 0,  /* no marks (an output stream) */
	IFB_TIME_FENCE = 1, /* the DMABUF fence's signal time (zero-copy) */
	IFB_TIME_READ = 2,  /* when the daemon's read() returned (hybrid, copy) */
};

/*
 * The clock of a stream's IIO timestamp channel (version 7, ifb_times.
 * ts_clock): the device's current_timestamp_clock attribute (IIO ABI,
 * Documentation/ABI/testing/sysfs-bus-iio; the names are
 * industrialio-core.c's), read when the stream's buffer was enabled (the
 * IIO core refuses to change it while the buffer is enabled:
 * iio_device_set_clock). A timestamp of such a clock is, per the ABI,
 * when the driver stamped the scan: ns of that clock. NONE: the stream
 * has no timestamp channel; UNKNOWN: it has one, and the attribute could
 * not be read or names a clock this list lacks.
 */
enum ifb_ts_clock {
	IFB_TS_CLOCK_NONE = 0,
	IFB_TS_CLOCK_REALTIME = 1,
	IFB_TS_CLOCK_MONOTONIC = 2,
	IFB_TS_CLOCK_MONOTONIC_RAW = 3,
	IFB_TS_CLOCK_REALTIME_COARSE = 4,
	IFB_TS_CLOCK_MONOTONIC_COARSE = 5,
	IFB_TS_CLOCK_BOOTTIME = 6,
	IFB_TS_CLOCK_TAI = 7,
	IFB_TS_CLOCK_UNKNOWN = 255,
};

/* The name IIO gives its timestamp channel (in_timestamp_en: IIO_TIMESTAMP,
 * industrialio-core.c's iio_chan_type_name_spec): s64 ns, one per scan. */
#define IFB_TIMESTAMP_CHANNEL "timestamp"

/* The attribute's word for a clock ("realtime", ...), NULL for NONE,
 * UNKNOWN and values this version does not define. */
static inline const char *ifb_ts_clock_name(unsigned int clock)
{
	switch (clock) {
	case IFB_TS_CLOCK_REALTIME: return "realtime";
	case IFB_TS_CLOCK_MONOTONIC: return "monotonic";
	case IFB_TS_CLOCK_MONOTONIC_RAW: return "monotonic_raw";
	case IFB_TS_CLOCK_REALTIME_COARSE: return "realtime_coarse";
	case IFB_TS_CLOCK_MONOTONIC_COARSE: return "monotonic_coarse";
	case IFB_TS_CLOCK_BOOTTIME: return "boottime";
	case IFB_TS_CLOCK_TAI: return "tai";
	default: return 0;
	}
}

#define IFB_TIMES_RING 1024
struct ifb_times {
	uint32_t magic;      /* IFB_TIMES_MAGIC */
	uint16_t version;    /* the agreed version, >= 6 */
	uint16_t length;     /* bytes of the whole reply: 32 + 32 * count */
	uint32_t stream_id;  /* as in ifb_stats */
	uint16_t count;      /* marks that follow */
	uint8_t source;      /* enum ifb_time_source */
	uint8_t ts_clock;    /* version 7: enum ifb_ts_clock of the stream; 0 before */
	uint64_t first_seq;  /* sequence number of the first mark */
	uint64_t marks_total; /* marks in this stream so far */
} __attribute__((packed));

struct ifb_time_mark {
	uint64_t offset;   /* stream offset of the block's end */
	uint64_t board_ns; /* board CLOCK_MONOTONIC when the converter finished it */
	uint64_t start_ns; /* a run's first block: when its enqueue began; else 0 */
	uint32_t start_window_ns; /* ... and how long the enqueue took */
	uint32_t block_bytes;     /* the block's bytes: it began at offset - block_bytes */
} __attribute__((packed));

#define IFB_TIMES_MAX_PER_REPLY ((IFB_MAX_REPLY - 32) / 32)

/*
 * IFB_REQ_GET_CLOCK reply (version 6): the board's clocks, read when the
 * device built the reply (between the host's SETUP and the reply's
 * arrival: half the round trip bounds a host's estimate of the offset
 * between its clock and the board's). monotonic_ns is read before and
 * after realtime_ns and tai_ns: read_ns is how long that took, the
 * uncertainty of their relation. The flags and the error estimates are
 * the kernel's view of CLOCK_REALTIME's discipline (adjtimex(2): NTP,
 * PTP or GNSS daemons set them; a board without one is unsynchronised).
 */
#define IFB_CLOCK_SYNCED 0x1u   /* adjtimex: STA_UNSYNC clear (a daemon disciplines REALTIME) */
#define IFB_CLOCK_PPS 0x2u      /* adjtimex: STA_PPSSIGNAL (a PPS signal is present) */
#define IFB_CLOCK_TAI_SET 0x4u  /* adjtimex: the TAI offset is set (tai_ns differs from realtime_ns) */
#define IFB_CLOCK_STATE_KNOWN 0x8u /* adjtimex answered: the other flags and errors mean
				    * something (else all 0: the state is unknown) */
struct ifb_clock {
	uint32_t magic;        /* IFB_CLOCK_MAGIC */
	uint16_t version;      /* the agreed version, >= 6 */
	uint16_t length;       /* sizeof(struct ifb_clock) */
	uint32_t flags;        /* IFB_CLOCK_* */
	uint32_t read_ns;      /* time the reads took (MONOTONIC before to after) */
	uint64_t monotonic_ns; /* CLOCK_MONOTONIC: the midpoint of the two reads */
	int64_t realtime_ns;   /* CLOCK_REALTIME (ns since 1970, UTC) */
	int64_t tai_ns;        /* CLOCK_TAI */
	uint64_t boottime_ns;  /* CLOCK_BOOTTIME */
	uint32_t esterror_us;  /* adjtimex esterror: REALTIME's estimated error */
	uint32_t maxerror_us;  /* adjtimex maxerror */
} __attribute__((packed));

enum ifb_direction {
	IFB_DIRECTION_IN = 0,  /* device to host: an IIO input buffer, a bulk IN endpoint */
	IFB_DIRECTION_OUT = 1, /* host to device: an IIO output buffer, a bulk OUT endpoint
				* (version 5) */
};

_Static_assert(sizeof(struct ifb_stream_info) == 48, "wire layout");
_Static_assert(sizeof(struct ifb_times) == 32, "wire layout");
_Static_assert(sizeof(struct ifb_time_mark) == 32, "wire layout");
_Static_assert(sizeof(struct ifb_clock) == 56, "wire layout");
_Static_assert(sizeof(struct ifb_stop) == 8, "wire layout");
_Static_assert(sizeof(struct ifb_start) == 24, "wire layout");
_Static_assert(__builtin_offsetof(struct ifb_start, at_ns) == IFB_START_LEN_V5, "wire layout");
_Static_assert(sizeof(struct ifb_gaps) == 32, "wire layout");
_Static_assert(sizeof(struct ifb_set_rate) == 8, "wire layout");
_Static_assert(sizeof(struct ifb_status) == 24, "wire layout");
_Static_assert(sizeof(struct ifb_channel_info) == 36, "wire layout");
_Static_assert(sizeof(struct ifb_info) == 64, "wire layout");
_Static_assert(sizeof(struct ifb_stats) == 64 + 8 * IFB_STATS_MAX_GAPS, "wire layout");
_Static_assert(sizeof(struct ifb_info) + IFB_MAX_CHANNELS * sizeof(struct ifb_channel_info) <=
		       IFB_MAX_REPLY,
	       "GET_INFO fits one control transfer");

#endif /* IFB_PROTOCOL_H */
