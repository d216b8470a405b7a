#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 500
# debug-kernel: no
# Transmit, copy mode: iio-ffs-play sends 1 GiB of the counter pattern;
# the daemon receives it with libaio reads of the bulk OUT endpoint into
# user buffers and write()s them to the simulated DAC's output buffer,
# which checks every scan. A stream of 2.5 blocks and 3 bytes plays to its
# last whole scan (its end is a whole number of the kernel's 256 KiB
# fileio blocks); a stream ending inside one of them plays up to it, and
# the daemon says what it could not play. Then auto mode on a kernel not
# known to map FunctionFS OUT DMABUFs right (IFB_UNAME_RELEASE stands in
# for uname -r) chooses copy mode and says why.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
bridge_streams_conf tx:iio-sim-dac:copy:block_size=1M:block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep -q 'tx: iio-sim-dac, 2 channels, 4-byte scans, copy mode' "$IFB_LOG" ||
	bridge_fail "stream tx not set up in copy mode"

# 1 GiB, whole blocks
tx_play_check 1 1024M 1073741824 "1 GiB"
cat /tmp/play.json
grep -q 'tx: Stream 1 started (copy' "$IFB_LOG" || bridge_fail "stream 1 not in copy mode"

# 2.5 blocks and 3 bytes of a scan: the last block ends where the host said
tx_play_check 2 $((5 * 524288 + 3)) $((5 * 524288)) "short stream"

# 1 MiB and 4 KiB: write() cannot hand the DAC the last 4 KiB (the
# kernel plays whole fileio blocks only); the daemon counts what played
iio-ffs-play --stream tx --pattern counter --bytes $((1048576 + 4096)) --quiet --json \
	>/tmp/play3.json 2>/tmp/play3.err || bridge_fail "stream 3: $(cat /tmp/play3.json /tmp/play3.err)"
[ "$(cat "$dac/sim_bytes_played")" = 1048576 ] ||
	bridge_fail "stream 3: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 1048576"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "stream 3: mismatches"
grep -q 'tx: Stream 3 ended (host STOP): 1048576 bytes' "$IFB_LOG" ||
	bridge_fail "stream 3's end: $(grep 'tx: Stream 3 ended' "$IFB_LOG")"
grep 'last 4096 bytes were not played' "$IFB_LOG" ||
	bridge_fail "the daemon did not say what it could not play"

sleep 0.5
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC's buffer was left enabled"
bridge_stop
bridge_clean_check

# auto on a kernel not known to carry the FunctionFS OUT fix: copy mode, said
bridge_streams_conf tx:iio-sim-dac:auto:block_size=1M:block_count=8 >/tmp/ifb.conf
: >"$IFB_LOG"
export IFB_UNAME_RELEASE=6.12.74+deb13-arm64
bridge_start /tmp/ifb.conf
unset IFB_UNAME_RELEASE
grep 'Output stream: using copy mode' "$IFB_LOG" ||
	bridge_fail "auto's choice not logged"
grep -q 'tx: iio-sim-dac, 2 channels, 4-byte scans, copy mode' "$IFB_LOG" ||
	bridge_fail "auto did not choose copy mode"
iio-ffs-play --stream tx --pattern counter --bytes 64M --quiet --json >/tmp/play4.json ||
	bridge_fail "auto: iio-ffs-play failed: $(cat /tmp/play4.json)"
[ "$(cat "$dac/sim_bytes_played")" = 67108864 ] && [ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "auto: the DAC played $(cat "$dac/sim_bytes_played") bytes, $(cat "$dac/sim_mismatches") mismatches"
bridge_stop
bridge_clean_check
echo "tx-copy: 1 GiB and short streams played byte-exact in copy mode; auto chose copy on an unfixed kernel"
