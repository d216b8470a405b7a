#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# An IIO buffer without DMABUF operations (iio-sim-adc dmabuf=0, like
# kfifo and triggered buffers, most IIO drivers) on a kernel and UDC that
# could do zero-copy: the start-up probe blames the IIO buffer, not the
# UDC. auto streams in hybrid mode saying so (USB still takes DMABUFs:
# zero-copy, then hybrid, then copy); forced zero-copy stops at start-up
# (config error, exit 78) with the same reason.
. /lib/rig.sh
. /lib/bridge.sh

rig_need_dmabuf_allocators
rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
insmod /lib/modules/iio-sim-adc.ko dmabuf=0 || rig_fail "cannot load iio-sim-adc dmabuf=0"
[ "$(cat /sys/module/iio_sim_adc/parameters/dmabuf)" = N ] || rig_fail "iio-sim-adc still offers DMABUF"

want="IIO: buffer 0 of iio-sim-adc has no DMABUF support (only buffers on the IIO DMA buffer core have it"
bridge_conf auto block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep "Zero-copy unavailable: .*; using hybrid mode" "$IFB_LOG" | grep -qF "$want" ||
	bridge_fail "auto: the IIO buffer was not named as the reason, or hybrid mode not picked"
grep -q 'scatter-gather' "$IFB_LOG" && bridge_fail "the UDC was blamed for the IIO buffer's lack of DMABUF"
iio-ffs-capture --info | grep -q 'mode: *hybrid' || bridge_fail "GET_INFO does not say hybrid mode before the first stream"
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "hybrid mode failed: $(cat /tmp/cap.json)"
grep -q 'Stream 1 started (hybrid' "$IFB_LOG" || bridge_fail "stream not in hybrid mode"
bridge_stop

bridge_conf zero-copy block_size=256K block_count=4 >/tmp/ifb.conf
rig_gadget_create ifb
: >"$IFB_LOG"
iio-ffs-bridge -c /tmp/ifb.conf >>"$IFB_LOG" 2>&1
rc=$?
[ "$rc" = 78 ] || bridge_fail "forced zero-copy exited $rc at start-up, want 78 (config error)"
grep -q '/tmp/ifb.conf:[0-9]*: \[stream\] mode: zero-copy is not possible here: ' "$IFB_LOG" ||
	bridge_fail "forced zero-copy: no config error naming [stream] mode"
grep -qF "$want" "$IFB_LOG" || bridge_fail "forced zero-copy: the IIO buffer was not named as the reason"
rig_gadget_remove ifb
bridge_clean_check
echo "iio-nodmabuf: the IIO buffer named as the reason, hybrid mode verified, forced zero-copy refused at start-up"
