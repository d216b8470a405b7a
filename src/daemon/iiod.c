// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The IIOD front end: libiio clients (iio_info, iio_attr, iio_readdev,
 * pylibiio...) over the "IIO" interface, speaking libiio 0.24's text
 * protocol (docs/protocol.md "The IIOD interface").
 *
 * The interface has IFB pipes, each an IN/OUT endpoint pair. ep0 requests
 * reset, open and close them (ifb_iiod_setup). An open pipe always has one
 * asynchronous read queued on its OUT endpoint; the bytes that arrive are
 * cut into command lines (bounded, parsed by iiod-parse.c) and each
 * command's reply is queued on the pipe's IN endpoint as asynchronous
 * writes (libaio: a plain write() to an endpoint blocks until the host
 * reads). Everything on one IN endpoint is queued in reply order: a
 * READBUF's length line, mask line and data block go out one after the
 * other, and no later reply is queued before the data is.
 *
 * Samples: OPEN starts a session (session.c) on the pipe's IN endpoint
 * with blocks of exactly the client's buffer (samples x scan size) and the
 * pull policy; READBUF pulls the next filled block (engine.c), which goes
 * out by FunctionFS DMABUF transfer (zero-copy) or libaio (copy mode)
 * while the ADC fills the others. An output device's OPEN runs its
 * session on the pipe's OUT endpoint instead, the one the commands arrive
 * on: WRITEBUF queues one block's receive of exactly the bytes it
 * announces (engine.c's pull policy for output) and no command read until
 * that block has gone to the DAC and its reply is queued, so the data
 * lands in the block, never in a command read (docs/protocol.md). CLOSE
 * stops the session; its reply waits until every block is back (an
 * output's: played). One stream at a time for the whole daemon: a
 * second OPEN, or the native front end's START, is refused as busy.
 *
 * What the host sends is never trusted: lines longer than the parser's
 * limit are refused, attribute names only reach files listed in the
 * context (iiod-xml.c), values and counts are bounded, unknown pipes are
 * stalled, and a host that vanishes leaves nothing behind.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "daemon/bridge-int.h"
#include "daemon/iiod-parse.h"
#include "daemon/iiod-xml.h"
#include "daemon/log.h"
#include "daemon/usb-desc.h"
#include "daemon/util.h"

/* ep0 requests (libiio 0.24 usb.c: IIO_USD_CMD_*). */
#define IIOD_REQ_RESET_PIPES 0
#define IIOD_REQ_OPEN_PIPE 1
#define IIOD_REQ_CLOSE_PIPE 2

/* One read on an OUT endpoint: a multiple of every max packet size (64,
 * 512, 1024), so FunctionFS never has more data than room. */
#define IIOD_RX_SIZE 1024
/* Replies queued on one IN endpoint at most (a client waits for each). */
#define IIOD_MAX_TX 16
/* Longest attribute value read or written. */
#define IIOD_MAX_VALUE 4096
/* What VERSION answers: libiio 0.24's protocol, and 7 characters that say
 * who we are where iiod puts its git hash. */
#define IIOD_VERSION "0.24.iioffsb\n"
/* Blocks per stream when the client does not SET BUFFERS_COUNT. */
#define IIOD_DEFAULT_BLOCKS 4
#define IIOD_MAX_STREAM_BYTES (64u << 20)
/* A client's pool, its buffer times SET BUFFERS_COUNT (default 4): a host
 * holds at most this much of the board's memory per pipe. */
#define IIOD_MAX_POOL_BYTES (256ull << 20)

struct iiod_io {
	struct iocb cb;
	struct iiod_io *next, *prev; /* the pipe's in-flight list */
	struct ifb_iiod *d;
	unsigned pipe, gen;
	bool rx;
	size_t len;
	char buf[]; /* rx: IIOD_RX_SIZE; tx: the reply */
};

struct iiod_pipe {
	unsigned id, gen; /* gen: bumped at every open and close */
	int in_fd, out_fd;
	bool open;
	bool closing;     /* close asked while the stream used this pipe */
	bool reopen;      /* open asked while closing */
	bool rx_queued;
	unsigned ntx;
	struct iiod_io *inflight; /* reads and writes the endpoints hold */

	/* received, not yet processed */
	char pend[IIOD_RX_SIZE];
	size_t pend_off, pend_len;
	char line[IFB_IIOD_MAX_LINE + 1];
	size_t line_len;
	bool discard_line; /* the line got too long: drop it up to '\n' */

	/* WRITE: the value that follows the command line */
	bool in_value;
	size_t value_need, value_len;
	char value[IIOD_MAX_VALUE];
	int value_err;
	char value_path[PATH_MAX];

	/* WRITEBUF: its data is being received into a block (no command
	 * read queued meanwhile), wb_len bytes; wb_discard: bytes of a
	 * refused WRITEBUF's data still to skip */
	bool wb_busy;
	uint32_t wb_len;
	uint64_t wb_discard;

	/* READBUF: bytes still to send, the chunk waiting for a block */
	uint64_t rb_left;
	uint32_t rb_chunk;
	bool rb_first, rb_waiting;
	bool close_reply; /* CLOSE answered when the stream has ended */

	/* The stream this pipe's OPEN runs (NULL: none): the daemon's stream
	 * of the device, or one made for this OPEN (own: released when it
	 * ends). Its device in the context, its client's buffer in bytes
	 * and the channel mask it was opened with. */
	struct ifb_stream *st;
	bool own;
	int st_dev;
	uint32_t st_bytes;
	uint32_t mask[(IFB_MAX_CHANNELS + 31) / 32];
	size_t mask_words;
	/* SET dev BUFFERS_COUNT of this pipe's client, 0: none (until the
	 * pipe closes: the next client's own) */
	unsigned buffers_count;
};

struct ifb_iiod {
	struct ifb_bridge *b;
	struct ifb_iiod_ctx *ctx;
	struct ifb_usb_layout layout;
	io_context_t aio;
	int efd;
	sd_event_source *efd_src, *continue_src;
	unsigned npipes;
	struct iiod_pipe pipes[IFB_IIOD_MAX_PIPES];
	unsigned inflight;

};

static void pipe_process(struct ifb_iiod *d, struct iiod_pipe *p);
static void pipe_close(struct ifb_iiod *d, struct iiod_pipe *p);

/* --- I/O ------------------------------------------------------------------ */

static int submit(struct ifb_iiod *d, struct iiod_pipe *p, struct iiod_io *io, bool rx)
{
	struct iocb *cb = &io->cb;
	int r;

	io->d = d;
	io->pipe = p->id;
	io->gen = p->gen;
	io->rx = rx;
	if (rx)
		io_prep_pread(cb, p->out_fd, io->buf, IIOD_RX_SIZE, 0);
	else
		io_prep_pwrite(cb, p->in_fd, io->buf, io->len, 0);
	io_set_eventfd(cb, d->efd);
	cb->data = io;
	r = io_submit(d->aio, 1, &cb);
	if (r != 1)
		return r < 0 ? r : -EIO;
	d->inflight++;
	io->prev = NULL;
	io->next = p->inflight;
	if (p->inflight)
		p->inflight->prev = io;
	p->inflight = io;
	return 0;
}

static void unlink_io(struct iiod_pipe *p, struct iiod_io *io)
{
	if (io->prev)
		io->prev->next = io->next;
	else
		p->inflight = io->next;
	if (io->next)
		io->next->prev = io->prev;
}

/*
 * Ask the kernel to give back what the pipe's endpoints hold (FunctionFS
 * dequeues the request; the completion still arrives, as cancelled). A
 * short reply the UDC already took into its IN FIFO completed for us and
 * cannot be dequeued; the host that asked for it is gone, and the next one
 * would read it first as the answer to its own command: flush it.
 */
static void cancel_inflight(struct ifb_iiod *d, struct iiod_pipe *p)
{
	for (struct iiod_io *io = p->inflight; io; io = io->next) {
		struct io_event ev;

		(void)io_cancel(d->aio, &io->cb, &ev);
	}
	if (p->in_fd >= 0 && ioctl(p->in_fd, FUNCTIONFS_FIFO_FLUSH) < 0)
		log_debug("IIOD pipe %u: FIFO flush: %s", p->id, strerror(errno));
}

static void rx_queue(struct ifb_iiod *d, struct iiod_pipe *p)
{
	struct iiod_io *io;
	int r;

	/* (a WRITEBUF's data goes into a block, not here) */
	if (!p->open || p->closing || p->rx_queued || p->wb_busy)
		return;
	io = malloc(sizeof(*io) + IIOD_RX_SIZE);
	if (!io) {
		log_error("IIOD pipe %u: out of memory; closing it", p->id);
		pipe_close(d, p);
		return;
	}
	r = submit(d, p, io, true);
	if (r < 0) {
		free(io);
		log_info("IIOD pipe %u: cannot read from the host (%s); closing it", p->id,
			 strerror(-r));
		pipe_close(d, p);
		return;
	}
	p->rx_queued = true;
}

/* Queue a reply on the pipe's IN endpoint, after everything queued before. */
static void reply(struct ifb_iiod *d, struct iiod_pipe *p, const void *data, size_t len)
{
	struct iiod_io *io;
	int r;

	if (!p->open || p->closing || len == 0)
		return;
	if (p->ntx >= IIOD_MAX_TX) {
		log_warning("IIOD pipe %u: the host does not read its replies; closing the pipe", p->id);
		pipe_close(d, p);
		return;
	}
	io = malloc(sizeof(*io) + len);
	if (!io) {
		log_error("IIOD pipe %u: out of memory for a reply; closing it", p->id);
		pipe_close(d, p);
		return;
	}
	memcpy(io->buf, data, len);
	io->len = len;
	r = submit(d, p, io, false);
	if (r < 0) {
		free(io);
		log_info("IIOD pipe %u: cannot reply (%s); closing it", p->id, strerror(-r));
		pipe_close(d, p);
		return;
	}
	p->ntx++;
}

/* The integer line every command answers with (iiod ops.c print_value). */
static void reply_int(struct ifb_iiod *d, struct iiod_pipe *p, long v)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", v);

	reply(d, p, line, (size_t)n);
}

static void on_rx(struct ifb_iiod *d, struct iiod_pipe *p, struct iiod_io *io, long res)
{
	p->rx_queued = false;
	if (res < 0) {
		/* Disconnect (ESHUTDOWN), a cancel (ECONNRESET): the pipe is done. */
		log_debug("IIOD pipe %u: read ended: %s", p->id, strerror((int)-res));
		if (res != -ECONNRESET && res != -ECANCELED)
			pipe_close(d, p);
		return;
	}
	if (res > IIOD_RX_SIZE)
		res = IIOD_RX_SIZE;
	memcpy(p->pend, io->buf, (size_t)res);
	p->pend_off = 0;
	p->pend_len = (size_t)res;
	pipe_process(d, p);
}

static int on_aio(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_iiod *d = userdata;
	struct io_event ev[32];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n;

	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warning_errno(neg_errno(), "Reading the IIOD aio eventfd failed");
	do {
		n = io_getevents(d->aio, 0, (long)ARRAY_SIZE(ev), ev, &zero);
		if (n < 0) {
			log_error_errno(n, "io_getevents for IIOD pipes failed");
			return 0;
		}
		for (int j = 0; j < n; j++) {
			struct iiod_io *io = ev[j].data;
			struct iiod_pipe *p = &d->pipes[io->pipe];
			long res = (long)ev[j].res;
			bool current = p->gen == io->gen;

			d->inflight--;
			unlink_io(p, io);
			if (!io->rx && current)
				p->ntx--;
			if (current && io->rx)
				on_rx(d, p, io, res);
			else if (current && res < 0)
				log_debug("IIOD pipe %u: reply not delivered: %s", p->id,
					  strerror((int)-res));
			free(io);
		}
	} while (n == (int)ARRAY_SIZE(ev));
	return 0;
}

/* --- pipes ---------------------------------------------------------------- */

static int open_ep(struct ifb_iiod *d, unsigned num)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/ep%u", d->b->ffs.dir, num);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

static bool stream_on(const struct iiod_pipe *p)
{
	return p->st != NULL;
}

/* The pipe's stream has ended (or never started): the pipe lets it go; a
 * stream made for it is released from the loop (not from inside the
 * stream's own callbacks, which may be what ended it). */
static void pipe_drop_stream(struct iiod_pipe *p)
{
	if (p->st && p->own)
		ifb_stream_release(p->st);
	p->st = NULL;
	p->own = false;
}

static int pipe_open(struct ifb_iiod *d, struct iiod_pipe *p)
{
	int r;

	if (p->open && p->closing) {
		p->reopen = true; /* when the stream on it has ended */
		return 0;
	}
	if (p->open)
		pipe_close(d, p);
	p->in_fd = open_ep(d, ifb_usb_ep_pipe_in(&d->layout, p->id));
	if (p->in_fd < 0)
		return log_warning_errno(p->in_fd, "IIOD pipe %u: cannot open its IN endpoint", p->id);
	p->out_fd = open_ep(d, ifb_usb_ep_pipe_out(&d->layout, p->id));
	if (p->out_fd < 0) {
		r = p->out_fd;
		closep(&p->in_fd);
		return log_warning_errno(r, "IIOD pipe %u: cannot open its OUT endpoint", p->id);
	}
	p->gen++;
	p->open = true;
	p->closing = p->reopen = false;
	p->pend_off = p->pend_len = p->line_len = 0;
	p->discard_line = p->in_value = false;
	p->rb_left = 0;
	p->rb_waiting = p->close_reply = false;
	p->wb_busy = false;
	p->wb_discard = 0;
	p->ntx = 0;
	p->buffers_count = 0;
	log_debug("IIOD pipe %u opened", p->id);
	rx_queue(d, p);
	return 0;
}

/*
 * Close a pipe. A pipe whose OPEN runs the stream closes when the stream
 * has ended (ifb_iiod_stream_ended): its endpoint carries the stream's
 * blocks until then, and FunctionFS drops every DMABUF of an endpoint when
 * any file of it is closed. In-flight reads and writes are cancelled; their
 * completions come back stale (another gen) and are only freed.
 */
static void pipe_close(struct ifb_iiod *d, struct iiod_pipe *p)
{
	if (!p->open)
		return;
	if (stream_on(p) && p->st->session) {
		if (p->closing)
			return;
		p->closing = true;
		/* Nothing of this pipe's text may be read or answered any more:
		 * a read left queued would take the next client's first command. */
		cancel_inflight(d, p);
		p->gen++;
		p->rx_queued = false;
		p->ntx = 0;
		p->pend_off = p->pend_len = 0;
		/* The host reset or closed the pipe (a client killed mid-READBUF
		 * and the next one starting): a block still queued on the
		 * endpoint will never be read. */
		ifb_session_abandoned(p->st);
		/* NULL: the stream ended at once and ifb_iiod_stream_ended
		 * has closed the pipe (and reopened it if asked) */
		if (!p->st || p->st->session)
			return; /* ifb_iiod_stream_ended closes it */
		p->closing = false;
	}
	pipe_drop_stream(p);
	/* What the endpoints hold must not answer the next client. */
	cancel_inflight(d, p);
	p->gen++;
	p->open = p->closing = false;
	p->rx_queued = false;
	p->ntx = 0;
	p->rb_left = 0;
	p->rb_waiting = false;
	p->wb_busy = false;
	p->wb_discard = 0;
	closep(&p->in_fd);
	closep(&p->out_fd);
	log_debug("IIOD pipe %u closed", p->id);
	if (p->reopen) {
		p->reopen = false;
		(void)pipe_open(d, p);
	}
}

/* --- commands ------------------------------------------------------------- */

static void cmd_print(struct ifb_iiod *d, struct iiod_pipe *p)
{
	size_t len;
	const char *xml = ifb_iiod_ctx_xml(d->ctx, &len);
	char *buf = malloc(len + 1);

	if (!buf) {
		reply_int(d, p, -ENOMEM);
		return;
	}
	memcpy(buf, xml, len);
	buf[len] = '\n';
	reply_int(d, p, (long)len);
	reply(d, p, buf, len + 1);
	free(buf);
}

/* READ: libiio's local backend reads the file and turns its last byte
 * (the newline) into a NUL; iiod sends that length, the bytes and "\n". */
static void cmd_read(struct ifb_iiod *d, struct iiod_pipe *p, const struct ifb_iiod_cmd *c)
{
	char path[PATH_MAX], buf[IIOD_MAX_VALUE + 1];
	_cleanup_(closep) int fd = -1;
	ssize_t n;
	int r;

	if (!c->attr) {
		/* "every attribute at once": not offered; clients read one by one */
		reply_int(d, p, -ENOSYS);
		return;
	}
	r = ifb_iiod_attr_path(d->ctx, c->dev, c->kind, c->chn, c->attr, path, sizeof(path));
	if (r < 0) {
		reply_int(d, p, r);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		reply_int(d, p, neg_errno());
		return;
	}
	n = read(fd, buf, IIOD_MAX_VALUE + 1);
	if (n < 0) {
		reply_int(d, p, neg_errno());
		return;
	}
	if (n > IIOD_MAX_VALUE) {
		reply_int(d, p, -EFBIG);
		return;
	}
	if (n == 0) {
		reply_int(d, p, -EIO);
		return;
	}
	buf[n - 1] = '\0';
	buf[n] = '\n';
	reply_int(d, p, (long)n);
	reply(d, p, buf, (size_t)n + 1);
}

static void write_value(struct ifb_iiod *d, struct iiod_pipe *p)
{
	_cleanup_(closep) int fd = -1;
	ssize_t n;

	p->in_value = false;
	if (p->value_err) {
		reply_int(d, p, p->value_err);
		return;
	}
	fd = open(p->value_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		reply_int(d, p, neg_errno());
		return;
	}
	n = write(fd, p->value, p->value_len);
	reply_int(d, p, n < 0 ? neg_errno() : (long)n);
	if (n >= 0)
		log_debug("IIOD: wrote %zd bytes to %s", n, p->value_path);
}

/*
 * A native stream's host was told the rate at START (GET_INFO), and the
 * native SET_SAMPLE_RATE is refused while a stream runs: a libiio client
 * does not change it under that stream either (the same file, compared
 * by inode: the context and the stream may name it differently).
 */
static bool native_stream_rate(struct ifb_iiod *d, const char *path)
{
	struct ifb_bridge *b = d->b;
	char own[PATH_MAX + 32];
	struct stat a, o;

	if (stat(path, &a) < 0)
		return false;
	for (unsigned i = 0; i < b->nstreams; i++) {
		if (ifb_session_owner(b->st[i]) != IFB_OWNER_NATIVE)
			continue;
		if ((size_t)snprintf(own, sizeof(own), "%s/sampling_frequency",
				     b->st[i]->iio.sysdir) >= sizeof(own))
			continue;
		if (stat(own, &o) == 0 && a.st_dev == o.st_dev && a.st_ino == o.st_ino)
			return true;
	}
	return false;
}

/* WRITE: the value follows the line; it is taken (and a too long one
 * drained) before the reply. */
static void cmd_write(struct ifb_iiod *d, struct iiod_pipe *p, const struct ifb_iiod_cmd *c)
{
	p->in_value = true;
	p->value_need = (size_t)c->number;
	p->value_len = 0;
	p->value_err = 0;
	if (!c->attr)
		p->value_err = -ENOSYS;
	else if (c->number > IIOD_MAX_VALUE)
		p->value_err = -EFBIG;
	else
		p->value_err = ifb_iiod_attr_path(d->ctx, c->dev, c->kind, c->chn, c->attr,
						  p->value_path, sizeof(p->value_path));
	if (p->value_err == 0 && native_stream_rate(d, p->value_path)) {
		log_notice("IIOD: WRITE of %s refused: a native stream runs at the rate its host was told",
			   p->value_path);
		p->value_err = -EBUSY;
	}
	if (p->value_need == 0)
		write_value(d, p);
}

static void cmd_gettrig(struct ifb_iiod *d, struct iiod_pipe *p, const char *dev)
{
	char path[PATH_MAX], name[256];
	int i = ifb_iiod_ctx_find_device(d->ctx, dev), r;

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	snprintf(path, sizeof(path), "%s/trigger/current_trigger", ifb_iiod_dev_dir(d->ctx, i));
	r = ifb_read_file(path, name, sizeof(name));
	if (r < 0) {
		reply_int(d, p, r);
		return;
	}
	reply_int(d, p, r);
	if (r > 0) {
		name[r] = '\n';
		reply(d, p, name, (size_t)r + 1);
	}
}

static void cmd_settrig(struct ifb_iiod *d, struct iiod_pipe *p, const char *dev,
			const char *trigger)
{
	char path[PATH_MAX];
	const char *name = "";
	int i = ifb_iiod_ctx_find_device(d->ctx, dev), t, r;

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	if (trigger) {
		t = ifb_iiod_ctx_find_device(d->ctx, trigger);
		if (t < 0 || !ifb_iiod_dev_is_trigger(d->ctx, t)) {
			reply_int(d, p, -ENOENT);
			return;
		}
		name = ifb_iiod_dev_name(d->ctx, t);
	}
	snprintf(path, sizeof(path), "%s/trigger/current_trigger", ifb_iiod_dev_dir(d->ctx, i));
	r = ifb_write_file(path, name);
	reply_int(d, p, r);
}

static void cmd_open(struct ifb_iiod *d, struct iiod_pipe *p, const struct ifb_iiod_cmd *c)
{
	struct ifb_stream *s;
	char names[IFB_MAX_CHANNELS][IFB_CHANNEL_NAME_LEN];
	uint32_t mask[(IFB_MAX_CHANNELS + 31) / 32];
	unsigned idx[IFB_MAX_CHANNELS];
	size_t n = 0, words;
	uint64_t bytes;
	unsigned count, ep;
	bool own = false;
	int i = ifb_iiod_ctx_find_device(d->ctx, c->dev), size, r, out;

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	words = (ifb_iiod_dev_nchannels(d->ctx, i) + 31) / 32;
	if (words == 0 || words > ARRAY_SIZE(mask) || ifb_iiod_mask_decode(c->mask, mask, words) < 0) {
		reply_int(d, p, -EINVAL);
		return;
	}
	out = ifb_iiod_mask_output(d->ctx, i, mask, words);
	if (out < 0) {
		reply_int(d, p, -EINVAL);
		return;
	}
	if (c->cyclic && !out) {
		log_warning("IIOD: OPEN %s CYCLIC refused: cyclic buffers are for output devices, "
			    "%s is an input", c->dev, c->dev);
		reply_int(d, p, -EINVAL);
		return;
	}
	if (p->st) {
		log_warning("IIOD pipe %u: OPEN %s refused: busy, this pipe streams already", p->id,
			    c->dev);
		reply_int(d, p, -EBUSY);
		return;
	}
	size = ifb_iiod_scan_layout(d->ctx, i, mask, words, idx, ARRAY_SIZE(idx), &n);
	if (size < 0 || c->number == 0) {
		reply_int(d, p, -EINVAL);
		return;
	}
	bytes = c->number * (uint64_t)size;
	if (bytes > IIOD_MAX_STREAM_BYTES) {
		log_warning("IIOD: OPEN %s refused: %" PRIu64 " samples of %d bytes is more than %u bytes",
			    c->dev, c->number, size, IIOD_MAX_STREAM_BYTES);
		reply_int(d, p, -ENOMEM);
		return;
	}
	/* an input streams on the pipe's IN endpoint, an output on its OUT
	 * endpoint, between the commands that arrive there */
	ep = out ? ifb_usb_ep_pipe_out(&d->layout, p->id) : ifb_usb_ep_pipe_in(&d->layout, p->id);
	count = p->buffers_count ? p->buffers_count : IIOD_DEFAULT_BLOCKS;
	if (bytes * count > IIOD_MAX_POOL_BYTES) {
		log_warning("IIOD: OPEN %s refused: %u buffers of %" PRIu64 " bytes is more than %llu "
			    "bytes", c->dev, count, bytes, (unsigned long long)IIOD_MAX_POOL_BYTES);
		reply_int(d, p, -ENOMEM);
		return;
	}
	/* The daemon's stream of the device, or one of its own for it. */
	s = ifb_bridge_device_stream(d->b, ifb_iiod_dev_dir(d->ctx, i));
	if (s && ifb_session_owner(s) != IFB_OWNER_NONE) {
		log_warning("IIOD: OPEN %s refused: busy, %s", c->dev,
			    ifb_session_owner(s) == IFB_OWNER_IIOD ? "a libiio client is streaming it"
								    : "the native interface is streaming it");
		reply_int(d, p, -EBUSY);
		return;
	}
	if (!s) {
		r = ifb_stream_new_iiod(d->b, ifb_iiod_dev_dir(d->ctx, i), ep, (uint32_t)bytes,
					count, &s);
		if (r < 0) {
			reply_int(d, p, r);
			return;
		}
		own = true;
	}
	if (s->iio.output != (out == 1)) {
		/* the channels' direction is not the buffer's */
		log_warning("IIOD: OPEN %s refused: %s channels for its %s buffer", c->dev,
			    out ? "output" : "input", s->iio.output ? "output" : "input");
		if (own)
			ifb_stream_release(s);
		reply_int(d, p, -EINVAL);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		unsigned j;

		for (j = 0; j < s->iio.num_channels && s->iio.ch[j].index != idx[k]; j++)
			;
		if (j == s->iio.num_channels) {
			if (own)
				ifb_stream_release(s);
			reply_int(d, p, -EINVAL);
			return;
		}
		snprintf(names[k], sizeof(names[k]), "%s", s->iio.ch[j].name);
	}
	memcpy(p->mask, mask, sizeof(mask));
	p->mask_words = words;
	p->st_dev = i;
	p->st_bytes = (uint32_t)bytes;
	p->st = s;
	p->own = own;
	r = ifb_session_start_iiod(s, (uint32_t)bytes, count, names, (unsigned)n, ep, c->cyclic);
	if (r < 0) {
		if (!s->session)
			pipe_drop_stream(p);
		reply_int(d, p, r);
		return;
	}
	reply_int(d, p, 0);
}

static void cmd_close(struct ifb_iiod *d, struct iiod_pipe *p, const char *dev)
{
	int i = ifb_iiod_ctx_find_device(d->ctx, dev);

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	if (!stream_on(p) || p->st_dev != i) {
		reply_int(d, p, -ENXIO);
		return;
	}
	if (!p->st->session) {
		pipe_drop_stream(p);
		reply_int(d, p, 0);
		return;
	}
	/* Answered once every block is back (ifb_iiod_stream_ended). */
	p->close_reply = true;
	ifb_session_stop(p->st, IFB_STOP_HOST);
	if (p->st && !p->st->session)
		ifb_iiod_stream_ended(d, p->st, IFB_STOP_HOST);
}

/* Queue the next READBUF chunk: its length line, the mask line before the
 * first, then a pull. Returns true when the data is queued too. */
static bool readbuf_chunk(struct ifb_iiod *d, struct iiod_pipe *p)
{
	uint32_t len = p->rb_left < p->st_bytes ? (uint32_t)p->rb_left : p->st_bytes;
	int r;

	reply_int(d, p, len);
	if (p->rb_first) {
		char line[IFB_MAX_CHANNELS / 4 + 2];
		int n = ifb_iiod_mask_encode(p->mask, p->mask_words, line, sizeof(line));

		if (n > 0)
			reply(d, p, line, (size_t)n);
		p->rb_first = false;
	}
	p->rb_chunk = len;
	r = ifb_session_pull(p->st, len);
	if (r == 1) {
		p->rb_left -= len;
		return true;
	}
	if (r == 0) {
		p->rb_waiting = true;
		return false;
	}
	/* The stream stopped under us: the host will time out on the data. */
	log_warning_errno(r, "IIOD pipe %u: READBUF could not get a block", p->id);
	p->rb_left = 0;
	return true;
}

static void readbuf_run(struct ifb_iiod *d, struct iiod_pipe *p)
{
	while (p->rb_left && !p->rb_waiting && p->open && !p->closing)
		if (!readbuf_chunk(d, p))
			return;
	if (!p->rb_waiting)
		p->rb_left = 0;
}

static void cmd_readbuf(struct ifb_iiod *d, struct iiod_pipe *p, const struct ifb_iiod_cmd *c)
{
	int i = ifb_iiod_ctx_find_device(d->ctx, c->dev);
	unsigned scan;

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	if (!stream_on(p) || p->st_dev != i || ifb_session_state(p->st) != IFB_STATE_STREAMING ||
	    p->st->iio.output) {
		reply_int(d, p, -EBADF);
		return;
	}
	scan = p->st->iio.scan_size;
	if (!scan || c->number < scan) {
		reply_int(d, p, 0);
		return;
	}
	p->rb_left = c->number - c->number % scan;
	p->rb_first = true;
	readbuf_run(d, p);
}

/*
 * WRITEBUF dev N: iiod 0.24 answers 0 ("send the data"), takes N bytes
 * from the pipe and answers N once the buffer is pushed (libiio's
 * iiod-client.c sends the data only after that first 0). Here the data
 * goes straight into the next free block: its receive is queued on the
 * OUT endpoint before the 0 is, and no command read is queued until the
 * block has gone to the DAC and N is answered (ifb_iiod_received).
 */
static void cmd_writebuf(struct ifb_iiod *d, struct iiod_pipe *p, const struct ifb_iiod_cmd *c)
{
	int i = ifb_iiod_ctx_find_device(d->ctx, c->dev);
	unsigned scan;
	int r;

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	if (!stream_on(p) || p->st_dev != i || ifb_session_state(p->st) != IFB_STATE_STREAMING ||
	    !p->st->iio.output) {
		reply_int(d, p, -EBADF);
		return;
	}
	scan = p->st->iio.scan_size;
	if (!scan || c->number < scan) {
		reply_int(d, p, 0); /* iiod: less than a scan is nothing to do */
		return;
	}
	/* malformed client input: debug (the client reads the error), so
	 * that a hostile host cannot flood the journal */
	if (c->number > p->st_bytes) {
		log_debug("IIOD pipe %u: WRITEBUF %s of %" PRIu64 " bytes refused: the buffer "
			  "opened holds %u", p->id, c->dev, c->number, p->st_bytes);
		reply_int(d, p, -EINVAL);
		return;
	}
	if (p->pend_off < p->pend_len) {
		/*
		 * The data came with the command line, before the 0 that
		 * asks for it: it is in the command read, not in a block.
		 * Refused; its N bytes are skipped, so the next command is
		 * read where it begins.
		 */
		log_debug("IIOD pipe %u: WRITEBUF %s refused: its data came before the reply "
			  "that asks for it (send the data after the 0, as libiio does)", p->id,
			  c->dev);
		reply_int(d, p, -EPROTO);
		p->wb_discard = c->number;
		return;
	}
	r = ifb_session_receive(p->st, (uint32_t)c->number);
	if (r < 0) {
		/* a cyclic buffer takes one WRITEBUF: the client's doing, debug */
		if (r == -EBUSY && p->st->engine.cyclic)
			log_debug("IIOD pipe %u: WRITEBUF %s refused: the cyclic buffer has its "
				  "waveform already", p->id, c->dev);
		else
			log_warning_errno(r, "IIOD pipe %u: WRITEBUF %s: no block to receive into",
					  p->id, c->dev);
		reply_int(d, p, r);
		return;
	}
	p->wb_busy = true;
	p->wb_len = (uint32_t)c->number;
	reply_int(d, p, 0);
}

static void cmd_set_buffers_count(struct ifb_iiod *d, struct iiod_pipe *p,
				  const struct ifb_iiod_cmd *c)
{
	int i = ifb_iiod_ctx_find_device(d->ctx, c->dev);

	if (i < 0) {
		reply_int(d, p, i);
		return;
	}
	if (c->number < IFB_BLOCK_COUNT_MIN || c->number > IFB_BLOCK_COUNT_MAX) {
		reply_int(d, p, -EINVAL);
		return;
	}
	p->buffers_count = (unsigned)c->number;
	reply_int(d, p, 0);
}

static const char iiod_help[] =
	"iio-ffs-bridge speaks libiio 0.24's IIOD protocol: VERSION, PRINT, TIMEOUT, EXIT,\n"
	"OPEN, CLOSE, READBUF, WRITEBUF, READ, WRITE, GETTRIG, SETTRIG, SET <dev> BUFFERS_COUNT.\n";

static void execute(struct ifb_iiod *d, struct iiod_pipe *p, char *line, size_t len)
{
	struct ifb_iiod_cmd c;
	int r = ifb_iiod_parse(line, len, &c);

	if (r < 0) {
		log_debug("IIOD pipe %u: refused a command line (%zu bytes)", p->id, len);
		reply_int(d, p, -EINVAL);
		return;
	}
	log_debug("IIOD pipe %u: %.*s", p->id, (int)strcspn(line, "\r\n"), line);
	switch (c.op) {
	case IFB_IIOD_EMPTY: break;
	case IFB_IIOD_VERSION: reply(d, p, IIOD_VERSION, sizeof(IIOD_VERSION) - 1); break;
	case IFB_IIOD_PRINT: cmd_print(d, p); break;
	case IFB_IIOD_ZPRINT: reply_int(d, p, -EINVAL); break; /* no zstd: the client falls back */
	case IFB_IIOD_HELP: reply(d, p, iiod_help, sizeof(iiod_help) - 1); break;
	case IFB_IIOD_EXIT: pipe_close(d, p); break;
	case IFB_IIOD_TIMEOUT: reply_int(d, p, 0); break; /* nothing here blocks */
	case IFB_IIOD_OPEN: cmd_open(d, p, &c); break;
	case IFB_IIOD_CLOSE: cmd_close(d, p, c.dev); break;
	case IFB_IIOD_READBUF: cmd_readbuf(d, p, &c); break;
	case IFB_IIOD_WRITEBUF: cmd_writebuf(d, p, &c); break;
	case IFB_IIOD_READ: cmd_read(d, p, &c); break;
	case IFB_IIOD_WRITE: cmd_write(d, p, &c); break;
	case IFB_IIOD_GETTRIG: cmd_gettrig(d, p, c.dev); break;
	case IFB_IIOD_SETTRIG: cmd_settrig(d, p, c.dev, c.trigger); break;
	case IFB_IIOD_SET_BUFFERS_COUNT: cmd_set_buffers_count(d, p, &c); break;
	}
}

/* Consume received bytes: a WRITE's value, else lines, one command at a
 * time; stop while a READBUF or a CLOSE is still in progress (its replies
 * must come first), and read more when everything is consumed. */
static void pipe_process(struct ifb_iiod *d, struct iiod_pipe *p)
{
	while (p->open && !p->closing && !p->rb_left && !p->close_reply && !p->wb_busy &&
	       p->pend_off < p->pend_len) {
		char ch;

		if (p->wb_discard) {
			size_t n = p->pend_len - p->pend_off;

			if (n > p->wb_discard)
				n = (size_t)p->wb_discard;
			p->wb_discard -= n;
			p->pend_off += n;
			continue;
		}
		if (p->in_value) {
			size_t n = p->pend_len - p->pend_off;

			if (n > p->value_need - p->value_len)
				n = p->value_need - p->value_len;
			if (!p->value_err)
				memcpy(p->value + p->value_len, p->pend + p->pend_off, n);
			p->value_len += n;
			p->pend_off += n;
			if (p->value_len == p->value_need)
				write_value(d, p);
			continue;
		}
		ch = p->pend[p->pend_off++];
		if (p->discard_line) {
			p->discard_line = ch != '\n';
			continue;
		}
		if (ch != '\n') {
			if (p->line_len == IFB_IIOD_MAX_LINE) {
				log_warning("IIOD pipe %u: a command line longer than %u bytes; refused",
					    p->id, IFB_IIOD_MAX_LINE);
				reply_int(d, p, -EINVAL);
				p->line_len = 0;
				p->discard_line = true;
				continue;
			}
			p->line[p->line_len++] = ch;
			continue;
		}
		p->line[p->line_len++] = ch;
		{
			size_t len = p->line_len;

			p->line_len = 0;
			execute(d, p, p->line, len);
		}
	}
	if (p->pend_off >= p->pend_len)
		rx_queue(d, p);
}

/* --- the front end's entry points ----------------------------------------- */

static int on_continue(sd_event_source *s, void *userdata)
{
	struct ifb_iiod *d = userdata;

	for (unsigned i = 0; i < d->npipes; i++) {
		struct iiod_pipe *p = &d->pipes[i];

		if (!p->open || p->closing)
			continue;
		readbuf_run(d, p);
		pipe_process(d, p);
	}
	return 0;
}

/* The pipe whose OPEN runs stream s, or NULL. */
static struct iiod_pipe *stream_pipe(struct ifb_iiod *d, const struct ifb_stream *s)
{
	for (unsigned i = 0; i < d->npipes; i++)
		if (d->pipes[i].st == s)
			return &d->pipes[i];
	return NULL;
}

void ifb_iiod_pulled(struct ifb_iiod *d, const struct ifb_stream *s)
{
	struct iiod_pipe *p = stream_pipe(d, s);

	if (!p || !p->rb_waiting)
		return;
	p->rb_waiting = false;
	p->rb_left -= p->rb_chunk;
	/* Not from inside the engine: the next chunk pulls again. */
	sd_event_source_set_enabled(d->continue_src, SD_EVENT_ONESHOT);
}

void ifb_iiod_received(struct ifb_iiod *d, const struct ifb_stream *s, uint32_t len)
{
	struct iiod_pipe *p = stream_pipe(d, s);

	if (!p || !p->wb_busy)
		return;
	p->wb_busy = false;
	/* iiod's answer: the bytes taken (those of a last partial scan too) */
	reply_int(d, p, (long)p->wb_len);
	/* Not from inside the engine: the next command read. */
	sd_event_source_set_enabled(d->continue_src, SD_EVENT_ONESHOT);
}

void ifb_iiod_stream_ended(struct ifb_iiod *d, const struct ifb_stream *s,
			   enum ifb_stop_reason reason)
{
	struct iiod_pipe *p = stream_pipe(d, s);

	if (!p)
		return;
	pipe_drop_stream(p);
	p->rb_left = 0;
	p->rb_waiting = false;
	if (p->wb_busy && !p->closing) {
		/* the stream failed under a WRITEBUF: its data has nowhere to go */
		log_warning("IIOD pipe %u: the stream ended during a WRITEBUF; closing the pipe",
			    p->id);
		p->wb_busy = false;
		p->close_reply = false;
		pipe_close(d, p);
		sd_event_source_set_enabled(d->continue_src, SD_EVENT_ONESHOT);
		return;
	}
	p->wb_busy = false;
	if (p->closing) {
		p->closing = false;
		pipe_close(d, p);
	} else if (p->close_reply) {
		p->close_reply = false;
		reply_int(d, p, 0);
	}
	sd_event_source_set_enabled(d->continue_src, SD_EVENT_ONESHOT);
}

bool ifb_iiod_setup(struct ifb_iiod *d, const struct usb_ctrlrequest *setup)
{
	unsigned value = le16toh(setup->wValue);
	bool ok = false;

	if (le16toh(setup->wIndex) != ifb_usb_iiod_interface(&d->layout))
		return false;
	if ((setup->bRequestType & (USB_DIR_IN | USB_TYPE_MASK)) != USB_TYPE_VENDOR ||
	    le16toh(setup->wLength) != 0) {
		ok = false;
	} else if (setup->bRequest == IIOD_REQ_RESET_PIPES) {
		log_debug("IIOD: reset pipes");
		for (unsigned i = 0; i < d->npipes; i++)
			pipe_close(d, &d->pipes[i]);
		ok = true;
	} else if (setup->bRequest == IIOD_REQ_OPEN_PIPE && value < d->npipes) {
		ok = pipe_open(d, &d->pipes[value]) == 0;
	} else if (setup->bRequest == IIOD_REQ_CLOSE_PIPE && value < d->npipes) {
		log_debug("IIOD: close pipe %u", value);
		pipe_close(d, &d->pipes[value]);
		ok = true;
	}
	if (ok) {
		ifb_ep0_ack(d->b, "IIOD pipe request");
	} else {
		log_debug("IIOD: stalling request 0x%02x/%u value %u length %u", setup->bRequestType,
			  setup->bRequest, value, le16toh(setup->wLength));
		(void)ifb_ffs_stall(&d->b->ffs, setup);
	}
	return true;
}

void ifb_iiod_host_gone(struct ifb_iiod *d)
{
	for (unsigned i = 0; i < d->npipes; i++) {
		d->pipes[i].reopen = false;
		pipe_close(d, &d->pipes[i]);
	}
}

static int load_context(struct ifb_iiod *d, const struct ifb_config *cfg)
{
	const char *only[IFB_CFG_IIOD_DEVICES + 1];
	struct ifb_iiod_ctx_attr attrs[4];
	char uname_line[4 * sizeof(((struct utsname *)0)->release) + 8];
	char desc[5 * sizeof(((struct utsname *)0)->release) + 8];
	struct utsname u;
	size_t n = 0;
	int r;

	for (unsigned i = 0; i < cfg->iiod_num_devices; i++)
		only[i] = cfg->iiod_devices[i];
	only[cfg->iiod_num_devices] = NULL;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	snprintf(uname_line, sizeof(uname_line), "%s %s %s %s", u.sysname, u.release, u.version,
		 u.machine);
	snprintf(desc, sizeof(desc), "%s %s %s %s %s", u.sysname, u.nodename, u.release, u.version,
		 u.machine);
	attrs[n++] = (struct ifb_iiod_ctx_attr){ "local,kernel", u.release };
	attrs[n++] = (struct ifb_iiod_ctx_attr){ "uname", uname_line };
	if (cfg->iiod_hw_model[0])
		attrs[n++] = (struct ifb_iiod_ctx_attr){ "hw_model", cfg->iiod_hw_model };
	if (cfg->iiod_hw_serial[0])
		attrs[n++] = (struct ifb_iiod_ctx_attr){ "hw_serial", cfg->iiod_hw_serial };
	r = ifb_iiod_ctx_load("/sys/bus/iio/devices", "/sys/kernel/debug/iio",
			      cfg->iiod_num_devices ? only : NULL, attrs, n, desc, &d->ctx);
	if (r == -ENOENT) {
		char where[PATH_MAX + 64];

		ifb_config_where(cfg, IFB_KEY_IIOD_DEVICES, where, sizeof(where));
		return log_error_errno(r, "%s: a device in the list is not there", where);
	}
	if (r < 0)
		return log_error_errno(r, "Cannot read the IIO devices for the IIOD context");
	return 0;
}

int ifb_iiod_new(struct ifb_bridge *b, const struct ifb_usb_layout *layout,
		 struct ifb_iiod **ret)
{
	struct ifb_iiod *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return log_error_errno(-ENOMEM, "IIOD front end");
	d->b = b;
	d->layout = *layout;
	d->npipes = layout->iiod_pipes;
	d->efd = -1;
	for (unsigned i = 0; i < IFB_IIOD_MAX_PIPES; i++) {
		d->pipes[i].id = i;
		d->pipes[i].in_fd = d->pipes[i].out_fd = -1;
	}
	r = load_context(d, &b->cfg);
	if (r < 0)
		goto fail;
	r = io_setup(d->npipes * (IIOD_MAX_TX + 1), &d->aio);
	if (r < 0) {
		log_error_errno(r, "io_setup for the IIOD pipes failed");
		goto fail;
	}
	d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->efd < 0) {
		r = log_error_errno(neg_errno(), "eventfd for the IIOD pipes failed");
		goto fail;
	}
	r = sd_event_add_io(b->loop, &d->efd_src, d->efd, EPOLLIN, on_aio, d);
	if (r < 0) {
		log_error_errno(r, "Cannot watch the IIOD pipes");
		goto fail;
	}
	r = sd_event_add_defer(b->loop, &d->continue_src, on_continue, d);
	if (r < 0) {
		log_error_errno(r, "Cannot add the IIOD continuation");
		goto fail;
	}
	sd_event_source_set_enabled(d->continue_src, SD_EVENT_OFF);
	log_info("IIOD interface for libiio clients: %u pipes, %zu IIO devices in the context",
		 d->npipes, ifb_iiod_ctx_ndevices(d->ctx));
	*ret = d;
	return 0;
fail:
	ifb_iiod_free(d);
	return r;
}

struct ifb_iiod *ifb_iiod_free(struct ifb_iiod *d)
{
	if (!d)
		return NULL;
	for (unsigned i = 0; i < IFB_IIOD_MAX_PIPES; i++) {
		struct iiod_pipe *p = &d->pipes[i];

		cancel_inflight(d, p);
		closep(&p->in_fd);
		closep(&p->out_fd);
	}
	/* io_destroy waits for what could not be cancelled. */
	if (d->aio)
		io_destroy(d->aio);
	for (unsigned i = 0; i < IFB_IIOD_MAX_PIPES; i++) {
		while (d->pipes[i].inflight) {
			struct iiod_io *io = d->pipes[i].inflight;

			d->pipes[i].inflight = io->next;
			free(io);
		}
	}
	d->efd_src = sd_event_source_disable_unref(d->efd_src);
	d->continue_src = sd_event_source_disable_unref(d->continue_src);
	closep(&d->efd);
	ifb_iiod_ctx_free(d->ctx);
	free(d);
	return NULL;
}
