// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stream's set-up and release: its IIO device and channels, what the
 * kernel says about zero-copy for it, the mode and pool that follow, its
 * description for GET_INFO, its event sources. Its life from START to the
 * end is session.c's; the blocks' is in the backend-*.c files.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

void ifb_stream_describe(struct ifb_stream *s)
{
	ifb_stream_describe_into(s, &s->desc);
}

void ifb_stream_describe_into(struct ifb_stream *s, struct ifb_stream_desc *d)
{
	unsigned k = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->device_name, sizeof(d->device_name), "%s", s->iio.name);
	d->mode = (uint8_t)s->mode;
	d->block_size = s->cfg.block_size;
	d->block_count = s->nblocks;
	d->scan_size = s->iio.scan_size;
	if (ifb_iio_sampling_frequency_mhz(&s->iio, &d->sample_rate_mhz) < 0)
		d->sample_rate_mhz = 0;
	for (unsigned i = 0; i < s->iio.num_channels; i++) {
		const struct ifb_iio_channel *c = &s->iio.ch[i];
		struct ifb_channel_info *o;

		if (!c->selected)
			continue;
		o = &d->channels[k++];
		snprintf(o->name, sizeof(o->name), "%s", c->name);
		o->scan_index = (uint16_t)c->index;
		o->offset = c->offset;
		o->is_signed = ifb_control_sign(&c->type);
		o->is_be = c->type.is_be;
		o->bits = c->type.bits;
		o->storage_bits = c->type.storage_bits;
		o->shift = c->type.shift;
		o->repeat = c->type.repeat;
	}
	d->num_channels = (uint16_t)k;
	/* The I/Q hint (checked by ifb_stream_check_iq at start and reload). */
	for (unsigned p = 0; p < s->cfg.num_iq; p++) {
		int at[2] = { -1, -1 };

		for (unsigned i = 0; i < k; i++)
			for (unsigned h = 0; h < 2; h++)
				if (strcmp(d->channels[i].name, s->cfg.iq[p][h]) == 0)
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

int ifb_stream_check_iq(const struct ifb_iio *io, const struct ifb_stream_config *cfg)
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
			ifb_stream_config_where(cfg, IFB_KEY_IIO_IQ, where, sizeof(where));
			log_error("%s: pair %s:%s: expected %s", where, cfg->iq[p][0], cfg->iq[p][1],
				  why);
			return -EINVAL;
		}
	}
	return 0;
}

int ifb_stream_select_channels(struct ifb_iio *io, const struct ifb_stream_config *cfg,
			       const char *then)
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
	ifb_stream_config_where(cfg, IFB_KEY_IIO_CHANNELS, where, sizeof(where));
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

