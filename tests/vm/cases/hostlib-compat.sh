#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# debug-kernel: no
# Protocol versions agreed across old and new: the last version-1 daemon
# and host tool (built from git, Makefile V1_RIG) against today's. A new
# host offers its version (6 today), the old daemon stalls that GET_INFO and the host
# goes on in version 1; an old host gets version-1 replies from the new
# daemon, and from a daemon with two streams the first stream, as before
# there were several. Each pairing streams with the counter verified.
. /lib/rig.sh
. /lib/bridge.sh

start_v1() {
	[ -d /dev/ffs-ifb ] || rig_gadget_create ifb
	iio-ffs-bridge-v1 -v -c "$1" >>"$IFB_LOG" 2>&1 &
	IFB_PID=$! # bridge.sh's bridge_stop ends it
	export IFB_PID
	rig_wait_file /dev/ffs-ifb/ep1 10 || bridge_fail "v1 daemon did not write its USB descriptors"
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "host did not enumerate the gadget"
}

bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf

# old daemon, new host
start_v1 /tmp/ifb.conf
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "new host, v1 daemon: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "new host, v1 daemon: not verified"
grep -q 'Stalling request type 0xc1 request 0x01 value [2-9]' "$IFB_LOG" ||
	bridge_fail "the new host did not offer its version (above 1) to the old daemon"
iio-ffs-capture --info | grep -q 'iio-sim-adc' || bridge_fail "new host, v1 daemon: --info"
bridge_stop

# new daemon, old host
: >"$IFB_LOG"
bridge_start /tmp/ifb.conf
iio-ffs-capture-v1 --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "v1 host, new daemon: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "v1 host, new daemon: not verified"
# and a new host right after, on the same daemon, agrees on its own version
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap2.json ||
	bridge_fail "new host after an old one: $(cat /tmp/cap2.json)"
bridge_stop

# new daemon with two streams, old host: the first stream (interface 0)
: >"$IFB_LOG"
streams_adcs 2
bridge_streams_conf rx:iio-sim-adc:zero-copy:block_size=1M:block_count=4 \
	hk:iio-sim-adc1:zero-copy:block_size=1M:block_count=4 >/tmp/two.conf
bridge_start /tmp/two.conf
iio-ffs-capture-v1 --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "v1 host, two-stream daemon: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "v1 host, two streams: not verified"
grep -q 'rx: Stream 1 ended (host STOP)' "$IFB_LOG" || bridge_fail "the v1 host was not served stream rx"
grep -q 'hk: Stream 1' "$IFB_LOG" && bridge_fail "the v1 host started stream hk"
bridge_stop
echo "compat: v1 daemon with the new host, new daemon with the v1 host (one stream, and the first of two), all verified"
