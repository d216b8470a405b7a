// SPDX-License-Identifier: GPL-2.0-only
/*
 * iio-sim-dac: a simulated high-speed DAC for the iio-ffs-bridge VM rig.
 *
 * The mirror of iio-sim-adc: a platform device + IIO device "iio-sim-dac"
 * with an *output* buffer (IIO_BUFFER_DIRECTION_OUT) on the kernel's own DMA
 * buffer core (industrialio-buffer-dma), so write() on the buffer fd and the
 * DMABUF ioctls (bytes_used, IIO_BUFFER_DMABUF_CYCLIC) take the kernel's real
 * output paths. A kthread plays the DMA controller: it "plays" each block
 * (reads it and checks it) and completes it.
 *
 * Channels: out_voltage0 (scan index 0) and out_voltage1 (scan index 1), all
 * le:u16/16>>0 (module parameter channels: up to out_voltage3); their scan
 * elements are out_voltageN_en/_type/_index in buffer0/ (and scan_elements/).
 * No timestamp channel.
 *
 * The pattern it expects is the ADC's contract seen from the other side: a
 * scan counter n starts at 0 when the buffer is enabled and counts the scans
 * the DAC plays (a cyclic block's repetitions included, see below). Scan n
 * holds voltageK = (n >> 16K) & 0xffff for each enabled channel, so with
 * voltage0 and voltage1 enabled the stream is the consecutive little-endian
 * u32 values 0, 1, 2, ...
 * Checking: a scan that does not hold n counts as one mismatch
 * (sim_mismatches; sim_first_mismatch keeps the stream byte offset of the
 * first). The scan after a mismatch may continue either the old counter (an
 * isolated bad scan) or the mismatching scan's value (the stream jumped: the
 * DAC resynchronises to it), so one corrupted scan, or one jump, counts once
 * and what follows is checked normally.
 *
 * Several devices (module parameter devices): device 0 is named
 * "iio-sim-dac", device i > 0 "iio-sim-dac<i>"; each has its own buffer,
 * thread, counter and attributes. channels=A,B,... and rates=A,B,... give
 * each device its channel count (1 to 4, default 2) and its default
 * sampling_frequency. Module parameter dmabuf (default 1): 0 leaves the
 * DMABUF operations out of the buffer (IIO_BUFFER_DMABUF_ATTACH_IOCTL then
 * fails with EPERM).
 *
 * Playing. A block holds whole scans only: bytes_used is rounded down to a
 * multiple of the scan size; a block with less than one scan is refused
 * with EINVAL (its DMABUF fence signals the error). A block's data is read
 * and checked when it starts playing.
 *   sim_paced 0 (default): a block is played as fast as the thread can and
 *     completed at once. No underflows.
 *   sim_paced 1: a block plays for (scans / sampling_frequency) of wall time
 *     and completes (its fence signals) once that has passed; the next block
 *     starts where it ended. If no block was queued when the previous one
 *     completed (as the ADC: from the moment its fence signalled, which is
 *     what userspace can see, not the moment its time was up, which a late
 *     thread passes before it signals), the DAC ran dry: an UNDERFLOW,
 *     recorded with the stream offset
 *     at which playing resumed (bytes played so far = the offset of the first
 *     byte of the block that ends the underflow). The first block after an
 *     enable is never an underflow (blocks queued before enable start at the
 *     enable). Nothing is played while dry, so n does not advance: after an
 *     underflow the stream continues the counter where it stopped.
 *   Cyclic blocks (IIO_BUFFER_DMABUF_CYCLIC), paced or not: the block is
 *     played again and again, at sampling_frequency in wall time in both
 *     modes (an unpaced cyclic block must not spin the CPU), until another
 *     block is queued; it then completes at the end of the repetition that
 *     was playing when that block was queued (a block queued before the
 *     cyclic one even started leaves it one pass), and the next block
 *     follows with no underflow. The first pass is checked against the
 *     counter; the further passes are counted (sim_cyclic_repeats), not read
 *     again (a waveform repeats), but they advance n and sim_bytes_played
 *     like any played scans. So a block queued after a cyclic one is
 *     expected to continue the counter after all the repetitions; if it
 *     does not (its writer could not know how many there would be), that is
 *     one mismatch and the DAC resynchronises to it.
 *
 * Device attributes (in /sys/bus/iio/devices/iio:deviceN/):
 *   sampling_frequency   integer Hz, read/write, default 10000000; EBUSY
 *                        while paced and enabled, and while a cyclic block
 *                        plays (its passes are timed by it).
 *   sim_paced            0 or 1, see above; EBUSY while enabled.
 *   sim_fail_blocks      write N: the next N blocks submitted fail. A failed
 *                        block is given back, when its turn to play comes,
 *                        with iio_dma_buffer_block_list_abort(): a DMABUF's
 *                        fence signals -EINTR (a fileio block: the core also
 *                        leaves fileio mode, its own behaviour; meant for
 *                        DMABUF blocks). Its scans are consumed (n advances
 *                        past them) but not played: no time, no bytes.
 *   Read-only, all reset when the buffer is enabled:
 *   sim_bytes_played     u64: bytes whose play has finished (a cyclic
 *                        block's passes count as each one ends).
 *   sim_blocks_done      blocks completed with success.
 *   sim_blocks_failed    blocks failed by sim_fail_blocks.
 *   sim_mismatches       scans that did not match (see Checking).
 *   sim_first_mismatch   stream byte offset of the first of them, or -1.
 *   sim_underflows       underflows (paced mode).
 *   sim_underflow_offsets the stream offsets of the first 16 underflows,
 *                        space-separated (empty line: none).
 *   sim_cyclic_repeats   passes of cyclic blocks after their first one
 *                        (live while a cyclic block plays).
 *   sim_first_play_ns    u64: the ktime (CLOCK_MONOTONIC, ns) at which the
 *                        first block of this enable started playing, 0
 *                        while none has: its start as Playing defines it
 *                        (paced: when its first scan plays, i.e. its
 *                        submission, or the enable for a block queued
 *                        before it; unpaced: when the thread took it). A
 *                        failed block is not played. For measuring timed
 *                        starts (tests/vm/cases/time-tx.sh).
 * sim_fail_blocks is a request, not a statistic: enable leaves it.
 *
 * Disabling the buffer aborts every submitted block that is not done yet,
 * the one playing (a cyclic one too) included: they go back through
 * iio_dma_buffer_block_list_abort() (DMABUF fences signal -EINTR).
 * At most SIM_MAX_QUEUED (64) blocks can be submitted and not done; more
 * are refused with EBUSY (a fence error).
 *
 * Kernel versions: the DMA buffer core can write (output buffers) from 6.8
 * and has DMABUF blocks (block->fileio, sg_table, fence, cyclic) from 6.11;
 * this module needs both, so Kbuild builds it for 6.11+ only (not for the
 * rig's 6.1 kernel, whose DMA buffer core is input-only).
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/iio/buffer-dma.h>
#include <linux/iio/buffer.h>
#include <linux/iio/iio.h>
#include <linux/iio/sysfs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/version.h>
#include <linux/wait.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#error "iio-sim-dac needs the DMA buffer core's output and DMABUF support (6.11+)"
#endif

static bool dmabuf = true;
module_param(dmabuf, bool, 0444);
MODULE_PARM_DESC(dmabuf, "offer the DMABUF buffer operations (default yes)");

#define SIM_NAME		"iio-sim-dac"
#define SIM_DEFAULT_FREQ	10000000
#define SIM_MAX_DEVICES		8
#define SIM_MAX_CHANNELS	4
#define SIM_MAX_QUEUED		64
#define SIM_MAX_UNDERFLOWS	16

static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "simulated DACs to create, 1 to 8 (default 1)");
static unsigned int channels[SIM_MAX_DEVICES];
static int num_channels_param;
module_param_array_named(channels, channels, uint, &num_channels_param, 0444);
MODULE_PARM_DESC(channels, "channels of each device, 1 to 4 (default 2)");
static unsigned int rates[SIM_MAX_DEVICES];
static int num_rates_param;
module_param_array_named(rates, rates, uint, &num_rates_param, 0444);
MODULE_PARM_DESC(rates, "default sampling_frequency of each device in Hz (default 10000000)");

struct sim_buffer {
	struct iio_dma_buffer_queue queue;
};

/* What the DAC knows of a submitted block, in submission order. */
struct sim_queued {
	ktime_t submitted;
	bool fail;
};

