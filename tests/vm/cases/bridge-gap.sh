#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# When the host stops reading, the ADC (paced, so samples keep coming)
# runs out of blocks: the daemon counts a starvation and reports the gap at
# the stream offset where samples are missing. The host tool's --verify
# passes only if every jump in the counter sits exactly at a reported gap.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=64K block_count=4 iio:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

# 1 MiB of transfers in flight (0.13 s of this stream), so that a 1 s
# stall starves the ADC: the default 16 MiB hold 2 s and absorb it.
iio-ffs-capture --verify --duration 6 --transfers 4 --transfer-size 256K -o /dev/null --quiet \
	--json >/tmp/cap.json &
cap=$!
sleep 2
kill -STOP "$cap"   # the host stops reading for a second
sleep 1
kill -CONT "$cap"
wait "$cap" || bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] ||
	bridge_fail "counter jumped where no gap was reported"
gaps=$(json_num /tmp/cap.json gaps)
[ "${gaps:-0}" -ge 1 ] || bridge_fail "host stalled for 1 s but no gap was reported"
grep -q 'starvations' "$IFB_LOG" || bridge_fail "daemon did not log the stream summary"
bridge_stop
echo "gap: $gaps gap(s) reported where the counter jumped"
