#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# With the ADC paced well below what the rig can move (2 MS/s x 4 bytes =
# 8 MB/s), no block is ever missed: zero gaps, in both modes.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
for mode in zero-copy copy; do
	bridge_conf "$mode" block_size=64K block_count=8 iio:sampling_frequency=2000000 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --duration 5 -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$mode: capture failed: $(cat /tmp/cap.json)"
	cat /tmp/cap.json
	gaps=$(json_num /tmp/cap.json gaps)
	[ "$gaps" = 0 ] || bridge_fail "$mode: $gaps gaps with the ADC paced at 2 MS/s"
	bytes=$(json_num /tmp/cap.json bytes)
	# 5 s at 8 MB/s is 40 MB; allow for start-up.
	[ "${bytes:-0}" -gt 20000000 ] || bridge_fail "$mode: only $bytes bytes in 5 s"
	bridge_stop
done
echo "paced: no gaps"
