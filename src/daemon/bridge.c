// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bridge ties the pieces together on one sd-event loop: it finds the
 * IIO device, allocates the pool, writes the USB descriptors and owns every
 * event source; ifb_bridge_free releases all of it on one path. What
 * happens to a block is in backend-zero-copy.c and backend-copy.c, a
 * stream's life in session.c, the host's requests in ep0.c (see
 * bridge-int.h for the map).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

uint64_t ifb_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

const char *ifb_mode_name(enum ifb_mode m)
{
	switch (m) {
	case IFB_MODE_COPY: return "copy";
	case IFB_MODE_HYBRID: return "hybrid";
	default: return "zero-copy";
	}
}

const char *ifb_stop_reason_name(enum ifb_stop_reason r)
{
	switch (r) {
	case IFB_STOP_HOST: return "host STOP";
	case IFB_STOP_DISCONNECT: return "host disconnected";
	case IFB_STOP_SHUTDOWN: return "shutdown";
	case IFB_STOP_ERROR: return "error";
	default: return "none";
	}
}

void ifb_bridge_status(struct ifb_bridge *b, char *buf, size_t len)
{
	const struct ifb_engine_counters *c = &b->engine.c;

	switch (b->engine.run) {
	case IFB_STATE_STREAMING:
		snprintf(buf, len, "Streaming (%s): %.1f MiB/s, %" PRIu64 " MiB sent, %" PRIu64
			 " gaps, %" PRIu64 " errors", ifb_mode_name(b->mode), b->rate_mib_s,
			 c->bytes_sent >> 20, c->gaps_total, c->adc_errors + c->usb_errors);
		break;
	case IFB_STATE_STOPPING:
		snprintf(buf, len, "Stopping stream (%s)", ifb_mode_name(b->mode));
		break;
	default:
		snprintf(buf, len, "Idle (%s), %s", ifb_mode_name(b->mode),
			 b->usb_enabled ? "waiting for the host's START" : "waiting for a USB host");
		break;
	}
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	uint64_t t = ifb_now_usec();
	char status[160];

	if (b->engine.run == IFB_STATE_STREAMING && t > b->rate_t) {
		uint64_t bytes = b->engine.c.bytes_sent;

		b->rate_mib_s = (double)(bytes - b->rate_bytes) / 1048576.0 /
				((double)(t - b->rate_t) / 1e6);
		b->rate_bytes = bytes;
		b->rate_t = t;
	}
	ifb_session_check(b);
	ifb_bridge_status(b, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
	sd_event_source_set_time(s, usec + IFB_STATUS_PERIOD_USEC);
	return 0;
}

void ifb_bridge_describe(struct ifb_bridge *b)
{
	ifb_bridge_describe_into(b, &b->desc);
}

void ifb_bridge_describe_into(struct ifb_bridge *b, struct ifb_stream_desc *d)
{
	unsigned k = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->device_name, sizeof(d->device_name), "%s", b->iio.name);
	d->mode = (uint8_t)b->mode;
	d->block_size = b->cfg.block_size;
	d->block_count = b->nblocks;
	d->scan_size = b->iio.scan_size;
	if (ifb_iio_sampling_frequency_mhz(&b->iio, &d->sample_rate_mhz) < 0)
		d->sample_rate_mhz = 0;
	for (unsigned i = 0; i < b->iio.num_channels; i++) {
		const struct ifb_iio_channel *c = &b->iio.ch[i];
		struct ifb_channel_info *o;

		if (!c->selected)
			continue;
		o = &d->channels[k++];
		snprintf(o->name, sizeof(o->name), "%s", c->name);
		o->scan_index = (uint16_t)c->index;
		o->offset = c->offset;
		o->is_signed = c->type.is_signed;
		o->is_be = c->type.is_be;
		o->bits = c->type.bits;
		o->storage_bits = c->type.storage_bits;
		o->shift = c->type.shift;
		o->repeat = c->type.repeat;
	}
	d->num_channels = (uint16_t)k;
	/* The I/Q hint (checked by ifb_bridge_check_iq at start and reload). */
	for (unsigned p = 0; p < b->cfg.num_iq; p++) {
		int at[2] = { -1, -1 };

		for (unsigned i = 0; i < k; i++)
			for (unsigned h = 0; h < 2; h++)
				if (strcmp(d->channels[i].name, b->cfg.iq[p][h]) == 0)
					at[h] = (int)i;
		if (at[0] < 0 || at[1] < 0)
			continue;
		d->channels[at[0]].iq = IFB_IQ_I;
		d->channels[at[0]].iq_partner = (uint8_t)at[1];
		d->channels[at[1]].iq = IFB_IQ_Q;
		d->channels[at[1]].iq_partner = (uint8_t)at[0];
	}
}

