#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# The simulated ADC paced at sampling_frequency: blocks kept queued continue
# the counter; starving the DMA (nothing queued) loses samples, seen as a
# counter jump of the starved time's worth.
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh
rig_need_dmabuf_allocators

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_adc_setup "0 1"
rig_write "$dir/sim_paced" 1
# 250 kHz: a 1 MiB block takes about a second, so checking one block's data
# (a CPU read that is slow on the debug kernel) ends before the next is done.
rig_write "$dir/sampling_frequency" 250000
for alloc in $RIG_ALLOCS; do
	rig-dmabuf paced "$alloc" "$dir" 1048576 || rig_fail "$alloc: paced DMABUF check failed"
done
rig_write "$dir/sim_paced" 0
echo "dmabuf-paced: ok"
