/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's insides, shared by the files that make it up. Nothing
 * outside src/daemon/{bridge,stream,session,pool,backend-*,ep0,iiod,
 * reload}.c (and the unit tests of their pure parts) includes this;
 * everyone else uses daemon/bridge.h.
 *
 * The daemon (struct ifb_bridge) sits above its streams: the loop,
 * signals, reload, the FunctionFS function and its ep0, the front ends.
 * A stream (struct ifb_stream) is one IIO buffer and one bulk IN endpoint
 * with its pool, backend and engine; a configuration names up to
 * IFB_MAX_STREAMS of them, each its own USB interface. Who does what:
 *
 *   stream.c             a stream's set-up and release: IIO device and
 *                        channels, zero-copy probe, mode, pool, description
 *   session.c            a stream's life: open, attach, enable, run, drain,
 *                        release; every way a stream ends goes through
 *                        here, and the front ends' only way to a stream's
 *                        blocks and engine (start, stop, pull, cancel,
 *                        state, stats, gaps; they read its IIO device's
 *                        channels and attributes through iio.c); the
 *                        daemon's shutdown, which drains every stream
 *   pool.c               the blocks' memory: DMABUFs or user buffers
 *   backend-zero-copy.c  the life of a block as a DMABUF shared by IIO and USB
 *   backend-hybrid.c     ... read() from IIO into a DMABUF USB sends
 *   backend-copy.c       ... a user buffer: read(), libaio writes
 *   ep0.c                the native front end: FunctionFS events and the
 *                        vendor control protocol (docs/protocol.md), each
 *                        request routed to the stream of its interface
 *   ep0-stage.c          the one thread: the blocking data and status
 *                        stages of control requests, off the loop
 *   iiod.c               the IIOD front end: libiio clients on the "IIO"
 *                        interface (docs/protocol.md "The IIOD interface")
 *   reload.c             SIGHUP: a new configuration, applied between streams
 *   bridge.c             the daemon: set-up, release, status, the streams'
 *                        list (configured, then the IIOD front end's)
 *
 * The engine (engine.c) decides the order of things; the backends do the
 * I/O it asks for; front ends turn host requests into session calls.
 */
#ifndef IFB_BRIDGE_INT_H
#define IFB_BRIDGE_INT_H

#include <libaio.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "daemon/bridge.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/dmabuf.h"
#include "daemon/engine.h"
#include "daemon/ep0-stage.h"
#include "daemon/ffs.h"
#include "daemon/iio.h"
#include "daemon/probe.h"
#include "daemon/usb-desc.h"

struct ifb_iiod;

/* After a shutdown request, how long USB may take to drain before we
 * cancel what is in flight, and how long cancelled transfers may take. */
#define IFB_DRAIN_GRACE_USEC (400 * 1000ULL)
#define IFB_CANCEL_GRACE_USEC (400 * 1000ULL)
#define IFB_STATUS_PERIOD_USEC (1000 * 1000ULL)
/* How late a grace timer may fire. sd-event's default for an accuracy of
 * 0 is 250 ms, which would stretch a 150 ms grace to 400 ms; graces decide
 * when a host is given up on, so they keep to the millisecond. */
#define IFB_GRACE_ACCURACY_USEC (1000ULL)
/* After a shutdown, how long the end-of-stream packet may take. */
#define IFB_ZLP_GRACE_USEC (150 * 1000ULL)
/* After a host's STOP (or an IIOD CLOSE), how long the host may take to
 * read what is in flight before it is cancelled: a host that stops
 * reading without draining (it crashed, or gave up before the
 * end-of-stream packet) must not keep the stream, and with it the other
 * interface and SET_SAMPLE_RATE, busy for ever. */
#define IFB_STOP_DRAIN_USEC (3000 * 1000ULL)

/* One block of the pool. Which fields are used depends on the mode. */
struct ifb_block {
	int fd;               /* zero-copy, hybrid: the DMABUF */
	int sync_fd;          /* zero-copy, hybrid: its fences as queued, for their status */
	bool cancelled;       /* zero-copy, hybrid: its USB transfer was cancelled by detach */
	uint64_t queued_ns;   /* zero-copy: when it went to the ADC (CLOCK_MONOTONIC) */
	uint64_t queue_begin_ns; /* zero-copy: when that enqueue began */
	uint64_t snapshot_ns; /* zero-copy, ADC side: when sync_fd was exported */
	int behind;           /* zero-copy: the block queued behind it, to judge starvation; -1 */
	bool cpu_access;      /* hybrid: inside DMA_BUF_IOCTL_SYNC START..END (WRITE for
			       * an input stream, READ for an output one) */
	void *mem;            /* copy: the user buffer; hybrid: the DMABUF's mapping */
	size_t map_len;       /* hybrid: mem is mmap()ed, this long */
	size_t filled;        /* copy, hybrid: bytes read into mem so far (output:
			       * written from it) */
	size_t want;          /* copy, hybrid output: bytes of mem to write() */
	sd_event_source *src; /* zero-copy, hybrid: poll on the DMABUF fd */
	struct iocb iocb;     /* copy: the in-flight write */
	bool iio_attached, usb_attached;
};

/*
 * A stream: one IIO buffer, one bulk IN endpoint (its native interface's,
 * or an IIOD pipe's while a libiio client has it), its pool of blocks, its
 * backend (enum ifb_mode, behind struct ifb_backend) and its engine, with
 * its own state (engine.run), counters and host conversation. Every
 * resource here has one owner, the stream, and one release path
 * (ifb_session_close, then ifb_stream_free). Front ends reach it only
 * through the session calls below (start, stop, pull, cancel, owner).
 */
struct ifb_stream {
	struct ifb_bridge *b; /* the daemon it belongs to */
	unsigned index;       /* in b->st[], and its place in protocol.h's order */
	unsigned iface;       /* its native interface's FunctionFS index */
	char logp[IFB_NAME_LEN + 8]; /* "NAME: " before its log lines, "" for a single stream */
	bool finished;        /* a shutdown is done with it */
	bool iiod_only;       /* made by the IIOD front end for a device no configured stream reads */
	bool released;        /* ... and no longer needed: freed soon */
	struct ifb_stream_config cfg;

	struct ifb_iio iio;
	struct ifb_ffs_ep ep;     /* open while its resources are */
	unsigned native_ep;       /* its native interface's endpoint file */
	struct ifb_allocator alloc;
	struct ifb_probe probe; /* what the kernel said about zero-copy */

	enum ifb_mode mode; /* what streams use */
	bool mode_final;    /* auto: settled by the first stream */
	unsigned nblocks;
	struct ifb_block blk[IFB_ENGINE_MAX_BLOCKS];
	struct ifb_engine engine;
	struct ifb_stream_desc desc;

	/* libaio: copy-mode writes and the end-of-stream ZLP, both modes. */
	io_context_t aio;
	int aio_efd;
	sd_event_source *aio_src;
	unsigned aio_inflight;
	struct iocb zlp_iocb;
	bool zlp_inflight;

	/* copy mode ADC side */
	sd_event_source *iio_src;
	uint8_t fillq[IFB_ENGINE_MAX_BLOCKS];
	unsigned fill_head, fill_len;
	uint64_t discard; /* bytes still to drop at the start of a stream */
	uint64_t kblock;  /* bytes in one of the kernel's fileio blocks */
	uint64_t kpos;    /* bytes read of the current kernel block */
	sd_event_source *abort_src;

	/* copy and hybrid output (DAC side): fillq is the write queue, in
	 * arrival order; kblock the kernel's fileio block */
	int out_held;           /* the block written last, held as "with the DAC"; -1 */
	uint64_t out_written;   /* bytes write() took this stream */
	uint64_t out_rate;      /* bytes the DAC plays per second; 0: unknown */
	sd_event_source *out_drain_src; /* a STOP: the kernel's blocks play out */

	uint16_t proto_version; /* agreed by the host's last GET_INFO; 0: not yet (1) */
	bool session;     /* a stream's resources are open */
	bool restart;     /* START arrived while stopping */
	uint64_t start_cyclic; /* output: the next START's cyclic waveform bytes; 0: none */
	uint64_t start_at_ns;  /* output: the next START's board time (IFB_START_AT); 0: none */
	sd_event_source *at_timer; /* the running timed stream's: queue to the DAC at at_ns */
	uint64_t at_ns;            /* ... its board time (start_at_ns may be the next one's) */
	bool cancelled;   /* the stream's USB transfers were cancelled (host not reading) */
	sd_event_source *teardown_src, *grace_timer;
	enum ifb_stop_reason last_reason;

	uint64_t stream_t0, rate_t, rate_bytes;
	double rate_mib_s;

	/* What the last GET_INFO told the host (desc_given), so that a START
	 * can check it still holds. */
	bool desc_given;
	struct ifb_stream_desc given;
	/* The outcome of this host's last SET_SAMPLE_RATE, for GET_STATUS
	 * (protocol version 3); status_request 0: none since ENABLE. */
	uint8_t status_request;
	int status_error;
	uint64_t status_rate_mhz;

	/* The stream belongs to the IIOD front end: its pipe's IN endpoint,
	 * blocks of the client's buffer size, the pull policy. The native
	 * front end's block size and count come back when it ends. */
	bool iiod_stream;
	uint32_t native_block_size;
	unsigned native_nblocks;
};

struct ifb_bridge {
	struct ifb_config cfg;
	sd_event *loop;

	/* The configuration's streams (st[0..nstreams), each a native
	 * interface), then those the IIOD front end made for devices of no
	 * configured stream (st[nstreams..nall), one per pipe at most). */
	struct ifb_stream *st[IFB_MAX_STREAMS + IFB_IIOD_MAX_PIPES];
	unsigned nstreams, nall;
	sd_event_source *release_src; /* frees released streams, from the loop */

	struct ifb_ffs ffs;
	sd_event_source *ep0_src;
	/* ep0 events read but not handled yet: the transfer guard reads them
	 * (ifb_ep0_usb_ready) without acting on them; ep0_defer_src hands
	 * them to the ep0 handler from the loop. */
	struct usb_functionfs_event ep0q[16];
	unsigned ep0q_head, ep0q_len;
	unsigned ep0q_leaving; /* DISABLE/UNBIND/SUSPEND among them */
	bool setup_pending;    /* a SETUP is being answered: no event reads */
	unsigned ep0q_setups;  /* SETUPs queued, not answered: no event reads */
	sd_event_source *ep0_defer_src;
	/* The data or status stage of the pending SETUP, done by the stage
	 * thread (ep0-stage.h) while the loop moves blocks; stage_src watches
	 * its eventfd, stage_then takes its result (or reply_failed logs it
	 * under stage_what) for the stream stage_stream. */
	struct ifb_ep0_stage stage;
	sd_event_source *stage_src;
	const char *stage_what;
	struct ifb_stream *stage_stream;
	void (*stage_then)(struct ifb_stream *s, const uint8_t *data, int n);

	bool bound;       /* BIND seen, no UNBIND since */
	bool usb_enabled; /* ENABLE seen, no DISABLE/UNBIND since */
	bool shutting_down;
	int exit_code;    /* for sd_event_exit once shut down */
	sd_event_source *status_timer;

	struct ifb_config *pending; /* reloaded, applied when no stream runs */

	/* The front ends: which interfaces the function has, the IIOD one. */
	struct ifb_usb_layout layout;
	struct ifb_iiod *iiod; /* NULL without the IIOD interface */
};

static inline unsigned ifb_block_index(const struct ifb_stream *s, const struct ifb_block *k)
{
	return (unsigned)(k - s->blk);
}

/* Is any stream's resources open, or its engine not idle? */
bool ifb_bridge_any_session(const struct ifb_bridge *b);

/* stream.c: a stream's set-up and release */
/* Stream k of b->cfg, up to its IIO device and event sources: what needs
 * no FunctionFS yet. *ret is set whenever the stream was allocated (to be
 * freed with ifb_stream_free on failure too); 0 or -errno, logged, with
 * *config_error set when a config value is the cause. */
int ifb_stream_new(struct ifb_bridge *b, unsigned k, bool *config_error,
		   struct ifb_stream **ret);
/* Once the function's descriptors are written: its mode (from what the
 * kernel says about zero-copy), pool, description and engine. */
int ifb_stream_setup_pool(struct ifb_stream *s, bool *config_error);
/* The function was bound to a UDC: auto mode learns whether the UDC can do
 * FunctionFS DMABUF (scatter-gather) before any host asks what it gets. */
void ifb_stream_on_bind(struct ifb_stream *s);
/* Open s's endpoint file (s->ep), waiting a little while the ep0 stage
 * thread holds FunctionFS's mutex; 0 or -errno, logged. */
int ifb_stream_open_ep(struct ifb_stream *s);
/* Its session closed, every source and fd released, freed; NULL. */
struct ifb_stream *ifb_stream_free(struct ifb_stream *s);
/* Fill s->desc (what GET_INFO tells the host) from the IIO device. */
void ifb_stream_describe(struct ifb_stream *s);
/* The same, read afresh from the device into d. */
void ifb_stream_describe_into(struct ifb_stream *s, struct ifb_stream_desc *d);
/* Select cfg's [iio] channels on io: 0, or the error logged with the
 * config's file:line and what was expected (ifb_iio_select's errors),
 * then `then` ("" or what follows, e.g. "; configuration not reloaded"). */
int ifb_stream_select_channels(struct ifb_iio *io, const struct ifb_stream_config *cfg,
			       const char *then);
/* Do cfg's [iio] iq pairs fit io's selected channels (both enabled, the
 * same type, repeat 1, Q stored right after I)? 0, or -EINVAL logged with
 * the config's file:line and what was expected. */
int ifb_stream_check_iq(const struct ifb_iio *io, const struct ifb_stream_config *cfg);

/*
 * A stream for the IIOD front end: buffer 0 of the IIO device at sysdir
 * (one no configured stream reads), count blocks of the client's bytes
 * on endpoint file ep (the pipe's IN), the first stream's mode and
 * allocator. Added to b->st
 * beyond the configured ones. 0 or -errno (logged).
 */
int ifb_stream_new_iiod(struct ifb_bridge *b, const char *sysdir, unsigned ep, uint32_t bytes,
			unsigned count, struct ifb_stream **ret);
/* The IIOD front end is done with s (made by ifb_stream_new_iiod, its
 * session closed): freed from the loop, not from inside its callbacks. */
void ifb_stream_release(struct ifb_stream *s);

/* bridge.c: the daemon above the streams */
/* The stream of buffer 0 of the IIO device at sysdir (configured, or the
 * IIOD front end's): the buffer the IIOD context describes; or NULL. */
struct ifb_stream *ifb_bridge_device_stream(const struct ifb_bridge *b, const char *sysdir);
uint64_t ifb_now_usec(void);
const char *ifb_mode_name(enum ifb_mode m);
const char *ifb_stop_reason_name(enum ifb_stop_reason r);
/* The function was bound to a UDC: every stream's ifb_stream_on_bind. */
void ifb_bridge_on_bind(struct ifb_bridge *b);

/* pool.c: s->nblocks blocks of s->cfg.block_size bytes. Allocation
 * failures are logged here; ifb_pool_free releases whatever was made. */
int ifb_pool_alloc_dmabufs(struct ifb_stream *s);
int ifb_pool_alloc_buffers(struct ifb_stream *s);
void ifb_pool_free(struct ifb_stream *s);
/* Auto mode found zero-copy impossible: user buffers from now on. All or
 * nothing: on failure the zero-copy pool is left as it was. */
int ifb_pool_switch_to_copy(struct ifb_stream *s);
/* Does every block have its memory for the current mode? */
bool ifb_pool_complete(const struct ifb_stream *s);
/* Auto mode found only USB takes DMABUFs: map them for read() (hybrid). */
int ifb_pool_switch_to_hybrid(struct ifb_stream *s);

/*
 * A backend: one way blocks move (enum ifb_mode), behind one table. The
 * session reaches the backend of b->mode only through ifb_backend(b), so
 * a mode is chosen in one place and every backend is asked the same
 * things: its pool, its set-up for a stream, and how USB transfers in
 * flight are cancelled (the one cancel, ifb_session_cancel_usb, for every
 * front end). Releasing a stream needs no table: each backend's release
 * (ifb_zc_release, ifb_hybrid_release, ifb_copy_release) undoes only what
 * it set up, and ifb_session_close calls all of them in one order.
 */
struct ifb_backend {
	enum ifb_mode mode;
	const struct ifb_engine_ops *ops;
	/* An output stream's (host to DAC); NULL: the backend has none. */
	const struct ifb_engine_ops *out_ops;
	/* Does the engine see the ADC run dry (fences), or does read() hide it? */
	bool count_starvation;
	/* What an input block's time mark is (enum ifb_time_source,
	 * protocol.h "Board time"): the fence's signal time, or when read()
	 * returned. */
	uint8_t time_source;
	/* The pool's memory: DMABUFs (mapped for hybrid) or user buffers.
	 * Failures logged; ifb_pool_free releases whatever was made. */
	int (*pool_alloc)(struct ifb_stream *s);
	/* Set a stream up on the open IIO buffer and endpoint (attach the
	 * DMABUFs, size the kernel's fileio blocks). 0; IFB_BACKEND_FELL_BACK
	 * when auto mode has just fallen back to another backend (b->mode and
	 * the pool changed, everything released, the mode settled): open
	 * again; else -errno, logged. */
	int (*open)(struct ifb_stream *s);
	/* Take back what USB still holds: the host will not read it. */
	void (*cancel_usb)(struct ifb_stream *s);
};

#define IFB_BACKEND_FELL_BACK 1

extern const struct ifb_backend ifb_backend_zero_copy, ifb_backend_hybrid, ifb_backend_copy;

/* The backend of the current mode. */
const struct ifb_backend *ifb_backend(const struct ifb_stream *s);

/* backend-zero-copy.c */
extern const struct ifb_engine_ops ifb_zc_ops, ifb_zc_out_ops;
int ifb_zc_on_dmabuf(sd_event_source *s, int fd, uint32_t revents, void *userdata);
/* Attach every DMABUF to the bulk IN endpoint (zero-copy, hybrid), behind
 * ifb_ep0_usb_ready(): -ENOTCONN when the host is gone. */
int ifb_zc_attach_usb(struct ifb_stream *s);
/* Why a real attach failed, by side: " (...)" or "". */
const char *ifb_zc_attach_hint(const struct ifb_stream *s, bool usb, int r);
/* Fence snapshots closed, IIO attachments detached: before the fds close. */
void ifb_zc_release(struct ifb_stream *s);
/* Dequeue what USB still holds (hybrid's cancel too). */
void ifb_zc_cancel_usb(struct ifb_stream *s);

/* backend-hybrid.c: read() from IIO into a DMABUF's mapping, then a
 * FunctionFS DMABUF transfer (one CPU copy). */
/* CPU access brackets left open (a stream cut short): close them. */
void ifb_hybrid_release(struct ifb_stream *s);
/* Output: write() has taken block i (or failed): end CPU access. */
void ifb_hybrid_out_written(struct ifb_stream *s, unsigned i);

/* backend-copy.c */
extern const struct ifb_engine_ops ifb_copy_ops, ifb_copy_out_ops;
/* Output, copy and hybrid: queue block i's k->mem for write() to the DAC. */
int ifb_copy_out_dac_enqueue(void *ctx, unsigned i, uint32_t len, bool cyclic);
void ifb_copy_out_dac_stop(void *ctx);
/* Output, copy and hybrid: the writer's share of a stop (ifb_engine_stop). */
void ifb_copy_out_stop_writer(struct ifb_stream *s);
/* Size the kernel's fileio blocks and watch the IIO buffer fd. */
int ifb_copy_prepare(struct ifb_stream *s);
void ifb_copy_release(struct ifb_stream *s);
int ifb_copy_on_abort_fill(sd_event_source *s, void *userdata);
int ifb_aio_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata);
/* The end-of-stream zero-length packet (both modes go through libaio). */
void ifb_usb_send_zlp(struct ifb_stream *s);

