// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hybrid: the life of a block where only USB takes DMABUFs.
 *
 * Most IIO drivers (kfifo, triggered buffers, SPI ADCs) have no DMABUF
 * operations, and on 6.9/6.10 kernels only FunctionFS has a DMABUF
 * interface. Copy mode would copy every byte twice there (read(), then
 * FunctionFS's own copy into its request). Here every block is a DMABUF
 * from the pool, attached to the bulk IN endpoint only and mapped:
 *
 *   1. Queued for filling: DMA_BUF_IOCTL_SYNC START|WRITE, then read()
 *      from the IIO buffer straight into the mapping whenever the buffer is
 *      readable, until the block is full (copy mode's reader, with the
 *      mapping as its buffer: backend-copy.c).
 *   2. Full: DMA_BUF_IOCTL_SYNC END|WRITE, and the engine takes blocks in
 *      order and hands each to USB as zero-copy does:
 *      FUNCTIONFS_DMABUF_TRANSFER, a fence snapshot, POLLOUT
 *      (backend-zero-copy.c).
 *   3. POLLOUT: the UDC has sent it. Back to 1.
 *
 * The CPU copies each byte once, in read(). The ADC side is copy mode's, so
 * starvation is not counted (the kernel's read() buffering hides it) and
 * the first two kernel blocks of a stream are dropped (ifb_copy_prepare).
 * The USB side is zero-copy's: the poll source of a block is on only while
 * USB has it, the fence error reaches the engine, and the endpoint is
 * released by closing it, never by FUNCTIONFS_DMABUF_DETACH.
 *
 * An output stream (host to DAC), for DACs whose IIO buffer has no DMABUF
 * operations, goes round the other way:
 *
 *   1. FUNCTIONFS_DMABUF_TRANSFER on the bulk OUT endpoint, a fence
 *      snapshot, POLLOUT, as zero-copy receives (backend-zero-copy.c). A
 *      block holds block_size bytes unless it holds the announced end.
 *   2. Received: DMA_BUF_IOCTL_SYNC START|READ, and the block goes to copy
 *      mode's writer: non-blocking write()s from the mapping to the IIO
 *      buffer, in arrival order, on POLLOUT (backend-copy.c).
 *   3. Written whole: DMA_BUF_IOCTL_SYNC END|READ; held as copy mode holds
 *      it (the kernel's fileio blocks play out before a STOP ends), then
 *      back to 1.
 *
 * The CPU copies each byte once, in write(). Underflows are not counted
 * and a stream's end plays up to the kernel's last whole fileio block, as
 * in copy mode.
 */
#include <errno.h>
#include <string.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"

static int hybrid_adc_enqueue(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	int r;

	if (!k->cpu_access) {
		r = ifb_dmabuf_cpu_write(k->fd, true);
		if (r < 0)
			return log_error_errno(r, "%sCannot begin CPU access to DMABUF %u", s->logp, i);
		k->cpu_access = true;
	}
	return ifb_copy_ops.adc_enqueue(ctx, i);
}

static int hybrid_usb_submit(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	int r;

	if (k->cpu_access) {
		r = ifb_dmabuf_cpu_write(k->fd, false);
		if (r < 0)
			return log_error_errno(r, "%sCannot end CPU access to DMABUF %u", s->logp, i);
		k->cpu_access = false;
	}
	return ifb_zc_ops.usb_submit(ctx, i);
}

/* Copy mode's: stop the reader, disable the buffer, give back the blocks
 * waiting for data. */
static void hybrid_adc_stop(void *ctx)
{
	ifb_copy_ops.adc_stop(ctx);
}

static bool hybrid_adc_finished(void *ctx, unsigned i)
{
	return false; /* read() hides when the ADC ran dry, as in copy mode */
}

static const struct ifb_engine_ops hybrid_ops = {
	.adc_enqueue = hybrid_adc_enqueue,
	.adc_finished = hybrid_adc_finished,
	.usb_submit = hybrid_usb_submit,
	.adc_stop = hybrid_adc_stop,
	.stopped = ifb_session_engine_stopped,
	.pulled = ifb_session_pulled,
};

/* Output: receive into block i, as zero-copy does. */
static int hybrid_usb_receive(void *ctx, unsigned i)
{
	struct ifb_stream *s = ctx;

	if (s->blk[i].cpu_access) /* a stream cut short left it open */
		ifb_hybrid_out_written(s, i);
	return ifb_zc_out_ops.usb_receive(ctx, i);
}

/* Output: the CPU reads what USB wrote into the DMABUF, then copy mode's
 * writer write()s it to the DAC. */
static int hybrid_dac_enqueue(void *ctx, unsigned i, uint32_t len, bool cyclic)
{
	struct ifb_stream *s = ctx;
	struct ifb_block *k = &s->blk[i];
	int r;

	if (!k->cpu_access) {
		r = ifb_dmabuf_cpu_read(k->fd, true);
		if (r < 0)
			return log_error_errno(r, "%sCannot begin CPU access to DMABUF %u", s->logp, i);
		k->cpu_access = true;
	}
	return ifb_copy_out_dac_enqueue(ctx, i, len, cyclic);
}

void ifb_hybrid_out_written(struct ifb_stream *s, unsigned i)
{
	struct ifb_block *k = &s->blk[i];
	int r;

	if (!k->cpu_access)
		return;
	r = ifb_dmabuf_cpu_read(k->fd, false);
	if (r < 0)
		log_debug("%sEnding CPU access to DMABUF %u: %s", s->logp, i, strerror(-r));
	k->cpu_access = false;
}

static bool hybrid_dac_finished(void *ctx, unsigned i)
{
	return false; /* write() hides the DAC's queue, as in copy mode */
}

/* Zero-copy's USB side (detach what the host has not filled), copy
 * mode's writer. */
static void hybrid_usb_stop(void *ctx)
{
	ifb_zc_out_ops.usb_stop(ctx);
	ifb_copy_out_stop_writer(ctx);
}

static const struct ifb_engine_ops hybrid_out_ops = {
	.usb_receive = hybrid_usb_receive,
	.dac_enqueue = hybrid_dac_enqueue,
	.dac_stop = ifb_copy_out_dac_stop,
	.dac_finished = hybrid_dac_finished,
	.usb_stop = hybrid_usb_stop,
	.stopped = ifb_session_engine_stopped,
	.received = ifb_session_received,
};

void ifb_hybrid_release(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];
		int r;

		if (!k->cpu_access)
			continue;
		r = s->iio.output ? ifb_dmabuf_cpu_read(k->fd, false) : ifb_dmabuf_cpu_write(k->fd, false);
		if (r < 0)
			log_debug("%sEnding CPU access to DMABUF %u: %s", s->logp, i, strerror(-r));
		k->cpu_access = false;
	}
}

/* A stream's set-up: every DMABUF attached to the endpoint, copy mode's
 * reader on the IIO buffer. Auto mode falls back to copy where FunctionFS
 * refuses (the probe could not ask an unbound UDC). */
static int hybrid_open(struct ifb_stream *s)
{
	int r = ifb_zc_attach_usb(s);

	if (r == -ENOTCONN)
		return log_error_errno(r, "%sNo stream: the host went away", s->logp);
	if (r < 0 && (s->mode_final || s->cfg.mode == IFB_CFG_MODE_HYBRID))
		return log_error_errno(r, "%sFunctionFS DMABUF attach failed%s", s->logp,
				       ifb_zc_attach_hint(s, true, r));
	if (r < 0) {
		log_warning("%sHybrid mode unavailable: FunctionFS DMABUF attach failed: %s%s; using copy mode", s->logp,
			    strerror(-r), ifb_zc_attach_hint(s, true, r));
		return ifb_session_fall_back(s, IFB_MODE_COPY);
	}
	if (s->engine.stream_id == 0 && s->iio.output) /* the first stream */
		log_info("%sHybrid mode: %u DMABUFs of %u bytes from %s, DMABUF transfers from USB, "
			 "write() from them to IIO", s->logp, s->nblocks, s->cfg.block_size,
			 s->alloc.name);
	else if (s->engine.stream_id == 0)
		log_info("%sHybrid mode: %u DMABUFs of %u bytes from %s, read() from IIO into "
			 "them, DMABUF transfers to USB", s->logp, s->nblocks, s->cfg.block_size,
			 s->alloc.name);
	s->mode_final = true; /* USB took the DMABUFs: no fallback from here */
	return ifb_copy_prepare(s);
}

/* The USB side is zero-copy's, and so is its cancel: detaching a DMABUF
 * dequeues its transfer. */
const struct ifb_backend ifb_backend_hybrid = {
	.mode = IFB_MODE_HYBRID,
	.ops = &hybrid_ops,
	.out_ops = &hybrid_out_ops,
	.count_starvation = false,
	.time_source = IFB_TIME_READ,
	.pool_alloc = ifb_pool_alloc_dmabufs,
	.open = hybrid_open,
	.cancel_usb = ifb_zc_cancel_usb,
};
