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

static void stream_status(const struct ifb_stream *s, char *buf, size_t len)
{
	const struct ifb_engine_counters *c = &s->engine.c;

	switch (s->engine.run) {
	case IFB_STATE_STREAMING:
		snprintf(buf, len, "%sStreaming (%s): %.1f MiB/s, %" PRIu64 " MiB sent, %" PRIu64
			 " gaps, %" PRIu64 " errors", s->logp, ifb_mode_name(s->mode), s->rate_mib_s,
			 c->bytes_sent >> 20, c->gaps_total, c->adc_errors + c->usb_errors);
		break;
	case IFB_STATE_STOPPING:
		snprintf(buf, len, "%sStopping stream (%s)", s->logp, ifb_mode_name(s->mode));
		break;
	default:
		snprintf(buf, len, "%sIdle (%s), %s", s->logp, ifb_mode_name(s->mode),
			 s->b->usb_enabled ? "waiting for the host's START" : "waiting for a USB host");
		break;
	}
}

void ifb_bridge_status(struct ifb_bridge *b, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < b->nstreams && at < len; i++) {
		if (i)
			at += (size_t)snprintf(buf + at, len - at, "; ");
		if (at < len)
			stream_status(b->st[i], buf + at, len - at);
		at += strlen(buf + at);
	}
}

bool ifb_bridge_any_session(const struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nstreams; i++)
		if (ifb_session_owner(b->st[i]) != IFB_OWNER_NONE)
			return true;
	return false;
}

static int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	uint64_t t = ifb_now_usec();
	char status[512];

	for (unsigned i = 0; i < b->nstreams; i++) {
		struct ifb_stream *s = b->st[i];

		if (s->engine.run == IFB_STATE_STREAMING && t > s->rate_t) {
			uint64_t bytes = s->engine.c.bytes_sent;

			s->rate_mib_s = (double)(bytes - s->rate_bytes) / 1048576.0 /
					((double)(t - s->rate_t) / 1e6);
			s->rate_bytes = bytes;
			s->rate_t = t;
		}
		ifb_session_check(s);
	}
	ifb_bridge_status(b, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
	sd_event_source_set_time(src, usec + IFB_STATUS_PERIOD_USEC);
	return 0;
}

void ifb_bridge_describe(struct ifb_stream *s)
{
	ifb_bridge_describe_into(s, &s->desc);
}

void ifb_bridge_describe_into(struct ifb_stream *s, struct ifb_stream_desc *d)
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
	/* The I/Q hint (checked by ifb_bridge_check_iq at start and reload). */
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

int ifb_bridge_check_iq(const struct ifb_iio *io, const struct ifb_stream_config *cfg)
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

