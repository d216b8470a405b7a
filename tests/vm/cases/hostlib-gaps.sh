#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# debug-kernel: no
# No gap offset is lost (protocol version 2, GET_GAPS): 64 KiB blocks on a
# fast paced ADC and a host stalled again and again (SIGSTOP/SIGCONT every
# 15 ms), so far more than the 32 gaps GET_STATS lists happen between two
# of its polls (the version-1 host tool shows it: it cannot place them
# all). iio-ffs-capture must list an offset for every gap the device
# counted, and its --verify must find every counter jump at one.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=64K block_count=2 iio:sampling_frequency=8000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

# capture TOOL: 8 s with the host stopped 10 ms of every 15; /tmp/cap.json
capture() {
	"$1" --verify --duration 8 -o /dev/null --quiet --json >/tmp/cap.json &
	cap=$!
	sleep 1
	i=0
	while [ $i -lt 300 ] && kill -STOP "$cap" 2>/dev/null; do
		usleep 10000
		kill -CONT "$cap"
		usleep 5000
		i=$((i + 1))
	done
	wait "$cap"
	rc=$?
	gaps=$(json_num /tmp/cap.json gaps)
	listed=$(sed -n 's/.*"gap_offsets": *\[\([^]]*\)\].*/\1/p' /tmp/cap.json | tr ',' '\n' | grep -c '[0-9]')
	device=$(json_num /tmp/cap.json gaps_total)
	echo "$1: $gaps gaps, $listed offsets listed, device counted $device"
}

# The version-1 host (GET_STATS only) under this load cannot place every
# gap: proof that the load exceeds what GET_STATS lists between two polls.
capture iio-ffs-capture-v1
[ "$listed" -lt "$gaps" ] ||
	bridge_fail "the v1 host listed all $gaps gaps: the stalls are too gentle to prove anything"

capture iio-ffs-capture
cat /tmp/cap.json
[ "$rc" = 0 ] || bridge_fail "iio-ffs-capture exited $rc"
[ "${gaps:-0}" -gt 64 ] || bridge_fail "only ${gaps:-0} gaps: the stalls did not starve the ADC often enough"
[ "$listed" = "$gaps" ] || bridge_fail "$gaps gaps but $listed offsets listed"
[ "$device" = "$gaps" ] || bridge_fail "the device counted $device gaps, the host $gaps"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "counter jumped where no gap was listed"
[ "$(json_num /tmp/cap.json unexplained_jumps)" = 0 ] || bridge_fail "unexplained jumps"
bridge_stop
echo "gaps: all $gaps gap offsets listed (GET_STATS holds 32)"
