#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# With the ADC paced well below what the rig moves, no block is ever
# missed: zero gaps (hybrid mode).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_paced hybrid
