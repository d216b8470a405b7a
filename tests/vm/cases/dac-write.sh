#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# The simulated DAC (iio-sim-dac) plays what write() sends through the
# kernel's output DMA buffer, and says so in sysfs: the counter pattern
# byte-exact through the fileio blocks (both channels, then one), and a
# corrupted byte found at its offset. (dac-dmabuf does IIO DMABUF, in its
# own VM: 6.12's DMA buffer core copies from user memory under the queue
# lock that DMABUF attach takes under the dma_resv lock, which lockdep
# reports as a possible deadlock once one boot has done both.)
# (6.12 only: 6.1's DMA buffer core has no output support.)
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh

rig_dac_load
dir=$(rig_dac_dir) || rig_fail "no simulated DAC"
stat() { cat "$dir/sim_$1"; }

# What a transmit client sees of the device.
[ "$(cat "$dir/buffer0/direction")" = out ] || rig_fail "buffer0/direction is not 'out'"
# every attribute a client may read (iio_info reads them all): data_available
# is asked of every buffer, whatever its direction
for a in "$dir"/buffer0/*; do
	[ -f "$a" ] && [ -r "$a" ] && { cat "$a" >/dev/null 2>&1 || true; }
done
[ -n "$(cat "$dir/buffer0/data_available")" ] || rig_fail "buffer0/data_available unreadable"
for c in 0 1; do
	t=$(cat "$dir/buffer0/out_voltage${c}_type") || rig_fail "no buffer0/out_voltage${c}_type"
	[ "$t" = "le:u16/16>>0" ] || rig_fail "out_voltage${c}_type is '$t', want le:u16/16>>0"
	i=$(cat "$dir/buffer0/out_voltage${c}_index")
	[ "$i" = "$c" ] || rig_fail "out_voltage${c}_index is '$i', want $c"
done
[ "$(cat "$dir/sampling_frequency")" = 10000000 ] || rig_fail "sampling_frequency default is not 10000000"

# write(): 16 MiB through 128 KiB fileio blocks (length 65536 scans of 4 bytes).
rig_dac_setup "0 1" 65536
rig-dac write "$dir" both 16777216 || rig_fail "write() of 16 MiB was not played byte-exact"
[ "$(stat bytes_played)" = 16777216 ] && [ "$(stat mismatches)" = 0 ] ||
	rig_fail "after write(): sim_bytes_played $(stat bytes_played), sim_mismatches $(stat mismatches)"
rig_dac_setup 1 65536
rig-dac write "$dir" 1 4194304 || rig_fail "write() with out_voltage1 alone was not played byte-exact"
# One flipped byte (in scan 308641, a u32 at 1234564): one mismatch, there.
rig_dac_setup "0 1" 65536
rig-dac write "$dir" both 4194304 1234567 || rig_fail "the corrupted byte was not reported where it was"
[ "$(stat mismatches)" = 1 ] && [ "$(stat first_mismatch)" = 1234564 ] ||
	rig_fail "corrupted byte: sim_mismatches $(stat mismatches), sim_first_mismatch $(stat first_mismatch)"

echo "dac-write: ok"
