#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Issue 9, finding 2: a failed read(ep0) must not cost the daemon its ep0
# source (sd-event disables a source whose callback returns < 0: the
# daemon stays alive but never sees SETUP, DISABLE or UNBIND again).
# FunctionFS fails the event read in two normal ways (f_fs.c,
# ffs_ep0_read()), each made certain here rather than left to a race:
#
#  EIDRM  the setup being answered was cancelled: a new event (here the
#         host's SET_CONFIGURATION 0, a DISABLE) came while it was still
#         pending. The daemon is stopped inside its reply's write(), which
#         the stop interrupts (FunctionFS dequeues the reply, the setup
#         stays pending); the host then goes away; the daemon resumes and
#         its next event read fails with EIDRM. It must read again, see
#         the DISABLE, and the ENABLE after it.
#  EL2HLT the reply to a request the host gave up on (the daemon was
#         stopped) is abandoned by the daemon's 2 s stage timeout; the
#         setup is still pending, so the next event read stalls it and
#         fails with EL2HLT.
#
# After each, the daemon must answer GET_INFO and GET_STATS, and stream.
# ROUNDS (RIG_APPEND="ROUNDS=el2hlt") runs some of them: on the old code
# the first round's failure hides the second's.
. /lib/rig.sh
. /lib/bridge.sh

# wait_log PATTERN COUNT SECONDS: until PATTERN is in the log COUNT times
wait_log() {
	_wl_t=0
	while [ "$(grep -c "$1" "$IFB_LOG")" -lt "$2" ]; do
		_wl_t=$((_wl_t + 1))
		[ $_wl_t -lt $(($3 * 20)) ] || return 1
		sleep 0.05
	done
}

# in_ep0_write: a thread of the daemon (its ep0 stage thread) is blocked
# in write() on its ep0 (a reply)
in_ep0_write() {
	for _iw_t in /proc/"$pid"/task/*; do
		read -r _iw_nr _iw_fd _iw_rest <"$_iw_t/syscall" 2>/dev/null || continue
		[ "$_iw_nr" = "$nr_write" ] && [ "$((_iw_fd))" = "$ep0fd" ] && return 0
	done
	return 1
}

is_stopped() {
	[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat")" = T ]
}

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
pid=$IFB_PID
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"
ep0fd=
for f in /proc/"$pid"/fd/*; do
	[ "$(readlink "$f")" = /dev/ffs-ifb/ep0 ] && ep0fd=${f##*/}
done
[ -n "$ep0fd" ] || bridge_fail "no ep0 among the daemon's fds"
nr_write=$(rig_nr_write "$pid")
rig-ctrl "$dev" info stats >/dev/null || bridge_fail "control requests failed before the test"

round_eidrm() {
	kill -STOP "$pid"
	rig-ctrl "$dev" abandon || bridge_fail "GET_STATS was not abandoned"
	kill -CONT "$pid"
	t=0
	until in_ep0_write; do
		t=$((t + 1))
		[ $t -lt 30 ] || bridge_fail "the daemon never replied to the abandoned GET_STATS"
		sleep 0.02
	done
	kill -STOP "$pid" # interrupts the reply: dequeued, the setup still pending
	t=0
	until is_stopped; do
		t=$((t + 1))
		[ $t -lt 50 ] || bridge_fail "daemon did not stop"
		sleep 0.02
	done
	rig_write "$dev/authorized" 0 # DISABLE: FunctionFS cancels the pending setup
	kill -CONT "$pid"             # the next event read fails with EIDRM
	wait_log 'USB: interface disabled' 1 5 ||
		bridge_fail "EIDRM: the daemon never saw the DISABLE after the cancelled setup (ep0 deaf)"
	rig_write "$dev/authorized" 1
	wait_log 'USB: host enabled the interface' 2 10 ||
		bridge_fail "EIDRM: the daemon never saw the ENABLE after the cancelled setup (ep0 deaf)"
	dev=$(rig_usb_wait_device 15) || bridge_fail "no host device after re-authorizing"
	rig-ctrl "$dev" info stats || bridge_fail "EIDRM: GET_INFO/GET_STATS not answered after the cancelled setup"
	echo "EIDRM: read again, DISABLE and ENABLE seen, requests answered"
}

round_el2hlt() {
	n=$(grep -c 'did not take the reply within' "$IFB_LOG")
	kill -STOP "$pid"
	rig-ctrl "$dev" abandon || bridge_fail "GET_STATS was not abandoned"
	kill -CONT "$pid"
	wait_log 'did not take the reply within' $((n + 1)) 10 || bridge_fail "the abandoned reply was never given up"
	sleep 0.5 # the next event read stalls the pending setup: EL2HLT
	rig-ctrl "$dev" info stats || bridge_fail "EL2HLT: GET_INFO/GET_STATS not answered after the stalled setup (ep0 deaf)"
	echo "EL2HLT: read again, requests answered"
}

for r in ${ROUNDS:-eidrm el2hlt}; do
	"round_$r"
done

grep -q 'Reading FunctionFS events failed' "$IFB_LOG" && bridge_fail "an ep0 event read error was logged"
iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "capture after the failed reads failed: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"
[ "$IFB_PID" = "$pid" ] || bridge_fail "daemon was restarted"
bridge_stop
echo "ep0-cancelled: EIDRM and EL2HLT on the event read, ep0 still heard"
