// SPDX-License-Identifier: GPL-2.0-only
/*
 * iio-sim-adc: a simulated high-speed ADC for the iio-ffs-bridge VM rig.
 *
 * A platform device + IIO device "iio-sim-adc" whose buffer is the kernel's
 * own DMA buffer core (industrialio-buffer-dma), so read() and the DMABUF
 * ioctls take the kernel's real paths. A kthread plays the DMA controller.
 *
 * Channels: voltage0 (scan index 0) and voltage1 (scan index 1), all
 * le:u16/16>>0 (module parameter channels: up to voltage3). With module
 * parameter timestamp=1 a device also has IIO's timestamp channel
 * ("timestamp": in_timestamp_en, _index, _type le:s64/64>>0; scan index
 * after the voltage channels, as IIO_CHAN_SOFT_TIMESTAMP gives it).
 *
 * The pattern (a contract with the host tool): a scan counter n starts at 0
 * when the buffer is enabled and counts every scan the ADC produces. Scan n
 * holds voltageK = (n >> 16K) & 0xffff, so with voltage0 and voltage1
 * enabled the stream is the consecutive little-endian u32 values 0, 1,
 * 2, ...; each channel enabled stores its u16, in scan order.
 *
 * The timestamp, when enabled, follows the voltage channels at the offset
 * the kernel's scan layout gives it (iio_compute_scan_bytes(): every
 * element aligned to its storage size, the scan to its largest): at byte
 * 8 with up to 4 voltage channels, zero padding before it, a 16-byte
 * scan. It holds scan n's true time in ns on the clock the device's
 * current_timestamp_clock names (iio_device_get_clock(), as a driver's
 * iio_get_time_ns() stamps; "realtime" unless set): paced, t(n) of "Paced
 * time" below, the time scan n was produced (sim_t0_ns + n / true rate, a
 * CLOCK_MONOTONIC time), moved onto that clock exactly by the
 * timekeeper's offset when the block is written (ktime_mono_to_any():
 * REALTIME, BOOTTIME, TAI; a _COARSE clock as its fine one; MONOTONIC_RAW
 * by the two clocks read back to back); unpaced, the time the DMA thread
 * began writing the block holding the scan (all of a block's scans the
 * same), on that clock. The
 * buffer cannot be enabled with the timestamp alone (the IIO core needs a
 * scan element; the timestamp is none, its _en sets scan_timestamp).
 *
 * Several devices (module parameter devices, for a daemon with several
 * streams): device 0 is named "iio-sim-adc", device i > 0
 * "iio-sim-adc<i>"; each has its own buffer, DMA thread, counter and
 * attributes. channels=A,B,... and rates=A,B,... give each device its
 * channel count (1 to 4, default 2) and its default sampling_frequency;
 * timestamp=A,B,... (0 or 1, default 0) its timestamp channel.
 *
 * Device attributes (in /sys/bus/iio/devices/iio:deviceN/):
 *   sampling_frequency  integer Hz, read/write, default 10000000.
 *   sim_paced           0 (default): the "DMA" fills each queued block as
 *                       fast as it can and completes it; n only advances
 *                       through blocks, so it never skips.
 *                       1: n advances with wall time at the true rate
 *                       (sampling_frequency, corrected by sim_ppm) while
 *                       the buffer is enabled, whether or not a block
 *                       is queued (no block queued = samples lost, n jumps);
 *                       a block completes once its samples' time has passed.
 *                       The DMA counts as idle from the moment the last
 *                       block it took has been completed (its DMABUF fence
 *                       signalled) until a block is submitted: a block
 *                       enqueued while an earlier one is still unsignalled
 *                       continues the counter, one enqueued after every
 *                       earlier block has signalled starts where the
 *                       counter is at that moment (a gap, unless none was
 *                       lost). Userspace can thus see exactly when it
 *                       starved the ADC. See "Paced time" below.
 *   sim_ppm             paced mode's clock error: signed integer, parts per
 *                       million, read/write, -1000000 < ppm <= 1000000,
 *                       default 0. The ADC's true scan rate is
 *                       sampling_frequency * (1 + ppm / 1e6), while
 *                       sampling_frequency keeps reading the nominal rate,
 *                       as a real board's attribute does. No effect when
 *                       not paced.
 *   sim_t0_ns           read-only: the time (CLOCK_MONOTONIC in ns, as
 *                       ktime_get() returns it) at which scan 0 of the
 *                       current enable, or the last one once disabled, is
 *                       produced (0 before the first enable).
 *   sim_fail_blocks     write N: the next N blocks fail. A failed block is
 *                       given back with iio_dma_buffer_block_list_abort(), so
 *                       a DMABUF's fence signals -EINTR (for a fileio block
 *                       the core also leaves fileio mode, its own behaviour).
 *                       The scans it would have held are consumed.
 *   sim_stall_ms        write ms: the DMA stops filling for that long (when
 *                       paced the counter keeps running: a gap follows).
 *   sim_blocks_done     read-only count of blocks completed with data.
 *   sim_blocks_failed   read-only count of blocks failed by sim_fail_blocks.
 *
 * sim_paced, sim_ppm, and sampling_frequency while paced, return EBUSY while
 * the buffer is enabled. A block holds whole scans only: bytes_used is rounded
 * down to a multiple of the scan size (a block smaller than one scan is
 * refused with EINVAL, which fails its fence).
 *
 * Paced time (the rig's source of truth for sample time). With f =
 * sampling_frequency and ppm = sim_ppm (both fixed while enabled) and t0 =
 * sim_t0_ns, scan n of an enable is produced at
 *
 *   t(n) = t0 + n * 1e9 / (f * (1 + ppm / 1e6)) ns
 *        = t0 + n * 1e15 / (f * (1e6 + ppm)) ns
 *
 * The module computes the second form in integers, rounded down (exact
 * 64x64/64 products and quotients: within 1 ns of the formula for every
 * n, no drift). Scan n's period is [t(n), t(n + 1)); by time t the scans n
 * with t(n + 1) <= t are complete. A block given scans a .. a+k-1 completes
 * (iio_dma_buffer_block_done(): its DMABUF fence signalled, which takes
 * the fence's timestamp, or a fileio block made readable) at t(a + k),
 * when its last scan's period ends, plus the DMA thread's wake-up latency
 * only: its data is written beforehand, as soon as it is the DMA's current
 * block (the head of the queue), and the thread sleeps until t(a + k) on a
 * high-resolution timer (1 us slack), as a DMA controller's interrupt comes
 * within microseconds, not at the next jiffy. (So a DMABUF's pages may
 * hold the data before its fence signals, as a real DMA's would part of
 * it.)
 *
 * Disabling the buffer aborts every submitted block that is not done yet:
 * all of them go back through iio_dma_buffer_block_list_abort().
 *
 * Module parameter dmabuf (default 1): 0 leaves the DMABUF operations out
 * of the buffer, like most IIO drivers (kfifo, triggered buffers): 6.11+
 * then refuses IIO_BUFFER_DMABUF_ATTACH_IOCTL with EPERM.
 *
 * One source for every kernel the rig runs (6.1 and 6.12); the differences
 * are guarded with LINUX_VERSION_CODE:
 * - DMABUF blocks (block->fileio, sg_table, fence) and the DMABUF buffer
 *   operations exist from 6.11 (IIO DMABUF). Before, every block is a
 *   fileio block and the core leaves bytes_used for the driver to set
 *   (6.1's core: "Prior to this it must set the bytes_used field"); from
 *   6.11 the core sets it for fileio blocks and the enqueue ioctl for
 *   DMABUF blocks.
 * - iio_dma_buffer_data_available() became iio_dma_buffer_usage() with the
 *   core's write support (6.8).
 * - <linux/unaligned.h> replaced <asm/unaligned.h> in 6.12.
 */

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/hrtimer.h>
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
#include <linux/timekeeping.h>
#include <linux/version.h>
#include <linux/wait.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#define SIM_HAVE_DMABUF (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0))

