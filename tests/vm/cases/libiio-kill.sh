#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A libiio client killed mid-READBUF (and one that sends garbage, an
# overlong line and an unknown pipe through raw USB) leaves the daemon
# ready: the next iio_readdev streams every byte right, and the native
# interface streams after all of it. Nothing is left behind at exit.
# hostroot: yes
# timeout: 360
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

bridge_conf zero-copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)

for round in 1 2 3; do
	n=$(grep -c 'Stream [0-9]* started' "$IFB_LOG")
	hostrun iio_readdev -u "$uri" -b 65536 -s 100000000 iio-sim-adc voltage0 voltage1 >/dev/null 2>&1 &
	pid=$!
	# wait for the stream, let it run a little, then kill -9 mid-transfer
	t=0
	while [ "$(grep -c 'Stream [0-9]* started' "$IFB_LOG")" -le "$n" ]; do
		[ $t -lt 100 ] || bridge_fail "round $round: iio_readdev did not start a stream"
		sleep 0.1
		t=$((t + 1))
	done
	sleep 1
	kill -9 "$pid" 2>/dev/null || bridge_fail "round $round: iio_readdev ended before it was killed"
	wait "$pid" 2>/dev/null
	libiio_readdev_check "$uri" 4096 32768 voltage0 voltage1
done
grep -q 'ended (host disconnected)' "$IFB_LOG" || bridge_fail "the killed client's stream did not end as a disconnect"

# garbage, an overlong line, huge numbers and unknown pipes through raw
# USB (rig-iiod-raw), then a real client again
rig-iiod-raw "$uri" || bridge_fail "raw protocol abuse: daemon misbehaved"
libiio_readdev_check "$uri" 2048 8192 voltage0 voltage1

iio-ffs-capture --verify --bytes 8M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "iio-ffs-capture after killed libiio clients failed: $(cat /tmp/cap.json)"
bridge_stop
echo "libiio-kill: ok"
