#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 2400
#
# `make bench`: zero-copy, hybrid and copy mode in one run, each at 64K x 8
# and 1M x 8 (and zero-copy at a few more settings), plus the two halves of
# the zero-copy pipeline alone (rig-bench adc / usb) at each zero-copy
# setting. For each row:
#   MiB/s        seen by the host (iio-ffs-capture), the best of three
#                captures, with the min and max of the three beside it;
#   cpu_s/GiB    daemon CPU seconds per GiB over the three
#                (/proc/PID/schedstat, ns);
#   cpu_frac     daemon CPU seconds per second of capture (1.0: the daemon
#                is the bottleneck);
#   sys/block    syscalls per block: strace -c over two streams of different
#                length, the difference divided by the difference in blocks,
#                so start-up costs cancel out; the same per syscall is
#                printed below the table ("where the calls go");
#   eff          MiB/s over the slower half (zero-copy rows; the halves are
#                the better of two runs each).
# The last line is one JSON object. Under TCG everything is CPU-bound and
# +-25% run to run: compare rows of one run, not numbers across runs.
#
# bench_rows (kernel command line; `make bench BENCH_ROWS=...`) picks a
# subset: comma-separated MODE[:SIZE:COUNT[:ALLOCATOR]], e.g.
# "zero-copy:64K:8,hybrid" (a bare MODE: that mode's default rows).
. /lib/rig.sh
. /lib/bridge.sh

SECS=4
OUT=${RIG_OUT:-/tmp}/bench.txt
rows=/tmp/bench.rows
calls=/tmp/bench.calls
: >"$rows"
: >"$calls"

DEFAULT_ROWS="zero-copy:64K:8 zero-copy:256K:8 zero-copy:1M:8 zero-copy:4M:4 zero-copy:1M:8:udmabuf
hybrid:64K:8 hybrid:1M:8 copy:64K:8 copy:1M:8"

rig_gadget_create ifb

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

bytes_of() { # 64K, 1M, 4M or a number
	case $1 in
	*K) echo $((${1%K} * 1024)) ;;
	*M) echo $((${1%M} * 1048576)) ;;
	*) echo "$1" ;;
	esac
}

daemon_up() { # CONF
	iio-ffs-bridge -c "$1" >>"$IFB_LOG" 2>&1 &
	IFB_PID=$!
	rig_wait_file /dev/ffs-ifb/ep1 10 || bridge_fail "daemon did not start"
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "host did not enumerate the gadget"
}

daemon_down() {
	kill -TERM "$IFB_PID"
	wait "$IFB_PID" || bridge_fail "daemon exited non-zero"
	IFB_PID=
	rig_gadget_unbind ifb
}

# The daemon's syscalls while the host reads BYTES: prints "calls blocks";
# the per-syscall counts go to FILE ("name calls" lines).
traced_stream() { # BYTES FILE
	strace -c -f -p "$IFB_PID" -o /tmp/strace.out 2>/dev/null &
	sp=$!
	sleep 0.5
	iio-ffs-capture --bytes "$1" -o /dev/null --quiet --json >/tmp/t.json ||
		bridge_fail "traced capture failed"
	sleep 0.2
	kill -INT "$sp"
	wait "$sp"
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { print $NF, $4 }' /tmp/strace.out >"$2"
	total=$(awk '$NF == "total" { print $4 }' /tmp/strace.out)
	echo "${total:-0} $(json_num /tmp/t.json blocks_sent)"
}

best2() { # CMD...: the larger of two runs' outputs
	a=$("$@")
	b=$("$@")
	awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { print (a > b) ? a : b }'
}

adc_half() { rig-bench adc "$1" "$2" "$3" "$SECS" | sed -n 's/^adc_mib_s=//p'; }