static bool dmabuf = true;
module_param(dmabuf, bool, 0444);
MODULE_PARM_DESC(dmabuf, "offer the DMABUF buffer operations (6.11+; default yes)");

#define SIM_NAME		"iio-sim-adc"
#define SIM_DEFAULT_FREQ	10000000
#define SIM_MAX_DEVICES		8
#define SIM_MAX_CHANNELS	4

static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "simulated ADCs to create, 1 to 8 (default 1)");
static unsigned int channels[SIM_MAX_DEVICES];
static int num_channels_param;
module_param_array_named(channels, channels, uint, &num_channels_param, 0444);
MODULE_PARM_DESC(channels, "channels of each device, 1 to 4 (default 2)");
static unsigned int rates[SIM_MAX_DEVICES];
static int num_rates_param;
module_param_array_named(rates, rates, uint, &num_rates_param, 0444);
MODULE_PARM_DESC(rates, "default sampling_frequency of each device in Hz (default 10000000)");
static unsigned int timestamps[SIM_MAX_DEVICES];
static int num_timestamps_param;
module_param_array_named(timestamp, timestamps, uint, &num_timestamps_param, 0444);
MODULE_PARM_DESC(timestamp, "1: give each device (per device, like channels) an IIO timestamp channel (default 0)");

/* A scan's largest: 4 u16 channels, then the s64 timestamp at byte 8. */
#define SIM_TS_BYTES		8
#define SIM_MAX_SCAN_BYTES	(2 * SIM_MAX_CHANNELS + SIM_TS_BYTES)

struct sim_buffer {
	struct iio_dma_buffer_queue queue;
};