/* The pattern checker; only the DMA thread touches it while running. */
struct sim_check {
	u64 n;			/* counter the next scan should hold */
	u64 alt;		/* after a mismatch: that scan's value + 1 */
	bool have_alt;
	unsigned long mask;
	unsigned int scan_bytes;
	u8 part[2 * SIM_MAX_CHANNELS];	/* a scan split across segments */
	unsigned int off;
	u64 pos;		/* stream offset of the next byte */
	u64 mismatches;
	s64 first_mismatch;
};

struct sim_dac {
	struct device *dev;
	struct iio_dev *indio_dev;
	struct iio_buffer *buffer;
	struct task_struct *thread;
	wait_queue_head_t wq;

	/* Protects everything below. */
	struct mutex lock;
	unsigned long events;		/* bumped by whatever the thread must see */
	struct list_head active;	/* submitted blocks not yet playing */
	struct sim_queued ring[SIM_MAX_QUEUED];	/* one per @active entry */
	unsigned int ring_head, ring_len;
	bool running;
	u32 freq;
	bool paced;
	unsigned int fail_blocks;
	unsigned long scan_mask;
	unsigned int scan_bytes;
	ktime_t t0;			/* enable time */
	bool started;			/* a block has played since enable */
	ktime_t prev_end;		/* when the last block played ended (its time was up) */
	ktime_t prev_done;		/* when it completed: its fence signalled */
	/* block the thread took off @active and works on outside the lock */
	struct iio_dma_buffer_block *busy;
	/* the block playing (checked already) and how */
	struct iio_dma_buffer_block *playing;
	ktime_t play_start, play_end;	/* play_end: non-cyclic only */
	u64 play_bytes, play_scans;
	bool play_cyclic;
	struct sim_check check;
	/* statistics, reset at enable */
	u64 bytes_played;
	unsigned long blocks_done;
	unsigned long blocks_failed;
	u64 mismatches;
	s64 first_mismatch;
	unsigned long underflows;
	u64 underflow_offsets[SIM_MAX_UNDERFLOWS];
	u64 cyclic_repeats;
	u64 first_play_ns;		/* the first block's play_start; 0: none yet */
};