usb_half() {
	rig-bench usb "$1" "$2" "$3" /dev/ffs-ifb >/tmp/rb.out 2>&1 &
	rb=$!
	rig_wait_file /dev/ffs-ifb/ep1 10 || rig_fail "rig-bench usb did not start"
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || rig_fail "host did not enumerate rig-bench"
	iio-ffs-capture --duration "$SECS" -o /dev/null --quiet --json >/tmp/h.json ||
		rig_fail "usb-only capture failed: $(cat /tmp/rb.out)"
	kill -TERM "$rb"
	wait "$rb"
	rig_gadget_unbind ifb
	json_num /tmp/h.json mib_s
}

measure() { # MODE ALLOC SIZE COUNT
	mode=$1 alloc=$2 size=$3 count=$4
	if [ "$mode" = copy ]; then
		bridge_conf copy block_size="$size" block_count="$count" >/tmp/b.conf
	else
		bridge_conf "$mode" block_size="$size" block_count="$count" allocator="$alloc" >/tmp/b.conf
	fi
	daemon_up /tmp/b.conf
	c0=$(cpu_ns "$IFB_PID")
	sent=0
	: >/tmp/rates
	for _ in 1 2 3; do
		iio-ffs-capture --duration "$SECS" -o /dev/null --quiet --json >/tmp/m.json ||
			bridge_fail "capture failed: $(cat /tmp/m.json)"
		json_num /tmp/m.json mib_s >>/tmp/rates
		sent=$((sent + $(json_num /tmp/m.json bytes_sent)))
	done
	c1=$(cpu_ns "$IFB_PID")
	# two traced streams, n and 3n blocks (n: 8..64, at most ~16 MiB)
	n=$((16777216 / size))
	[ "$n" -gt 64 ] && n=64
	[ "$n" -lt 8 ] && n=8
	# shellcheck disable=SC2046 # two words wanted
	set -- $(traced_stream $((n * size)) /tmp/calls1)
	s1=$1 b1=$2
	# shellcheck disable=SC2046
	set -- $(traced_stream $((3 * n * size)) /tmp/calls2)
	s2=$1 b2=$2
	daemon_down
	if [ "$mode" = zero-copy ]; then
		adc=$(best2 adc_half "$alloc" "$size" "$count")
		usb=$(best2 usb_half "$alloc" "$size" "$count")
	else
		adc=- usb=-
	fi
	label="$mode $(numfmt_size "$size") x $count${alloc:+ $alloc}"
	awk -v label="$label" -v b1="$b1" -v b2="$b2" '
		FNR == NR { c1[$1] = $2; next }
		{ c2[$1] = $2 }
		END {
			if (b2 <= b1) exit
			line = label ":"
			for (s in c2) { d = (c2[s] - c1[s]) / (b2 - b1); if (d >= 0.05) line = line sprintf(" %s %.2f", s, d) }
			print line
		}' /tmp/calls1 /tmp/calls2 >>"$calls"
	sort -n /tmp/rates | awk -v mode="$mode" -v alloc="$alloc" -v size="$size" -v count="$count" \
		-v c0="$c0" -v c1="$c1" -v sent="$sent" -v secs="$SECS" -v s1="$s1" -v s2="$s2" \
		-v b1="$b1" -v b2="$b2" -v adc="$adc" -v usb="$usb" '
		{ r[NR] = $1 }
		END {
			min = r[1]; max = r[NR]
			cpu = (sent > 0) ? (c1 - c0) / 1e9 / (sent / 1073741824) : 0
			frac = (c1 - c0) / 1e9 / (3 * secs)
			spb = (b2 > b1) ? (s2 - s1) / (b2 - b1) : 0
			eff = "-"
			if (adc != "-") { lim = (adc < usb) ? adc : usb; eff = (lim > 0) ? sprintf("%.2f", max / lim) : "-" }
			printf "%-9s %-9s %8d %5d %8.1f %8.1f %8.1f %9.3f %8.2f %9.1f %8s %8s %6s\n", mode,
				(alloc == "") ? "-" : alloc, size, count, max, min, max, cpu, frac, spb, adc, usb, eff
		}' | tee -a "$rows"
}

