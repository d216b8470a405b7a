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
iio-ffs-play --stream tx --pattern counter --bytes 1024M --quiet --json >/tmp/play.json ||
	bridge_fail "iio-ffs-play failed: $(cat /tmp/play.json)"
cat /tmp/play.json
[ "$(json_bool /tmp/play.json played)" = true ] || bridge_fail "the DAC did not play it all"
[ "$(cat "$dac/sim_bytes_played")" = 1073741824 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 1073741824"
[ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "$(cat "$dac/sim_mismatches") scans did not match, the first at byte $(cat "$dac/sim_first_mismatch")"
grep -q 'tx: Stream 1 ended (host STOP): 1073741824 bytes' "$IFB_LOG" ||
	bridge_fail "the daemon's end of stream: $(grep 'tx: Stream 1 ended' "$IFB_LOG")"
grep -q 'Zero-copy: 8 DMABUFs' "$IFB_LOG" || bridge_fail "not zero-copy"

# 2.5 blocks and 3 bytes of a scan: the last block ends where the host said
iio-ffs-play --stream tx --pattern counter --bytes $((5 * 524288 + 3)) --quiet --json \
	>/tmp/play2.json 2>/tmp/play2.err || bridge_fail "short stream: $(cat /tmp/play2.json /tmp/play2.err)"
[ "$(cat "$dac/sim_bytes_played")" = $((5 * 524288)) ] ||
	bridge_fail "short stream: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected $((5 * 524288))"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "short stream: mismatches"
grep -q 'tx: Stream 2 ended (host STOP): 2621440 bytes' "$IFB_LOG" ||
	bridge_fail "short stream's end: $(grep 'tx: Stream 2 ended' "$IFB_LOG")"

sleep 0.5
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC's buffer was left enabled"
bridge_stop
bridge_clean_check
echo "tx-zero-copy: 1 GiB and a short stream played byte-exact, zero-copy"