static struct sim_dac *queue_to_sim(struct iio_dma_buffer_queue *queue)
{
	return iio_priv(dev_get_drvdata(queue->dev));
}

/* Wall time @scans take at sampling_frequency. */
static u64 sim_scans_ns(struct sim_dac *sim, u64 scans)
{
	return mul_u64_u32_div(scans, NSEC_PER_SEC, sim->freq);
}

/* @n with the enabled channels' bits replaced by what @scan holds. */
static u64 sim_scan_value(unsigned long mask, u64 n, const u8 *scan)
{
	unsigned int k, pos = 0;

	for (k = 0; k < SIM_MAX_CHANNELS; k++) {
		if (mask & BIT(k)) {
			n &= ~(0xffffULL << (16 * k));
			n |= (u64)get_unaligned_le16(scan + pos) << (16 * k);
			pos += 2;
		}
	}
	return n;
}

static void sim_check_scan(struct sim_check *c, const u8 *scan, u64 pos)
{
	u64 v = sim_scan_value(c->mask, c->n, scan);

	if (v == c->n) {
		c->n++;
		c->have_alt = false;
	} else if (c->have_alt && sim_scan_value(c->mask, c->alt, scan) == c->alt) {
		/* the stream jumped at the previous scan: follow it */
		c->n = c->alt + 1;
		c->have_alt = false;
	} else {
		if (!c->mismatches)
			c->first_mismatch = pos;
		c->mismatches++;
		c->alt = v + 1;
		c->have_alt = true;
		c->n++;
	}
}

/* Checks the next @len bytes of the stream, at @src. */
static void sim_check_bytes(struct sim_check *c, const u8 *src, size_t len)
{
	while (len) {
		if (!c->off && len >= c->scan_bytes) {
			/* The usual case, two channels: a u32 counter. */
			if (c->mask == (BIT(0) | BIT(1))) {
				while (len >= 4 && get_unaligned_le32(src) == (u32)c->n &&
				       !c->have_alt) {
					c->n++;
					src += 4;
					len -= 4;
					c->pos += 4;
				}
				if (len < 4)
					continue;
			}
			sim_check_scan(c, src, c->pos);
			src += c->scan_bytes;
			len -= c->scan_bytes;
			c->pos += c->scan_bytes;
			continue;
		}
		c->part[c->off++] = *src++;
		len--;
		if (c->off == c->scan_bytes) {
			c->off = 0;
			sim_check_scan(c, c->part, c->pos);
			c->pos += c->scan_bytes;
		}
	}
}

/* Reads the first @bytes of @block through the checker. */
static void sim_check_block(struct sim_dac *sim, struct iio_dma_buffer_block *block,
			    struct sim_check *c, size_t bytes)
{
	struct sg_mapping_iter miter;
	size_t left = bytes;

	if (block->fileio) {
		sim_check_bytes(c, block->vaddr, bytes);
		return;
	}

	/* IIO maps an output buffer's DMABUFs DMA_TO_DEVICE. */
	dma_sync_sgtable_for_cpu(sim->dev, block->sg_table, DMA_TO_DEVICE);
	sg_miter_start(&miter, block->sg_table->sgl, block->sg_table->orig_nents,
		       SG_MITER_FROM_SG);
	while (left && sg_miter_next(&miter)) {
		size_t len = min(left, miter.length);

		sim_check_bytes(c, miter.addr, len);
		left -= len;
	}
	sg_miter_stop(&miter);
	dma_sync_sgtable_for_device(sim->dev, block->sg_table, DMA_TO_DEVICE);
	if (left) {
		dev_warn_ratelimited(sim->dev, "DMABUF sg_table shorter than bytes_used\n");
		c->pos += left;	/* keep offsets those of the stream */
	}
}

static size_t sim_block_bytes(struct sim_dac *sim, struct iio_dma_buffer_block *block)
{
	return rounddown(block->bytes_used, sim->scan_bytes);
}

/*
 * With sim->lock held: when the playing cyclic block ends, given that the
 * block after it was submitted at @next: at the end of the pass playing at
 * @next (or of its first pass). Sets *@passes.
 */
static ktime_t sim_cyclic_end(struct sim_dac *sim, ktime_t next, u64 *passes)
{
	u64 period = max_t(u64, sim_scans_ns(sim, sim->play_scans), 1);
	s64 ns = ktime_to_ns(ktime_sub(next, sim->play_start));

	*passes = ns < 0 ? 1 : div64_u64(ns, period) + 1;
	return ktime_add_ns(sim->play_start, *passes * period);
}

/*
 * With sim->lock held: passes of the playing cyclic block ended by @now (at
 * most those it plays in all once a block is queued after it, however late
 * the thread is to complete it).
 */