static int setup_iio(struct ifb_stream *s, bool *config_error)
{
	const struct ifb_stream_config *cfg = &s->cfg;
	char where[PATH_MAX + 64], real[PATH_MAX];
	int r;

	r = ifb_iio_find(&s->iio, cfg->device, cfg->buffer, NULL);
	if (r == -ENODEV || r == -ENOENT) {
		*config_error = true;
		ifb_stream_config_where(cfg, r == -ENODEV ? IFB_KEY_IIO_DEVICE : IFB_KEY_IIO_BUFFER, where,
				 sizeof(where));
		if (r == -ENODEV)
			log_error("%s%s: no IIO device named '%s' (expected a name, label, iio:deviceN or sysfs path "
				  "listed in /sys/bus/iio/devices)", s->logp, where, cfg->device);
		else
			log_error("%s%s: IIO device '%s' has no buffer %u with scan elements", s->logp, where,
				  cfg->device, cfg->buffer);
		return r;
	}
	if (r == -ENOTUNIQ) {
		char list[2048];

		*config_error = true;
		ifb_stream_config_where(cfg, IFB_KEY_IIO_DEVICE, where, sizeof(where));
		if (ifb_iio_list_matches(cfg->device, NULL, list, sizeof(list)) < 0)
			snprintf(list, sizeof(list), "(cannot list them)");
		log_error("%s%s: '%s' names more than one IIO device: %s (expected one of them: by "
			  "label, iio:deviceN, or the parent's sysfs path, which stays the same "
			  "from boot to boot)", s->logp, where, cfg->device, list);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "%sCannot read IIO device '%s' from sysfs", s->logp, cfg->device);
	log_info("%sIIO: '%s' is %s (%s)", s->logp, cfg->device, s->iio.devnode + strlen("/dev/"),
		 realpath(s->iio.sysdir, real) ? real : s->iio.sysdir);
	if (s->iio.legacy)
		log_notice("%sIIO: legacy buffer interface: scan elements in %s, samples read from %s", s->logp,
			   s->iio.chandir, s->iio.devnode);

	r = ifb_stream_select_channels(&s->iio, cfg, "");
	if (r < 0) {
		*config_error = true;
		return r;
	}
	if (s->iiod_only) {
		/* the client's buffer sizes its blocks (its channels, not all:
		 * no scan size to check here); a buffer some other program has
		 * enabled is theirs (session_open says busy) */
		return 0;
	}
	if (cfg->block_size % s->iio.scan_size) {
		*config_error = true;
		ifb_stream_config_where(cfg, IFB_KEY_STREAM_BLOCK_SIZE, where, sizeof(where));
		log_error("%s%s: %u is not a multiple of the scan size (%u bytes for the selected "
			  "channels); expected e.g. %u", s->logp, where, cfg->block_size, s->iio.scan_size,
			  cfg->block_size / (s->iio.scan_size * 4096) * (s->iio.scan_size * 4096) ?:
				  s->iio.scan_size * 4096);
		return -EINVAL;
	}
	r = ifb_stream_check_iq(&s->iio, cfg);
	if (r < 0) {
		*config_error = true;
		return r;
	}
	if (cfg->sampling_frequency[0]) {
		r = ifb_iio_set_sampling_frequency(&s->iio, cfg->sampling_frequency);
		if (r < 0) {
			*config_error = r == -EINVAL;
			ifb_stream_config_where(cfg, IFB_KEY_IIO_SAMPLING_FREQUENCY, where, sizeof(where));
			return log_error_errno(r, "%s%s: %s refused sampling frequency %s", s->logp, where,
					       s->iio.name, cfg->sampling_frequency);
		}
	}
	/* Channels cannot change while the buffer is enabled. */
	return ifb_session_disable_left_enabled(s);
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

int ifb_stream_open_ep(struct ifb_stream *s)
{
	int r = ifb_ffs_open_ep(&s->b->ffs, &s->ep);

	/* EAGAIN: FunctionFS's mutex, which the ep0 stage thread holds while
	 * the host takes a reply (ep0-stage.h; an IIOD client's OPEN right
	 * after its context XML meets it): wait for the stage a little,
	 * never for a host that abandoned it. */
	for (int i = 0; r == -EAGAIN && i < 50; i++) {
		ifb_ep0_stage_wait(&s->b->stage, 5);
		r = ifb_ffs_open_ep(&s->b->ffs, &s->ep);
	}
	if (r == -EAGAIN)
		return log_error_errno(r, "%sCannot open %s/ep%u: FunctionFS is busy with a control "
				       "request the host has not taken (try again)", s->logp,
				       s->b->ffs.dir, s->ep.num);
	if (r < 0)
		return log_error_errno(r, "%sCannot open %s/ep%u", s->logp, s->b->ffs.dir, s->ep.num);
	return 0;
}

/*
 * Ask the kernel, before any host connects, whether zero-copy can work
 * (probe.h): an attach of fd -1 on the IIO buffer fd and on the endpoint,
 * and the allocator. The endpoint's UDC is only known once bound
 * (ifb_bridge_on_bind asks again then). The allocator stays open.
 */
static int probe_zero_copy(struct ifb_stream *s)
{
	const struct ifb_stream_config *cfg = &s->cfg;
	struct ifb_probe *p = &s->probe;
	int r;

	memset(p, 0, sizeof(*p));
	snprintf(p->iio_what, sizeof(p->iio_what), "buffer %u of %s", s->iio.buffer, s->iio.name);
	r = ifb_iio_open(&s->iio);
	if (r < 0)
		return log_error_errno(r, "%sCannot open IIO buffer %u of %s", s->logp, s->iio.buffer,
				       s->iio.devnode);
	ifb_probe_iio(p, s->iio.buf_fd, s->iio.legacy);
	ifb_iio_close(&s->iio);
	r = ifb_stream_open_ep(s);
	if (r < 0)
		return r;
	ifb_probe_usb(p, s->ep.fd, s->b->bound);
	ifb_ffs_close_ep(&s->ep);
	r = ifb_allocator_open(&s->alloc, cfg->allocator, cfg->heap);
	if (r < 0) {
		p->alloc_err = r;
		snprintf(p->alloc_name, sizeof(p->alloc_name), "%s", s->alloc.name);
	}
	log_debug("%sZero-copy probe: IIO %s (%s), FunctionFS %s (%s), allocator %s", s->logp,
		  probe_state_name(p->iio), p->iio_answer ? strerror(-p->iio_answer) : "not asked",
		  probe_state_name(p->usb), strerror(-p->usb_answer),
		  p->alloc_err ? strerror(-p->alloc_err) : s->alloc.name);
	return 0;
}

/*
 * An output stream receives into DMABUFs (zero-copy, hybrid) only where
 * FunctionFS maps them for the right direction: no ioctl tells, the
 * kernel's version does (ifb_probe_ffs_out_dmabuf_fixed). Auto mode keeps
 * to copy mode elsewhere; mode = zero-copy or hybrid is the user's word
 * that the board has no IOMMU in the way (the mapping faults only with
 * one), and is obeyed with a warning. IFB_UNAME_RELEASE stands in for
 * uname -r (the VM rig tests the rule with it).
 */
static bool out_dmabuf_allowed(struct ifb_stream *s)
{
	const char *release = getenv("IFB_UNAME_RELEASE");
	struct utsname u;

	if (!release)
		release = uname(&u) == 0 ? u.release : "";
	if (ifb_probe_ffs_out_dmabuf_fixed(release))
		return true;
	if (s->cfg.mode == IFB_CFG_MODE_AUTO) {
		log_notice("%sOutput stream: using copy mode: FunctionFS DMABUF on an OUT endpoint "
			   "maps buffers for the wrong DMA direction before Linux 7.0 (fixed in "
			   "6.12.118 and later 6.12), which faults with an IOMMU, and Linux %s is not "
			   "known to have the fix (set mode = zero-copy or hybrid to use DMABUFs anyway)",
			   s->logp, release);
		return false;
	}
	log_warning("%sOutput stream: %s mode on Linux %s, which is not known to map FunctionFS "
		    "DMABUFs on an OUT endpoint for the right DMA direction (fixed in 7.0 and "
		    "6.12.118): with an IOMMU, expect DMA faults; mode = auto would use copy mode",
		    s->logp, ifb_cfg_mode_name(s->cfg.mode), release);
	return true;
}

/* The mode streams will use, decided here from the probe; with forced
 * zero-copy that cannot work, a config error naming every reason. */
static int setup_pool(struct ifb_stream *s, bool *config_error)
{
	const struct ifb_stream_config *cfg = &s->cfg;
	char why[1024], where[PATH_MAX + 64];
	int r;

	s->nblocks = cfg->block_count;
	s->alloc.fd = -1;
	if (cfg->mode == IFB_CFG_MODE_COPY || (s->iio.output && !out_dmabuf_allowed(s))) {
		s->mode = IFB_MODE_COPY;
		s->mode_final = true;
		return ifb_backend(s)->pool_alloc(s);
	}
	r = probe_zero_copy(s);
	if (r < 0)
		return r;
	if (cfg->allocator != IFB_CFG_ALLOC_AUTO && s->probe.alloc_err) {
		char avail[512];

		/* A named allocator that is not there is a mistake in the file,
		 * not a reason to stream in copy mode. */
		*config_error = true;
		ifb_allocator_list("/dev", avail, sizeof(avail));
		ifb_stream_config_where(cfg, IFB_KEY_STREAM_ALLOCATOR, where, sizeof(where));
		log_error("%s%s: cannot open %s: %s (expected one this kernel offers: %s; or auto)", s->logp,
			  where, s->probe.alloc_name, strerror(-s->probe.alloc_err), avail);
		return s->probe.alloc_err;
	}
	if (cfg->mode == IFB_CFG_MODE_HYBRID) {
		if (!ifb_probe_hybrid_possible(&s->probe)) {
			ifb_probe_explain_hybrid(&s->probe, why, sizeof(why));
			*config_error = true;
			ifb_stream_config_where(cfg, IFB_KEY_STREAM_MODE, where, sizeof(where));
			log_error("%s%s: hybrid mode is not possible here: %s (expected mode = auto or copy)", s->logp,
				  where, why);
			return -EOPNOTSUPP;
		}
		s->mode = IFB_MODE_HYBRID;
	} else if (ifb_probe_zero_copy_possible(&s->probe)) {
		s->mode = IFB_MODE_ZERO_COPY;
	} else {
		ifb_probe_explain(&s->probe, why, sizeof(why));
		if (cfg->mode == IFB_CFG_MODE_ZERO_COPY) {
			*config_error = true;
			ifb_stream_config_where(cfg, IFB_KEY_STREAM_MODE, where, sizeof(where));
			log_error("%s%s: zero-copy is not possible here: %s (expected mode = auto, hybrid or copy)", s->logp,
				  where, why);
			return -EOPNOTSUPP;
		}
		if (!ifb_probe_hybrid_possible(&s->probe)) {
			log_warning("%sZero-copy unavailable: %s; using copy mode (hybrid needs FunctionFS "
				    "DMABUF and an allocator too)", s->logp, why);
			ifb_allocator_close(&s->alloc);
			s->mode = IFB_MODE_COPY;
			s->mode_final = true;
			return ifb_backend(s)->pool_alloc(s);
		}
		/* Only IIO refused: USB still takes the DMABUFs. */
		log_warning("%sZero-copy unavailable: %s; using hybrid mode (%s)", s->logp, why,
			    s->iio.output ? "DMABUF transfers from USB, write() from them to IIO" :
					    "read() from IIO into DMABUFs, DMABUF transfers to USB");
		s->mode = IFB_MODE_HYBRID;
	}
	log_info("%sDMABUF allocator: %s", s->logp, s->alloc.name);
	/* Final at the first stream: an unbound UDC is asked again at bind. */
	s->mode_final = false;
	return ifb_backend(s)->pool_alloc(s);
}

void ifb_stream_on_bind(struct ifb_stream *s)
{
	bool hybrid = s->mode == IFB_MODE_HYBRID;
	char why[1024];
	int r;

	if (s->mode == IFB_MODE_COPY || s->mode_final || s->session)
		return;
	r = ifb_ffs_open_ep(&s->b->ffs, &s->ep);
	if (r < 0) {
		log_warning_errno(r, "%sCannot open %s/ep%u to ask about DMABUF; the first stream "
				  "will tell", s->logp, s->b->ffs.dir, s->ep.num);
		return;
	}
	ifb_probe_usb(&s->probe, s->ep.fd, true);
	ifb_ffs_close_ep(&s->ep);
	if (hybrid ? ifb_probe_hybrid_possible(&s->probe) : ifb_probe_zero_copy_possible(&s->probe))
		return; /* the first stream's attach has the last word */
	if (hybrid)
		ifb_probe_explain_hybrid(&s->probe, why, sizeof(why));
	else
		ifb_probe_explain(&s->probe, why, sizeof(why));
	if (s->cfg.mode == IFB_CFG_MODE_ZERO_COPY || s->cfg.mode == IFB_CFG_MODE_HYBRID) {
		log_error("%s%s is not possible on this UDC: %s; START will be refused", s->logp,
			  hybrid ? "Hybrid mode" : "Zero-copy", why);
		return;
	}
	/* USB refuses DMABUFs: hybrid is no way out either. */
	log_warning("%s%s unavailable: %s; using copy mode", s->logp,
		    hybrid ? "Hybrid mode" : "Zero-copy", why);
	r = ifb_pool_switch_to_copy(s);
	if (r < 0) {
		/* Logged by the pool; the first stream will fail and say so. */
		return;
	}
	s->mode_final = true;
}

struct ifb_stream *ifb_stream_free(struct ifb_stream *s)
{
	if (!s)
		return NULL;
	if (s->session)
		ifb_session_close(s);
	s->teardown_src = sd_event_source_disable_unref(s->teardown_src);
	s->abort_src = sd_event_source_disable_unref(s->abort_src);
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	s->aio_src = sd_event_source_disable_unref(s->aio_src);
	s->out_drain_src = sd_event_source_disable_unref(s->out_drain_src);
	/* io_destroy cancels and waits for what is still in flight (the ZLP). */
	if (s->aio)
		io_destroy(s->aio);
	closep(&s->aio_efd);
	ifb_ffs_close_ep(&s->ep);
	ifb_iio_close(&s->iio);
	ifb_pool_free(s);
	ifb_allocator_close(&s->alloc);
	free(s);
	return NULL;
}

/* A stream of sc up to its IIO device and event sources (index: its place
 * in b->st); *ret set once allocated. */
static int stream_init(struct ifb_bridge *b, const struct ifb_stream_config *sc, unsigned index,
		       bool iiod_only, bool *config_error, struct ifb_stream **ret)
{
	struct ifb_stream *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_error_errno(-ENOMEM, "Out of memory");
	s->b = b;
	s->index = index;
	s->cfg = *sc;
	s->iiod_only = iiod_only;
	if (iiod_only)
		snprintf(s->logp, sizeof(s->logp), "IIOD %s: ", s->cfg.name);
	else if (s->cfg.named)
		snprintf(s->logp, sizeof(s->logp), "%s: ", s->cfg.name);
	s->iio.dev_fd = s->iio.buf_fd = -1;
	s->ep.fd = -1;
	s->aio_efd = -1;
	s->alloc.fd = -1;
	s->out_held = -1;
	for (unsigned i = 0; i < IFB_ENGINE_MAX_BLOCKS; i++)
		s->blk[i].fd = s->blk[i].sync_fd = -1;
	*ret = s;

	r = setup_iio(s, config_error);
	if (r < 0)
		return r;
	/* Room for the largest pool a reload may ask for, plus the ZLP. */
	r = io_setup(IFB_ENGINE_MAX_BLOCKS + 1, &s->aio);
	if (r < 0)
		return log_error_errno(r, "io_setup failed");
	s->aio_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->aio_efd < 0)
		return log_error_errno(neg_errno(), "eventfd failed");
	r = sd_event_add_io(b->loop, &s->aio_src, s->aio_efd, EPOLLIN, ifb_aio_on_event, s);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the event loop");
	r = sd_event_add_defer(b->loop, &s->teardown_src, ifb_session_on_teardown, s);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the event loop");
	sd_event_source_set_enabled(s->teardown_src, SD_EVENT_OFF);
	r = sd_event_add_defer(b->loop, &s->abort_src, ifb_copy_on_abort_fill, s);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the event loop");
	sd_event_source_set_enabled(s->abort_src, SD_EVENT_OFF);
	return 0;
}