struct sim_adc {
	struct device *dev;
	struct iio_dev *indio_dev;
	struct iio_buffer *buffer;
	struct task_struct *thread;
	wait_queue_head_t wq;

	/* Protects everything below; held by the DMA thread while filling. */
	struct mutex lock;
	struct list_head active;	/* submitted blocks, oldest first */
	bool running;
	u32 freq;
	s32 ppm;			/* paced mode: true rate's offset from freq */
	bool paced;
	unsigned int fail_blocks;
	ktime_t stall_until;
	unsigned int nvolt;		/* voltage channels (scan index 0..nvolt-1) */
	unsigned long scan_mask;	/* of the voltage channels */
	unsigned int scan_bytes;
	unsigned int ts_off;		/* the timestamp's offset in a scan; 0: none */
	ktime_t t0;			/* enable time (paced mode) */
	u64 next_n;			/* first scan of the next block */
	/* paced mode: since when the DMA has had a block without a break */
	ktime_t avail_since;
	/* fence of the last DMABUF block taken (NULL: fileio or none) */
	struct dma_fence *last_fence;
	/* block taken off @active and being completed outside the lock */
	struct iio_dma_buffer_block *busy;
	/* paced mode: block at the head of @active already assigned scans */
	struct iio_dma_buffer_block *cur;
	u64 cur_first;
	ktime_t cur_deadline;
	bool cur_filled;		/* its data written already */
	unsigned long blocks_done;
	unsigned long blocks_failed;
	/* moves on when the DMA thread's deadline may have to be recomputed */
	unsigned int kick;
};

static struct sim_adc *queue_to_sim(struct iio_dma_buffer_queue *queue)
{
	return iio_priv(dev_get_drvdata(queue->dev));
}

/*
 * Paced mode's time base. The true scan rate is freq * (1e6 + ppm) / 1e6
 * Hz, i.e. freq * (1e6 + ppm) scans per SIM_RATE_NS (1e15 ns): an integer
 * of at most 2^32 * 2e6 < 2^53, at least 1 (ppm > -1e6). Scan n is
 * produced at t0 + n * 1e15 / (freq * (1e6 + ppm)) ns, rounded down: no
 * drift, whatever n. mul_u64_u64_div_u64() is exact on x86_64 (mulq/divq)
 * and in 6.12's generic version (6.1's generic one, used off x86_64,
 * rounds: the rig runs 6.1 on x86_64 only); each call below keeps its
 * quotient under 2^64, so divq cannot fault.
 */
#define SIM_PPM_ONE	1000000
#define SIM_RATE_NS	(NSEC_PER_SEC * (u64)SIM_PPM_ONE)

static u64 sim_rate(struct sim_adc *sim)
{
	return (u64)sim->freq * (SIM_PPM_ONE + sim->ppm);
}

/* Scans produced by wall time @t since enable, in paced mode. */
static u64 sim_paced_count(struct sim_adc *sim, ktime_t t)
{
	s64 ns = ktime_to_ns(ktime_sub(t, sim->t0));
	u64 rate = sim_rate(sim), rem, whole;

	if (ns <= 0)
		return 0;
	/* ns = whole * 1e15 + rem: the product rem * rate stays below 2^103 */
	whole = div64_u64_rem(ns, SIM_RATE_NS, &rem);
	return whole * rate + mul_u64_u64_div_u64(rem, rate, SIM_RATE_NS);
}

/* Time at which scan @n is produced with @rate (sim_rate()) from @t0. */
static ktime_t sim_time_at(ktime_t t0, u64 rate, u64 n)
{
	u64 rem, whole, ns;

	/* n = whole * rate + rem; whole periods of 1e15 ns each */
	whole = div64_u64_rem(n, rate, &rem);
	if (whole >= KTIME_MAX / SIM_RATE_NS)
		return KTIME_MAX;
	ns = whole * SIM_RATE_NS + mul_u64_u64_div_u64(rem, SIM_RATE_NS, rate);
	if (ns >= KTIME_MAX - ktime_to_ns(t0))
		return KTIME_MAX;
	return ktime_add_ns(t0, ns);
}

/* Time at which scan @n has been produced, in paced mode. */
static ktime_t sim_paced_time(struct sim_adc *sim, u64 n)
{
	return sim_time_at(sim->t0, sim_rate(sim), n);
}

struct sim_gen {
	u64 n;			/* scan being written */
	unsigned int off;	/* byte offset inside that scan */
	unsigned long mask;
	unsigned int scan_bytes;
	/* the timestamp: its offset (0: none), and how to tell scan n's time */
	unsigned int ts_off;
	bool paced;
	ktime_t t0;		/* paced: t(n) = sim_time_at(t0, rate, n) */
	u64 rate;
	s64 fill_ns;		/* unpaced: when the block's filling began */
	s64 clock_off;		/* the timestamp clock - CLOCK_MONOTONIC, ns */
};

