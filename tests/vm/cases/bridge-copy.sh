#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 300
# 1 GiB in copy mode (read() + libaio), every byte checked by the host tool.
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf copy block_size=256K block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 1G -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
grep -q 'Stream 1 started (copy, 8 x 262144 bytes' "$IFB_LOG" || bridge_fail "daemon not in copy mode"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"
[ "$(json_num /tmp/cap.json verified_bytes)" = 1073741824 ] || bridge_fail "not every byte verified"
bridge_stop
echo "copy: 1 GiB verified"