static const struct ifb_iio_channel *selected_channel(const struct ifb_iio *io, const char *name)
{
	for (unsigned i = 0; i < io->num_channels; i++)
		if (io->ch[i].selected && strcmp(io->ch[i].name, name) == 0)
			return &io->ch[i];
	return NULL;
}

int ifb_bridge_check_iq(const struct ifb_iio *io, const struct ifb_config *cfg)
{
	char where[PATH_MAX + 64];

	for (unsigned p = 0; p < cfg->num_iq; p++) {
		const struct ifb_iio_channel *i = selected_channel(io, cfg->iq[p][0]);
		const struct ifb_iio_channel *q = selected_channel(io, cfg->iq[p][1]);
		const char *why = NULL;

		if (!i || !q)
			why = "both channels of the pair among the enabled [iio] channels";
		else if (i->type.is_signed != q->type.is_signed || i->type.is_be != q->type.is_be ||
			 i->type.bits != q->type.bits || i->type.storage_bits != q->type.storage_bits ||
			 i->type.shift != q->type.shift)
			why = "two channels of the same type (e.g. both le:s16/16>>0)";
		else if (i->type.repeat != 1 || q->type.repeat != 1)
			why = "channels that do not repeat within a scan";
		else if (q->offset != i->offset + i->type.storage_bits / 8)
			why = "Q stored right after I in the scan (I's scan index just below Q's)";
		if (why) {
			ifb_config_where(cfg, IFB_KEY_IIO_IQ, where, sizeof(where));
			log_error("%s: pair %s:%s: expected %s", where, cfg->iq[p][0], cfg->iq[p][1],
				  why);
			return -EINVAL;
		}
	}
	return 0;
}

int ifb_bridge_select_channels(struct ifb_iio *io, const struct ifb_config *cfg, const char *then)
{
	char where[PATH_MAX + 64], list[512] = "";
	unsigned bad = 0;
	int r;

	r = ifb_iio_select(io, cfg->all_channels, cfg->channels, cfg->num_channels, &bad);
	if (r == 0)
		return 0;
	for (unsigned i = 0; i < io->num_channels; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", io->ch[i].name);
	}
	ifb_config_where(cfg, IFB_KEY_IIO_CHANNELS, where, sizeof(where));
	if (r == -ENOENT)
		log_error("%s: %s has no channel '%s' (expected some of: %s)%s", where, io->name,
			  cfg->channels[bad], list, then);
	else if (r == -ENODATA)
		log_error("%s: the timestamp alone is no stream: the kernel enables a buffer only "
			  "with another channel (expected at least one more of: %s)%s", where, list,
			  then);
	else
		log_error("%s: cannot lay out a scan of these channels%s", where, then);
	return r;
}

