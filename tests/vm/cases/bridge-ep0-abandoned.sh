#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# A host gives up on a control request while the daemon is slow (stopped
# for seconds here). The reply's data stage must not hold the event loop until
# the host's next request (it gives up after 2 s: FunctionFS's ep0 has no
# asynchronous I/O): a stream goes on across such a request, and SIGTERM
# after it is honoured (issue 9, finding 8).
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"

# A stream across an abandoned request: it keeps flowing.
iio-ffs-capture --verify --bytes 128M -o /dev/null --quiet --json >/tmp/cap.json &
cap=$!
sleep 2
kill -STOP "$IFB_PID"
sleep 3 # the capture's GET_STATS times out (2 s) meanwhile
kill -CONT "$IFB_PID"
wait "$cap" || bridge_fail "capture across an abandoned request failed: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"

# The last request a host ever sends, abandoned: the daemon gives up on
# its reply after 2 s (it used to wait for the host's next request, for
# ever), then SIGTERM works as always.
kill -STOP "$IFB_PID"
rig-ctrl "$dev" info && bridge_fail "GET_INFO answered by a stopped daemon?"
kill -CONT "$IFB_PID"
sleep 3
bridge_stop # SIGTERM: exit 0 within a second, nothing left behind
grep -q 'did not take the reply within' "$IFB_LOG" || bridge_fail "no log line for the abandoned reply"
echo "ep0-abandoned: the loop never waited for a host that gave up"
