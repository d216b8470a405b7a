#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# A host that vanishes mid-block (SIGKILL) leaves the daemon ready for the
# next (issue 18): the old stream ends (libifbhost STOPs a stream left
# running before its START; a bare START would end it too) with what
# arrived whole played, and a new one begins, so the next host's data is
# not mixed with the half block the killed host left; the DAC, checking
# the counter from its buffer's enable, sees the next host's stream from
# its first scan.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
rig_write "$dac/sim_paced" 1
bridge_streams_conf tx:iio-sim-dac:zero-copy:block_size=256K:block_count=8:sampling_frequency=2000000 \
	>/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-play --stream tx --pattern counter --bytes 1024M --quiet >/dev/null 2>&1 &
play=$!
bridge_wait_log 'tx: Stream 1 started' 0 "stream tx did not start"
sleep 1.5
kill -KILL "$play"
wait "$play"
sleep 0.5

iio-ffs-play --stream tx --pattern counter --bytes 16M --quiet --json >/tmp/play.json ||
	bridge_fail "the next host: $(cat /tmp/play.json)"
grep -q 'tx: Stream 1 ended' "$IFB_LOG" || bridge_fail "the old stream was not ended"
grep -q 'tx: Stream 2 started' "$IFB_LOG" || bridge_fail "no new stream for the next host"
[ "$(cat "$dac/sim_bytes_played")" = 16777216 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes of the next host's 16777216"
[ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "the next host's stream was mixed: $(cat "$dac/sim_mismatches") mismatches from byte $(cat "$dac/sim_first_mismatch")"
bridge_stop
bridge_clean_check
echo "tx-host-vanishes: a killed host's stream ended, the next one played byte-exact"
