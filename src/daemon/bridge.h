/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge: the daemon's streams (each one IIO buffer, one bulk IN
 * endpoint, a pool of blocks and an engine) on one FunctionFS function
 * and one sd-event loop. Owns every resource and releases each on one
 * path (ifb_bridge_free).
 */
#ifndef IFB_BRIDGE_H
#define IFB_BRIDGE_H

#include <systemd/sd-event.h>

#include "daemon/config.h"

struct ifb_bridge;

/*
 * Set up from cfg: find the IIO device and channels, allocate the pool,
 * write the USB descriptors. On failure, logs what failed and returns
 * -errno; *config_error is set when the cause is a config value (exit 78).
 */
int ifb_bridge_new(struct ifb_bridge **ret, sd_event *loop, const struct ifb_config *cfg,
		   bool *config_error);
struct ifb_bridge *ifb_bridge_free(struct ifb_bridge *b);

/* Stop every stream (each drains, then cancels after a grace period) and
 * exit the loop with code 0 once all of them are released. */
void ifb_bridge_shutdown(struct ifb_bridge *b);

/*
 * Take a new configuration (SIGHUP). Keys that need a restart (device,
 * USB identity, gadget, mode, allocator) keep their old values, each with a
 * warning; channels, sampling frequency, block size and count, start policy
 * and log level apply when no stream runs (at once if idle, else when the
 * stream ends). A configuration that does not fit the device changes
 * nothing. Logs what it did; 0 or -errno.
 */
int ifb_bridge_reload(struct ifb_bridge *b, const struct ifb_config *cfg);

/* One line for sd_notify STATUS= (each stream's mode, state and current
 * MiB/s, "; "-separated, named when the file names its streams). */
void ifb_bridge_status(struct ifb_bridge *b, char *buf, size_t len);

#endif
