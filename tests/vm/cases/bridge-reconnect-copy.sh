#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# The host disappears mid-stream and comes back, twice each way (the host
# drops the device, the UDC is unbound): the daemon stops cleanly
# and streams again without a restart (copy mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_reconnect copy host unbind host unbind
