#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# With a [gadget] section the daemon composes the gadget itself (no
# pre-made gadget, no FunctionFS mount): the host enumerates it, reads the
# Microsoft OS descriptors that make Windows bind WinUSB, streams; a second
# instance is refused; after kill -9 the next start cleans up and works;
# after exit configfs, the mounts and the mount point are as they were.
# Zero-copy where the kernel has a DMABUF allocator, else copy (Debian's
# 6.1, whose FunctionFS also wants the older MS OS bcdVersion: the host
# must read the descriptors there too).
. /lib/rig.sh
. /lib/bridge.sh

mode=zero-copy
[ -e /dev/udmabuf ] || [ -e /dev/dma_heap ] || mode=copy

snapshot() { find /sys/kernel/config/usb_gadget | sort; grep functionfs /proc/mounts; }
before=$(snapshot)

cat >/tmp/g.conf <<X
[iio]
device = iio-sim-adc

[stream]
mode = $mode
block_size = 256K

[usb]
functionfs = /run/iio-ffs/ffs
serial = RIG42
interface_guid = {0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9}

[gadget]
name = ifbtest
ms_vendor_code = 0x42
X
iio-ffs-bridge -v -c /tmp/g.conf >"$IFB_LOG" 2>&1 &
IFB_PID=$!
dev=$(rig_usb_wait_device 20) || bridge_fail "host did not enumerate the composed gadget"
grep -q 'Gadget ifbtest bound' "$IFB_LOG" || bridge_fail "daemon did not report binding"
[ "$(cat "$dev/serial")" = RIG42 ] || bridge_fail "serial is '$(cat "$dev/serial")', want RIG42"
grep -q 'USB descriptors written, MS OS descriptors with bcdVersion 0x0' "$IFB_LOG" ||
	bridge_fail "the daemon did not write MS OS descriptors"
rig-msos "$dev" 0x42 '{0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9}' || bridge_fail "MS OS descriptors wrong"
iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture through the composed gadget failed: $(cat /tmp/cap.json)"

# A second instance must not take a live gadget over.
iio-ffs-bridge -c /tmp/g.conf >/tmp/g2.log 2>&1
[ $? = 1 ] || bridge_fail "a second instance did not refuse the live gadget"
grep -q 'ifbtest exists' /tmp/g2.log || bridge_fail "second instance said: $(cat /tmp/g2.log)"

kill -TERM "$IFB_PID"
wait "$IFB_PID" || bridge_fail "daemon exited non-zero"
IFB_PID=
after=$(snapshot)
[ "$before" = "$after" ] || bridge_fail "configfs or mounts differ after exit:
before: $before
after:  $after"
[ ! -e /run/iio-ffs ] || bridge_fail "mount point /run/iio-ffs left behind"
bridge_clean_check

# Killed by a signal, the daemon leaves its gadget and mount behind; the
# next start recognises them as its own leftovers, removes them and
# composes again, and its own exit is clean.
iio-ffs-bridge -v -c /tmp/g.conf >"$IFB_LOG" 2>&1 &
IFB_PID=$!
rig_usb_wait_device 20 >/dev/null || bridge_fail "host did not enumerate"
kill -KILL "$IFB_PID"
wait "$IFB_PID" 2>/dev/null
[ -d /sys/kernel/config/usb_gadget/ifbtest ] || bridge_fail "expected a leftover gadget after kill -9"
iio-ffs-bridge -v -c /tmp/g.conf >"$IFB_LOG" 2>&1 &
IFB_PID=$!
rig_usb_wait_device 20 >/dev/null || bridge_fail "host did not enumerate after recovery"
grep -q 'left behind by an instance that was killed; removed it' "$IFB_LOG" ||
	bridge_fail "leftover not recognised"
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after recovery failed: $(cat /tmp/cap.json)"
kill -TERM "$IFB_PID"
wait "$IFB_PID" || bridge_fail "daemon exited non-zero after recovery"
IFB_PID=
after=$(snapshot)
[ "$before" = "$after" ] || bridge_fail "configfs or mounts differ after recovery and exit:
before: $before
after:  $after"
# The killed instance's empty mount point directories are its own to have
# removed; the recovered instance found them and reused them.
rmdir /run/iio-ffs/ffs /run/iio-ffs

# An existing gadget of that name is someone else's: refused, untouched.
mkdir /sys/kernel/config/usb_gadget/ifbtest
iio-ffs-bridge -c /tmp/g.conf >/tmp/g2.log 2>&1
rc=$?
[ "$rc" = 1 ] || rig_fail "exit $rc with the gadget name taken"
grep -q 'ifbtest exists' /tmp/g2.log || rig_fail "$(cat /tmp/g2.log)"
[ -d /sys/kernel/config/usb_gadget/ifbtest ] || rig_fail "someone else's gadget was removed"
rmdir /sys/kernel/config/usb_gadget/ifbtest
echo "gadget: composed, MS OS descriptors read, configfs restored"
