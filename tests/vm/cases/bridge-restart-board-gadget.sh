#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# A gadget made by a board script: when the daemon's ep0 closes (SIGTERM
# here, a crash alike), FunctionFS unbinds the gadget from its UDC. The
# same command started again (as systemd does) binds it again by itself,
# and the host sees the device and streams (issue 9, finding 6).
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet || bridge_fail "first capture failed"
for how in TERM KILL; do
	kill -"$how" "$IFB_PID"
	wait "$IFB_PID"
	IFB_PID=
	[ -z "$(cat /sys/kernel/config/usb_gadget/g-ifb/UDC)" ] ||
		echo "note: the gadget stayed bound after SIG$how"
	iio-ffs-bridge -v -c /tmp/ifb.conf >>"$IFB_LOG" 2>&1 &
	IFB_PID=$!
	dev=$(rig_usb_wait_device 20) || bridge_fail "after SIG$how and a restart the host never saw the device"
	grep -q 'is not bound .* binding it' "$IFB_LOG" || bridge_fail "no log line for the rebind"
	iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "capture after SIG$how and a restart failed: $(cat /tmp/cap.json)"
	echo "restart after SIG$how: gadget bound again, stream verified"
done
bridge_stop