static u64 sim_cyclic_passes(struct sim_dac *sim, ktime_t now)
{
	u64 period = sim_scans_ns(sim, sim->play_scans);
	s64 ns = ktime_to_ns(ktime_sub(now, sim->play_start));
	u64 passes, last;

	if (!sim->playing || !sim->play_cyclic || ns <= 0 || !period)
		return 0;
	passes = div64_u64(ns, period);
	if (!list_empty(&sim->active)) {
		sim_cyclic_end(sim, sim->ring[sim->ring_head].submitted, &last);
		passes = min(passes, last);
	}
	return passes;
}

enum sim_action { SIM_WAIT, SIM_START, SIM_DONE, SIM_FAIL };

/* What the DMA thread does next, decided under sim->lock. */
struct sim_job {
	enum sim_action action;
	struct iio_dma_buffer_block *block;
	size_t bytes;
	ktime_t start;
	ktime_t wait;		/* SIM_WAIT: how long (KTIME_MAX: until woken) */
};

static void sim_ring_pop(struct sim_dac *sim, struct sim_queued *q)
{
	*q = sim->ring[sim->ring_head];
	sim->ring_head = (sim->ring_head + 1) % SIM_MAX_QUEUED;
	sim->ring_len--;
}

/* The next block to play: take it, note an underflow, find its start. */
static void sim_take_next(struct sim_dac *sim, struct sim_job *job, ktime_t now)
{
	struct iio_dma_buffer_block *block;
	struct sim_queued q;

	block = list_first_entry(&sim->active, struct iio_dma_buffer_block, head);
	list_del_init(&block->head);
	sim_ring_pop(sim, &q);
	sim->busy = block;
	job->block = block;
	job->bytes = sim_block_bytes(sim, block);

	if (q.fail) {
		job->action = SIM_FAIL;
		sim->blocks_failed++;
		return;
	}
	job->action = SIM_START;
	if (!sim->paced) {
		job->start = now;
	} else if (!sim->started) {
		/* blocks queued before enable start with it */
		job->start = ktime_after(q.submitted, sim->t0) ? q.submitted : sim->t0;
	} else if (ktime_after(q.submitted, sim->prev_done)) {
		/* nothing was queued when the last block ended: ran dry */
		if (sim->underflows < SIM_MAX_UNDERFLOWS)
			sim->underflow_offsets[sim->underflows] = sim->bytes_played;
		sim->underflows++;
		job->start = q.submitted;
	} else {
		job->start = sim->prev_end;
	}
	sim->started = true;
}

static void sim_dma_step(struct sim_dac *sim, struct sim_job *job)
{
	ktime_t now = ktime_get();

	job->action = SIM_WAIT;
	job->wait = KTIME_MAX;
	if (!sim->running)
		return;

	if (!sim->playing) {
		if (!list_empty(&sim->active))
			sim_take_next(sim, job, now);
		return;
	}

	if (sim->play_cyclic) {
		struct sim_queued *next = &sim->ring[sim->ring_head];
		ktime_t end;
		u64 passes;

		if (list_empty(&sim->active))
			return;		/* repeats until a block is queued */
		end = sim_cyclic_end(sim, next->submitted, &passes);
		if (ktime_before(now, end)) {
			job->wait = ktime_sub(end, now);
			return;
		}
		sim->bytes_played += passes * sim->play_bytes;
		sim->cyclic_repeats += passes - 1;
		/* the first pass advanced the counter when it was checked */
		sim->check.n += (passes - 1) * sim->play_scans;
		sim->check.pos += (passes - 1) * sim->play_bytes;
		sim->prev_end = end;
		sim->prev_done = end;
	} else {
		if (sim->paced && ktime_before(now, sim->play_end)) {
			job->wait = ktime_sub(sim->play_end, now);
			return;
		}
		sim->bytes_played += sim->play_bytes;
		sim->prev_end = sim->paced ? sim->play_end : now;
		sim->prev_done = KTIME_MAX; /* until its fence has signalled */
	}
	sim->blocks_done++;
	job->action = SIM_DONE;
	job->block = sim->playing;
	sim->playing = NULL;
	sim->busy = job->block;
}

static void sim_give_back(struct sim_dac *sim, struct iio_dma_buffer_block *block)
{
	struct iio_dma_buffer_queue *queue =
		container_of(sim->buffer, struct iio_dma_buffer_queue, buffer);
	LIST_HEAD(list);

	list_add_tail(&block->head, &list);
	iio_dma_buffer_block_list_abort(queue, &list);
}

