#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# An IIO buffer without DMABUF support (iio-sim-adc dmabuf=0, like most IIO
# drivers) refuses IIO DMABUF attach with EPERM while FunctionFS takes the
# DMABUFs: auto mode says so and streams in hybrid mode (read() into the
# DMABUFs, FunctionFS DMABUF transfers), every byte checked; forced hybrid
# does the same; the host tool reports the mode; nothing is left behind.
. /lib/rig.sh
. /lib/bridge.sh

rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
insmod /lib/modules/iio-sim-adc.ko dmabuf=0 || rig_fail "cannot load iio-sim-adc dmabuf=0"
[ "$(cat /sys/module/iio_sim_adc/parameters/dmabuf)" = N ] || rig_fail "iio-sim-adc still offers DMABUF"
rig_adc_dir >/dev/null || rig_fail "the simulated ADC did not come back"

bridge_conf auto block_size=256K block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 512M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "auto mode did not fall back to a working hybrid mode: $(cat /tmp/cap.json)"
cat /tmp/cap.json
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified"
[ "$(json_num /tmp/cap.json verified_bytes)" = 536870912 ] || bridge_fail "not every byte verified"
grep -q 'Zero-copy unavailable: IIO: buffer 0 of iio-sim-adc has no DMABUF support (.*); using hybrid mode' "$IFB_LOG" ||
	bridge_fail "no log line saying which attach failed, why, and that hybrid mode is used"
grep -q 'Stream 1 started (hybrid, 8 x 262144 bytes' "$IFB_LOG" || bridge_fail "stream not in hybrid mode"
iio-ffs-capture --info | grep -q 'mode: *hybrid' || bridge_fail "GET_INFO does not say hybrid mode"
# a second stream on the same attachments
iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap2.json ||
	bridge_fail "second hybrid stream failed: $(cat /tmp/cap2.json)"
[ "$(json_bool /tmp/cap2.json verify_ok)" = true ] || bridge_fail "second stream not verified"
bridge_stop

bridge_conf hybrid block_size=64K block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 128M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "forced hybrid mode failed: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "pattern not verified (64K blocks)"
[ "$(json_num /tmp/cap.json verified_bytes)" = 134217728 ] || bridge_fail "not every byte verified (64K blocks)"
grep -q 'Hybrid mode: 8 DMABUFs of 65536 bytes' "$IFB_LOG" || bridge_fail "forced hybrid not logged"
bridge_stop
echo "hybrid: auto picks hybrid on an IIO buffer without DMABUF, 512 MiB + 64 MiB + 128 MiB verified"
