#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# SIGTERM mid-stream exits 0 within a second with nothing left attached,
# with the host reading and with the host stalled (transfers cancelled) (copy mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_sigterm copy
