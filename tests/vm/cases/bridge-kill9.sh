#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# kill -9 mid-stream leaves the IIO buffer enabled; the next instance
# recovers by itself and streams correctly.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --duration 30 -o /dev/null --quiet >/dev/null 2>&1 &
cap=$!
sleep 2
kill -KILL "$IFB_PID"
wait "$IFB_PID" 2>/dev/null
IFB_PID=
wait "$cap" 2>/dev/null
[ "$(cat "$dir/buffer0/enable")" = 1 ] || echo "note: buffer was not left enabled this time"
rig_gadget_unbind ifb
bridge_start /tmp/ifb.conf
grep -q 'left enabled' "$IFB_LOG" || bridge_fail "daemon did not notice the buffer left enabled"
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after recovery failed: $(cat /tmp/cap.json)"
bridge_stop
echo "kill9: recovered"
