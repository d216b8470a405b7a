#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# timeout: 200
# Copy mode through IIO's legacy buffer interface, the only one kernels
# before 5.13 (5.10-5.12) have: scan elements in scan_elements/, enable and
# length in buffer/, samples read() from /dev/iio:deviceN. Newer kernels
# still serve it for buffer 0, so the daemon is forced onto it here
# (IFB_IIO_LEGACY=1); two streams, every byte checked. What this does not
# show: a real 5.10-5.12 kernel, where the daemon picks it by itself
# because bufferN/ is missing.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
if [ ! -e "$dir/scan_elements/in_voltage0_en" ] || [ ! -e "$dir/buffer/enable" ]; then
	rig_skip "kernel $(uname -r) does not serve the legacy IIO buffer interface"
fi

export IFB_IIO_LEGACY=1
bridge_conf copy block_size=256K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep -q "IIO: legacy buffer interface: scan elements in $dir/scan_elements, samples read from /dev/iio:device" "$IFB_LOG" ||
	bridge_fail "daemon did not take the legacy interface"
for n in 1 2; do
	iio-ffs-capture --verify --bytes 128M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "capture $n failed: $(cat /tmp/cap.json)"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "capture $n: pattern not verified"
	[ "$(json_num /tmp/cap.json verified_bytes)" = 134217728 ] || bridge_fail "capture $n: not every byte verified"
	grep -q "Stream $n started (copy" "$IFB_LOG" || bridge_fail "stream $n not in copy mode"
done
[ "$(cat "$dir/buffer/enable")" = 0 ] || bridge_fail "buffer/enable left on between streams"
bridge_stop
echo "legacy-iio: two 128 MiB copy-mode streams through scan_elements/, buffer/ and /dev/iio:deviceN on $(uname -r)"