/*
 * Scan @n: voltageK = (n >> 16K) & 0xffff for each enabled channel, then
 * (with a timestamp) zero padding up to it and scan n's time.
 */
static void sim_scan(const struct sim_gen *g, u64 n, u8 *scan)
{
	unsigned int k, pos = 0;

	for (k = 0; k < SIM_MAX_CHANNELS; k++) {
		if (g->mask & BIT(k)) {
			put_unaligned_le16((n >> (16 * k)) & 0xffff, scan + pos);
			pos += 2;
		}
	}
	if (g->ts_off) {
		s64 ns = (g->paced ? ktime_to_ns(sim_time_at(g->t0, g->rate, n)) : g->fill_ns) +
			 g->clock_off;

		memset(scan + pos, 0, g->ts_off - pos);
		put_unaligned_le64(ns, scan + g->ts_off);
	}
}

/* Writes the next @len bytes of the stream to @dst. */
static void sim_fill(struct sim_gen *g, u8 *dst, size_t len)
{
	u8 scan[SIM_MAX_SCAN_BYTES];

	while (len) {
		if (!g->off && len >= g->scan_bytes) {
			size_t cnt = len / g->scan_bytes, i;

			if (g->ts_off) {
				for (i = 0; i < cnt; i++)
					sim_scan(g, g->n + i, dst + g->scan_bytes * i);
			} else if (g->mask == (BIT(0) | BIT(1))) {
				for (i = 0; i < cnt; i++)
					put_unaligned_le32((u32)(g->n + i), dst + 4 * i);
			} else if (g->scan_bytes == 2) {
				unsigned int shift = 16 * __ffs(g->mask);

				for (i = 0; i < cnt; i++)
					put_unaligned_le16(((g->n + i) >> shift) & 0xffff,
							   dst + 2 * i);
			} else {
				for (i = 0; i < cnt; i++)
					sim_scan(g, g->n + i, dst + g->scan_bytes * i);
			}
			g->n += cnt;
			dst += cnt * g->scan_bytes;
			len -= cnt * g->scan_bytes;
			continue;
		}
		sim_scan(g, g->n, scan);
		*dst++ = scan[g->off++];
		len--;
		if (g->off == g->scan_bytes) {
			g->off = 0;
			g->n++;
		}
	}
}

/* The device's timestamp clock minus CLOCK_MONOTONIC, now (ns). */
static s64 sim_clock_offset(struct sim_adc *sim)
{
	switch (iio_device_get_clock(sim->indio_dev)) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_REAL));
	case CLOCK_BOOTTIME:
		return ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_BOOT));
	case CLOCK_TAI:
		return ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_TAI));
	case CLOCK_MONOTONIC_RAW:
		return ktime_get_raw_ns() - ktime_get_ns();
	default:
		return 0;
	}
}

static void sim_fill_block(struct sim_adc *sim, struct iio_dma_buffer_block *block,
			   struct sim_gen *g, size_t bytes)
{
#if SIM_HAVE_DMABUF
	struct sg_mapping_iter miter;
	size_t left = bytes;
#endif

	if (!g->paced)
		g->fill_ns = ktime_get_ns();
	if (g->ts_off)
		g->clock_off = sim_clock_offset(sim);
#if SIM_HAVE_DMABUF
	if (block->fileio) {
		sim_fill(g, block->vaddr, bytes);
		return;
	}

	dma_sync_sgtable_for_cpu(sim->dev, block->sg_table, DMA_FROM_DEVICE);
	sg_miter_start(&miter, block->sg_table->sgl, block->sg_table->orig_nents,
		       SG_MITER_TO_SG);
	while (left && sg_miter_next(&miter)) {
		size_t len = min(left, miter.length);

		sim_fill(g, miter.addr, len);
		left -= len;
	}
	sg_miter_stop(&miter);
	dma_sync_sgtable_for_device(sim->dev, block->sg_table, DMA_FROM_DEVICE);
	if (left)
		dev_warn_ratelimited(sim->dev, "DMABUF sg_table shorter than bytes_used\n");
#else
	sim_fill(g, block->vaddr, bytes);
#endif
}

/* The fence of a DMABUF block; NULL for a fileio block. */
static struct dma_fence *sim_block_fence(struct iio_dma_buffer_block *block)
{
#if SIM_HAVE_DMABUF
	return block->fileio ? NULL : block->fence;
#else
	return NULL;
#endif
}

static size_t sim_block_bytes(struct sim_adc *sim, struct iio_dma_buffer_block *block)
{
	return rounddown(block->bytes_used, sim->scan_bytes);
}

/*
 * A block the DMA thread works on outside sim->lock: to fill (paced, ahead
 * of its time, still on the active list) or to complete (taken off it).
 */
