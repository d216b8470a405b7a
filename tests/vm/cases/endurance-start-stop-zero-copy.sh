#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# debug-kernel: no
# 100 START/STOP cycles on one daemon (zero-copy): every STOP drains and
# ends with the end-of-stream packet (issue 9, finding 1); the daemon's fds,
# RSS and the DMABUF count are the same at the end as after the first.
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_start_stop zero-copy 100
