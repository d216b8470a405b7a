#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# debug-kernel: no
# iio-ffs-capture --info prints the board's time model without a stream
# (issue 19: libifbhost's ifbh_dev_time_model reads the marks and gaps the
# daemon keeps of its last stream). Before any stream it says there is
# none. The simulated ADC runs paced at 500 kHz, off by a known ppm; after
# a capture of 8 s (about 240 fence marks of 32.8 ms blocks) --info names
# that stream (the capture's JSON device.stream_id), idle, measures the
# set ppm within 50 (as time-rate's zero-copy run does), and agrees with
# the capture's own model within 1 ppm (the same marks, one fit); its
# newest mark is seconds old, not minutes.
. /lib/rig.sh
. /lib/bridge.sh

ppm=150
dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
rig_write "$dir/sim_ppm" "$ppm"
bridge_conf zero-copy block_size=64K block_count=8 iio:sampling_frequency=500000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --info >/tmp/info0 2>&1 || bridge_fail "--info: $(cat /tmp/info0)"
echo "before: $(grep '^board time:' /tmp/info0)"
grep -qx 'board time:  no stream since the daemon started' /tmp/info0 ||
	bridge_fail "--info before any stream: $(cat /tmp/info0)"
grep -q '^board REALTIME: ' /tmp/info0 || bridge_fail "--info lost the board clock: $(cat /tmp/info0)"

iio-ffs-capture --duration 8 -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
id=$(json_num /tmp/cap.json stream_id)
cap_ppm=$(json_num /tmp/cap.json ppm)

iio-ffs-capture --info >/tmp/info1 2>&1 || bridge_fail "--info: $(cat /tmp/info1)"
line=$(grep '^board time:' /tmp/info1)
echo "after: $line"
grep -q '^board clock: host MONOTONIC - board MONOTONIC ' /tmp/info1 ||
	bridge_fail "--info lost the board clock: $(cat /tmp/info1)"
bridge_stop

# board time:  last stream ID (idle): HZ Hz, PPM ppm against 500000 Hz
# nominal, MARKS fence marks in RUNS run[s], jitter J us, newest mark AGE s ago
echo "$line" | awk -v id="$id" -v ppm="$ppm" -v cap="$cap_ppm" '
	function fail(why) { print "time-info: " why > "/dev/stderr"; bad = 1; exit 1 }
	{
		if ($3 != "last" || $4 != "stream" || $5 != id || $6 != "(idle):")
			fail("not the capture'\''s stream " id ", idle")
		if ($8 != "Hz," || $10 != "ppm" || $12 != "500000")
			fail("no rate against the nominal 500000 Hz")
		got = $9 + 0
		d = got - ppm; if (d < 0) d = -d
		if (d >= 50) fail("measured " got " ppm, set " ppm)
		d = got - cap; if (d < 0) d = -d
		if (d >= 1) fail(got " ppm, the capture'\''s own model " cap)
		if ($15 < 100 || $16 != "fence" || $17 != "marks")
			fail("fewer than 100 fence marks")
		age = $(NF - 2) + 0
		if ($(NF - 3) != "mark" || age < 0 || age > 60)
			fail("the newest mark " age " s ago")
		printf "time-info: stream %d: %+.1f ppm (set %+d, the capture measured %+.3f), %d marks, newest %.1f s ago\n",
			id, got, ppm, cap, $15, age
	}' || bridge_fail "--info after the capture: $line"
