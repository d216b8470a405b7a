#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# A reload that changes the channels lands between a host's GET_INFO and
# its START: the START is refused (the host must read GET_INFO again),
# never a stream in a layout the host was not told (issue 9, finding 11).
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
pid=$IFB_PID
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"
# The scan size of the stream started after the first $n, as the daemon
# logs it when it starts the stream: what the stream carries.
started_scan() {
	bridge_wait_log 'Stream [0-9]* started' "$n" "round $round: no stream started"
	got=$(grep 'Stream [0-9]* started' "$IFB_LOG" | tail -n 1 | sed -n 's/.*, \([0-9]*\)-byte scans).*/\1/p')
}
# STOP drains what was filled to the host, so someone must read it: the
# capture tool stops a running stream and reads it out before its own.
end_stream() {
	iio-ffs-capture --bytes 1M -o /dev/null --quiet || bridge_fail "round $round: ending the stream failed"
}
for round in 1 2 3 4; do
	rig-ctrl "$dev" info >/tmp/info || bridge_fail "GET_INFO failed"
	scan=$(sed -n 's/scan_size=\([0-9]*\).*/\1/p' /tmp/info)
	if [ "$scan" = 4 ]; then
		bridge_conf zero-copy block_size=256K block_count=4 iio:channels=voltage0 >/tmp/ifb.conf
	else
		bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
	fi
	bridge_reload "$pid" "round $round"
	n=$(grep -c 'Stream [0-9]* started' "$IFB_LOG")
	if rig-ctrl "$dev" start 2>/tmp/start.err; then
		# Accepted: then it must carry what GET_INFO said.
		started_scan
		[ "$got" = "$scan" ] ||
			bridge_fail "round $round: START accepted, stream in $got-byte scans, GET_INFO said $scan"
		end_stream
	else
		grep -q 'START refused: the channels (.*) changed since the host read GET_INFO' "$IFB_LOG" ||
			bridge_fail "round $round: START failed without the reason logged"
	fi
	# A host that reads GET_INFO again gets the new layout and its stream.
	rig-ctrl "$dev" info >/tmp/info || bridge_fail "GET_INFO failed"
	scan=$(sed -n 's/scan_size=\([0-9]*\).*/\1/p' /tmp/info)
	sleep 0.5
	n=$(grep -c 'Stream [0-9]* started' "$IFB_LOG")
	rig-ctrl "$dev" start || bridge_fail "round $round: START after a fresh GET_INFO failed"
	started_scan
	end_stream
	[ "$got" = "$scan" ] || bridge_fail "round $round: stream in $got-byte scans, GET_INFO said $scan"
	sleep 0.5
	echo "round $round: ok ($scan-byte scans)"
done
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after the reloads failed: $(cat /tmp/cap.json)"
bridge_stop
echo "reload-race: no stream in a layout the host was not told"
