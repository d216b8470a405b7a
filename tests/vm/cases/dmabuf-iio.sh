#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# udmabuf and dma-heap (system) DMABUFs attach to the simulated ADC's IIO
# buffer, get enqueued and completed, and hold the counter pattern, block
# after block across re-enqueues (both channels, then one channel).
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh
rig_need_dmabuf_allocators

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"

for alloc in $RIG_ALLOCS; do
	rig_adc_setup "0 1"
	rig-dmabuf iio "$alloc" "$dir" both 262144 4 8 || rig_fail "$alloc DMABUFs on IIO (both channels) failed"
	rig_adc_setup 1
	rig-dmabuf iio "$alloc" "$dir" 1 65536 2 3 || rig_fail "$alloc DMABUFs on IIO (voltage1 only) failed"
done
# A large block: 4 MiB of many pages (segment limits, scatterlist walking),
# from the heap where there is one.
rig_adc_setup "0 1"
rig-dmabuf iio "${RIG_ALLOCS##* }" "$dir" both 4194304 2 2 || rig_fail "4 MiB ${RIG_ALLOCS##* } DMABUFs on IIO failed"
done_blocks=$(cat "$dir/sim_blocks_done")
# 38 blocks per allocator, 4 more of 4 MiB
# shellcheck disable=SC2086 # one word per allocator
set -- $RIG_ALLOCS
[ "$done_blocks" -ge $((30 * $#)) ] || rig_fail "sim_blocks_done is $done_blocks, want >= $((30 * $#))"
echo "dmabuf-iio: ok"
