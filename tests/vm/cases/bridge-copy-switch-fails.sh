#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# Auto mode on a UDC without scatter-gather switches to copy mode; when
# the user buffers cannot all be allocated (an address-space limit here),
# the switch fails as a whole: no stream ever reads into a missing buffer,
# every START is refused with the reason, and the daemon stays up (issue
# 9, finding 5).
. /lib/rig.sh
. /lib/bridge.sh

rmmod dummy_hcd || rig_fail "cannot unload dummy_hcd"
insmod /lib/modules/dummy_hcd.ko is_super_speed=1 sg=0 || rig_fail "cannot load dummy_hcd sg=0"

# 16 x 16 MiB of copy buffers (256 MiB) in a 200 MiB address space: the
# switch runs out part of the way.
bridge_conf auto block_size=16M block_count=16 >/tmp/ifb.conf
IFB_ULIMIT_V=204800 bridge_start /tmp/ifb.conf
for try in 1 2; do
	# The host may see the refusal as a stall or, when the daemon took
	# longer than its control timeout, not at all (then GET_STATS says no
	# stream runs): either way no capture succeeds.
	iio-ffs-capture --duration 4 -o /dev/null --quiet >/tmp/cap.out 2>&1 &&
		bridge_fail "START $try: a capture succeeded on a half-switched pool"
	cat /tmp/cap.out
done
[ "$(grep -c 'Cannot switch to copy mode: buffer [0-9]* of 16' "$IFB_LOG")" -ge 2 ] ||
	bridge_fail "the failed switch is not logged at every START"
grep -q 'Bad address' "$IFB_LOG" && bridge_fail "a stream read into a missing buffer"
grep -q 'Stream [0-9]* started' "$IFB_LOG" && bridge_fail "a stream started on a half-switched pool"
kill -0 "$IFB_PID" || bridge_fail "daemon died"
bridge_stop
echo "copy-switch-fails: all or nothing, every START refused with the reason"