/* session.c */
/*
 * Who has the stream: nobody, the native front end or the IIOD one. The
 * one answer to "is a stream busy?" for every request that needs the IIO
 * device idle (SET_SAMPLE_RATE, an IIOD OPEN, a START on the other
 * interface): a stream is busy from its start until its teardown has
 * released everything (its resources open, or its engine not idle).
 */
enum ifb_stream_owner { IFB_OWNER_NONE, IFB_OWNER_NATIVE, IFB_OWNER_IIOD };
enum ifb_stream_owner ifb_session_owner(const struct ifb_stream *s);
/* Does any stream of s's IIO device run (the device's attributes, such as
 * its sampling_frequency, must then stay as its hosts were told)? */
bool ifb_session_device_busy(const struct ifb_stream *s);
int ifb_session_start(struct ifb_stream *s);
/* The one cancel of a stream's USB transfers in flight, whoever asks
 * (a STOP nobody drains, a shutdown with the host not reading, an IIOD
 * pipe closed under its stream): the backend's cancel, and no
 * end-of-stream packet follows. */
void ifb_session_cancel_usb(struct ifb_stream *s);
/* A backend's open found its mode impossible and auto mode may fall
 * back: release the stream, switch the pool to mode's memory, settle the
 * mode. IFB_BACKEND_FELL_BACK (open again), or the switch's error. */
