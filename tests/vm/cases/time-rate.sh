#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# debug-kernel: no
# Board time (protocol version 6, issue 19), measured against the truth.
# The simulated ADC runs paced, off its nominal 500 kHz by a known ppm, and
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

# check NAME AWK-CONDITION WHAT: fail unless ifbh-time's figures (flat
# JSON: the awk variables of the same names) satisfy the condition
check() {
	tr -d '{}"' </tmp/$1.json | tr ',' '\n' | sed 's/:/=/' >/tmp/$1.vars
	awk -F= -v cond="$2" '{ v[$1] = $2 } END {
		n = split(cond, t, " ")
		# the condition: NAME OP NAME-OR-VALUE [&& ...]; dppm: |ppm - ppm_true|
		ok = 1
		for (i = 1; i <= n; i += 4) {
			a = (t[i] in v) ? v[t[i]] + 0 : t[i] + 0; op = t[i + 1]
			b = (t[i + 2] in v) ? v[t[i + 2]] + 0 : t[i + 2] + 0
			if (t[i] ~ /^dppm$/) { a = v["ppm"] - v["ppm_true"]; if (a < 0) a = -a }
			if (op == "<" && !(a < b)) ok = 0
			if (op == ">" && !(a > b)) ok = 0
			if (op == "<=" && !(a <= b)) ok = 0
			if (op == ">=" && !(a >= b)) ok = 0
			if (op == "==" && !(a == b)) ok = 0
		}
		exit !ok }' /tmp/$1.vars || bridge_fail "$1: $3 ($(cat /tmp/$1.json))"
}

# run NAME MODE PPM BYTES [ifbh-time options]: /tmp/NAME.json
run() {
	_n=$1 _mode=$2 _ppm=$3 _bytes=$4
	shift 4
	rig_write "$dir/sim_ppm" "$_ppm"
	bridge_conf "$_mode" block_size=64K block_count=8 iio:sampling_frequency=500000 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	ifbh-time "$_bytes" --t0-file "$dir/sim_t0_ns" --rate 500000 --ppm "$_ppm" "$@" \
		>/tmp/$_n.json 2>/tmp/$_n.err || bridge_fail "$_n: $(cat /tmp/$_n.err)"
	cat /tmp/$_n.json
	bridge_stop
	tr -d '{}"' </tmp/$_n.json | tr ',' '\n' | sed 's/:/=/' | awk -F= -v n="$_n" -v m="$_mode" '
		{ v[$1] = $2 }
		END { printf "time-rate: %s (%s, %+d ppm): %d reads, %d gap(s)%s; error median %.1f us, p99 %.1f us, worst %.1f us as read; final model median %.1f us, p99 %.1f us; host clock median %.1f us; rate %+.2f ppm measured; jitter %.1f us\n",
			n, m, v["ppm_true"], v["reads"], v["gaps"],
			(v["cut_at"] > 0 ? sprintf(" (measured up to an unflagged gap at byte %d)", v["cut_at"]) : ""),
			v["online_median_ns"] / 1e3, v["online_p99_ns"] / 1e3,
			v["online_max_ns"] / 1e3, v["final_median_ns"] / 1e3, v["final_p99_ns"] / 1e3,
			v["host_median_ns"] / 1e3, v["ppm"], v["jitter_ns"] / 1e3 }'
}

# 10 s at 2 MB/s, 305 blocks of 32.8 ms. A fence signals within
# microseconds of the last scan on a board; here, within the TCG guest's
# hrtimer latency (about 0.1 ms), with spikes of tens of ms when the host
# is busy, which the model (the marks' lower envelope) rides out. The
# first second's reads come before the model has its rate (the nominal
# one until then): they make the 99th percentile, not the median.
run zc zero-copy 150 20000000
check zc 'source == 1' "zero-copy times are not fence times"
check zc 'dppm < 50' "the measured rate is off the true one by more than 50 ppm"
check zc 'online_median_ns < 1000000' "as read, half the times are off by more than 1 ms"
check zc 'online_p99_ns < 50000000' "as read, 1 % of the times are off by more than 50 ms"
check zc 'final_median_ns < 1000000' "the final model is off by more than 1 ms for half the reads"
check zc 'clock_known == 1 && host_median_ns < 1000000' \
	"the host and board clocks are one here, the host times say otherwise"

# The reader stalls for 300 ms once: the ADC loses samples; every
# run after a gap is placed by its own marks.
run gaps zero-copy -80 20000000 --stall-at 6000000 --stall-ms 1000
check gaps 'gaps >= 1' "the stall made no gap"
check gaps 'runs > gaps' "the model does not start a run at each gap"
check gaps 'dppm < 50' "the measured rate is off the true one by more than 50 ppm after gaps"
check gaps 'online_median_ns < 1000000' "after gaps, half the times are off by more than 1 ms"
check gaps 'final_median_ns < 1000000' "after gaps, the final model is off by more than 1 ms for half the reads"

# Copy mode: the time read() returned, late by up to a kernel block and
# the daemon's latency, a floor that moves with the load: what the
# model's source says, and why its rate is coarse (thousands of ppm over
# a few seconds here). read() hides the ADC
# running dry, so a gap is not flagged (a known limit of copy mode): the
# measurement stops at the first counter jump no gap explains.
run copy copy 300 10000000 --until-unflagged
check copy 'source == 2' "copy mode's times are not read() times"
check copy 'reads >= 10' "copy mode: fewer than 10 reads before an unflagged gap"
check copy 'dppm < 5000' "copy mode's rate is off by more than 5000 ppm"
check copy 'final_median_ns < 100000000' "copy mode's times are off by more than 100 ms for half the reads"
