#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# sim-adc-time through IIO DMABUF: the fences' timestamps, what the host's
# Time feature works from, never precede t(the block's last scan + 1),
# and the scans counted between two enqueues match the true rate of a
# paced 1 MHz ADC with sim_ppm=100 (see sim-adc-time for the tolerance:
# each window is the enqueue ioctl's duration). 4 DMABUFs of 16384 scans
# (16 ms each), for 2 s. A VM of its own: see sim-adc-time.
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh
rig_need_dmabuf_allocators

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_adc_setup "0 1"
rig_write "$dir/sim_paced" 1
rig_write "$dir/sampling_frequency" 1000000
rig_write "$dir/sim_ppm" 100
for alloc in $RIG_ALLOCS; do
	rig-sim-time fence "$alloc" "$dir" 65536 4 2 ||
		rig_fail "$alloc: DMABUF fences off the true time base (figures above)"
done
rig_write "$dir/sim_ppm" 0
rig_write "$dir/sim_paced" 0
echo "sim-adc-time-fence: ok"
