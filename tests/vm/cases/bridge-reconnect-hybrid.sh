#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# The host disappears mid-stream and comes back, twice (the host drops the
# device; see bridge_case_reconnect about unbinding): the daemon stops cleanly
# and streams again without a restart (hybrid mode).
# Hybrid sends with FunctionFS DMABUF transfers too: the host side only,
# as zero-copy (bridge_case_reconnect).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_reconnect hybrid host host
