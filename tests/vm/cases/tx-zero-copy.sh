#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 500
# Transmit, zero-copy (issue 18): iio-ffs-play sends 1 GiB of the counter
# pattern to an output stream; the daemon receives it into DMABUFs with
# FunctionFS and queues the same DMABUFs to the simulated DAC's output
# buffer, which checks every scan. The end the host announces (STOP's
# data stage) is where the DAC stops: a last block of half a block and a
# scan's fraction plays exactly its whole scans. Nothing is left behind.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
bridge_streams_conf tx:iio-sim-dac:zero-copy:block_size=1M:block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep -q 'tx: iio-sim-dac, 2 channels' "$IFB_LOG" || bridge_fail "stream tx not set up"

# 1 GiB, whole blocks
tx_play_check 1 1024M 1073741824 "1 GiB"
cat /tmp/play.json
grep -q 'Zero-copy: 8 DMABUFs' "$IFB_LOG" || bridge_fail "not zero-copy"

# 2.5 blocks and 3 bytes of a scan: the last block ends where the host said
tx_play_check 2 $((5 * 524288 + 3)) $((5 * 524288)) "short stream"

sleep 0.5
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC's buffer was left enabled"
bridge_stop
bridge_clean_check
echo "tx-zero-copy: 1 GiB and a short stream played byte-exact, zero-copy"
