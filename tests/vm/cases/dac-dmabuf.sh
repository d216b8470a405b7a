#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# The simulated DAC (iio-sim-dac) plays what IIO DMABUF sends through the
# kernel's output DMA buffer, and says so in sysfs: the counter pattern
# byte-exact from udmabuf and heap DMABUFs (bytes_used honoured, partial
# scans dropped); a block of less than a scan refused through its fence;
# paced, a starved DAC's underflows at the stream offsets where playing
# resumed; a cyclic block repeated 1000 times with no enqueue, then
# replaced; a playing cyclic block aborted by disable. (write() is
# dac-write's, in another VM: see there why.)
# (6.12 only: 6.1's DMA buffer core has no output support.)
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh

rig_dac_load
dir=$(rig_dac_dir) || rig_fail "no simulated DAC"
stat() { cat "$dir/sim_$1"; }

# (dac-write checks the scan layout.)
[ "$(cat "$dir/buffer0/direction")" = out ] || rig_fail "buffer0/direction is not 'out'"

# IIO DMABUF: 16 MiB through 4 DMABUFs of 1 MiB, from each allocator.
rig_need_dmabuf_allocators
for alloc in $RIG_ALLOCS; do
	rig_dac_setup "0 1"
	rig-dac dmabuf "$alloc" "$dir" both 1048576 4 16777216 || rig_fail "$alloc DMABUFs were not played byte-exact"
	[ "$(stat mismatches)" = 0 ] || rig_fail "$alloc: sim_mismatches $(stat mismatches)"
done
rig_dac_setup 0
rig-dac dmabuf "${RIG_ALLOCS%% *}" "$dir" 0 65536 2 1048576 || rig_fail "DMABUFs with out_voltage0 alone failed"
rig_dac_setup "0 1"
rig-dac tiny "${RIG_ALLOCS%% *}" "$dir" || rig_fail "a block of less than a scan was not refused"

# Paced: the rate is fixed while enabled.
rig_write "$dir/sim_paced" 1
rig_write "$dir/sampling_frequency" 250000
rig_write "$dir/buffer0/enable" 1
if printf '1000\n' > "$dir/sampling_frequency" 2> /dev/null; then
	rig_fail "sampling_frequency could be changed while paced and enabled"
fi
if printf '0\n' > "$dir/sim_paced" 2> /dev/null; then
	rig_fail "sim_paced could be changed while enabled"
fi
rig_write "$dir/buffer0/enable" 0
# 256 KiB blocks at 250 kHz x 4 bytes: 0.26 s each; left dry twice for 0.3 s.
rig-dac paced "${RIG_ALLOCS##* }" "$dir" 262144 300 || rig_fail "paced underflows were not reported as they happened"
[ "$(stat underflows)" = 2 ] && [ "$(stat underflow_offsets)" = "1048576 1572864" ] ||
	rig_fail "paced: sim_underflows $(stat underflows) at '$(stat underflow_offsets)', want 2 at '1048576 1572864'"
rig_write "$dir/sim_paced" 0
rig_write "$dir/sampling_frequency" 10000000

# Cyclic: 4 KiB (1024 scans, 0.1 ms at 10 MHz) repeated >= 1000 times alone.
rig-dac cyclic "${RIG_ALLOCS##* }" "$dir" 4096 1000 || rig_fail "the cyclic block did not repeat and give way as it should"
[ "$(stat cyclic_repeats)" -ge 1000 ] || rig_fail "sim_cyclic_repeats is $(stat cyclic_repeats)"
echo "dac-dmabuf: ok"
