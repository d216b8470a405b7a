#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# The host disappears mid-stream and comes back, twice (the host drops the
# device; see bridge_case_reconnect about unbinding): the daemon stops cleanly
# and streams again without a restart (zero-copy mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_reconnect zero-copy host host