struct sim_job {
	struct iio_dma_buffer_block *block;
	size_t bytes;
	bool fill_only;		/* paced: write the data, complete later */
	bool filled;		/* the data is written already */
	bool fail;
	struct sim_gen gen;
};

/* With sim->lock held: the generator of the stream from scan @n on. */
static struct sim_gen sim_gen_at(struct sim_adc *sim, u64 n)
{
	return (struct sim_gen) {
		.n = n,
		.mask = sim->scan_mask,
		.scan_bytes = sim->scan_bytes,
		.ts_off = sim->ts_off,
		.paced = sim->paced,
		.t0 = sim->t0,
		.rate = sim_rate(sim),
	};
}

/*
 * One step of the DMA thread, with sim->lock held: either takes the next
 * block to fill or complete into @job (returns true), or sets @until to the
 * time (CLOCK_MONOTONIC) to sleep until (KTIME_MAX: until woken). Blocks
 * are filled and completed outside sim->lock: the core's completion helpers
 * are DMA fence signalling sections, and sim_submit() takes sim->lock
 * inside one.
 *
 * Paced, a block's data is written as soon as it is the DMA's current
 * block (its scans are known then), and only its completion waits for its
 * time: writing a large block takes milliseconds, which would otherwise
 * delay its fence by as much.
 */
static bool sim_dma_step(struct sim_adc *sim, struct sim_job *job, ktime_t *until)
{
	struct iio_dma_buffer_block *block;
	ktime_t now = ktime_get();
	size_t bytes;
	u64 first, scans;

	*until = KTIME_MAX;
	if (!sim->running || list_empty(&sim->active))
		return false;
	if (ktime_before(now, sim->stall_until)) {
		*until = sim->stall_until;
		return false;
	}

	block = list_first_entry(&sim->active, struct iio_dma_buffer_block, head);
	bytes = sim_block_bytes(sim, block);
	scans = bytes / sim->scan_bytes;

	if (sim->paced) {
		if (sim->cur != block) {
			/* Scans produced while no block was queued are lost. */
			sim->cur = block;
			sim->cur_first = max(sim->next_n,
					     sim_paced_count(sim, sim->avail_since));
			sim->cur_deadline = sim_paced_time(sim, sim->cur_first + scans);
			sim->cur_filled = false;
		}
		if (!sim->cur_filled) {
			/* still on @active: sim_abort() waits for sim->busy */
			*job = (struct sim_job) {
				.block = block,
				.bytes = bytes,
				.fill_only = true,
				.gen = sim_gen_at(sim, sim->cur_first),
			};
			sim->busy = block;
			return true;
		}
		if (ktime_before(now, sim->cur_deadline)) {
			*until = sim->cur_deadline;
			return false;
		}
		first = sim->cur_first;
		sim->cur = NULL;
		/* the next queued block, if any, takes over from here */
		sim->avail_since = sim->cur_deadline;
	} else {
		first = sim->next_n;
	}
	sim->next_n = first + scans;
	list_del_init(&block->head);

	*job = (struct sim_job) {
		.block = block,
		.bytes = bytes,
		.filled = sim->paced,
		.fail = sim->fail_blocks > 0,
		.gen = sim_gen_at(sim, first),
	};
	if (job->fail) {
		sim->fail_blocks--;
		sim->blocks_failed++;
	} else {
		sim->blocks_done++;
	}
	sim->busy = block;
	dma_fence_put(sim->last_fence);
	sim->last_fence = dma_fence_get(sim_block_fence(block));
	return true;
}

/* With sim->lock held: has the DMA no block, not even one being completed? */
static bool sim_dma_idle(struct sim_adc *sim)
{
	if (!list_empty(&sim->active))
		return false;
	if (sim->last_fence)
		return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &sim->last_fence->flags);
	return !sim->busy;
}

static void sim_complete(struct sim_adc *sim, struct sim_job *job)
{
	struct iio_dma_buffer_queue *queue =
		container_of(sim->buffer, struct iio_dma_buffer_queue, buffer);
	struct iio_dma_buffer_block *block = job->block;

	if (job->fill_only) {
		sim_fill_block(sim, block, &job->gen, job->bytes);
	} else if (job->fail) {
		LIST_HEAD(failed);

		list_add_tail(&block->head, &failed);
		iio_dma_buffer_block_list_abort(queue, &failed);
	} else {
		if (!job->filled)
			sim_fill_block(sim, block, &job->gen, job->bytes);
		block->bytes_used = job->bytes;
		iio_dma_buffer_block_done(block);
	}

	mutex_lock(&sim->lock);
	sim->busy = NULL;
	/* not if sim_abort() took the block meanwhile (it clears sim->cur) */
	if (job->fill_only && sim->cur == block)
		sim->cur_filled = true;
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
}

/* With sim->lock held: the DMA thread's deadline may have changed. */
static void sim_kick(struct sim_adc *sim)
{
	sim->kick++;
}

