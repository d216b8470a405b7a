#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# With [gadget] and no UDC yet at start (a UDC driver that probes late),
# the daemon composes the gadget, waits (kernel uevents, no polling), binds
# when the UDC appears, and streams; it exits clean with configfs as found
# (issue 9, finding 7).
. /lib/rig.sh
. /lib/bridge.sh

snapshot() { find /sys/kernel/config/usb_gadget | sort; grep functionfs /proc/mounts; }
rmmod dummy_hcd || rig_fail "cannot unload dummy_hcd"
[ -z "$(ls /sys/class/udc)" ] || rig_fail "a UDC is still there: $(ls /sys/class/udc)"
before=$(snapshot)
cat >/tmp/g.conf <<'X'
[iio]
device = iio-sim-adc

[stream]
mode = zero-copy
block_size = 256K

[usb]
functionfs = /run/iio-ffs/ffs

[gadget]
name = ifblate
X
iio-ffs-bridge -v -c /tmp/g.conf >"$IFB_LOG" 2>&1 &
IFB_PID=$!
sleep 5
kill -0 "$IFB_PID" 2>/dev/null || bridge_fail "daemon exited with no UDC present"
grep -q 'waiting for a UDC to appear' "$IFB_LOG" || bridge_fail "daemon does not say it waits for a UDC"
insmod /lib/modules/dummy_hcd.ko is_super_speed=1 || rig_fail "cannot load dummy_hcd"
dev=$(rig_usb_wait_device 20) || bridge_fail "host did not enumerate the gadget after the UDC appeared"
grep -q 'Gadget ifblate bound to its UDC' "$IFB_LOG" || bridge_fail "no log line for the late bind"
iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after a late UDC failed: $(cat /tmp/cap.json)"
kill -TERM "$IFB_PID"
wait "$IFB_PID" || bridge_fail "daemon exited $? after SIGTERM"
IFB_PID=
[ "$(snapshot)" = "$before" ] || bridge_fail "configfs or mounts not as found"
bridge_clean_check
echo "late-udc: waited, bound when the UDC appeared, streamed"