int ifb_bridge_select_channels(struct ifb_iio *io, const struct ifb_stream_config *cfg,
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

	r = ifb_bridge_select_channels(&s->iio, cfg, "");
	if (r < 0) {
		*config_error = true;
		return r;
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
	r = ifb_bridge_check_iq(&s->iio, cfg);
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
	r = ifb_ffs_open_ep(&s->b->ffs, &s->ep);
	if (r < 0)
		return log_error_errno(r, "%sCannot open %s/ep1", s->logp, s->b->ffs.dir);
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

/* The mode streams will use, decided here from the probe; with forced
 * zero-copy that cannot work, a config error naming every reason. */
static int setup_pool(struct ifb_stream *s, bool *config_error)
{
	const struct ifb_stream_config *cfg = &s->cfg;
	char why[1024], where[PATH_MAX + 64];
	int r;

	s->nblocks = cfg->block_count;
	s->alloc.fd = -1;
	if (cfg->mode == IFB_CFG_MODE_COPY) {
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
		log_warning("%sZero-copy unavailable: %s; using hybrid mode (read() from IIO into "
			    "DMABUFs, DMABUF transfers to USB)", s->logp, why);
		s->mode = IFB_MODE_HYBRID;
	}
	log_info("%sDMABUF allocator: %s", s->logp, s->alloc.name);
	/* Final at the first stream: an unbound UDC is asked again at bind. */
	s->mode_final = false;
	return ifb_backend(s)->pool_alloc(s);
}

static void stream_on_bind(struct ifb_stream *s)
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

void ifb_bridge_on_bind(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nstreams; i++)
		stream_on_bind(b->st[i]);
}

static struct ifb_stream *stream_free(struct ifb_stream *s)
{
	if (!s)
		return NULL;
	if (s->session)
		ifb_session_close(s);
	s->teardown_src = sd_event_source_disable_unref(s->teardown_src);
	s->abort_src = sd_event_source_disable_unref(s->abort_src);
	s->grace_timer = sd_event_source_disable_unref(s->grace_timer);
	s->aio_src = sd_event_source_disable_unref(s->aio_src);
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

/* Stream k of cfg, up to its IIO device: what needs no FunctionFS yet. */
static int stream_new(struct ifb_bridge *b, unsigned k, bool *config_error,
		      struct ifb_stream **ret)
{
	struct ifb_stream *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_error_errno(-ENOMEM, "Out of memory");
	s->b = b;
	s->index = k;
	s->cfg = b->cfg.stream[k];
	if (s->cfg.named)
		snprintf(s->logp, sizeof(s->logp), "%s: ", s->cfg.name);
	s->iio.dev_fd = s->iio.buf_fd = -1;
	s->ep.fd = -1;
	s->aio_efd = -1;
	s->alloc.fd = -1;
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

/* The same IIO buffer named by two streams would be opened twice. */
static int check_distinct_buffers(struct ifb_bridge *b, bool *config_error)
{
	for (unsigned i = 0; i < b->nstreams; i++)
		for (unsigned j = 0; j < i; j++) {
			const struct ifb_stream *x = b->st[j], *y = b->st[i];
			char where[PATH_MAX + 64];

			if (strcmp(x->iio.sysdir, y->iio.sysdir) || x->iio.buffer != y->iio.buffer)
				continue;
			*config_error = true;
			ifb_stream_config_where(&y->cfg, IFB_KEY_IIO_DEVICE, where, sizeof(where));
			log_error("%s: buffer %u of %s is stream %s's already; expected another "
				  "device or buffer for stream %s", where, y->iio.buffer, y->iio.name,
				  x->cfg.name, y->cfg.name);
			return -EINVAL;
		}
	return 0;
}

int ifb_bridge_new(struct ifb_bridge **ret, sd_event *loop, const struct ifb_config *cfg,
		   bool *config_error)
{
	char names[IFB_MAX_STREAMS][IFB_CFG_STR + IFB_NAME_LEN + 2];
	const char *name_of[IFB_MAX_STREAMS];
	struct ifb_bridge *b;
	int r;

	*config_error = false;
	b = calloc(1, sizeof(*b));
	if (!b)
		return log_error_errno(-ENOMEM, "Out of memory");
	b->cfg = *cfg;
	b->loop = sd_event_ref(loop);
	b->ffs.ep0 = -1;

	for (unsigned k = 0; k < cfg->num_streams; k++) {
		r = stream_new(b, k, config_error, &b->st[k]);
		if (b->st[k])
			b->nstreams = k + 1;
		if (r < 0)
			goto fail;
	}
	r = check_distinct_buffers(b, config_error);
	if (r < 0)
		goto fail;
	r = sd_event_add_time_relative(loop, &b->status_timer, CLOCK_MONOTONIC, IFB_STATUS_PERIOD_USEC, 0,
				       on_status_timer, b);
	if (r < 0)
		goto fail_loop;
	sd_event_source_set_enabled(b->status_timer, SD_EVENT_ON);

	b->layout.native = cfg->usb_native;
	b->layout.streams = cfg->num_streams;
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
	/* Each stream's interface string: [usb] interface, and the stream's
	 * name when the file names its streams. */
	for (unsigned k = 0; k < b->nstreams; k++) {
		struct ifb_stream *s = b->st[k];

		s->iface = ifb_usb_stream_interface(&b->layout, k);
		s->native_ep = s->ep.num = ifb_usb_ep_stream(&b->layout, k);
		if (s->cfg.named)
			snprintf(names[k], sizeof(names[k]), "%s %s", cfg->interface, s->cfg.name);
		else
			snprintf(names[k], sizeof(names[k]), "%s", cfg->interface);
		name_of[k] = names[k];
	}
	if (b->layout.iiod_pipes) {
		r = ifb_iiod_new(b, &b->layout, &b->iiod);
		if (r < 0) {
			*config_error = r == -ENOENT;
			goto fail;
		}
	}
	r = ifb_ffs_open(&b->ffs, cfg->functionfs, &b->layout, name_of,
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
	for (unsigned k = 0; k < b->nstreams; k++) {
		struct ifb_stream *s = b->st[k];

		/* After the descriptors: the probe needs the endpoint file. */
		r = setup_pool(s, config_error);
		if (r < 0)
			goto fail;
		ifb_bridge_describe(s);
		/* Placeholder engine until the first stream picks its backend. */
		r = ifb_engine_init(&s->engine, s->nblocks, s->cfg.block_size, false,
				    ifb_backend(s)->ops, s);
		if (r < 0)
			goto fail;
		if (k == 0)
			log_info("USB descriptors written to %s (%s%s%s)", cfg->functionfs,
				 b->layout.native ? "native" : "",
				 b->layout.native && b->layout.iiod_pipes ? " and " : "",
				 b->layout.iiod_pipes ? "IIOD interfaces" : " interface");
		log_info("%s%s, %u channels, %u-byte scans, %s mode%s%s", s->logp, s->iio.name,
			 s->desc.num_channels, s->iio.scan_size, ifb_mode_name(s->mode),
			 s->mode_final ? "" : " (if the UDC allows)",
			 b->layout.native ? "" : " (IIOD only)");
	}
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
	for (unsigned i = 0; i < b->nstreams; i++)
		if (b->st[i]->session)
			ifb_session_close(b->st[i]);
	/* The pipes' files before the function's: they hold its endpoints. */
	b->iiod = ifb_iiod_free(b->iiod);
	b->ep0_src = sd_event_source_disable_unref(b->ep0_src);
	b->ep0_defer_src = sd_event_source_disable_unref(b->ep0_defer_src);
	b->stage_src = sd_event_source_disable_unref(b->stage_src);
	b->status_timer = sd_event_source_disable_unref(b->status_timer);
	for (unsigned i = 0; i < b->nstreams; i++)
		b->st[i] = stream_free(b->st[i]);
	ifb_ep0_stage_free(&b->stage); /* its thread uses ep0 */
	ifb_ffs_close(&b->ffs);
	free(b->pending);
	sd_event_unref(b->loop);
	free(b);
	return NULL;
}
