#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 600
# debug-kernel: no
# 100 host disconnect/reconnect cycles on one daemon (zero-copy), the last
# stream verified; fds, RSS and the DMABUF count unchanged.
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_reconnect_cycles zero-copy 100