int ifb_session_fall_back(struct ifb_stream *s, enum ifb_mode mode);
void ifb_session_close(struct ifb_stream *s);
/* Stop a stream, or (no stream) release what a failed start left. */
void ifb_session_stop(struct ifb_stream *s, enum ifb_stop_reason reason);
/* Start a stream if the host is there and none runs. */
void ifb_session_maybe_start(struct ifb_stream *s);
int ifb_session_disable_left_enabled(struct ifb_stream *s);
int ifb_session_on_teardown(sd_event_source *s, void *userdata);
void ifb_session_engine_stopped(void *ctx, enum ifb_stop_reason reason);
/* Once a second (now_usec: CLOCK_MONOTONIC): the stream's MiB/s for
 * the status line, and the end of a stream whose IIO buffer someone else
 * disabled (no fence or read() would ever tell). */
void ifb_session_tick(struct ifb_stream *s, uint64_t now_usec);
/* Its state, as GET_INFO and GET_STATS tell it (enum ifb_state). */
enum ifb_state ifb_session_state(const struct ifb_stream *s);
/* One line for sd_notify STATUS= (mode, state, MiB/s), its name first. */
void ifb_session_status(const struct ifb_stream *s, char *buf, size_t len);
/* GET_STATS in the agreed protocol version. */
void ifb_session_stats(const struct ifb_stream *s, uint16_t version, struct ifb_stats *out);
/* GET_GAPS from the gap whose sequence number ends in seq_lo, into buf
 * (size bytes), at most want bytes of it (a host's wLength): its length
 * or -errno (ifb_engine_gaps). */
