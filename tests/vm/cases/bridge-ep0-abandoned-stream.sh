#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# A host that abandons its control requests, again and again, costs no
# stream anything (issue 17, finding 1). A second host on the IIOD
# interface sends "reset pipes" and gives up on it after 100 ms while the
# daemon is held (SIGSTOP) for that long, so that the daemon's status
# stage has nobody to take it: FunctionFS holds that stage until the
# host's next request or the daemon's 2 s stage timeout. The daemon's ep0
# stage thread waits there; the event loop goes on moving blocks. A paced
# ADC (500 kS/s, 2 MB/s) with 0.8 s of blocks queued: the 0.3 s holds
# alone lose nothing, an event loop stuck in the stage (as before the
# stage thread) would make the ADC run dry. The capture on the native
# interface must end verified, at the ADC's rate, with no gap.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=256K block_count=6 iio:sampling_frequency=500000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
pid=$IFB_PID
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"
grep -q 'and IIOD interfaces' "$IFB_LOG" || bridge_fail "no IIOD interface to abandon requests on"

iio-ffs-capture --verify --duration 14 -o /dev/null --quiet --json >/tmp/cap.json 2>/tmp/cap.err &
cap=$!
sleep 2
round=0
while [ $round -lt 8 ]; do
	round=$((round + 1))
	kill -STOP "$pid"
	RIG_CTRL_IFACE=1 rig-ctrl "$dev" abandon-reset 100 >/dev/null || {
		kill -CONT "$pid"
		bridge_fail "round $round: the reset was not abandoned"
	}
	kill -CONT "$pid"
	sleep 1.2
done
wait "$cap" || bridge_fail "capture across abandoned requests failed: $(cat /tmp/cap.err) $(cat /tmp/cap.json)"
cat /tmp/cap.json
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"
gaps=$(json_num /tmp/cap.json gaps)
[ "$gaps" = 0 ] || bridge_fail "$gaps gap(s): a stream waited behind an abandoned control request"
# Each abandoned stage ended without the host (cancelled by the capture's
# next request, or given up after 2 s): proof the stages were stuck.
stuck=$(grep -c 'IIOD pipe request: \(the host cancelled\|the host sent its next request\|the request is no longer\|the host did not take\)' "$IFB_LOG")
[ "$stuck" -ge 4 ] || bridge_fail "only $stuck of 8 abandoned requests left a stage waiting: the case did not test the wait"
bytes=$(json_num /tmp/cap.json bytes)
[ "${bytes:-0}" -ge 20000000 ] || bridge_fail "only $bytes bytes in 14 s at 2 MB/s"
bridge_stop
echo "ep0-abandoned-stream: $stuck stuck status stages, the stream verified with no gap"
