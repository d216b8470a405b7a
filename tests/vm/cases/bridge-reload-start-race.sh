#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 900
# debug-kernel: no
# Reloads of each kind (channels, block size and count, rate, I/Q pairs)
# against START. First one at a time between rig-ctrl's GET_INFO and
# START: a block size or count change lets START through (it refused it
# before: issue 17, finding 2), a channel or rate change is refused with
# its reason in the log and GET_STATUS (ESTALE). Then a reloader races
# hundreds of captures: every one ends verified, or with the exact
# message that the channels or I/Q pairs changed since it opened the
# device; a rate change is taken in by the library, which starts again.
. /lib/rig.sh
. /lib/bridge.sh

conf() { # KIND: the config of one reload kind
	case $1 in
	base) bridge_conf zero-copy block_size=256K block_count=4 ;;
	blocks) bridge_conf zero-copy block_size=128K block_count=6 ;;
	rate1) bridge_conf zero-copy block_size=256K block_count=4 iio:sampling_frequency=1000000 ;;
	rate2) bridge_conf zero-copy block_size=256K block_count=4 iio:sampling_frequency=2000000 ;;
	chan) bridge_conf zero-copy block_size=256K block_count=4 iio:channels=voltage0 ;;
	iq) bridge_conf zero-copy block_size=256K block_count=4 iio:iq=voltage0:voltage1 ;;
	esac
}
reload() { # KIND: reload it and wait until applied
	conf "$1" >/tmp/ifb.conf.new && mv /tmp/ifb.conf.new /tmp/ifb.conf
	bridge_reload "$pid" "reload $1"
}
# STOP drains what was filled to the host: the capture tool ends a stream
# left running and reads it out before its own.
end_stream() {
	iio-ffs-capture --bytes 1M -o /dev/null --quiet || bridge_fail "$1: ending the stream failed"
}

conf base >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
pid=$IFB_PID
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"

# 1. block size and count only: START goes through, in the new blocks
rig-ctrl "$dev" info >/dev/null || bridge_fail "GET_INFO failed"
reload blocks
rig-ctrl "$dev" start 2>/tmp/start.err ||
	bridge_fail "a reload of the block size and count alone refused START: $(cat /tmp/start.err)"
t=0
until grep -q 'Stream [0-9]* started (zero-copy, 6 x 131072 bytes' "$IFB_LOG"; do
	t=$((t + 1))
	[ $t -lt 50 ] || bridge_fail "no stream in the reloaded blocks"
	sleep 0.1
done
end_stream blocks
# 2. channels, then the rate: refused, the reason logged and in GET_STATUS
for kind in chan rate1; do
	rig-ctrl "$dev" info >/dev/null || bridge_fail "GET_INFO failed"
	reload $kind
	rig-ctrl "$dev" start 2>/dev/null && bridge_fail "$kind: START after a reload of $kind was not refused"
	rig-ctrl "$dev" status >/tmp/status || bridge_fail "$kind: GET_STATUS failed"
	grep -q '^request=2 error=-116 ' /tmp/status || bridge_fail "$kind: GET_STATUS after the refusal: $(cat /tmp/status)"
	reload base
done
grep -q 'START refused: the channels (2 in 4-byte scans, now 1 in 2-byte scans) changed since the host read GET_INFO' "$IFB_LOG" ||
	bridge_fail "the channel refusal does not say what changed"
grep -q 'START refused: the sample rate (.* Hz, now 1000000.000 Hz) changed since the host read GET_INFO' "$IFB_LOG" ||
	bridge_fail "the rate refusal does not say what changed"

# 3. the race: a reload every 0.1 to 0.4 s, of each kind in turn, against
# captures that each open the device, START and read 256 KiB.
: >/tmp/stop-reload
rm -f /tmp/stop-reload
(
	i=0
	while [ ! -e /tmp/stop-reload ]; do
		for kind in blocks base rate1 chan base rate2 iq base; do
			[ -e /tmp/stop-reload ] && break
			conf $kind >/tmp/ifb.conf.new && mv /tmp/ifb.conf.new /tmp/ifb.conf
			kill -HUP "$pid" 2>/dev/null
			sleep "0.$((1 + i % 4))"
			i=$((i + 1))
		done
	done
) &
reloader=$!
ok=0
stale=0
n=0
while [ $n -lt 200 ]; do
	n=$((n + 1))
	iio-ffs-capture --verify --bytes 256K -o /dev/null --quiet --json >/tmp/cap.json 2>/tmp/cap.err
	rc=$?
	if [ $rc = 0 ]; then
		[ "$(json_bool /tmp/cap.json verify_ok)" = true ] ||
			bridge_fail "capture $n: exit 0 but not verified: $(cat /tmp/cap.json)"
		ok=$((ok + 1))
	elif [ $rc = 5 ] && grep -Eq 'the device refused START: its (channels \([0-9]+ in [0-9]+-byte scans, now [0-9]+ in [0-9]+-byte scans\)|I/Q pairs)( and its sample rate \(.*\))? changed since it was opened' /tmp/cap.err; then
		stale=$((stale + 1))
	elif [ $rc = 5 ] && grep -q 'the device refused START .*keeps changing\|changes while we start' /tmp/cap.err; then
		stale=$((stale + 1))
	else
		touch /tmp/stop-reload
		bridge_fail "capture $n: exit $rc: $(cat /tmp/cap.err) $(cat /tmp/cap.json)"
	fi
done
touch /tmp/stop-reload
wait $reloader
echo "race: $n captures, $ok verified, $stale refused with the layout's change named"
[ $ok -ge 100 ] || bridge_fail "only $ok of $n captures verified"
grep 'START refused' "$IFB_LOG" | grep -v 'START refused: \(the channels\|the I/Q pairs\|the sample rate\)' &&
	bridge_fail "a START refused for another reason than the channels, I/Q pairs or rate"
bridge_stop
echo "bridge-reload-start-race: ok"
