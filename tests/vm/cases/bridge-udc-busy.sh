#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# With [gadget] and the only UDC held by another gadget (configfs then
# answers EBUSY, as it does in the moment between a late UDC's "udc" and
# "gadget" uevents), the daemon names the holder, waits, and binds when the
# UDC is released (its "change" uevent), then streams and exits clean
# (issue 9: the late-UDC path raced in CI).
. /lib/rig.sh
. /lib/bridge.sh

snapshot() { find /sys/kernel/config/usb_gadget | sort; grep functionfs /proc/mounts; }
before=$(snapshot)

# The other gadget: a FunctionFS function of the rig's own, bound first.
rig_gadget_create other
rig-ffs-func /dev/ffs-other >/tmp/other.log 2>&1 &
other=$!
rig_wait_file /dev/ffs-other/ep1 10 || rig_fail "the other gadget's function did not start: $(cat /tmp/other.log)"
rig_gadget_bind other
udc=$(cat /sys/kernel/config/usb_gadget/g-other/UDC)

cat >/tmp/g.conf <<'X'
[iio]
device = iio-sim-adc

[stream]
mode = copy
block_size = 256K

[usb]
functionfs = /run/iio-ffs/ffs

[gadget]
name = ifbbusy
X
iio-ffs-bridge -v -c /tmp/g.conf >"$IFB_LOG" 2>&1 &
IFB_PID=$!
i=0
until grep -q 'waiting for the UDC to be free' "$IFB_LOG"; do
	kill -0 "$IFB_PID" 2>/dev/null || bridge_fail "daemon exited while the UDC was held by another gadget"
	[ $i -lt 100 ] || bridge_fail "daemon does not say it waits for the UDC"
	i=$((i + 1))
	sleep 0.1
done
grep -q "UDC $udc is in use by gadget driver g-other" "$IFB_LOG" ||
	bridge_fail "the wait does not name the UDC and its holder"
[ "$(cat /sys/kernel/config/usb_gadget/g-other/UDC)" = "$udc" ] || bridge_fail "the other gadget lost its UDC"

rig_gadget_unbind other
i=0
until grep -q 'Gadget ifbbusy bound to its UDC' "$IFB_LOG"; do
	kill -0 "$IFB_PID" 2>/dev/null || bridge_fail "daemon exited after the UDC was released"
	[ $i -lt 100 ] || bridge_fail "daemon did not bind within 10 s of the UDC being released"
	i=$((i + 1))
	sleep 0.1
done
[ "$(cat /sys/kernel/config/usb_gadget/ifbbusy/UDC)" = "$udc" ] || bridge_fail "ifbbusy is not bound to $udc"
rig_usb_wait_device 20 >/dev/null || bridge_fail "host did not enumerate the gadget after the UDC was released"
iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after the UDC was released failed: $(cat /tmp/cap.json)"

kill -TERM "$IFB_PID"
wait "$IFB_PID" || bridge_fail "daemon exited $? after SIGTERM"
IFB_PID=
kill "$other"
wait "$other"
rig_gadget_remove other
[ "$(snapshot)" = "$before" ] || bridge_fail "configfs or mounts not as found"
bridge_clean_check
echo "udc-busy: named the holder, waited, bound when the UDC was released, streamed"