int ifb_session_gaps(const struct ifb_stream *s, uint16_t seq_lo, uint8_t *buf, size_t size,
		     size_t want);
/* GET_TIMES (version 6, in `version`) from the mark whose sequence number
 * ends in seq_lo, cut to want bytes as GET_GAPS is (ifb_engine_times). */
int ifb_session_times(const struct ifb_stream *s, uint16_t seq_lo, uint16_t version, uint8_t *buf,
		      size_t size, size_t want);
/* An output stream's host announced where its data ends (its STOP's
 * data stage): as ifb_engine_end_at; no-op (0) when no stream runs. */
int ifb_session_end_at(struct ifb_stream *s, uint64_t end);
/* Pull policy (an IIOD stream): send the next filled block's first len
 * bytes; as ifb_engine_pull. */
int ifb_session_pull(struct ifb_stream *s, uint32_t len);
/* The stream's host went away with its endpoint still enabled (an IIOD
 * pipe reset or closed): end it, and take back what USB holds. */
void ifb_session_abandoned(struct ifb_stream *s);
/* Its engine before the first stream (the backend chosen at set-up). */
int ifb_session_init(struct ifb_stream *s);
/* Select the channels its configuration names (after an IIOD client's,
 * or a reload). */
void ifb_session_select_config_channels(struct ifb_stream *s);
/* Has its stream ended with the teardown still to run from the loop? */
bool ifb_session_teardown_pending(const struct ifb_stream *s);
/* A source that cannot go on (ep0 unreadable, aio broken): log, end the
 * stream, exit the loop with status 1 (systemd restarts the unit). */
