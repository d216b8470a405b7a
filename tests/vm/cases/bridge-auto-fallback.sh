#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# A UDC without scatter-gather (dummy_hcd sg=0, like dwc2) refuses
# FunctionFS DMABUF attach with EPERM: in auto mode the daemon learns it
# when the function is bound (before any host asks), says which side lacks
# what, and streams in copy mode; forced zero-copy refuses the host's START
# with the same reason in the log.
. /lib/rig.sh
. /lib/bridge.sh

# A kernel without DMABUF anywhere (Debian's 6.1: no FunctionFS or IIO
# DMABUF, no allocator): auto streams in copy mode naming every missing
# piece with its side; forced zero-copy stops at start-up (a config error,
# exit 78) saying the same.
if [ ! -e /dev/udmabuf ] && [ ! -e /dev/dma_heap ]; then
	bridge_conf auto block_size=256K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "auto mode did not fall back to a working copy mode: $(cat /tmp/cap.json)"
	for why in "USB: this kernel's FunctionFS has no DMABUF interface (Linux 6.9+ has it)" \
		"IIO: this kernel's IIO buffers have no DMABUF interface (Linux 6.11+ has it)" \
		"no DMABUF allocator (dma-heap:system or udmabuf: No such file or directory)"; do
		grep "Zero-copy unavailable: " "$IFB_LOG" | grep -qF "$why" || bridge_fail "auto: no reason '$why' logged"
	done
	grep -q 'Stream 1 started (copy' "$IFB_LOG" || bridge_fail "stream not in copy mode"
	iio-ffs-capture --info | grep -q 'mode: *copy' || bridge_fail "GET_INFO does not say copy mode"
	bridge_stop

	bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
	rig_gadget_create ifb
	: >"$IFB_LOG"
	iio-ffs-bridge -c /tmp/ifb.conf >>"$IFB_LOG" 2>&1
	rc=$?
	[ "$rc" = 78 ] || bridge_fail "forced zero-copy exited $rc at start-up, want 78 (config error)"
	grep -q "/tmp/ifb.conf:[0-9]*: \[stream\] mode: zero-copy is not possible here: USB: this kernel's FunctionFS has no DMABUF interface.*IIO: .*no DMABUF allocator" "$IFB_LOG" ||
		bridge_fail "forced zero-copy failure not explained in the log"
	rig_gadget_remove ifb
	# Forced hybrid needs FunctionFS DMABUF and an allocator: refused the same way.
	bridge_conf hybrid block_size=256K block_count=4 >/tmp/ifb.conf
	rig_gadget_create ifb
	: >"$IFB_LOG"
	iio-ffs-bridge -c /tmp/ifb.conf >>"$IFB_LOG" 2>&1
	rc=$?
	[ "$rc" = 78 ] || bridge_fail "forced hybrid exited $rc at start-up, want 78 (config error)"
	grep -q "/tmp/ifb.conf:[0-9]*: \[stream\] mode: hybrid mode is not possible here: USB: this kernel's FunctionFS has no DMABUF interface.*no DMABUF allocator" "$IFB_LOG" ||
		bridge_fail "forced hybrid failure not explained in the log"
	grep "hybrid mode is not possible here" "$IFB_LOG" | grep -q "IIO:" &&
		bridge_fail "forced hybrid blamed the IIO side, which hybrid does not need"
	rig_gadget_remove ifb
	bridge_clean_check
	echo "auto-fallback: no DMABUF allocator on $(uname -r): copy mode with the reason logged; forced zero-copy and hybrid refused at start-up"
	exit 0
fi

rmmod dummy_hcd || rig_fail "cannot unload dummy_hcd"
insmod /lib/modules/dummy_hcd.ko is_super_speed=1 sg=0 || rig_fail "cannot load dummy_hcd sg=0"
[ "$(cat /sys/module/dummy_hcd/parameters/sg)" = N ] || rig_fail "dummy_hcd still does scatter-gather"

bridge_conf auto block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "auto mode did not fall back to a working copy mode: $(cat /tmp/cap.json)"
grep -q 'Zero-copy unavailable: USB: the UDC cannot do scatter-gather, which FunctionFS DMABUF needs' "$IFB_LOG" ||
	bridge_fail "no log line saying which side refused and why"
grep -q 'IIO:.*DMABUF' "$IFB_LOG" && bridge_fail "the IIO side was blamed for the UDC's refusal"
grep -q 'Stream 1 started (copy' "$IFB_LOG" || bridge_fail "stream not in copy mode"
iio-ffs-capture --info | grep -q 'mode: *copy' || bridge_fail "GET_INFO does not say copy mode"
bridge_stop

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --bytes 1M -o /dev/null --quiet >/tmp/cap.out 2>&1 &&
	bridge_fail "forced zero-copy streamed on a UDC without scatter-gather"
grep -q 'FunctionFS DMABUF attach failed.*scatter-gather' "$IFB_LOG" ||
	bridge_fail "forced zero-copy failure not explained in the log"
grep -qi 'START' /tmp/cap.out || bridge_fail "host tool did not report the refused START: $(cat /tmp/cap.out)"
bridge_stop
echo "auto-fallback: copy mode with the reason logged; forced zero-copy refused"