numfmt_size() {
	if [ $(($1 % 1048576)) -eq 0 ]; then echo "$(($1 / 1048576))M"; else echo "$(($1 / 1024))K"; fi
}

# The rows to run, one "MODE SIZE COUNT ALLOC" a line.
select_rows() {
	for want in $(echo "${bench_rows:-all}" | tr ',' ' '); do
		for row in $DEFAULT_ROWS; do
			case $want in
			all) echo "$row" ;;
			*:*) ;;
			*) [ "${row%%:*}" = "$want" ] && echo "$row" ;;
			esac
		done
		case $want in *:*) echo "$want" ;; esac
	done | awk -F: '!seen[$0]++ {
		alloc = ($4 != "") ? $4 : ($1 == "copy") ? "" : "dma-heap"
		print $1, $2, $3, alloc
	}'
}

echo "Benchmark: iio-ffs-bridge in the VM rig ($(uname -r), TCG), 3 x $SECS s per row"
echo "load in the VM before: $(cat /proc/loadavg)"
hdr=$(printf '%-9s %-9s %8s %5s %8s %8s %8s %9s %8s %9s %8s %8s %6s' mode allocator block count \
	MiB/s min max cpu_s/GiB cpu_frac sys/block adc_only usb_only eff)
echo "$hdr"
select_rows >/tmp/bench.sel
[ -s /tmp/bench.sel ] || rig_fail "bench_rows='$bench_rows' selects no row"
while read -r mode size count alloc; do
	measure "$mode" "$alloc" "$(bytes_of "$size")" "$count" </dev/null
done </tmp/bench.sel

rig_gadget_remove ifb
{
	echo "$hdr"
	cat "$rows"
	echo
	echo "Where the calls go (syscalls per block, steady state):"
	cat "$calls"
} >"$OUT"
echo
echo "Where the calls go (syscalls per block, steady state):"
cat "$calls"
echo "load in the VM after: $(cat /proc/loadavg)"

# The JSON line: every row, the best row of each of zero-copy and copy
# (highest MiB/s) as before, and the ratios between them.
awk '
function num(v) { return (v == "-" || v == "") ? "null" : v }
function obj(r) {
	split(r, f, " ")
	return sprintf("{\"mib_s\": %s, \"cpu_s_per_gib\": %s, \"syscalls_per_block\": %s, \"block_size\": %s, \"block_count\": %s, \"allocator\": \"%s\"}",
		f[5], f[8], f[10], f[3], f[4], f[2])
}
{
	row = sprintf("{\"mode\": \"%s\", \"allocator\": %s, \"block_size\": %s, \"block_count\": %s, \"mib_s\": %s, \"mib_s_min\": %s, \"mib_s_max\": %s, \"cpu_s_per_gib\": %s, \"cpu_frac\": %s, \"syscalls_per_block\": %s, \"adc_only_mib_s\": %s, \"usb_only_mib_s\": %s, \"efficiency\": %s}",
		$1, ($2 == "-") ? "null" : "\"" $2 "\"", $3, $4, $5, $6, $7, $8, $9, $10, num($11), num($12), num($13))
	all = (all == "") ? row : all ", " row
}
$1 == "zero-copy" && $5 + 0 > zbest { zbest = $5 + 0; z = $0; zcpu = $8; zeff = $13 }
$1 == "copy" && $5 + 0 > cbest { cbest = $5 + 0; c = $0; ccpu = $8 }
END {
	printf "{\"zero_copy\": %s, \"copy\": %s, ", (z != "") ? obj(z) : "null", (c != "") ? obj(c) : "null"
	if (z != "" && c != "")
		printf "\"throughput_ratio\": %.2f, \"cpu_ratio\": %.3f, ", zbest / cbest, (ccpu > 0) ? zcpu / ccpu : 0
	else
		printf "\"throughput_ratio\": null, \"cpu_ratio\": null, "
	printf "\"pipeline_efficiency\": %s, \"rows\": [%s]}\n", (z != "") ? num(zeff) : "null", all
}' "$rows" | tee -a "$OUT"
