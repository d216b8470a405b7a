#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# SIGHUP reloads the configuration: the pool and channels change for the
# next stream without a restart; a key that needs a restart keeps its old
# value with a warning; a broken file or an unknown channel changes nothing.
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
pid=$IFB_PID
iio-ffs-capture --info >/tmp/info || bridge_fail "GET_INFO failed"
grep -q 'blocks: *4 x 262144 bytes' /tmp/info || bridge_fail "unexpected start: $(cat /tmp/info)"

# New pool and one channel; and a vendor id, which needs a restart.
bridge_conf zero-copy block_size=1M block_count=8 iio:channels=voltage0 >/tmp/ifb.conf
printf 'vendor_id = 0x0456\n' >>/tmp/ifb.conf
kill -HUP "$pid"
sleep 1
grep -q 'Configuration reloaded from /tmp/ifb.conf: 8 x 1048576 bytes, 2-byte scans' "$IFB_LOG" ||
	bridge_fail "reload not applied"
grep -q '/tmp/ifb.conf:12: \[usb\] vendor_id: changed; takes effect after a restart' "$IFB_LOG" ||
	bridge_fail "no warning for a key that needs a restart"
iio-ffs-capture --info >/tmp/info || bridge_fail "GET_INFO after reload failed"
grep -q 'blocks: *8 x 1048576 bytes' /tmp/info || bridge_fail "pool not resized: $(cat /tmp/info)"
grep -q 'voltage1' /tmp/info && bridge_fail "voltage1 still streamed: $(cat /tmp/info)"
iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after reload failed: $(cat /tmp/cap.json)"

# Broken files change nothing.
printf '[iio]\ndevice = iio-sim-adc\n[stream]\nblock_size = 3\n' >/tmp/ifb.conf
kill -HUP "$pid"
sleep 1
grep -q 'block_size: expected.*keeping the running configuration' "$IFB_LOG" ||
	bridge_fail "a bad file was not refused"
bridge_conf zero-copy iio:channels=voltage9 >/tmp/ifb.conf
kill -HUP "$pid"
sleep 1
grep -q "/tmp/ifb.conf:[0-9]*: \[iio\] channels: iio-sim-adc has no channel 'voltage9' (expected some of: .*); configuration not reloaded" "$IFB_LOG" ||
	bridge_fail "an unknown channel was not refused"
iio-ffs-capture --info >/tmp/info || bridge_fail "GET_INFO failed"
grep -q 'blocks: *8 x 1048576 bytes' /tmp/info || bridge_fail "a refused reload changed the pool"
kill -0 "$pid" || bridge_fail "daemon died"
bridge_stop
echo "reload: applied, restart-only key warned, bad files refused"
