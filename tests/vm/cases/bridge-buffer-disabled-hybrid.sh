#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# Another program disables the IIO buffer under a running stream: the
# stream ends with a reason both ends can read, and the next one works
# (hybrid; issue 9, findings 3 and 9).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_buffer_disabled hybrid
