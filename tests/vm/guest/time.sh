#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Board time cases (issue 19): ifbh-time's runs against the simulated
# ADC's truth, and checks of its figures. Source after rig.sh and
# bridge.sh.
#
#   time_run NAME MODE PPM BYTES [ifbh-time options]
#                     set sim_ppm, start the daemon (MODE, 64K x 8 blocks,
#                     TIME_RATE Hz (default 500000), TIME_CONF extra
#                     bridge_conf arguments), run ifbh-time for BYTES into
#                     /tmp/NAME.json, stop the daemon, print its summary
#   time_check NAME CONDITION WHAT
#                     fail unless /tmp/NAME.json's figures (flat JSON: the
#                     awk variables of the same names) satisfy CONDITION:
#                     NAME OP NAME-OR-VALUE [&& ...]; dppm is |ppm - ppm_true|,
#                     abs_NAME |NAME|; a NAME the figures lack fails

time_check() {
	tr -d '{}"' </tmp/$1.json | tr ',' '\n' | sed 's/:/=/' >/tmp/$1.vars
	awk -F= -v cond="$2" '{ v[$1] = $2 } END {
		n = split(cond, t, " ")
		ok = 1
		for (i = 1; i <= n; i += 4) {
			# a name the figures lack fails (a typo, a field gone)
			name = t[i]; sub(/^abs_/, "", name)
			if (name !~ /^-?[0-9.]+$/ && name != "dppm" && !(name in v)) ok = 0
			if (t[i + 2] !~ /^-?[0-9.]+$/ && !(t[i + 2] in v)) ok = 0
			a = (name in v) ? v[name] + 0 : name + 0; op = t[i + 1]
			if (t[i] ~ /^abs_/ && a < 0) a = -a
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

time_run() {
	_tr_n=$1 _tr_mode=$2 _tr_ppm=$3 _tr_bytes=$4
	shift 4
	[ -e /stage/.done ] || rig_fail "no staged libifbhost install in the guest (make \$(BUILD)/stage/.done)"
	_tr_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	rig_write "$_tr_dir/sim_ppm" "$_tr_ppm"
	bridge_conf "$_tr_mode" block_size=64K block_count=8 \
		iio:sampling_frequency=${TIME_RATE:-500000} $TIME_CONF >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	LD_LIBRARY_PATH=/stage/usr/lib/x86_64-linux-gnu ifbh-time "$_tr_bytes" \
		--t0-file "$_tr_dir/sim_t0_ns" --rate ${TIME_RATE:-500000} --ppm "$_tr_ppm" "$@" \
		>/tmp/$_tr_n.json 2>/tmp/$_tr_n.err || bridge_fail "$_tr_n: $(cat /tmp/$_tr_n.err)"
	cat /tmp/$_tr_n.json
	bridge_stop
	tr -d '{}"' </tmp/$_tr_n.json | tr ',' '\n' | sed 's/:/=/' | awk -F= -v n="$_tr_n" -v m="$_tr_mode" -v c="${TIME_CASE:-time-rate}" '
		{ v[$1] = $2 }
		END { printf "%s: %s (%s, %+d ppm): %d reads, %d gap(s)%s; error median %.1f us, p99 %.1f us, worst %.1f us as read; final model median %.1f us, p99 %.1f us; host clock median %.1f us; rate %+.2f ppm measured; jitter %.1f us; source %d\n",
			c, n, m, v["ppm_true"], v["reads"], v["gaps"],
			(v["cut_at"] > 0 ? sprintf(" (measured up to an unflagged gap at byte %d)", v["cut_at"]) : ""),
			v["online_median_ns"] / 1e3, v["online_p99_ns"] / 1e3,
			v["online_max_ns"] / 1e3, v["final_median_ns"] / 1e3, v["final_p99_ns"] / 1e3,
			v["host_median_ns"] / 1e3, v["ppm"], v["jitter_ns"] / 1e3, v["source"] }'
}
