#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# The host disappears mid-stream (the UDC is unbound) and comes back: the
# daemon stops cleanly and streams again without a restart, in both modes.
. /lib/rig.sh
. /lib/bridge.sh

for mode in zero-copy copy; do
	bridge_conf "$mode" block_size=256K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	pid=$IFB_PID
	iio-ffs-capture --duration 30 -o /dev/null --quiet --json >/tmp/cap.json 2>/tmp/cap.err &
	cap=$!
	sleep 2
	rig_gadget_unbind ifb
	if wait "$cap"; then
		bridge_fail "$mode: capture did not notice the device going away"
	fi
	grep -qi 'gone\|disconnect\|no device' /tmp/cap.err || bridge_fail "$mode: capture said: $(cat /tmp/cap.err)"
	sleep 1
	kill -0 "$pid" || bridge_fail "$mode: daemon died on disconnect"
	bridge_idle_check
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "$mode: host did not enumerate again"
	iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$mode: capture after reconnect failed: $(cat /tmp/cap.json)"
	[ "$IFB_PID" = "$pid" ] || bridge_fail "$mode: daemon was restarted"
	bridge_stop
done
echo "reconnect: streams resumed without a restart"