int ifb_stream_new(struct ifb_bridge *b, unsigned k, bool *config_error,
		   struct ifb_stream **ret)
{
	return stream_init(b, &b->cfg.stream[k], k, false, config_error, ret);
}

int ifb_stream_new_iiod(struct ifb_bridge *b, const char *sysdir, unsigned ep, uint32_t bytes,
			unsigned count, struct ifb_stream **ret)
{
	struct ifb_stream_config sc = b->cfg.stream[0];
	const char *id = strrchr(sysdir, '/') ? strrchr(sysdir, '/') + 1 : sysdir;
	struct ifb_stream *s = NULL;
	bool config_error = false;
	int r;

	/* a stream made during a shutdown would never be finished: the
	 * daemon waits for every stream of b->st (session.c) */
	if (b->shutting_down || b->nall == ARRAY_SIZE(b->st))
		return -EBUSY;
	/* the first stream's mode and memory; the device's buffer 0, every
	 * channel until the client's mask says which */
	snprintf(sc.name, sizeof(sc.name), "%s", id);
	snprintf(sc.device, sizeof(sc.device), "%s", id);
	sc.named = false;
	sc.buffer = 0;
	sc.all_channels = true;
	sc.num_channels = 0;
	sc.num_iq = 0;
	sc.sampling_frequency[0] = '\0';
	sc.start = IFB_CFG_START_HOST;
	/* the client's pool from the start: its OPEN does not reshape it */
	sc.block_size = bytes;
	sc.block_count = count;
	memset(sc.line, 0, sizeof(sc.line));
	r = stream_init(b, &sc, b->nall, true, &config_error, &s);
	if (r == 0) {
		s->iface = UINT_MAX; /* no native interface */
		s->native_ep = s->ep.num = ep;
		r = ifb_stream_setup_pool(s, &config_error);
	}
	if (r < 0) {
		ifb_stream_free(s);
		return r;
	}
	b->st[b->nall++] = s;
	*ret = s;
	return 0;
}

