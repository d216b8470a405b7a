// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGHUP: a new configuration. Keys that name the hardware or the USB
 * identity need a restart and keep their old values; the rest waits in
 * b->pending until no stream is open, so a stream never sees a change
 * halfway.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

/*
 * A key whose value changed (differ) keeps its old one, with a warning
 * naming it (where: ifb_config_where or ifb_stream_config_where, for the
 * global keys of struct ifb_config or a stream's). Used on old and new.
 */
#define KEEP(where, key, field, differ)                                                  \
	do {                                                                             \
		if (differ) {                                                            \
			char where_[PATH_MAX + 64];                                      \
			where(new, key, where_, sizeof(where_));                         \
			log_warning("%s: changed; takes effect after a restart", where_); \
			memcpy(&new->field, &old->field, sizeof(new->field));            \
		}                                                                        \
	} while (0)
#define KEEP_STR(where, key, field) KEEP(where, key, field, strcmp(old->field, new->field) != 0)
#define KEEP_VAL(where, key, field) KEEP(where, key, field, old->field != new->field)

/* A stream's keys a running daemon cannot change: its hardware and how
 * its memory was chosen at start. */
static void keep_fixed_stream(const struct ifb_stream_config *old, struct ifb_stream_config *new)
{
#define W ifb_stream_config_where
	KEEP_STR(W, IFB_KEY_IIO_DEVICE, device);
	KEEP_VAL(W, IFB_KEY_IIO_BUFFER, buffer);
	KEEP_VAL(W, IFB_KEY_STREAM_MODE, mode);
	KEEP(W, IFB_KEY_STREAM_ALLOCATOR, allocator,
	     old->allocator != new->allocator || strcmp(old->heap, new->heap) != 0);
	if (old->allocator == new->allocator)
		memcpy(new->heap, old->heap, sizeof(new->heap));
#undef W
}

/* Keys a running daemon cannot change: they name the hardware, the USB
 * function and its identity, or how memory was chosen at start. */
static void keep_fixed(const struct ifb_config *old, struct ifb_config *new)
{
	bool same = old->num_streams == new->num_streams;

	for (unsigned i = 0; same && i < old->num_streams; i++)
		same = !strcmp(old->stream[i].name, new->stream[i].name) &&
		       old->stream[i].named == new->stream[i].named;
	if (!same) {
		/* streams are the function's interfaces: a restart's business */
		log_warning("%s: the streams changed (their number or names); that takes effect "
			    "after a restart, and their keys are reloaded only then", new->path);
		new->num_streams = old->num_streams;
		memcpy(new->stream, old->stream, sizeof(new->stream));
	}
	for (unsigned i = 0; i < new->num_streams; i++)
		keep_fixed_stream(&old->stream[i], &new->stream[i]);

#define W ifb_config_where
	KEEP_STR(W, IFB_KEY_USB_FUNCTIONFS, functionfs);
	KEEP_VAL(W, IFB_KEY_USB_VENDOR_ID, vendor_id);
	KEEP_VAL(W, IFB_KEY_USB_PRODUCT_ID, product_id);
	KEEP_STR(W, IFB_KEY_USB_MANUFACTURER, manufacturer);
	KEEP_STR(W, IFB_KEY_USB_PRODUCT, product);
	KEEP_STR(W, IFB_KEY_USB_SERIAL, serial);
	KEEP_STR(W, IFB_KEY_USB_INTERFACE, interface);
	KEEP_VAL(W, IFB_KEY_USB_MS_OS_DESCRIPTORS, ms_os_descriptors);
	KEEP_STR(W, IFB_KEY_USB_INTERFACE_GUID, interface_guid);
	KEEP_STR(W, IFB_KEY_GADGET_NAME, gadget_name);
	KEEP_STR(W, IFB_KEY_GADGET_UDC, udc);
	KEEP_VAL(W, IFB_KEY_GADGET_MAX_POWER, max_power);
	KEEP_VAL(W, IFB_KEY_GADGET_MS_VENDOR_CODE, ms_vendor_code);
	KEEP_VAL(W, IFB_KEY_USB_NATIVE, usb_native);
	KEEP_VAL(W, IFB_KEY_IIOD_ENABLE, iiod_enable);
	KEEP_VAL(W, IFB_KEY_IIOD_PIPES, iiod_pipes);
	KEEP(W, IFB_KEY_IIOD_DEVICES, iiod_devices,
	     old->iiod_num_devices != new->iiod_num_devices ||
		     memcmp(old->iiod_devices, new->iiod_devices, sizeof(old->iiod_devices)) != 0);
	if (old->iiod_num_devices != new->iiod_num_devices)
		new->iiod_num_devices = old->iiod_num_devices;
	KEEP_STR(W, IFB_KEY_IIOD_HW_MODEL, iiod_hw_model);
	KEEP_STR(W, IFB_KEY_IIOD_HW_SERIAL, iiod_hw_serial);
	if (old->compose_gadget != new->compose_gadget) {
		log_warning("%s: [gadget] section %s; takes effect after a restart", new->path,
			    new->compose_gadget ? "added" : "removed");
		new->compose_gadget = old->compose_gadget;
	}
#undef W
}