/* Runs SIM_START/SIM_DONE/SIM_FAIL outside sim->lock (see sim_dma_thread). */
static void sim_run_job(struct sim_dac *sim, struct sim_job *job)
{
	struct iio_dma_buffer_block *block = job->block;
	bool abort = false;

	switch (job->action) {
	case SIM_START:
		/* sim->check is the thread's while the block is busy */
		sim_check_block(sim, block, &sim->check, job->bytes);
		mutex_lock(&sim->lock);
		sim->mismatches = sim->check.mismatches;
		sim->first_mismatch = sim->check.first_mismatch;
		if (sim->running) {
			if (!sim->first_play_ns)
				sim->first_play_ns = ktime_to_ns(job->start);
			sim->playing = block;
			sim->play_start = job->start;
			sim->play_bytes = job->bytes;
			sim->play_scans = job->bytes / sim->scan_bytes;
			sim->play_cyclic = block->cyclic;
			sim->play_end = ktime_add_ns(job->start,
						     sim_scans_ns(sim, sim->play_scans));
		} else {
			abort = true;	/* disabled while it was being read */
		}
		if (!abort)
			sim->busy = NULL;
		sim->events++;
		mutex_unlock(&sim->lock);
		if (abort)
			break;
		wake_up(&sim->wq);
		return;
	case SIM_FAIL:
		sim->check.n += job->bytes / sim->scan_bytes;
		break;
	case SIM_DONE:
		break;
	default:
		return;
	}
	if (job->action == SIM_DONE)
		iio_dma_buffer_block_done(block);
	else
		sim_give_back(sim, block);
	mutex_lock(&sim->lock);
	/* a block completes when its fence has signalled: the next one
	 * queued after this moment found the DAC dry */
	if (job->action == SIM_DONE && sim->paced && !block->cyclic)
		sim->prev_done = ktime_get();
	sim->busy = NULL;
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
}

/*
 * The "DMA". Blocks are read, completed and given back outside sim->lock:
 * the core's completion helpers are DMA fence signalling sections, and
 * sim_submit() takes sim->lock inside one.
 */
static int sim_dma_thread(void *data)
{
	struct sim_dac *sim = data;

	while (!kthread_should_stop()) {
		struct sim_job job;
		unsigned long ev;

		mutex_lock(&sim->lock);
		sim_dma_step(sim, &job);
		ev = sim->events;
		mutex_unlock(&sim->lock);

		if (job.action != SIM_WAIT) {
			sim_run_job(sim, &job);
			cond_resched();
			continue;
		}
		if (job.wait == KTIME_MAX) {
			wait_event_interruptible(sim->wq, kthread_should_stop() ||
						 READ_ONCE(sim->events) != ev);
		} else {
			long left = nsecs_to_jiffies(ktime_to_ns(job.wait));

			wait_event_interruptible_timeout(sim->wq, kthread_should_stop() ||
							 READ_ONCE(sim->events) != ev,
							 max(left, 1L));
		}
	}
	return 0;
}

static int sim_submit(struct iio_dma_buffer_queue *queue,
		      struct iio_dma_buffer_block *block)
{
	struct sim_dac *sim = queue_to_sim(queue);
	int ret = 0;

	/* A fileio block is full: the core sets bytes_used to its size. */
	if (block->bytes_used < sim->scan_bytes)
		return -EINVAL;

	mutex_lock(&sim->lock);
	if (sim->ring_len == SIM_MAX_QUEUED) {
		ret = -EBUSY;
	} else {
		struct sim_queued *q =
			&sim->ring[(sim->ring_head + sim->ring_len) % SIM_MAX_QUEUED];

		q->submitted = ktime_get();
		q->fail = sim->fail_blocks > 0;
		if (q->fail)
			sim->fail_blocks--;
		sim->ring_len++;
		list_add_tail(&block->head, &sim->active);
		sim->events++;
	}
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
	return ret;
}

static void sim_abort(struct iio_dma_buffer_queue *queue)
{
	struct sim_dac *sim = queue_to_sim(queue);
	LIST_HEAD(aborted);

	mutex_lock(&sim->lock);
	sim->running = false;
	list_splice_tail_init(&sim->active, &aborted);
	sim->ring_head = 0;
	sim->ring_len = 0;
	if (sim->playing) {
		/* passes of a cyclic block that ended before the abort */
		u64 passes = sim_cyclic_passes(sim, ktime_get());

		if (passes) {
			sim->bytes_played += passes * sim->play_bytes;
			sim->cyclic_repeats += passes - 1;
		}
		list_add_tail(&sim->playing->head, &aborted);
		sim->playing = NULL;
	}
	sim->events++;
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);

	iio_dma_buffer_block_list_abort(queue, &aborted);
	/* A block the thread is working on is given back by the thread. */
	wait_event(sim->wq, !READ_ONCE(sim->busy));
}

static const struct iio_dma_buffer_ops sim_dma_ops = {
	.submit = sim_submit,
	.abort = sim_abort,
};

static void sim_buffer_release(struct iio_buffer *buf)
{
	struct sim_buffer *sbuf = container_of(buf, struct sim_buffer, queue.buffer);

	iio_dma_buffer_release(&sbuf->queue);
	kfree(sbuf);
}

#define SIM_BUFFER_ACCESS_COMMON				\
	.write = iio_dma_buffer_write,				\
	.space_available = iio_dma_buffer_usage,		\
	/* as the kernel's DMA engine buffer: bufferN/data_available calls it	\
	 * unconditionally, whatever the direction */		\
	.data_available = iio_dma_buffer_usage,		\
	.request_update = iio_dma_buffer_request_update,	\
	.set_bytes_per_datum = iio_dma_buffer_set_bytes_per_datum, \
	.set_length = iio_dma_buffer_set_length,		\
	.enable = iio_dma_buffer_enable,			\
	.disable = iio_dma_buffer_disable,			\
	.release = sim_buffer_release,				\
	.modes = INDIO_BUFFER_HARDWARE

