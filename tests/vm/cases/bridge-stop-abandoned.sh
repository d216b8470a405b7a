#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 240
# A host that sends STOP and then reads nothing more (it crashed, or, as
# SoapySDR's deactivateStream did when a read ended early, gave up before
# the end-of-stream packet) does not keep the stream stopping for ever:
# what is in flight is cancelled a few seconds later, the stream ends,
# GET_STATS says idle, and the next host streams. In zero-copy and copy
# mode. (Found in hostlib-rate: SET_SAMPLE_RATE stayed EBUSY.)
. /lib/rig.sh
. /lib/bridge.sh

for mode in zero-copy copy; do
	: >"$IFB_LOG"
	bridge_conf "$mode" block_size=64K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	dev=$(rig_usb_wait_device 5) || bridge_fail "no device"
	# START, then STOP with no transfer ever submitted by the host
	rig-ctrl "$dev" start >/dev/null || bridge_fail "$mode: START failed"
	sleep 0.5
	rig-ctrl "$dev" stop >/dev/null || bridge_fail "$mode: STOP failed"
	i=0
	until grep -q 'Stream 1 ended' "$IFB_LOG"; do
		[ $i -lt 100 ] || bridge_fail "$mode: the stream did not end within 10 s of a STOP nobody drains"
		i=$((i + 1))
		sleep 0.1
	done
	grep -q 'Host stopped reading after STOP: cancelling' "$IFB_LOG" ||
		bridge_fail "$mode: the cancel is not logged"
	rig-ctrl "$dev" stats >/tmp/st.out || bridge_fail "$mode: GET_STATS failed"
	grep -q '^state=0 ' /tmp/st.out || bridge_fail "$mode: GET_STATS after the cancel: $(cat /tmp/st.out)"
	bridge_idle_check
	iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$mode: the next host's stream failed: $(cat /tmp/cap.json)"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "$mode: the next stream not verified"
	bridge_stop
	echo "$mode: an undrained STOP ended in $((i / 10)).$((i % 10)) s; the next stream verified"
done
