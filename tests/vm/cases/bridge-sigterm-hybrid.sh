#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# SIGTERM mid-stream exits 0 within a second with nothing left attached,
# with the host reading and with the host stalled (transfers cancelled) (hybrid mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_sigterm hybrid
