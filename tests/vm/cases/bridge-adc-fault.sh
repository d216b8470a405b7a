#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# Injected ADC block faults: each failed block is counted, its samples are
# reported as a gap, and the stream goes on (zero-copy: the fence carries
# the error). The ADC is paced, so a block fails when its time is up, as
# with real DMA: a fault signalled within microseconds of the enqueue could
# beat the daemon's fence snapshot and go uncounted (iio-ffs-bridge(8)).
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=256K block_count=8 iio:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json &
cap=$!
sleep 2
rig_write "$dir/sim_fail_blocks" 3
wait "$cap" || bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
[ "$(cat "$dir/sim_blocks_failed")" -ge 3 ] || bridge_fail "the ADC did not fail 3 blocks"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "data corrupt around the faults"
errs=$(json_num /tmp/cap.json adc_errors)
[ "${errs:-0}" -ge 3 ] || bridge_fail "daemon counted $errs ADC errors, expected 3"
[ "$(json_num /tmp/cap.json bytes)" = 33554432 ] || bridge_fail "stream did not go on after the faults"
bridge_stop
echo "adc-fault: 3 faults counted, stream verified"