static const struct iio_buffer_access_funcs sim_buffer_access = {
	SIM_BUFFER_ACCESS_COMMON,
	.attach_dmabuf = iio_dma_buffer_attach_dmabuf,
	.detach_dmabuf = iio_dma_buffer_detach_dmabuf,
	.enqueue_dmabuf = iio_dma_buffer_enqueue_dmabuf,
	.get_dma_dev = iio_dma_buffer_get_dma_dev,
	.lock_queue = iio_dma_buffer_lock_queue,
	.unlock_queue = iio_dma_buffer_unlock_queue,
};

/* dmabuf=0: the same buffer without DMABUF operations. */
static const struct iio_buffer_access_funcs sim_buffer_access_nodmabuf = {
	SIM_BUFFER_ACCESS_COMMON,
};

static int sim_preenable(struct iio_dev *indio_dev)
{
	struct sim_dac *sim = iio_priv(indio_dev);
	unsigned long mask = *indio_dev->active_scan_mask &
			     GENMASK(indio_dev->num_channels - 1, 0);

	if (!mask)
		return -EINVAL;

	mutex_lock(&sim->lock);
	sim->scan_mask = mask;
	sim->scan_bytes = 2 * hweight_long(mask);
	sim->check = (struct sim_check) {
		.mask = mask,
		.scan_bytes = sim->scan_bytes,
		.first_mismatch = -1,
	};
	sim->started = false;
	sim->bytes_played = 0;
	sim->blocks_done = 0;
	sim->blocks_failed = 0;
	sim->mismatches = 0;
	sim->first_mismatch = -1;
	sim->underflows = 0;
	sim->cyclic_repeats = 0;
	sim->first_play_ns = 0;
	mutex_unlock(&sim->lock);
	return 0;
}

/* The blocks queued before enable have been submitted: they start now. */
static int sim_postenable(struct iio_dev *indio_dev)
{
	struct sim_dac *sim = iio_priv(indio_dev);

	mutex_lock(&sim->lock);
	sim->t0 = ktime_get();
	sim->running = true;
	sim->events++;
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
	return 0;
}

static int sim_postdisable(struct iio_dev *indio_dev)
{
	struct sim_dac *sim = iio_priv(indio_dev);

	mutex_lock(&sim->lock);
	sim->running = false;
	sim->events++;
	mutex_unlock(&sim->lock);
	return 0;
}

static const struct iio_buffer_setup_ops sim_setup_ops = {
	.preenable = sim_preenable,
	.postenable = sim_postenable,
	.postdisable = sim_postdisable,
};

#define SIM_CHAN(idx) {						\
	.type = IIO_VOLTAGE,					\
	.indexed = 1,						\
	.output = 1,						\
	.channel = (idx),					\
	.info_mask_shared_by_all = BIT(IIO_CHAN_INFO_SAMP_FREQ), \
	.scan_index = (idx),					\
	.scan_type = {						\
		.sign = 'u',					\
		.realbits = 16,					\
		.storagebits = 16,				\
		.shift = 0,					\
		.endianness = IIO_LE,				\
	},							\
}

static const struct iio_chan_spec sim_channels[SIM_MAX_CHANNELS] = {
	SIM_CHAN(0),
	SIM_CHAN(1),
	SIM_CHAN(2),
	SIM_CHAN(3),
};

static int sim_read_raw(struct iio_dev *indio_dev, struct iio_chan_spec const *chan,
			int *val, int *val2, long mask)
{
	struct sim_dac *sim = iio_priv(indio_dev);

	if (mask != IIO_CHAN_INFO_SAMP_FREQ)
		return -EINVAL;
	mutex_lock(&sim->lock);
	*val = sim->freq;
	mutex_unlock(&sim->lock);
	return IIO_VAL_INT;
}

static int sim_write_raw(struct iio_dev *indio_dev, struct iio_chan_spec const *chan,
			 int val, int val2, long mask)
{
	struct sim_dac *sim = iio_priv(indio_dev);
	int ret = 0;

	if (mask != IIO_CHAN_INFO_SAMP_FREQ)
		return -EINVAL;
	if (val <= 0 || val2)
		return -EINVAL;
	mutex_lock(&sim->lock);
	/*
	 * The playing block's timing is fixed while paced. (Unpaced, only a
	 * cyclic block's repetitions follow the rate: they take the new one
	 * from its next start.)
	 */
	if (sim->running && sim->paced)
		ret = -EBUSY;
	else if (sim->playing && sim->play_cyclic)
		ret = -EBUSY;
	else
		sim->freq = val;
	mutex_unlock(&sim->lock);
	return ret;
}

static int sim_write_raw_get_fmt(struct iio_dev *indio_dev,
				 struct iio_chan_spec const *chan, long mask)
{
	return IIO_VAL_INT;
}

