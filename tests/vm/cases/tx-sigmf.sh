#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# A SigMF recording played back (issue 18): iio-ffs-capture records the
# simulated ADC's stream rx as SigMF, iio-ffs-play plays the recording to
# stream tx, and the simulated DAC, checking the same counter contract,
# finds every scan where it belongs. The metadata is read: a recording
# whose datatype does not describe the stream's scans is refused (exit
# 2, saying both), and one recorded at another rate is played with a
# warning that says so.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
bridge_streams_conf rx:iio-sim-adc:zero-copy:block_size=1M:block_count=8 \
	tx:iio-sim-dac:zero-copy:block_size=1M:block_count=8:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --stream rx --sigmf /tmp/rec --bytes 32M --quiet ||
	bridge_fail "capture of rx failed"
[ "$(stat -c %s /tmp/rec.sigmf-data)" = 33554432 ] || bridge_fail "the recording is not 32 MiB"
grep -q '"core:datatype": "ru16_le"' /tmp/rec.sigmf-meta || bridge_fail "unexpected datatype: $(cat /tmp/rec.sigmf-meta)"

iio-ffs-play --stream tx --json /tmp/rec.sigmf-meta >/tmp/play.json 2>/tmp/play.err ||
	bridge_fail "playing the recording: $(cat /tmp/play.json /tmp/play.err)"
cat /tmp/play.err
[ "$(cat "$dac/sim_bytes_played")" = 33554432 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes of the 32 MiB recording"
[ "$(cat "$dac/sim_mismatches")" = 0 ] ||
	bridge_fail "the recording did not play back intact: $(cat "$dac/sim_mismatches") mismatches from byte $(cat "$dac/sim_first_mismatch")"
grep -q 'warning: /tmp/rec.sigmf-meta was recorded at 10000000.000 Hz; stream "tx" plays at 2000000.000 Hz' \
	/tmp/play.err || bridge_fail "no warning about the rates"

# a datatype that does not describe the stream's scans
sed 's/"ru16_le"/"ri32_le"/' /tmp/rec.sigmf-meta >/tmp/bad.sigmf-meta
ln -s /tmp/rec.sigmf-data /tmp/bad.sigmf-data
iio-ffs-play --stream tx /tmp/bad.sigmf-data 2>/tmp/bad.err
rc=$?
cat /tmp/bad.err
[ "$rc" = 2 ] || bridge_fail "a recording of ri32_le played to ru16_le scans: exit $rc"
grep -q 'ri32_le does not describe the stream.s 4-byte scans (they are ru16_le)' /tmp/bad.err ||
	bridge_fail "the refusal does not say why: $(cat /tmp/bad.err)"
bridge_stop
echo "tx-sigmf: a SigMF recording of the ADC played back byte-exact at the DAC"
