#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 180
#
# `make demo`: the daemon streams the simulated ADC (paced at 2 MS/s, two
# 16-bit channels: 8 MB/s) over emulated USB; iio-ffs-capture captures five
# seconds to SigMF with the live rate on screen, checks every sample, and
# prints its summary. The pair is copied out to build/demo/.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf auto block_size=1M block_count=8 iio:sampling_frequency=2000000 >/tmp/ifb.conf
echo "== iio-ffs-bridge configuration"
iio-ffs-bridge -c /tmp/ifb.conf --check-config | grep -v '^#' | grep .
echo "== starting the daemon, binding the gadget to the emulated USB controller"
bridge_start /tmp/ifb.conf
echo "== what the host sees"
iio-ffs-capture --info || bridge_fail "GET_INFO failed"
echo "== capturing 5 s to SigMF, verifying every sample"
# stderr through a pipe: the live line then comes once a second as a line
# of its own (on a tty it would redraw in place, which the rig's console
# relay cannot pass on as it happens).
(
	iio-ffs-capture --sigmf /tmp/capture --duration 5 --verify --live --json 2>&1 >/tmp/summary.json
	echo $? >/tmp/capture.rc
) | cat
[ "$(cat /tmp/capture.rc)" = 0 ] || bridge_fail "capture failed"
echo "== summary"
cat /tmp/summary.json
echo "== daemon"
grep -E 'Zero-copy:|Copy mode:|Stream 1' "$IFB_LOG"
bridge_stop
cp /tmp/capture.sigmf-meta /tmp/capture.sigmf-data /tmp/summary.json "$RIG_OUT/" ||
	rig_fail "cannot copy the capture out of the VM"
