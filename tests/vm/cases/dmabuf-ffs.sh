#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# udmabuf and dma-heap DMABUFs attach to a bound FunctionFS bulk IN endpoint
# on the patched dummy_hcd (gadget.sg_supported), and a DMABUF transfer
# reaches the host side of the same VM intact (usbfs bulk read), which
# exercises dummy_hcd's scatterlist copy path.
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh
rig_need_dmabuf_allocators

name=dmabuf
rig_gadget_create "$name"
rig-ffs-func "/dev/ffs-$name" > /tmp/ffs-func.log 2>&1 &
func=$!
rig_wait_file "/dev/ffs-$name/ep1" 10 || rig_fail "ep1 did not appear: $(cat /tmp/ffs-func.log)"

# Not bound yet: FunctionFS has no gadget, attach must fail (EPERM).
if rig-dmabuf ffs "${RIG_ALLOCS%% *}" "/dev/ffs-$name/ep1" 65536 2> /tmp/unbound.err; then
	rig_fail "DMABUF attach succeeded on an unbound function"
fi
grep -q 'Operation not permitted' /tmp/unbound.err || rig_fail "unbound attach: $(cat /tmp/unbound.err)"

rig_gadget_bind "$name"
dev=$(rig_usb_wait_device 20) || rig_fail "the host side did not enumerate the gadget"
speed=$(cat "$dev/speed")
[ "$speed" = 5000 ] || rig_fail "gadget enumerated at $speed Mb/s, want 5000 (SuperSpeed)"

for alloc in $RIG_ALLOCS; do
	rig-dmabuf ffs "$alloc" "/dev/ffs-$name/ep1" 1048576 || rig_fail "$alloc DMABUF attach to ep1 failed"
done

# One DMABUF through USB: the gadget sends 1 MiB of the u32 counter, the
# host reads it back through usbfs.
for alloc in $RIG_ALLOCS; do
	rig-usb-read "$dev" 1048576 > /tmp/usb-read.log 2>&1 &
	reader=$!
	rig-dmabuf ffs "$alloc" "/dev/ffs-$name/ep1" 1048576 send || rig_fail "$alloc DMABUF transfer failed"
	wait "$reader" || rig_fail "host side: $(cat /tmp/usb-read.log)"
	cat /tmp/usb-read.log
done

kill "$func"
wait "$func"
grep -q 'event ENABLE' /tmp/ffs-func.log || rig_fail "the function never saw ENABLE: $(cat /tmp/ffs-func.log)"
rig_gadget_remove "$name"
[ ! -e /sys/kernel/config/usb_gadget/g-$name ] || rig_fail "gadget not removed"
echo "dmabuf-ffs: ok"