void ifb_bridge_fail(struct ifb_bridge *b, int r, const char *what);
/* The end-of-stream packet was delivered (or failed): a shutdown waiting
 * for it may exit now. */
void ifb_session_zlp_done(struct ifb_stream *s);

/* The IIOD front end's stream: blocks of bytes bytes (count of them), the
 * channels named, on FunctionFS endpoint file ep (an output device's: the
 * pipe's OUT endpoint), pull policy; cyclic: one waveform of bytes bytes
 * repeated (output devices in zero-copy mode only: else -EOPNOTSUPP, or
 * -EINVAL for an input). -EBUSY when a stream is open; else as
 * ifb_session_start. */
int ifb_session_start_iiod(struct ifb_stream *s, uint32_t bytes, unsigned count,
			   const char (*names)[IFB_CHANNEL_NAME_LEN], unsigned n, unsigned ep,
			   bool cyclic);
/* Output: receive the host's next len bytes into a block for the DAC
 * (ifb_engine_receive). */
int ifb_session_receive(struct ifb_stream *s, uint32_t len);
/* engine op: a receive asked for has gone to the DAC */
void ifb_session_received(void *ctx, unsigned blk, uint32_t len);
/* engine op: a pull that waited has been submitted */
void ifb_session_pulled(void *ctx, unsigned blk);