/*
 * Sleeps until @until (CLOCK_MONOTONIC) on a high-resolution timer: a
 * DMA controller completes a block within microseconds of its last
 * sample, not at the next jiffy (up to 4 ms late at HZ=250). Returns
 * early on kthread_stop() (it wakes the task itself) and once sim->kick
 * has moved on from @kick (disable, enable, sim_stall_ms: woken through
 * sim->wq); other wake-ups of sim->wq (a block submitted behind the one
 * waited for) sleep again until the same @until.
 */
#define SIM_TIMER_SLACK_NS	1000

static void sim_sleep_until(struct sim_adc *sim, ktime_t until, unsigned int kick)
{
	DEFINE_WAIT(wait);

	for (;;) {
		prepare_to_wait(&sim->wq, &wait, TASK_INTERRUPTIBLE);
		if (kthread_should_stop() || READ_ONCE(sim->kick) != kick)
			break;
		/* 0: the timer expired; -EINTR: woken */
		if (!schedule_hrtimeout_range(&until, SIM_TIMER_SLACK_NS, HRTIMER_MODE_ABS))
			break;
	}
	finish_wait(&sim->wq, &wait);
}

static int sim_dma_thread(void *data)
{
	struct sim_adc *sim = data;

	while (!kthread_should_stop()) {
		struct sim_job job;
		unsigned int kick;
		ktime_t until;
		bool took;

		mutex_lock(&sim->lock);
		took = sim_dma_step(sim, &job, &until);
		kick = sim->kick;
		mutex_unlock(&sim->lock);

		if (took) {
			sim_complete(sim, &job);
			cond_resched();
			continue;
		}
		if (until == KTIME_MAX)
			wait_event_interruptible(sim->wq, kthread_should_stop() ||
						 (READ_ONCE(sim->running) &&
						  !list_empty_careful(&sim->active)));
		else
			sim_sleep_until(sim, until, kick);
	}
	return 0;
}

static int sim_submit(struct iio_dma_buffer_queue *queue,
		      struct iio_dma_buffer_block *block)
{
	struct sim_adc *sim = queue_to_sim(queue);

	/*
	 * A fileio block is filled whole, as the kernel's dmaengine buffer
	 * does for input (industrialio-buffer-dmaengine.c): an aborted one
	 * comes back with bytes_used 0, and read() queues it again as it is.
	 * Before DMABUF support every block is a fileio block, and its size
	 * is the driver's to set.
	 */
#if SIM_HAVE_DMABUF
	if (block->fileio)
		block->bytes_used = block->size;
#else
	block->bytes_used = block->size;
#endif
	if (block->bytes_used < sim->scan_bytes)
		return -EINVAL;

	mutex_lock(&sim->lock);
	if (sim_dma_idle(sim))
		sim->avail_since = ktime_get();
	list_add_tail(&block->head, &sim->active);
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
	return 0;
}

static void sim_abort(struct iio_dma_buffer_queue *queue)
{
	struct sim_adc *sim = queue_to_sim(queue);
	LIST_HEAD(aborted);

	mutex_lock(&sim->lock);
	sim->running = false;
	sim->cur = NULL;
	list_splice_tail_init(&sim->active, &aborted);
	sim_kick(sim);
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);

	/*
	 * A block being completed right now is given back by the thread; one
	 * being filled (paced, still on the list) is given back here, but only
	 * once the thread no longer writes to it.
	 */
	wait_event(sim->wq, !READ_ONCE(sim->busy));
	iio_dma_buffer_block_list_abort(queue, &aborted);

	mutex_lock(&sim->lock);
	dma_fence_put(sim->last_fence);
	sim->last_fence = NULL;
	mutex_unlock(&sim->lock);
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

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define SIM_DATA_AVAILABLE iio_dma_buffer_usage
#else
#define SIM_DATA_AVAILABLE iio_dma_buffer_data_available
#endif

#define SIM_BUFFER_ACCESS_COMMON				\
	.read = iio_dma_buffer_read,				\
	.data_available = SIM_DATA_AVAILABLE,			\
	.request_update = iio_dma_buffer_request_update,	\
	.set_bytes_per_datum = iio_dma_buffer_set_bytes_per_datum, \
	.set_length = iio_dma_buffer_set_length,		\
	.enable = iio_dma_buffer_enable,			\
	.disable = iio_dma_buffer_disable,			\
	.release = sim_buffer_release,				\
	.modes = INDIO_BUFFER_HARDWARE

