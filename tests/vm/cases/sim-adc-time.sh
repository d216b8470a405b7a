#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# kernels: 6.1 6.12
# The paced simulated ADC as the rig's source of truth for sample time (the
# host's "Time" feature): with sim_ppm=100 at a nominal 1 MHz its true rate
# is 1000100 scans/s, and sim_t0_ns with the module's formula gives the
# true time t(n) = t0 + n * 1e15 / (f * (1e6 + ppm)) ns of every scan.
# Read for 2 s (rig-sim-time read): no block reaches userspace before
# t(its last scan + 1), and the scans counted between two times match the
# true rate, not the nominal one (sim-adc-time-fence: the same with DMABUF
# fence timestamps, in a VM of its own: read() and a DMABUF attach in one
# boot make the debug kernel's lockdep report the DMA buffer core, see
# tests/vm/README.md). sim_ppm refuses writes while enabled (EBUSY) and
# out of its range (EINVAL); sim_t0_ns is the moment of the enable.
#
# The tolerance: the scans counted are exact, the times are windows.
# Every 100 ms rig-sim-time starves the ADC, so the next block is
# submitted while the DMA is idle and starts at count(T) = (T - t0) * f *
# (1e6 + ppm) / 1e15 for its submission time T, which lies within the
# read() or enqueue ioctl that submitted it, [T1, T2]; its first scan must
# be within [count(T1), count(T2)] (+-1 scan of rounding). So the
# tolerance is each window's width (at 1 MHz one scan a microsecond; 70
# to 600 us seen on a loaded 2-CPU host), nothing statistical: a loaded
# host widens windows, it cannot make a right module fail. The nominal
# count (sim_ppm ignored) falls behind by 100 scans a second; a window
# narrower than that difference must exclude it at least once (the run
# goes on up to 6 s, the difference growing, until one does). Latencies
# (how long after t(n_end) blocks arrive) are printed, not checked, except
# that none may be negative.
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"

# write_err FILE VALUE: what writing VALUE to FILE said ("" if it worked;
# busybox's echo reports "write error: <strerror>")
write_err() { (echo "$2" > "$1") 2>&1; }

# Defaults, and the range -1000000 < ppm <= 1000000.
[ "$(cat "$dir/sim_ppm")" = 0 ] || rig_fail "sim_ppm default is '$(cat "$dir/sim_ppm")', want 0"
[ "$(cat "$dir/sim_t0_ns")" = 0 ] || rig_fail "sim_t0_ns before any enable is '$(cat "$dir/sim_t0_ns")', want 0"
for v in -1000000 1000001 abc; do
	err=$(write_err "$dir/sim_ppm" "$v")
	case $err in
	*"Invalid argument"*) ;;
	*) rig_fail "sim_ppm=$v: want EINVAL, got '${err:-success}'" ;;
	esac
done
for v in -999999 1000000 100; do
	rig_write "$dir/sim_ppm" "$v"
	[ "$(cat "$dir/sim_ppm")" = "$v" ] || rig_fail "sim_ppm reads '$(cat "$dir/sim_ppm")' after writing $v"
done
echo "sim_ppm: -1000000, 1000001, abc refused (EINVAL); -999999, 1000000, 100 taken"

# 2 fileio blocks of 4096 scans (4.1 ms each at 1 MHz).
rig_adc_setup "0 1" 8192
rig_write "$dir/sim_paced" 1
rig_write "$dir/sampling_frequency" 1000000
# /proc/uptime: CLOCK_BOOTTIME (= CLOCK_MONOTONIC, the VM never suspends)
# truncated to 10 ms
before=$(cut -d' ' -f1 /proc/uptime)
rig_write "$dir/buffer0/enable" 1
after=$(cut -d' ' -f1 /proc/uptime)
t0=$(cat "$dir/sim_t0_ns")
awk -v b="$before" -v a="$after" -v t="$t0" 'BEGIN { exit !(b * 1e9 <= t && t < (a + 0.01) * 1e9) }' ||
	rig_fail "sim_t0_ns $t0 is not within the enable ($before s to $after s of uptime)"
echo "sim_t0_ns: $t0 ns, within the enable ($before s to $after s of uptime)"
[ "$(cat "$dir/sampling_frequency")" = 1000000 ] ||
	rig_fail "sampling_frequency reads '$(cat "$dir/sampling_frequency")' with sim_ppm=100, want the nominal 1000000"

err=$(write_err "$dir/sim_ppm" 0)
case $err in
*"busy"*) ;;
*) rig_fail "sim_ppm written while enabled: want EBUSY, got '${err:-success}'" ;;
esac
[ "$(cat "$dir/sim_ppm")" = 100 ] || rig_fail "sim_ppm changed to '$(cat "$dir/sim_ppm")' by a refused write"
echo "sim_ppm: refused while enabled (EBUSY)"

rig-sim-time read "$dir" 2 || rig_fail "read(): scans off the true time base (figures above)"
rig_write "$dir/buffer0/enable" 0
[ "$(cat "$dir/sim_t0_ns")" = "$t0" ] || rig_fail "sim_t0_ns changed at disable: '$(cat "$dir/sim_t0_ns")', was $t0"

rig_write "$dir/sim_ppm" 0
rig_write "$dir/sim_paced" 0
echo "sim-adc-time: ok"
