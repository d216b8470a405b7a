// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon above its streams, on one sd-event loop: it makes each
 * stream (stream.c), writes the USB descriptors of their interfaces and
 * the IIOD one, owns ep0 and the status timer; ifb_bridge_free releases
 * all of it on one path. A stream's life is in session.c, the host's
 * requests in ep0.c and iiod.c (see bridge-int.h for the map).
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
	case IFB_STOP_LATE: return "late";
	default: return "none";
	}
}

void ifb_bridge_status(struct ifb_bridge *b, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	/* at moves by what was written (strlen), never by what snprintf
	 * wanted to: a cut line must not point it past the buffer */
	for (unsigned i = 0; i < b->nall && at + 1 < len; i++) {
		if (i) {
			snprintf(buf + at, len - at, "; ");
			at += strlen(buf + at);
		}
		ifb_session_status(b->st[i], buf + at, len - at);
		at += strlen(buf + at);
	}
}

bool ifb_bridge_any_session(const struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nall; i++)
		if (ifb_session_owner(b->st[i]) != IFB_OWNER_NONE)
			return true;
	return false;
}

static int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ifb_bridge *b = userdata;
	uint64_t t = ifb_now_usec();
	char status[2048]; /* a part per stream: up to 8 and the IIOD front end's */

	for (unsigned i = 0; i < b->nall; i++)
		ifb_session_tick(b->st[i], t);
	ifb_bridge_status(b, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
	sd_event_source_set_time(src, usec + IFB_STATUS_PERIOD_USEC);
	return 0;
}

struct ifb_stream *ifb_bridge_device_stream(const struct ifb_bridge *b, const char *sysdir)
{
	for (unsigned i = 0; i < b->nall; i++)
		/* buffer 0: the one whose scan elements the IIOD context lists
		 * (a stream of another buffer has other channels and types) */
		if (!b->st[i]->released && b->st[i]->iio.buffer == 0 &&
		    !strcmp(b->st[i]->iio.sysdir, sysdir))
			return b->st[i];
	return NULL;
}

void ifb_bridge_on_bind(struct ifb_bridge *b)
{
	for (unsigned i = 0; i < b->nstreams; i++)
		ifb_stream_on_bind(b->st[i]);
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
		r = ifb_stream_new(b, k, config_error, &b->st[k]);
		if (b->st[k])
			b->nstreams = b->nall = k + 1;
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
	for (unsigned k = 0; k < b->nstreams; k++)
		if (b->st[k]->iio.output)
			b->layout.outputs |= 1u << k;
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
	log_info("USB descriptors written to %s (%s%s%s)", cfg->functionfs,
		 b->layout.native ? "native" : "", b->layout.native && b->layout.iiod_pipes ? " and " : "",
		 b->layout.iiod_pipes ? "IIOD interfaces" : " interface");
	/* After the descriptors: the probe needs the endpoint file. */
	for (unsigned k = 0; k < b->nstreams; k++) {
		r = ifb_stream_setup_pool(b->st[k], config_error);
		if (r < 0)
			goto fail;
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
	for (unsigned i = 0; i < b->nall; i++)
		if (b->st[i]->session)
			ifb_session_close(b->st[i]);
	/* The pipes' files before the function's: they hold its endpoints. */
	b->iiod = ifb_iiod_free(b->iiod);
	b->ep0_src = sd_event_source_disable_unref(b->ep0_src);
	b->ep0_defer_src = sd_event_source_disable_unref(b->ep0_defer_src);
	b->stage_src = sd_event_source_disable_unref(b->stage_src);
	b->status_timer = sd_event_source_disable_unref(b->status_timer);
	for (unsigned i = 0; i < b->nall; i++)
		b->st[i] = ifb_stream_free(b->st[i]);
	b->release_src = sd_event_source_disable_unref(b->release_src);
	ifb_ep0_stage_free(&b->stage); /* its thread uses ep0 */
	ifb_ffs_close(&b->ffs);
	free(b->pending);
	sd_event_unref(b->loop);
	free(b);
	return NULL;
}
