#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# debug-kernel: no
# libifbhost as an application uses it: ifbh-read is built with only the
# installed <ifbhost.h> and `pkg-config --libs libifbhost` (Makefile,
# HOSTLIB_RIG) and reads in pull mode; iio-ffs-capture built the same way
# captures with its counter check. 100 MB in zero-copy and in copy
# mode with the counter checked; then, with a paced ADC and small blocks,
# a reader that stalls: the counter may jump only where the library flags
# the device's gap.
. /lib/rig.sh
. /lib/bridge.sh

# ifbh-read's run path points into the build tree, which may lie under /tmp
# (a fresh clone in CI): the guest mounts its own /tmp over it. The staged
# install is at /stage; the loader is told so.
[ -e /stage/.done ] || rig_fail "no staged libifbhost install in the guest (make \$(BUILD)/stage/.done)"
export LD_LIBRARY_PATH=/stage/usr/lib/x86_64-linux-gnu

for mode in zero-copy copy; do
	bridge_conf $mode block_size=1M block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	ifbh-read 100000000 >/tmp/read.out 2>&1 || bridge_fail "$mode: $(cat /tmp/read.out)"
	cat /tmp/read.out
	grep -q ' 0 jump(s), counter ok' /tmp/read.out || bridge_fail "$mode: unexpected jumps"
	bridge_stop
done

# iio-ffs-capture built from its own sources and the installed library
# alone (Makefile CAPTURE_INSTALLED), linked against libifbhost.so.1: the
# counter checked, the gap list read through the library's public calls.
bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture-installed --verify --bytes 50M -o /dev/null >/tmp/cap.out 2>&1 ||
	bridge_fail "capture built against the installed library: $(cat /tmp/cap.out)"
cat /tmp/cap.out
grep -q 'counter .* on' /tmp/cap.out || bridge_fail "capture built against the installed library did not check the counter"
bridge_stop

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=64K block_count=4 iio:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
# The library keeps 16 transfers of 1 MiB in flight: 2 s of this ADC's
# 8 MB/s. The reader stalls for 4 s so the ADC must run dry whatever the
# machine's load (1 s was enough only on a loaded machine).
ifbh-read 24000000 --stall-at 4000000 --stall-ms 4000 >/tmp/read.out 2>&1 ||
	bridge_fail "stalled reader: $(cat /tmp/read.out)"
cat /tmp/read.out
flagged=$(sed -n 's/.* \([0-9]*\) gap(s) flagged.*/\1/p' /tmp/read.out)
[ "${flagged:-0}" -ge 1 ] || bridge_fail "the reader stalled 4 s but no gap was flagged"
bridge_stop
echo "hostlib-c: pull mode counter-checked in both modes, $flagged gap(s) flagged where the counter jumped"