static const struct iio_buffer_access_funcs sim_buffer_access = {
	SIM_BUFFER_ACCESS_COMMON,
#if SIM_HAVE_DMABUF
	.attach_dmabuf = iio_dma_buffer_attach_dmabuf,
	.detach_dmabuf = iio_dma_buffer_detach_dmabuf,
	.enqueue_dmabuf = iio_dma_buffer_enqueue_dmabuf,
	.get_dma_dev = iio_dma_buffer_get_dma_dev,
	.lock_queue = iio_dma_buffer_lock_queue,
	.unlock_queue = iio_dma_buffer_unlock_queue,
#endif
};

/* dmabuf=0: the same buffer without DMABUF operations. */
static const struct iio_buffer_access_funcs sim_buffer_access_nodmabuf = {
	SIM_BUFFER_ACCESS_COMMON,
};

static int sim_preenable(struct iio_dev *indio_dev)
{
	struct sim_adc *sim = iio_priv(indio_dev);
	unsigned long mask = *indio_dev->active_scan_mask & GENMASK(sim->nvolt - 1, 0);
	unsigned int bytes = 2 * hweight_long(mask), ts_off = 0;

	if (!mask)
		return -EINVAL;
	/* the kernel's layout (iio_compute_scan_bytes): the s64 8-aligned */
	if (indio_dev->scan_timestamp) {
		ts_off = ALIGN(bytes, SIM_TS_BYTES);
		bytes = ts_off + SIM_TS_BYTES;
	}
	if (bytes != indio_dev->scan_bytes) {
		dev_err(sim->dev, "scan of %u bytes, the IIO core says %d\n", bytes,
			indio_dev->scan_bytes);
		return -EINVAL;
	}

	mutex_lock(&sim->lock);
	sim->scan_mask = mask;
	sim->scan_bytes = bytes;
	sim->ts_off = ts_off;
	sim->next_n = 0;
	sim->cur = NULL;
	mutex_unlock(&sim->lock);
	return 0;
}

/*
 * The "DMA" starts once the core has submitted the blocks queued before
 * enable, so these start at scan 0 even when paced.
 */
static int sim_postenable(struct iio_dev *indio_dev)
{
	struct sim_adc *sim = iio_priv(indio_dev);

	mutex_lock(&sim->lock);
	sim->t0 = ktime_get();
	sim->avail_since = sim->t0;
	sim->running = true;
	sim_kick(sim);
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
	return 0;
}

static int sim_postdisable(struct iio_dev *indio_dev)
{
	struct sim_adc *sim = iio_priv(indio_dev);

	mutex_lock(&sim->lock);
	sim->running = false;
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

/* IIO_CHAN_SOFT_TIMESTAMP with the byte order spelt out (le, as written). */
#define SIM_TIMESTAMP_CHAN(idx) {				\
	.type = IIO_TIMESTAMP,					\
	.channel = -1,						\
	.scan_index = (idx),					\
	.scan_type = {						\
		.sign = 's',					\
		.realbits = 64,					\
		.storagebits = 64,				\
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

static const struct iio_chan_spec sim_ts_channels[SIM_MAX_CHANNELS + 1] = {
	SIM_TIMESTAMP_CHAN(0),
	SIM_TIMESTAMP_CHAN(1),
	SIM_TIMESTAMP_CHAN(2),
	SIM_TIMESTAMP_CHAN(3),
	SIM_TIMESTAMP_CHAN(4),
};

static int sim_read_raw(struct iio_dev *indio_dev, struct iio_chan_spec const *chan,
			int *val, int *val2, long mask)
{
	struct sim_adc *sim = iio_priv(indio_dev);

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
	struct sim_adc *sim = iio_priv(indio_dev);
	int ret = 0;

	if (mask != IIO_CHAN_INFO_SAMP_FREQ)
		return -EINVAL;
	if (val <= 0 || val2)
		return -EINVAL;
	mutex_lock(&sim->lock);
	if (sim->running && sim->paced)
		ret = -EBUSY;	/* the counter's time base is fixed while paced */
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

static struct sim_adc *dev_to_sim(struct device *dev)
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
	struct sim_adc *sim = dev_to_sim(dev);
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

static ssize_t sim_ppm_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	s32 val;

	mutex_lock(&sim->lock);
	val = sim->ppm;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%d\n", val);
}

static ssize_t sim_ppm_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct sim_adc *sim = dev_to_sim(dev);
	int val, ret;

	ret = kstrtoint(buf, 0, &val);
	if (ret)
		return ret;
	/* the true rate freq * (1e6 + ppm) / 1e6 stays positive */
	if (val <= -SIM_PPM_ONE || val > SIM_PPM_ONE)
		return -EINVAL;
	mutex_lock(&sim->lock);
	if (sim->running) {
		ret = -EBUSY;	/* the counter's time base is fixed while enabled */
	} else {
		sim->ppm = val;
		ret = len;
	}
	mutex_unlock(&sim->lock);
	return ret;
}

static ssize_t sim_t0_ns_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	s64 t0;

	mutex_lock(&sim->lock);
	t0 = ktime_to_ns(sim->t0);
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%lld\n", t0);
}