static int setup_iio(struct ifb_bridge *b, bool *config_error)
{
	const struct ifb_config *cfg = &b->cfg;
	char where[PATH_MAX + 64], real[PATH_MAX];
	int r;

	r = ifb_iio_find(&b->iio, cfg->device, cfg->buffer, NULL);
	if (r == -ENODEV || r == -ENOENT) {
		*config_error = true;
		ifb_config_where(cfg, r == -ENODEV ? IFB_KEY_IIO_DEVICE : IFB_KEY_IIO_BUFFER, where,
				 sizeof(where));
		if (r == -ENODEV)
			log_error("%s: no IIO device named '%s' (expected a name, label, iio:deviceN or sysfs path "
				  "listed in /sys/bus/iio/devices)", where, cfg->device);
		else
			log_error("%s: IIO device '%s' has no buffer %u with scan elements", where,
				  cfg->device, cfg->buffer);
		return r;
	}
	if (r == -ENOTUNIQ) {
		char list[2048];

		*config_error = true;
		ifb_config_where(cfg, IFB_KEY_IIO_DEVICE, where, sizeof(where));
		if (ifb_iio_list_matches(cfg->device, NULL, list, sizeof(list)) < 0)
			snprintf(list, sizeof(list), "(cannot list them)");
		log_error("%s: '%s' names more than one IIO device: %s (expected one of them: by "
			  "label, iio:deviceN, or the parent's sysfs path, which stays the same "
			  "from boot to boot)", where, cfg->device, list);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Cannot read IIO device '%s' from sysfs", cfg->device);
	log_info("IIO: '%s' is %s (%s)", cfg->device, b->iio.devnode + strlen("/dev/"),
		 realpath(b->iio.sysdir, real) ? real : b->iio.sysdir);
	if (b->iio.legacy)
		log_notice("IIO: legacy buffer interface: scan elements in %s, samples read from %s",
			   b->iio.chandir, b->iio.devnode);

	r = ifb_bridge_select_channels(&b->iio, cfg, "");
	if (r < 0) {
		*config_error = true;
		return r;
	}
	if (cfg->block_size % b->iio.scan_size) {
		*config_error = true;
		ifb_config_where(cfg, IFB_KEY_STREAM_BLOCK_SIZE, where, sizeof(where));
		log_error("%s: %u is not a multiple of the scan size (%u bytes for the selected "
			  "channels); expected e.g. %u", where, cfg->block_size, b->iio.scan_size,
			  cfg->block_size / (b->iio.scan_size * 4096) * (b->iio.scan_size * 4096) ?:
				  b->iio.scan_size * 4096);
		return -EINVAL;
	}
	r = ifb_bridge_check_iq(&b->iio, cfg);
	if (r < 0) {
		*config_error = true;
		return r;
	}
	if (cfg->sampling_frequency[0]) {
		r = ifb_iio_set_sampling_frequency(&b->iio, cfg->sampling_frequency);
		if (r < 0) {
			*config_error = r == -EINVAL;
			ifb_config_where(cfg, IFB_KEY_IIO_SAMPLING_FREQUENCY, where, sizeof(where));
			return log_error_errno(r, "%s: %s refused sampling frequency %s", where,
					       b->iio.name, cfg->sampling_frequency);
		}
	}
	/* Channels cannot change while the buffer is enabled. */
	return ifb_session_disable_left_enabled(b);
}

static const char *probe_state_name(enum ifb_probe_state s)
{
	switch (s) {
	case IFB_PROBE_PRESENT: return "present";
	case IFB_PROBE_NO_INTERFACE: return "no interface";
	case IFB_PROBE_NO_OPS: return "no DMABUF operations";
	case IFB_PROBE_UNBOUND: return "not bound yet";
	case IFB_PROBE_LEGACY: return "legacy interface";
	default: return "unknown";
	}
}

/*
 * Ask the kernel, before any host connects, whether zero-copy can work
 * (probe.h): an attach of fd -1 on the IIO buffer fd and on the endpoint,
 * and the allocator. The endpoint's UDC is only known once bound
 * (ifb_bridge_on_bind asks again then). The allocator stays open.
 */
static int probe_zero_copy(struct ifb_bridge *b)
{
	const struct ifb_config *cfg = &b->cfg;
	struct ifb_probe *p = &b->probe;
	int r;

	memset(p, 0, sizeof(*p));
	snprintf(p->iio_what, sizeof(p->iio_what), "buffer %u of %s", b->iio.buffer, b->iio.name);
	r = ifb_iio_open(&b->iio);
	if (r < 0)
		return log_error_errno(r, "Cannot open IIO buffer %u of %s", b->iio.buffer,
				       b->iio.devnode);
	ifb_probe_iio(p, b->iio.buf_fd, b->iio.legacy);
	ifb_iio_close(&b->iio);
	r = ifb_ffs_open_ep(&b->ffs);
	if (r < 0)
		return log_error_errno(r, "Cannot open %s/ep1", b->ffs.dir);
	ifb_probe_usb(p, b->ffs.ep, b->bound);
	ifb_ffs_close_ep(&b->ffs);
	r = ifb_allocator_open(&b->alloc, cfg->allocator, cfg->heap);
	if (r < 0) {
		p->alloc_err = r;
		snprintf(p->alloc_name, sizeof(p->alloc_name), "%s", b->alloc.name);
	}
	log_debug("Zero-copy probe: IIO %s (%s), FunctionFS %s (%s), allocator %s",
		  probe_state_name(p->iio), p->iio_answer ? strerror(-p->iio_answer) : "not asked",
		  probe_state_name(p->usb), strerror(-p->usb_answer),
		  p->alloc_err ? strerror(-p->alloc_err) : b->alloc.name);
	return 0;
}

/* The mode streams will use, decided here from the probe; with forced
 * zero-copy that cannot work, a config error naming every reason. */
static int setup_pool(struct ifb_bridge *b, bool *config_error)
{
	const struct ifb_config *cfg = &b->cfg;
	char why[1024], where[PATH_MAX + 64];
	int r;

	b->nblocks = cfg->block_count;
	b->alloc.fd = -1;
	if (cfg->mode == IFB_CFG_MODE_COPY) {
		b->mode = IFB_MODE_COPY;
		b->mode_final = true;
		return ifb_backend(b)->pool_alloc(b);
	}
	r = probe_zero_copy(b);
	if (r < 0)
		return r;
	if (cfg->allocator != IFB_CFG_ALLOC_AUTO && b->probe.alloc_err) {
		char avail[512];

		/* A named allocator that is not there is a mistake in the file,
		 * not a reason to stream in copy mode. */
		*config_error = true;
		ifb_allocator_list("/dev", avail, sizeof(avail));
		ifb_config_where(cfg, IFB_KEY_STREAM_ALLOCATOR, where, sizeof(where));
		log_error("%s: cannot open %s: %s (expected one this kernel offers: %s; or auto)",
			  where, b->probe.alloc_name, strerror(-b->probe.alloc_err), avail);
		return b->probe.alloc_err;
	}
	if (cfg->mode == IFB_CFG_MODE_HYBRID) {
		if (!ifb_probe_hybrid_possible(&b->probe)) {
			ifb_probe_explain_hybrid(&b->probe, why, sizeof(why));
			*config_error = true;
			ifb_config_where(cfg, IFB_KEY_STREAM_MODE, where, sizeof(where));
			log_error("%s: hybrid mode is not possible here: %s (expected mode = auto or copy)",
				  where, why);
			return -EOPNOTSUPP;
		}
		b->mode = IFB_MODE_HYBRID;
	} else if (ifb_probe_zero_copy_possible(&b->probe)) {
		b->mode = IFB_MODE_ZERO_COPY;
	} else {
		ifb_probe_explain(&b->probe, why, sizeof(why));
		if (cfg->mode == IFB_CFG_MODE_ZERO_COPY) {
			*config_error = true;
			ifb_config_where(cfg, IFB_KEY_STREAM_MODE, where, sizeof(where));
			log_error("%s: zero-copy is not possible here: %s (expected mode = auto, hybrid or copy)",
				  where, why);
			return -EOPNOTSUPP;
		}
		if (!ifb_probe_hybrid_possible(&b->probe)) {
			log_warning("Zero-copy unavailable: %s; using copy mode (hybrid needs FunctionFS "
				    "DMABUF and an allocator too)", why);
			ifb_allocator_close(&b->alloc);
			b->mode = IFB_MODE_COPY;
			b->mode_final = true;
			return ifb_backend(b)->pool_alloc(b);
		}
		/* Only IIO refused: USB still takes the DMABUFs. */
		log_warning("Zero-copy unavailable: %s; using hybrid mode (read() from IIO into "
			    "DMABUFs, DMABUF transfers to USB)", why);
		b->mode = IFB_MODE_HYBRID;
	}
	log_info("DMABUF allocator: %s", b->alloc.name);
	/* Final at the first stream: an unbound UDC is asked again at bind. */
	b->mode_final = false;
	return ifb_backend(b)->pool_alloc(b);
}

void ifb_bridge_on_bind(struct ifb_bridge *b)
{
	bool hybrid = b->mode == IFB_MODE_HYBRID;
	char why[1024];
	int r;

	if (b->mode == IFB_MODE_COPY || b->mode_final || b->session)
		return;
	r = ifb_ffs_open_ep(&b->ffs);
	if (r < 0) {
		log_warning_errno(r, "Cannot open %s/ep1 to ask about DMABUF; the first stream will tell",
				  b->ffs.dir);
		return;
	}
	ifb_probe_usb(&b->probe, b->ffs.ep, true);
	ifb_ffs_close_ep(&b->ffs);
	if (hybrid ? ifb_probe_hybrid_possible(&b->probe) : ifb_probe_zero_copy_possible(&b->probe))
		return; /* the first stream's attach has the last word */
	if (hybrid)
		ifb_probe_explain_hybrid(&b->probe, why, sizeof(why));
	else
		ifb_probe_explain(&b->probe, why, sizeof(why));
	if (b->cfg.mode == IFB_CFG_MODE_ZERO_COPY || b->cfg.mode == IFB_CFG_MODE_HYBRID) {
		log_error("%s is not possible on this UDC: %s; START will be refused",
			  hybrid ? "Hybrid mode" : "Zero-copy", why);
		return;
	}
	/* USB refuses DMABUFs: hybrid is no way out either. */
	log_warning("%s unavailable: %s; using copy mode", hybrid ? "Hybrid mode" : "Zero-copy", why);
	r = ifb_pool_switch_to_copy(b);
	if (r < 0) {
		/* Logged by the pool; the first stream will fail and say so. */
		return;
	}
	b->mode_final = true;
}

int ifb_bridge_new(struct ifb_bridge **ret, sd_event *loop, const struct ifb_config *cfg,
		   bool *config_error)
{
	struct ifb_bridge *b;
	int r;

	*config_error = false;
	b = calloc(1, sizeof(*b));
	if (!b)
		return log_error_errno(-ENOMEM, "Out of memory");
	b->cfg = *cfg;
	b->loop = sd_event_ref(loop);
	b->iio.dev_fd = b->iio.buf_fd = -1;
	b->ffs.ep0 = b->ffs.ep = -1;
	b->aio_efd = -1;
	b->alloc.fd = -1;
	for (unsigned i = 0; i < IFB_ENGINE_MAX_BLOCKS; i++)
		b->blk[i].fd = b->blk[i].sync_fd = -1;

	r = setup_iio(b, config_error);
	if (r < 0)
		goto fail;

	/* Room for the largest pool a reload may ask for, plus the ZLP. */
	r = io_setup(IFB_ENGINE_MAX_BLOCKS + 1, &b->aio);
	if (r < 0) {
		log_error_errno(r, "io_setup failed");
		goto fail;
	}
	b->aio_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->aio_efd < 0) {
		r = log_error_errno(neg_errno(), "eventfd failed");
		goto fail;
	}
	r = sd_event_add_io(loop, &b->aio_src, b->aio_efd, EPOLLIN, ifb_aio_on_event, b);
	if (r < 0)
		goto fail_loop;
	r = sd_event_add_defer(loop, &b->teardown_src, ifb_session_on_teardown, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->teardown_src, SD_EVENT_OFF);
	r = sd_event_add_defer(loop, &b->abort_src, ifb_copy_on_abort_fill, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->abort_src, SD_EVENT_OFF);
	r = sd_event_add_time_relative(loop, &b->status_timer, CLOCK_MONOTONIC, IFB_STATUS_PERIOD_USEC, 0,
				       on_status_timer, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->status_timer, SD_EVENT_ON);

	b->layout.native = cfg->usb_native;
	b->layout.iiod_pipes = cfg->iiod_enable ? cfg->iiod_pipes : 0;
	if (!b->layout.native && !b->layout.iiod_pipes) {
		*config_error = true;
		log_error("%s: [usb] native = no and [iiod] enable = no: expected at least one "
			  "interface", cfg->path);
		r = -EINVAL;
		goto fail;
	}
	if (b->layout.native && b->layout.iiod_pipes &&
	    !strcmp(cfg->interface, IFB_IIOD_INTERFACE_NAME)) {
		char where[PATH_MAX + 64];

		*config_error = true;
		ifb_config_where(cfg, IFB_KEY_USB_INTERFACE, where, sizeof(where));
		log_error("%s: \"%s\" is the IIOD interface's name (libiio looks for it); expected "
			  "another name", where, IFB_IIOD_INTERFACE_NAME);
		r = -EINVAL;
		goto fail;
	}
	if (b->layout.iiod_pipes) {
		r = ifb_iiod_new(b, &b->layout, &b->iiod);
		if (r < 0) {
			*config_error = r == -ENOENT;
			goto fail;
		}
	}
	r = ifb_ffs_open(&b->ffs, cfg->functionfs, &b->layout, cfg->interface,
			 cfg->ms_os_descriptors ? cfg->interface_guid : NULL);
	if (r < 0) {
		char where[PATH_MAX + 64];

		ifb_config_where(cfg, IFB_KEY_USB_FUNCTIONFS, where, sizeof(where));
		log_error_errno(r, "%s: cannot set up FunctionFS at %s%s", where, cfg->functionfs,
				r == -ENOENT ? " (is functionfs mounted there?)" :
				r == -EBUSY ? " (another process owns it)" : "");
		goto fail;
	}
	r = ifb_ep0_stage_init(&b->stage, &b->ffs);
	if (r < 0) {
		log_error_errno(r, "Cannot start the ep0 stage thread");
		goto fail;
	}
	r = sd_event_add_io(loop, &b->stage_src, b->stage.efd, EPOLLIN, ifb_ep0_on_stage_done, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_priority(b->stage_src, SD_EVENT_PRIORITY_IMPORTANT);
	r = sd_event_add_io(loop, &b->ep0_src, b->ffs.ep0, EPOLLIN, ifb_ep0_on_event, b);
	if (r < 0)
		goto fail_loop;
	/* ep0 before blocks: a DISABLE must be seen before the next transfer. */
	sd_event_source_set_priority(b->ep0_src, SD_EVENT_PRIORITY_IMPORTANT);
	r = sd_event_add_defer(loop, &b->ep0_defer_src, ifb_ep0_on_deferred, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_priority(b->ep0_defer_src, SD_EVENT_PRIORITY_IMPORTANT);
	sd_event_source_set_enabled(b->ep0_defer_src, SD_EVENT_OFF);
	/* After the descriptors: the probe needs the endpoint file. */
	r = setup_pool(b, config_error);
	if (r < 0)
		goto fail;
	ifb_bridge_describe(b);
	/* Placeholder engine until the first stream picks its backend. */
	r = ifb_engine_init(&b->engine, b->nblocks, cfg->block_size, false, ifb_backend(b)->ops, b);
	if (r < 0)
		goto fail;
	log_info("USB descriptors written to %s (%s%s%s); %s, %u channels, %u-byte scans, %s mode%s",
		 cfg->functionfs, b->layout.native ? "native" : "",
		 b->layout.native && b->layout.iiod_pipes ? " and " : "",
		 b->layout.iiod_pipes ? "IIOD interfaces" : " interface", b->iio.name,
		 b->desc.num_channels, b->iio.scan_size, ifb_mode_name(b->mode),
		 b->mode_final ? "" : " (if the UDC allows)");
	*ret = b;
	return 0;

fail_loop:
	log_error_errno(r, "Cannot set up the event loop");
fail:
	ifb_bridge_free(b);
	return r;
}

struct ifb_bridge *ifb_bridge_free(struct ifb_bridge *b)
{
	if (!b)
		return NULL;
	if (b->session)
		ifb_session_close(b);
	/* The pipes' files before the function's: they hold its endpoints. */
	b->iiod = ifb_iiod_free(b->iiod);
	b->ep0_src = sd_event_source_disable_unref(b->ep0_src);
	b->ep0_defer_src = sd_event_source_disable_unref(b->ep0_defer_src);
	b->stage_src = sd_event_source_disable_unref(b->stage_src);
	b->teardown_src = sd_event_source_disable_unref(b->teardown_src);
	b->abort_src = sd_event_source_disable_unref(b->abort_src);
	b->grace_timer = sd_event_source_disable_unref(b->grace_timer);
	b->status_timer = sd_event_source_disable_unref(b->status_timer);
	b->aio_src = sd_event_source_disable_unref(b->aio_src);
	/* io_destroy cancels and waits for what is still in flight (the ZLP). */
	if (b->aio)
		io_destroy(b->aio);
	closep(&b->aio_efd);
	ifb_ep0_stage_free(&b->stage); /* its thread uses ep0 */
	ifb_ffs_close(&b->ffs);
	ifb_iio_close(&b->iio);
	ifb_pool_free(b);
	ifb_allocator_close(&b->alloc);
	free(b->pending);
	sd_event_unref(b->loop);
	free(b);
	return NULL;
}
