#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# Cyclic transmit (issue 18): iio-ffs-play --cyclic sends a 16 KiB
# waveform once; the daemon queues its one block with
# IIO_BUFFER_DMABUF_CYCLIC and the simulated DAC (paced, 2 MS/s: 2 ms a
# pass) repeats it more than 1000 times while the host sends nothing more
# (the host's byte count is the waveform's). STOP ends it (the DAC's
# buffer disabled, no error counted); a new waveform, then a plain stream
# on the same daemon play byte-exact. A waveform of three blocks (more
# than IIO's cyclic flag repeats) goes round too: the daemon queues its
# blocks again as the DAC plays them, still with no USB traffic; the
# DAC, checking its counter, sees the pattern start again at every pass.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
rig_write "$dac/sim_paced" 1
bridge_streams_conf tx:iio-sim-dac:zero-copy:block_size=64K:block_count=4:sampling_frequency=2000000 \
	>/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-play --stream tx --pattern counter --bytes 16K --cyclic --duration 4 --quiet --json \
	>/tmp/cyc.json || bridge_fail "cyclic play: $(cat /tmp/cyc.json)"
cat /tmp/cyc.json
repeats=$(cat "$dac/sim_cyclic_repeats")
echo "DAC: $repeats repetitions, $(cat "$dac/sim_bytes_played") bytes played, $(cat "$dac/sim_mismatches") mismatches"
[ "$repeats" -ge 1000 ] || bridge_fail "the waveform was repeated $repeats times in 4 s, expected >= 1000"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "the waveform did not arrive intact"
[ "$(json_num /tmp/cyc.json bytes)" = 16384 ] ||
	bridge_fail "the host sent $(json_num /tmp/cyc.json bytes) bytes: more than the waveform"
[ "$(json_bool /tmp/cyc.json played)" = true ] || bridge_fail "the stream did not end idle"
grep -q 'tx: Cyclic: 16384 bytes (4096 scans) repeating at the DAC' "$IFB_LOG" ||
	bridge_fail "the daemon did not queue one cyclic block"
grep -q 'tx: Stream 1 ended (host STOP): 16384 bytes .* 0 ADC errors, 0 USB errors' "$IFB_LOG" ||
	bridge_fail "the cyclic stream's end: $(grep 'tx: Stream 1 ended' "$IFB_LOG")"
[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "the DAC still plays after STOP"

# a new waveform: its own stream, its own repetitions
iio-ffs-play --stream tx --pattern counter --bytes 8K --cyclic --duration 1 --quiet --json \
	>/tmp/cyc2.json || bridge_fail "second waveform: $(cat /tmp/cyc2.json)"
[ "$(cat "$dac/sim_cyclic_repeats")" -ge 100 ] || bridge_fail "second waveform not repeated"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "second waveform not intact"

# three blocks and a half: the daemon goes round them (2 MS/s: 28 ms a pass)
iio-ffs-play --stream tx --pattern counter --bytes $((3 * 65536 + 32768)) --cyclic --duration 3 \
	--quiet --json >/tmp/cyc3.json || bridge_fail "three-block waveform: $(cat /tmp/cyc3.json)"
cat /tmp/cyc3.json
wave=$((3 * 65536 + 32768))
played=$(cat "$dac/sim_bytes_played")
passes=$((played / wave))
echo "DAC: $played bytes played, $passes passes of $wave, first mismatch at $(cat "$dac/sim_first_mismatch")"
[ "$(json_num /tmp/cyc3.json bytes)" = "$wave" ] || bridge_fail "the host sent more than the waveform"
[ "$passes" -ge 50 ] || bridge_fail "the three-block waveform went round $passes times in 3 s"
# the pattern starts again at every pass: the DAC resynchronises there,
# and only there
[ "$(cat "$dac/sim_first_mismatch")" = "$wave" ] ||
	bridge_fail "the first pass did not arrive intact: mismatch at $(cat "$dac/sim_first_mismatch")"
[ "$(cat "$dac/sim_mismatches")" -le "$passes" ] ||
	bridge_fail "$(cat "$dac/sim_mismatches") mismatches in $passes passes: not only at the wraps"
grep -q 'tx: Stream 3 ended (host STOP)' "$IFB_LOG" || bridge_fail "the three-block waveform's end"

# a waveform larger than the pool (4 x 64 KiB) is refused with the reason
if iio-ffs-play --stream tx --pattern counter --bytes 320K --cyclic --duration 1 --quiet \
	2>/tmp/big.err; then
	bridge_fail "a 320 KiB waveform on a 256 KiB pool was accepted"
fi
grep -q "the device's pool" /tmp/big.err || bridge_fail "no reason for the refusal: $(cat /tmp/big.err)"

# and a plain stream after it
iio-ffs-play --stream tx --pattern counter --bytes 16M --quiet --json >/tmp/plain.json ||
	bridge_fail "plain stream after cyclic: $(cat /tmp/plain.json)"
[ "$(cat "$dac/sim_bytes_played")" = 16777216 ] || bridge_fail "plain stream: $(cat "$dac/sim_bytes_played") bytes"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "plain stream: mismatches"
bridge_stop
bridge_clean_check
echo "tx-cyclic: a 16 KiB waveform repeated $repeats times from one USB transfer"