static ssize_t sim_fail_blocks_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	unsigned int val;

	mutex_lock(&sim->lock);
	val = sim->fail_blocks;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t sim_fail_blocks_store(struct device *dev, struct device_attribute *attr,
				     const char *buf, size_t len)
{
	struct sim_adc *sim = dev_to_sim(dev);
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

static ssize_t sim_stall_ms_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	s64 left;

	mutex_lock(&sim->lock);
	left = ktime_ms_delta(sim->stall_until, ktime_get());
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%lld\n", max_t(s64, left, 0));
}

static ssize_t sim_stall_ms_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct sim_adc *sim = dev_to_sim(dev);
	unsigned int ms;
	int ret;

	ret = kstrtouint(buf, 0, &ms);
	if (ret)
		return ret;
	mutex_lock(&sim->lock);
	sim->stall_until = ktime_add_ms(ktime_get(), ms);
	sim_kick(sim);
	mutex_unlock(&sim->lock);
	wake_up(&sim->wq);
	return len;
}

static ssize_t sim_blocks_done_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	unsigned long val;

	mutex_lock(&sim->lock);
	val = sim->blocks_done;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%lu\n", val);
}

static ssize_t sim_blocks_failed_show(struct device *dev, struct device_attribute *attr,
				      char *buf)
{
	struct sim_adc *sim = dev_to_sim(dev);
	unsigned long val;

	mutex_lock(&sim->lock);
	val = sim->blocks_failed;
	mutex_unlock(&sim->lock);
	return sysfs_emit(buf, "%lu\n", val);
}

static DEVICE_ATTR_RW(sim_paced);
static DEVICE_ATTR_RW(sim_ppm);
static DEVICE_ATTR_RO(sim_t0_ns);
static DEVICE_ATTR_RW(sim_fail_blocks);
static DEVICE_ATTR_RW(sim_stall_ms);
static DEVICE_ATTR_RO(sim_blocks_done);
static DEVICE_ATTR_RO(sim_blocks_failed);

static struct attribute *sim_attrs[] = {
	&dev_attr_sim_paced.attr,
	&dev_attr_sim_ppm.attr,
	&dev_attr_sim_t0_ns.attr,
	&dev_attr_sim_fail_blocks.attr,
	&dev_attr_sim_stall_ms.attr,
	&dev_attr_sim_blocks_done.attr,
	&dev_attr_sim_blocks_failed.attr,
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
	struct iio_chan_spec *chans;
	struct iio_dev *indio_dev;
	struct sim_buffer *sbuf;
	struct sim_adc *sim;
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
	mutex_init(&sim->lock);
	INIT_LIST_HEAD(&sim->active);
	init_waitqueue_head(&sim->wq);
	platform_set_drvdata(pdev, indio_dev);

	indio_dev->name = idx ? devm_kasprintf(dev, GFP_KERNEL, SIM_NAME "%u", idx) : SIM_NAME;
	if (!indio_dev->name)
		return -ENOMEM;
	indio_dev->info = &sim_info;
	sim->nvolt = nch;
	if (timestamps[idx]) {
		/* voltage0..nch-1, then the timestamp with scan index nch */
		chans = devm_kcalloc(dev, nch + 1, sizeof(*chans), GFP_KERNEL);
		if (!chans)
			return -ENOMEM;
		memcpy(chans, sim_channels, nch * sizeof(*chans));
		chans[nch] = sim_ts_channels[nch];
		indio_dev->channels = chans;
		indio_dev->num_channels = nch + 1;
	} else {
		indio_dev->channels = sim_channels;
		indio_dev->num_channels = nch;
	}
	indio_dev->modes = INDIO_BUFFER_HARDWARE;
	indio_dev->setup_ops = &sim_setup_ops;

	sbuf = kzalloc(sizeof(*sbuf), GFP_KERNEL);
	if (!sbuf)
		return -ENOMEM;
	iio_dma_buffer_init(&sbuf->queue, dev, &sim_dma_ops);
	sbuf->queue.buffer.access = dmabuf ? &sim_buffer_access : &sim_buffer_access_nodmabuf;
	sim->buffer = &sbuf->queue.buffer;
	ret = devm_add_action_or_reset(dev, sim_buffer_exit, sbuf);
	if (ret)
		return ret;

	ret = iio_device_attach_buffer(indio_dev, sim->buffer);
	if (ret)
		return ret;

	sim->thread = kthread_run(sim_dma_thread, sim, "iio-sim-adc-dma/%u", idx);
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
		if (timestamps[i] > 1) {
			pr_err(SIM_NAME ": timestamp=%u (device %u): 0 or 1\n", timestamps[i], i);
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

MODULE_DESCRIPTION("Simulated DMA ADC for the iio-ffs-bridge test rig");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IIO_DMA_BUFFER);
