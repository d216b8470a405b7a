#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# The host disappears mid-stream (the UDC is unbound) and comes back,
# twice: the daemon stops cleanly and streams again without a restart (zero-copy mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_reconnect zero-copy
