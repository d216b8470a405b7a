#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# debug-kernel: no
# Copy mode's output stream cut short: a host killed mid-stream (the reads
# it left waiting are cancelled when the next host STOPs the old stream;
# what arrived whole is played) leaves the daemon ready for the next,
# whose stream the paced DAC plays byte-exact; then SIGTERM mid-stream:
# the write queue and the block held go back at once, the daemon exits
# within the second and leaves the DAC's buffer disabled.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
rig_write "$dac/sim_paced" 1
bridge_streams_conf tx:iio-sim-dac:copy:block_size=256K:block_count=8:sampling_frequency=2000000 \
	>/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-play --stream tx --pattern counter --bytes 1024M --quiet >/dev/null 2>&1 &
play=$!
bridge_wait_log 'tx: Stream 1 started (copy' 0 "stream tx did not start in copy mode"
sleep 1.5
kill -KILL "$play"
wait "$play"
sleep 0.5

iio-ffs-play --stream tx --pattern counter --bytes 16M --quiet --json >/tmp/play.json ||
	bridge_fail "the next host: $(cat /tmp/play.json)"
grep 'tx: Stream 1 ended' "$IFB_LOG" || bridge_fail "the old stream was not ended"
grep 'tx: Stream 2 ended' "$IFB_LOG"
[ "$(cat "$dac/sim_bytes_played")" = 16777216 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes of the next host's 16777216"
[ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "the next host's stream was mixed: $(cat "$dac/sim_mismatches") mismatches from byte $(cat "$dac/sim_first_mismatch")"

iio-ffs-play --stream tx --pattern counter --bytes 1024M --quiet >/dev/null 2>&1 &
play=$!
bridge_wait_log 'tx: Stream 3 started' 0 "stream 3 did not start"
sleep 1
bridge_stop # SIGTERM: exit status 0 within a second, the buffer disabled
wait "$play"
grep 'tx: Stream 3 ended' "$IFB_LOG" || bridge_fail "stream 3 did not end"
grep -q 'tx: Stream 3 ended (shutdown)' "$IFB_LOG" || bridge_fail "stream 3 did not end by the shutdown"
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC's buffer was left enabled"
echo "tx-copy-interrupted: a killed host's copy-mode stream ended, the next one played byte-exact, SIGTERM mid-stream exits clean"
