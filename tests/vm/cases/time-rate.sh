#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# debug-kernel: no
# Board time (protocol version 6, issue 19), measured against the truth.
# The simulated ADC runs paced, off its nominal 2 MHz by a known ppm, and
# knows when each scan n was taken (sim_t0_ns + n / true rate). ifbh-time
# (libifbhost as an application uses it) reads the stream and asks the
# board time of each read's first scan as it reads; its counter says which
# scan that was. Printed: the error per read (median, 99th percentile,
# worst) as the reader got it and from the final model, the host-clock
# estimate's error, and the rate the model measured against the one set.
# Zero-copy (fence times) without and with gaps (the reader stalls, the
# ADC loses samples the host is never told the number of); copy (the time
# read() returned).
. /lib/rig.sh
. /lib/bridge.sh

[ -e /stage/.done ] || rig_fail "no staged libifbhost install in the guest (make \$(BUILD)/stage/.done)"
export LD_LIBRARY_PATH=/stage/usr/lib/x86_64-linux-gnu

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1

# jv FILE EXPR: a value of ifbh-time's JSON (python3: the host side's own)
jv() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$1" "$2"
}

# run NAME MODE PPM BYTES [ifbh-time options]: /tmp/NAME.json
run() {
	_n=$1 _mode=$2 _ppm=$3 _bytes=$4
	shift 4
	rig_write "$dir/sim_ppm" "$_ppm"
	bridge_conf "$_mode" block_size=64K block_count=8 iio:sampling_frequency=2000000 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	ifbh-time "$_bytes" --t0-file "$dir/sim_t0_ns" --rate 2000000 --ppm "$_ppm" "$@" \
		>/tmp/$_n.json 2>/tmp/$_n.err || bridge_fail "$_n: $(cat /tmp/$_n.err)"
	cat /tmp/$_n.json
	bridge_stop
	echo "time-rate: $_n ($_mode, $_ppm ppm): $(jv /tmp/$_n.json \
		'f"{reads} reads, {gaps} gaps; error median {online_ns[\"median\"]/1e3:.1f} us, p99 {online_ns[\"p99\"]/1e3:.1f} us, worst {online_ns[\"max\"]/1e3:.1f} us as read; final model p99 {final_ns[\"p99\"]/1e3:.1f} us; host clock p99 {host_ns[\"p99\"]/1e3:.1f} us; rate {ppm:+.2f} ppm measured (set {ppm_true:+.0f}); jitter {jitter_ns/1e3:.1f} us"')"
}

# check NAME EXPR WHAT: fail unless the JSON satisfies EXPR
check() {
	[ "$(jv /tmp/$1.json "$2")" = True ] || bridge_fail "$1: $3 ($(cat /tmp/$1.json))"
}

# 10 s at 8 MB/s, 1220 blocks of 32.8 ms: a fence signals within
# microseconds of the last scan on a board; here, within the TCG guest's
# timer and scheduling latency.
run zc zero-copy 150 80000000
check zc 'source == 1' "zero-copy times are not fence times"
check zc 'gaps == 0' "gaps in a stream nobody stalled"
check zc 'abs(ppm - ppm_true) < 5' "the measured rate is off the true one by more than 5 ppm"
check zc 'online_ns["p99"] < 2000000' "as read, 1 % of the times are off by more than 2 ms"
check zc 'final_ns["p99"] < 1000000' "the final model is off by more than 1 ms for 1 % of the reads"
check zc 'clock_known == 1 and abs(host_offset_ns) <= host_offset_unc_ns + 100000' \
	"the host and board clocks are one here, the estimate says otherwise"

# The reader stalls for 300 ms once: the ADC loses samples; every
# run after a gap is placed by its own marks.
run gaps zero-copy -80 80000000 --stall-at 20000000 --stall-ms 300
check gaps 'gaps >= 1' "the stalls made no gap"
check gaps "runs >= gaps + 1" "the model does not start a run at each gap"
check gaps 'abs(ppm - ppm_true) < 5' "the measured rate is off the true one by more than 5 ppm after gaps"
check gaps 'online_ns["p99"] < 2000000' "after gaps, 1 % of the times are off by more than 2 ms"

# Copy mode: the time read() returned, late by up to a block and the
# daemon's latency: what the model's source says.
run copy copy 300 40000000
check copy 'source == 2' "copy mode's times are not read() times"
check copy 'abs(ppm - ppm_true) < 50' "copy mode's rate is off by more than 50 ppm"
check copy 'online_ns["p99"] < 40000000' "copy mode's times are off by more than 40 ms"
