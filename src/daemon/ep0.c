// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The native front end: FunctionFS events on ep0 and the vendor control
 * protocol of docs/protocol.md. ENABLE/DISABLE/UNBIND/SUSPEND say whether
 * a host is there; SETUP carries GET_INFO, GET_STATS, START and STOP. Every
 * request is answered or stalled; what the host sends is bounds-checked by
 * control.c before it is acted on. Streams themselves are session.c's.
 */
#include <endian.h>
#include <errno.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

static void handle_setup(struct ifb_bridge *b, const struct usb_ctrlrequest *setup)
{
	uint8_t reply[IFB_MAX_REPLY];
	uint16_t wlength = le16toh(setup->wLength);
	int req = ifb_control_decode(setup);
	int len, r;

	switch (req) {
	case IFB_REQ_GET_INFO:
		len = ifb_control_info(&b->desc, (uint8_t)b->engine.run, reply, sizeof(reply));
		if (len < 0)
			break;
		r = ifb_ffs_reply(&b->ffs, reply, (size_t)len < wlength ? (size_t)len : wlength);
		if (r < 0)
			log_warning_errno(r, "GET_INFO reply failed");
		return;
	case IFB_REQ_GET_STATS: {
		struct ifb_stats st;

		ifb_engine_stats(&b->engine, (uint8_t)b->mode, &st);
		r = ifb_ffs_reply(&b->ffs, &st, sizeof(st) < wlength ? sizeof(st) : wlength);
		if (r < 0)
			log_warning_errno(r, "GET_STATS reply failed");
		return;
	}
	case IFB_REQ_START:
		log_debug("Host: START");
		if (b->iiod_stream) {
			log_warning("Host: START refused: busy, a libiio client is streaming");
			break; /* stall: one stream at a time */
		}
		if (b->engine.run == IFB_STATE_STREAMING) {
			(void)ifb_ffs_ack(&b->ffs);
			return;
		}
		if (b->engine.run == IFB_STATE_STOPPING || b->session) {
			b->restart = true;
			(void)ifb_ffs_ack(&b->ffs);
			return;
		}
		if (ifb_session_start(b) < 0)
			break; /* stall: the host learns START failed */
		(void)ifb_ffs_ack(&b->ffs);
		return;
	case IFB_REQ_STOP:
		log_debug("Host: STOP");
		b->restart = false;
		(void)ifb_ffs_ack(&b->ffs);
		if (!b->iiod_stream) /* not the native interface's stream to stop */
			ifb_session_stop(b, IFB_STOP_HOST);
		return;
	default:
		log_debug("Stalling request type 0x%02x request 0x%02x value %u index %u length %u",
			  setup->bRequestType, setup->bRequest, le16toh(setup->wValue),
			  le16toh(setup->wIndex), wlength);
		break;
	}
	r = ifb_ffs_stall(&b->ffs, setup);
	if (r < 0)
		log_warning_errno(r, "Stalling a control request failed");
}

/* DISABLE or UNBIND: no stream until the next ENABLE. */
static void host_gone(struct ifb_bridge *b)
{
	b->usb_enabled = false;
	b->restart = false;
	ifb_session_stop(b, IFB_STOP_DISCONNECT);
	if (b->iiod)
		ifb_iiod_host_gone(b->iiod);
}

int ifb_ep0_on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ifb_bridge *b = userdata;
	struct usb_functionfs_event ev[4];
	int n;

	n = ifb_ffs_read_events(&b->ffs, ev, ARRAY_SIZE(ev));
	if (n < 0) {
		log_error_errno(n, "Reading FunctionFS events failed");
		return n;
	}
	for (int i = 0; i < n; i++) {
		switch (ev[i].type) {
		case FUNCTIONFS_BIND:
			log_info("USB: function bound to a UDC");
			b->bound = true;
			break;
		case FUNCTIONFS_UNBIND:
			log_info("USB: function unbound");
			b->bound = false;
			host_gone(b);
			break;
		case FUNCTIONFS_ENABLE:
			log_info("USB: host enabled the interface");
			b->usb_enabled = true;
			if (b->cfg.start == IFB_CFG_START_IMMEDIATE)
				ifb_session_maybe_start(b);
			break;
		case FUNCTIONFS_DISABLE:
			log_info("USB: interface disabled");
			host_gone(b);
			break;
		case FUNCTIONFS_SUSPEND:
			log_info("USB: bus suspended");
			ifb_session_stop(b, IFB_STOP_DISCONNECT);
			break;
		case FUNCTIONFS_RESUME:
			log_info("USB: bus resumed");
			if (b->cfg.start == IFB_CFG_START_IMMEDIATE && b->engine.run == IFB_STATE_IDLE)
				ifb_session_maybe_start(b);
			break;
		case FUNCTIONFS_SETUP:
			if (b->iiod && ifb_iiod_setup(b->iiod, &ev[i].u.setup))
				break;
			if (b->layout.native)
				handle_setup(b, &ev[i].u.setup);
			else
				(void)ifb_ffs_stall(&b->ffs, &ev[i].u.setup);
			break;
		default:
			log_debug("USB: ignoring FunctionFS event %u", ev[i].type);
			break;
		}
	}
	return 0;
}