/* Free the streams the IIOD front end has released; keep the rest in order. */
static int on_release(sd_event_source *src, void *userdata)
{
	struct ifb_bridge *b = userdata;
	unsigned k = b->nstreams;

	for (unsigned i = b->nstreams; i < b->nall; i++) {
		struct ifb_stream *s = b->st[i];

		if (s->released && !s->session &&
		    !ifb_session_teardown_pending(s)) {
			ifb_stream_free(s);
			continue;
		}
		s->index = k;
		b->st[k++] = s;
	}
	b->nall = k;
	(void)src;
	return 0;
}

void ifb_stream_release(struct ifb_stream *s)
{
	struct ifb_bridge *b = s->b;

	s->released = true;
	if (!b->release_src && sd_event_add_defer(b->loop, &b->release_src, on_release, b) < 0) {
		log_warning("Cannot free an IIOD stream now; it stays until the daemon exits");
		return;
	}
	sd_event_source_set_enabled(b->release_src, SD_EVENT_ONESHOT);
}

int ifb_stream_setup_pool(struct ifb_stream *s, bool *config_error)
{
	int r = setup_pool(s, config_error);

	if (r < 0)
		return r;
	ifb_stream_describe(s);
	r = ifb_session_init(s);
	if (r < 0)
		return r;
	log_info("%s%s, %u channels, %u-byte scans, %s mode%s%s", s->logp, s->iio.name,
		 s->desc.num_channels, s->iio.scan_size, ifb_mode_name(s->mode),
		 s->mode_final ? "" : " (if the UDC allows)",
		 s->b->layout.native ? "" : " (IIOD only)");
	return 0;
}