static struct sim_dac *dev_to_sim(struct device *dev)
{
	return iio_priv(dev_to_iio_dev(dev));
}

static ssize_t sim_paced_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_to_sim(dev)->paced));
}

static ssize_t sim_paced_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct sim_dac *sim = dev_to_sim(dev);
	bool val;
	int ret;

	ret = kstrtobool(buf, &val);
	if (ret)
		return ret;
	mutex_lock(&sim->lock);
	if (sim->running) {
		ret = -EBUSY;
	} else {
		sim->paced = val;
		ret = len;
	}
	mutex_unlock(&sim->lock);
	return ret;
}

static ssize_t sim_fail_blocks_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	struct sim_dac *sim = dev_to_sim(dev);
	unsigned int val;

	mutex_lock(&sim->lock);
	val = sim->fail_blocks;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t sim_fail_blocks_store(struct device *dev, struct device_attribute *attr,
				     const char *buf, size_t len)
{
	struct sim_dac *sim = dev_to_sim(dev);
	unsigned int val;
	int ret;

	ret = kstrtouint(buf, 0, &val);
	if (ret)
		return ret;
	mutex_lock(&sim->lock);
	sim->fail_blocks = val;
	mutex_unlock(&sim->lock);
	return len;
}

/* The statistics, with a playing cyclic block's passes so far. */
struct sim_stats {
	u64 bytes_played;
	unsigned long blocks_done;
	unsigned long blocks_failed;
	u64 mismatches;
	s64 first_mismatch;
	unsigned long underflows;
	u64 underflow_offsets[SIM_MAX_UNDERFLOWS];
	u64 cyclic_repeats;
	u64 first_play_ns;
};

static void sim_get_stats(struct sim_dac *sim, struct sim_stats *st)
{
	u64 passes;

	mutex_lock(&sim->lock);
	passes = sim_cyclic_passes(sim, ktime_get());
	st->bytes_played = sim->bytes_played + passes * sim->play_bytes;
	st->cyclic_repeats = sim->cyclic_repeats + (passes ? passes - 1 : 0);
	st->blocks_done = sim->blocks_done;
	st->blocks_failed = sim->blocks_failed;
	st->mismatches = sim->mismatches;
	st->first_mismatch = sim->first_mismatch;
	st->underflows = sim->underflows;
	st->first_play_ns = sim->first_play_ns;
	memcpy(st->underflow_offsets, sim->underflow_offsets, sizeof(st->underflow_offsets));
	mutex_unlock(&sim->lock);
}