int ifb_bridge_reload(struct ifb_bridge *b, const struct ifb_config *cfg)
{
	struct ifb_config *next;
	struct ifb_iio *probe;
	char where[PATH_MAX + 64];
	int r = 0;

	next = malloc(sizeof(*next));
	probe = malloc(sizeof(*probe));
	if (!next || !probe) {
		free(next);
		free(probe);
		return log_error_errno(-ENOMEM, "Reload");
	}
	*next = *cfg;
	keep_fixed(&b->cfg, next);

	/* Channels and block size must fit each device before anything changes. */
	for (unsigned i = 0; i < b->nstreams && r == 0; i++) {
		const struct ifb_stream_config *sc = &next->stream[i];

		*probe = b->st[i]->iio;
		r = ifb_stream_select_channels(probe, sc, "; configuration not reloaded");
		if (r < 0) {
			/* logged */
		} else if (sc->block_size % probe->scan_size) {
			ifb_stream_config_where(sc, IFB_KEY_STREAM_BLOCK_SIZE, where, sizeof(where));
			log_error("%s: %u is not a multiple of the scan size (%u bytes); configuration not reloaded",
				  where, sc->block_size, probe->scan_size);
			r = -EINVAL;
		} else if (ifb_stream_check_iq(probe, sc) < 0) {
			log_error("Configuration not reloaded");
			r = -EINVAL;
		}
	}
	free(probe);
	if (r < 0) {
		free(next);
		return r;
	}
	free(b->pending);
	b->pending = next;
	ifb_log_set_level(next->log_level);
	if (ifb_bridge_any_session(b))
		log_info("Configuration reloaded from %s; applies when no stream runs", next->path);
	else
		ifb_reload_apply_pending(b);
	return 0;
}

/* One stream's part of a reloaded configuration. */
static void apply_stream(struct ifb_stream *s, const struct ifb_stream_config *next)
{
	bool resize = next->block_size != s->cfg.block_size || next->block_count != s->cfg.block_count;
	int r;

	if (resize)
		ifb_pool_free(s); /* while nblocks still counts the old pool */
	s->cfg = *next;
	s->nblocks = s->cfg.block_count;
	if (resize) {
		/* Same memory source as before: DMABUFs unless in copy mode. */
		r = ifb_backend(s)->pool_alloc(s);
		if (r < 0)
			log_error("%sKeeping no pool after a failed reload: streams will fail until the "
				  "configuration is fixed and reloaded", s->logp);
	}
	ifb_session_select_config_channels(s);
	if (s->cfg.sampling_frequency[0]) {
		r = ifb_iio_set_sampling_frequency(&s->iio, s->cfg.sampling_frequency);
		if (r < 0)
			log_warning_errno(r, "%s%s refused sampling frequency %s", s->logp, s->iio.name,
					  s->cfg.sampling_frequency);
	}
	ifb_stream_describe(s);
	log_info("%sConfiguration reloaded from %s: %u x %u bytes, %u-byte scans, start %s", s->logp,
		 s->cfg.path, s->nblocks, s->cfg.block_size, s->iio.scan_size,
		 s->cfg.start == IFB_CFG_START_HOST ? "on host request" : "immediately");
}

/* Put a reloaded configuration in place; only with no stream open. */
void ifb_reload_apply_pending(struct ifb_bridge *b)
{
	struct ifb_config *next = b->pending;

	if (!next || ifb_bridge_any_session(b))
		return;
	b->pending = NULL;
	b->cfg = *next;
	for (unsigned i = 0; i < b->nstreams; i++)
		apply_stream(b->st[i], &next->stream[i]);
	free(next);
}
