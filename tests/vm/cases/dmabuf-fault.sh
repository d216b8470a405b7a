#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# Injected faults reach userspace as DMABUF fence errors (seen through
# DMA_BUF_IOCTL_EXPORT_SYNC_FILE + SYNC_IOC_FILE_INFO):
# - sim_fail_blocks=1: the first enqueued block's fence signals an error, the
#   next block completes and continues the counter after the lost scans;
# - disabling the buffer while the DMA is stalled aborts every submitted
#   block (their fences signal an error).
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh
rig_need_dmabuf_allocators

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
for alloc in $RIG_ALLOCS; do
	rig_adc_setup "0 1"
	rig_write "$dir/sim_fail_blocks" 1
	rig-dmabuf fault "$alloc" "$dir" 65536 || rig_fail "$alloc: the injected block fault was not seen as a fence error"
	left=$(cat "$dir/sim_fail_blocks")
	[ "$left" = 0 ] || rig_fail "sim_fail_blocks still $left after the fault"

	rig_adc_setup "0 1"
	rig_write "$dir/sim_stall_ms" 2000
	rig-dmabuf abort "$alloc" "$dir" 65536 || rig_fail "$alloc: disable did not abort the submitted blocks"
	rig_write "$dir/sim_stall_ms" 0
done
# one failed block per allocator
# shellcheck disable=SC2086 # one word per allocator
set -- $RIG_ALLOCS
[ "$(cat "$dir/sim_blocks_failed")" = $# ] || rig_fail "sim_blocks_failed is $(cat "$dir/sim_blocks_failed"), want $#"
echo "dmabuf-fault: ok"
