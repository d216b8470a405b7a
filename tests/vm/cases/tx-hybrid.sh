#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 500
# debug-kernel: no
# Transmit, hybrid mode: the simulated DAC without DMABUF operations
# (dmabuf=0), as most IIO output drivers. iio-ffs-play sends 1 GiB of the
# counter pattern; the daemon receives it into DMABUFs with FunctionFS and
# write()s from their mappings to the DAC's output buffer (one CPU copy),
# which checks every scan. A stream of 2.5 blocks and 3 bytes plays to its
# last whole scan. Then auto mode on the same DAC: zero-copy is refused by
# IIO, and the fallback to hybrid is logged.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load dmabuf=0
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
bridge_streams_conf tx:iio-sim-dac:hybrid:block_size=1M:block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep -q 'tx: iio-sim-dac, 2 channels, 4-byte scans, hybrid mode' "$IFB_LOG" ||
	bridge_fail "stream tx not set up in hybrid mode"

tx_play_check 1 1024M 1073741824 "1 GiB"
cat /tmp/play.json
grep -q 'tx: Hybrid mode: 8 DMABUFs of 1048576 bytes from .*, DMABUF transfers from USB, write() from them to IIO' "$IFB_LOG" ||
	bridge_fail "not hybrid mode"

tx_play_check 2 $((5 * 524288 + 3)) $((5 * 524288)) "short stream"
sleep 0.5
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC's buffer was left enabled"
bridge_stop

# auto (this kernel, 6.12.118, maps FunctionFS OUT DMABUFs right): IIO
# refuses DMABUFs, USB takes them: hybrid
bridge_streams_conf tx:iio-sim-dac:auto:block_size=1M:block_count=8 >/tmp/ifb.conf
: >"$IFB_LOG"
bridge_start /tmp/ifb.conf
iio-ffs-play --stream tx --pattern counter --bytes 64M --quiet --json >/tmp/play3.json ||
	bridge_fail "auto: iio-ffs-play failed: $(cat /tmp/play3.json)"
grep 'Zero-copy unavailable' "$IFB_LOG" || bridge_fail "auto's fallback not logged"
grep -q 'tx: Stream 1 started (hybrid' "$IFB_LOG" || bridge_fail "auto did not fall back to hybrid"
[ "$(cat "$dac/sim_bytes_played")" = 67108864 ] && [ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "auto: the DAC played $(cat "$dac/sim_bytes_played") bytes, $(cat "$dac/sim_mismatches") mismatches"
bridge_stop
echo "tx-hybrid: 1 GiB and a short stream played byte-exact, hybrid (DAC without DMABUF); auto fell back to hybrid"
