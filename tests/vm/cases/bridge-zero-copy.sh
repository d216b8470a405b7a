#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# 1 GiB in zero-copy mode, every byte of the simulated ADC's pattern
# checked by the host tool; then a second stream (START after STOP).
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 1G -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
grep -q 'Zero-copy: 4 DMABUFs' "$IFB_LOG" || bridge_fail "daemon did not stream zero-copy"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"
[ "$(json_num /tmp/cap.json verified_bytes)" = 1073741824 ] || bridge_fail "not every byte verified"

# The same daemon serves a second stream.
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap2.json ||
	bridge_fail "second capture failed: $(cat /tmp/cap2.json)"
grep -q 'Stream 2 ended (host STOP)' "$IFB_LOG" || bridge_fail "second stream not seen as stream 2"
bridge_stop
echo "zero-copy: 1 GiB verified"