#define SIM_STAT_ATTR(name, fmt, type)						\
static ssize_t sim_##name##_show(struct device *dev,				\
				 struct device_attribute *attr, char *buf)	\
{										\
	struct sim_stats st;							\
										\
	sim_get_stats(dev_to_sim(dev), &st);					\
	return sysfs_emit(buf, fmt "\n", (type)st.name);			\
}										\
static DEVICE_ATTR_RO(sim_##name)

SIM_STAT_ATTR(bytes_played, "%llu", unsigned long long);
SIM_STAT_ATTR(blocks_done, "%lu", unsigned long);
SIM_STAT_ATTR(blocks_failed, "%lu", unsigned long);
SIM_STAT_ATTR(mismatches, "%llu", unsigned long long);
SIM_STAT_ATTR(first_mismatch, "%lld", long long);
SIM_STAT_ATTR(underflows, "%lu", unsigned long);
SIM_STAT_ATTR(cyclic_repeats, "%llu", unsigned long long);
SIM_STAT_ATTR(first_play_ns, "%llu", unsigned long long);

static ssize_t sim_underflow_offsets_show(struct device *dev,
					  struct device_attribute *attr, char *buf)
{
	struct sim_stats st;
	unsigned int i, n;
	int len = 0;

	sim_get_stats(dev_to_sim(dev), &st);
	n = min_t(unsigned long, st.underflows, SIM_MAX_UNDERFLOWS);
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%llu", i ? " " : "",
				     (unsigned long long)st.underflow_offsets[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static DEVICE_ATTR_RW(sim_paced);
static DEVICE_ATTR_RW(sim_fail_blocks);
static DEVICE_ATTR_RO(sim_underflow_offsets);

static struct attribute *sim_attrs[] = {
	&dev_attr_sim_paced.attr,
	&dev_attr_sim_fail_blocks.attr,
	&dev_attr_sim_bytes_played.attr,
	&dev_attr_sim_blocks_done.attr,
	&dev_attr_sim_blocks_failed.attr,
	&dev_attr_sim_mismatches.attr,
	&dev_attr_sim_first_mismatch.attr,
	&dev_attr_sim_underflows.attr,
	&dev_attr_sim_underflow_offsets.attr,
	&dev_attr_sim_cyclic_repeats.attr,
	&dev_attr_sim_first_play_ns.attr,
	NULL
};

static const struct attribute_group sim_attr_group = {
	.attrs = sim_attrs,
};

static const struct iio_info sim_info = {
	.read_raw = sim_read_raw,
	.write_raw = sim_write_raw,
	.write_raw_get_fmt = sim_write_raw_get_fmt,
	.attrs = &sim_attr_group,
};

static void sim_stop_thread(void *data)
{
	kthread_stop(data);
}

static void sim_buffer_exit(void *data)
{
	struct sim_buffer *sbuf = data;

	iio_dma_buffer_exit(&sbuf->queue);
	iio_buffer_put(&sbuf->queue.buffer);
}

static int sim_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	/* PLATFORM_DEVID_NONE (-1) for the one device, else 0..devices-1 */
	unsigned int idx = pdev->id < 0 ? 0 : pdev->id;
	unsigned int nch = channels[idx] ? channels[idx] : 2;
	struct iio_dev *indio_dev;
	struct sim_buffer *sbuf;
	struct sim_dac *sim;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return dev_err_probe(dev, ret, "cannot set a 64-bit DMA mask\n");
	dma_set_max_seg_size(dev, UINT_MAX);

	indio_dev = devm_iio_device_alloc(dev, sizeof(*sim));
	if (!indio_dev)
		return -ENOMEM;
	sim = iio_priv(indio_dev);
	sim->dev = dev;
	sim->indio_dev = indio_dev;
	sim->freq = rates[idx] ? rates[idx] : SIM_DEFAULT_FREQ;
	sim->first_mismatch = -1;
	mutex_init(&sim->lock);
	INIT_LIST_HEAD(&sim->active);
	init_waitqueue_head(&sim->wq);
	platform_set_drvdata(pdev, indio_dev);

	indio_dev->name = idx ? devm_kasprintf(dev, GFP_KERNEL, SIM_NAME "%u", idx) : SIM_NAME;
	if (!indio_dev->name)
		return -ENOMEM;
	indio_dev->info = &sim_info;
	indio_dev->channels = sim_channels;
	indio_dev->num_channels = nch;
	indio_dev->modes = INDIO_BUFFER_HARDWARE;
	indio_dev->setup_ops = &sim_setup_ops;

	sbuf = kzalloc(sizeof(*sbuf), GFP_KERNEL);
	if (!sbuf)
		return -ENOMEM;
	iio_dma_buffer_init(&sbuf->queue, dev, &sim_dma_ops);
	sbuf->queue.buffer.access = dmabuf ? &sim_buffer_access : &sim_buffer_access_nodmabuf;
	/* The core's write(), fileio blocks and DMABUF mapping follow this. */
	sbuf->queue.buffer.direction = IIO_BUFFER_DIRECTION_OUT;
	sim->buffer = &sbuf->queue.buffer;
	ret = devm_add_action_or_reset(dev, sim_buffer_exit, sbuf);
	if (ret)
		return ret;

	ret = iio_device_attach_buffer(indio_dev, sim->buffer);
	if (ret)
		return ret;

	sim->thread = kthread_run(sim_dma_thread, sim, "iio-sim-dac-dma/%u", idx);
	if (IS_ERR(sim->thread))
		return PTR_ERR(sim->thread);
	ret = devm_add_action_or_reset(dev, sim_stop_thread, sim->thread);
	if (ret)
		return ret;

	return devm_iio_device_register(dev, indio_dev);
}

static struct platform_driver sim_driver = {
	.driver = {
		.name = SIM_NAME,
	},
	.probe = sim_probe,
};

static struct platform_device *sim_pdev[SIM_MAX_DEVICES];

static void sim_remove_devices(void)
{
	unsigned int i;

	for (i = 0; i < SIM_MAX_DEVICES; i++) {
		if (sim_pdev[i])
			platform_device_unregister(sim_pdev[i]);
		sim_pdev[i] = NULL;
	}
}

static int __init sim_init(void)
{
	unsigned int i;
	int ret;

	if (devices < 1 || devices > SIM_MAX_DEVICES) {
		pr_err(SIM_NAME ": devices=%u: 1 to %d\n", devices, SIM_MAX_DEVICES);
		return -EINVAL;
	}
	for (i = 0; i < SIM_MAX_DEVICES; i++) {
		if (channels[i] > SIM_MAX_CHANNELS) {
			pr_err(SIM_NAME ": channels=%u (device %u): 1 to %d\n", channels[i], i,
			       SIM_MAX_CHANNELS);
			return -EINVAL;
		}
	}
	ret = platform_driver_register(&sim_driver);
	if (ret)
		return ret;

	for (i = 0; i < devices; i++) {
		struct platform_device *pdev;

		pdev = platform_device_register_simple(SIM_NAME,
						       devices == 1 ? PLATFORM_DEVID_NONE : i,
						       NULL, 0);
		if (IS_ERR(pdev)) {
			sim_remove_devices();
			platform_driver_unregister(&sim_driver);
			return PTR_ERR(pdev);
		}
		sim_pdev[i] = pdev;
	}
	return 0;
}
module_init(sim_init);

static void __exit sim_exit(void)
{
	sim_remove_devices();
	platform_driver_unregister(&sim_driver);
}
module_exit(sim_exit);

MODULE_DESCRIPTION("Simulated DMA DAC for the iio-ffs-bridge test rig");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IIO_DMA_BUFFER);