/* iiod.c: the IIOD front end. new loads the context from sysfs (logs). */
int ifb_iiod_new(struct ifb_bridge *b, const struct ifb_usb_layout *layout,
		 struct ifb_iiod **ret);
struct ifb_iiod *ifb_iiod_free(struct ifb_iiod *d);
/* A SETUP for the IIOD interface: answered or stalled, returns true; false
 * when it is addressed to another interface. */
bool ifb_iiod_setup(struct ifb_iiod *d, const struct usb_ctrlrequest *setup);
/* DISABLE/UNBIND: every pipe closes (the stream's once it has ended). */
void ifb_iiod_host_gone(struct ifb_iiod *d);
/* The IIOD stream has ended and its resources are released. */
void ifb_iiod_stream_ended(struct ifb_iiod *d, const struct ifb_stream *s,
			   enum ifb_stop_reason reason);
/* A READBUF's waiting pull has been submitted. */
void ifb_iiod_pulled(struct ifb_iiod *d, const struct ifb_stream *s);
/* A WRITEBUF's data has arrived and gone to the DAC (len bytes of it play). */
void ifb_iiod_received(struct ifb_iiod *d, const struct ifb_stream *s, uint32_t len);

/* ep0.c */
int ifb_ep0_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata);
int ifb_ep0_on_deferred(sd_event_source *s, void *userdata);
/*
 * The one guard before every FunctionFS DMABUF ioctl (attach, transfer,
 * detach). Linux 6.12 oopses on those once the function is unbound
 * (ffs_dmabuf_find_attachment() and ffs_dmabuf_detach() dereference the
 * gadget, NULL by then), and the DISABLE that comes before an unbind may be
 * waiting on ep0. So this reads pending ep0 events first, without acting
 * on them (they are handled from the loop right after, in order): no
 * front-end request is ever handled from inside a transfer. True when the
 * function is bound, the host has the interface enabled and no DISABLE,
 * UNBIND or SUSPEND is pending.
 */
bool ifb_ep0_usb_ready(struct ifb_stream *s);
/* The status stage of the pending SETUP (a request without data), by the
 * stage thread; what names the request in the log should it fail. */
void ifb_ep0_ack(struct ifb_bridge *b, const char *what);
/* The stage thread finished the pending SETUP's stage. */
int ifb_ep0_on_stage_done(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* reload.c */
void ifb_reload_apply_pending(struct ifb_bridge *b);

#endif
