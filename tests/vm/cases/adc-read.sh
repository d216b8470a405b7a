#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# The simulated ADC's read() path (the DMA buffer core's fileio blocks)
# delivers the counter pattern: both channels, then each channel alone.
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
dev=$(rig_adc_dev)

# The scan layout the host tool relies on.
for c in 0 1; do
	t=$(cat "$dir/scan_elements/in_voltage${c}_type") || rig_fail "no scan_elements/in_voltage${c}_type"
	[ "$t" = "le:u16/16>>0" ] || rig_fail "in_voltage${c}_type is '$t', want le:u16/16>>0"
	i=$(cat "$dir/buffer0/in_voltage${c}_index")
	[ "$i" = "$c" ] || rig_fail "in_voltage${c}_index is '$i', want $c"
done
[ "$(cat "$dir/sampling_frequency")" = 10000000 ] || rig_fail "sampling_frequency default is not 10000000"
rig_write "$dir/sampling_frequency" 2000000
[ "$(cat "$dir/sampling_frequency")" = 2000000 ] || rig_fail "sampling_frequency did not take 2000000"

for chans in "0 1" 0 1; do
	rig_adc_setup "$chans" 8192
	rig_write "$dir/buffer0/watermark" 1024
	rig_write "$dir/buffer0/enable" 1
	case $chans in
	"0 1") arg=both ;;
	*) arg=$chans ;;
	esac
	rig-iio-read "$dev" "$arg" 4194304 60 || rig_fail "read() pattern check failed for channels '$chans'"
	rig_write "$dir/buffer0/enable" 0
done

# Paced mode: data still consecutive (two 128 KiB fileio blocks of 0.33 s
# each at 100 kHz leave read() ample time even on a loaded host), and paced.
rig_adc_setup "0 1" 65536
rig_write "$dir/sim_paced" 1
rig_write "$dir/sampling_frequency" 100000
rig_write "$dir/buffer0/enable" 1
start=$(cut -d' ' -f1 /proc/uptime)
rig-iio-read "$dev" both 160000 30 || rig_fail "paced read() pattern check failed"
end=$(cut -d' ' -f1 /proc/uptime)
rig_write "$dir/buffer0/enable" 0
rig_write "$dir/sim_paced" 0
# 40000 scans at 100 kHz take at least 0.4 s
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 0.35) }' ||
	rig_fail "paced mode delivered 40000 scans at 100 kHz in $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }') s"
echo "adc-read: ok"
