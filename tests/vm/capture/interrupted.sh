#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
#
# `make check-capture`: SigMF captures that end early must still be valid.
# Ctrl-C (SIGINT) mid-capture exits 0; the device vanishing mid-capture
# exits 6 (device gone) with a clear message. Both pairs are copied to
# $RIG_OUT, where the host validates them with tests/sigmf-check.
. /lib/rig.sh
. /lib/bridge.sh

# Copy mode: the unplug below unbinds the UDC, which in zero-copy mode can
# race a 6.12 kernel bug (see bridge_case_reconnect); the host tool's side
# is the same in both modes.
bridge_conf copy block_size=256K block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --sigmf /tmp/sigint --duration 60 --quiet 2>/tmp/sigint.err &
cap=$!
sleep 2
kill -INT "$cap"
wait "$cap"
rc=$?
[ "$rc" = 0 ] || bridge_fail "SIGINT: exit $rc, want 0: $(cat /tmp/sigint.err)"
cp /tmp/sigint.sigmf-meta /tmp/sigint.sigmf-data "$RIG_OUT/" || rig_fail "SIGINT: no SigMF pair"

iio-ffs-capture --sigmf /tmp/unplug --duration 60 --quiet 2>/tmp/unplug.err &
cap=$!
sleep 2
rig_gadget_unbind ifb # the device disappears from the host, as unplugged
wait "$cap"
rc=$?
[ "$rc" = 6 ] || bridge_fail "unplug: exit $rc, want 6 (device gone): $(cat /tmp/unplug.err)"
grep -qi 'gone\|disconnect' /tmp/unplug.err || bridge_fail "unplug: message was: $(cat /tmp/unplug.err)"
cat /tmp/unplug.err
cp /tmp/unplug.sigmf-meta /tmp/unplug.sigmf-data "$RIG_OUT/" || rig_fail "unplug: no SigMF pair"
bridge_stop
