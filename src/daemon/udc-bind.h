/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keeping the gadget bound whenever the daemon is ready, whoever made it:
 *
 *  - a gadget the daemon composed ([gadget]) is bound at once;
 *  - a gadget a board script made (found from the FunctionFS mount,
 *    ifb_gadget_adopt) is bound after IFB_UDC_ADOPT_DELAY_USEC unless
 *    someone bound it meanwhile: a script that binds after the descriptors
 *    are written, as documented, does so first; after a restart nobody
 *    does (FunctionFS unbound the gadget when the old instance closed
 *    ep0), and the daemon brings the device back;
 *  - with no UDC yet (a driver that probes late), it waits for one on the
 *    kernel's uevents (netlink; sysfs directories give no inotify events)
 *    and binds when it appears. No polling.
 */
#ifndef IFB_UDC_BIND_H
#define IFB_UDC_BIND_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "daemon/gadget.h"

#define IFB_UDC_ADOPT_DELAY_USEC (2 * 1000 * 1000ULL)

struct ifb_udc_binder;

/*
 * Start keeping g bound (g stays the caller's; free the binder first).
 * adopted: g is a board script's (bind after the delay, if nobody has).
 * Returns 0 (bound, or waiting), or -errno after logging why.
 */
int ifb_udc_binder_new(struct ifb_udc_binder **ret, sd_event *loop, struct ifb_gadget *g,
		       const char *name, bool adopted);
struct ifb_udc_binder *ifb_udc_binder_free(struct ifb_udc_binder *bd);

#endif
