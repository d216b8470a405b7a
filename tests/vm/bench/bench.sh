#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 1500
#
# `make bench`: zero-copy against copy mode in one run, over the same
# settings (block sizes 64K..4M at 4 blocks, counts 2..16 at 1M), plus the
# two halves of the zero-copy pipeline alone (rig-bench adc / usb) at each
# setting. For each row: MiB/s seen by the host (iio-ffs-capture, the
# better of two captures), daemon
# CPU seconds per GiB (/proc/PID/schedstat, ns), and syscalls per block
# (strace -c over two streams of different length: the difference divided
# by the difference in blocks, so start-up costs cancel out). The last line
# is one JSON object. Under TCG everything is CPU-bound and +-25% run to
# run: compare rows of one run, not numbers across runs.
. /lib/rig.sh
. /lib/bridge.sh

SECS=4
OUT=${RIG_OUT:-/tmp}/bench.txt
rows=/tmp/bench.rows
: >"$rows"

rig_gadget_create ifb

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

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

# syscalls of the daemon while the host reads BYTES; prints "calls blocks"
traced_stream() { # BYTES
	strace -c -f -p "$IFB_PID" -o /tmp/strace.out 2>/dev/null &
	sp=$!
	sleep 0.5
	iio-ffs-capture --bytes "$1" -o /dev/null --quiet --json >/tmp/t.json ||
		bridge_fail "traced capture failed"
	sleep 0.2
	kill -INT "$sp"
	wait "$sp"
	calls=$(awk '$NF == "total" { print $4 }' /tmp/strace.out)
	echo "${calls:-0} $(json_num /tmp/t.json blocks_sent)"
}

halves() { # ALLOC SIZE COUNT -> "adc usb"
	adc=$(rig-bench adc "$1" "$2" "$3" "$SECS" | sed -n 's/^adc_mib_s=//p')
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
	echo "${adc:-0} $(json_num /tmp/h.json mib_s)"
}

measure() { # MODE ALLOC SIZE COUNT
	mode=$1 alloc=$2 size=$3 count=$4
	if [ "$mode" = copy ]; then
		bridge_conf copy block_size="$size" block_count="$count" >/tmp/b.conf
	else
		bridge_conf zero-copy block_size="$size" block_count="$count" allocator="$alloc" >/tmp/b.conf
	fi
	daemon_up /tmp/b.conf
	# Two captures: the better rate is reported (TCG shares two cores with
	# whatever else runs), CPU per GiB is averaged over both.
	c0=$(cpu_ns "$IFB_PID")
	iio-ffs-capture --duration "$SECS" -o /dev/null --quiet --json >/tmp/m1.json ||
		bridge_fail "capture failed: $(cat /tmp/m1.json)"
	iio-ffs-capture --duration "$SECS" -o /dev/null --quiet --json >/tmp/m2.json ||
		bridge_fail "capture failed: $(cat /tmp/m2.json)"
	c1=$(cpu_ns "$IFB_PID")
	mib=$(awk -v a="$(json_num /tmp/m1.json mib_s)" -v b="$(json_num /tmp/m2.json mib_s)" \
		'BEGIN { print (a > b) ? a : b }')
	sent=$(($(json_num /tmp/m1.json bytes_sent) + $(json_num /tmp/m2.json bytes_sent)))
	# two traced streams, n and 3n blocks (n: 8..64, at most ~16 MiB)
	n=$((16777216 / size))
	[ "$n" -gt 64 ] && n=64
	[ "$n" -lt 8 ] && n=8
	set -- $(traced_stream $((n * size)))
	s1=$1 b1=$2
	set -- $(traced_stream $((3 * n * size)))
	s2=$1 b2=$2
	daemon_down
	if [ "$mode" = zero-copy ]; then
		set -- $(halves "$alloc" "$size" "$count")
		adc=$1 usb=$2
	else
		adc=- usb=-
	fi
	awk -v mode="$mode" -v alloc="$alloc" -v size="$size" -v count="$count" -v mib="$mib" \
		-v c0="$c0" -v c1="$c1" -v sent="$sent" -v s1="$s1" -v s2="$s2" -v b1="$b1" \
		-v b2="$b2" -v adc="$adc" -v usb="$usb" 'BEGIN {
		cpu = (sent > 0) ? (c1 - c0) / 1e9 / (sent / 1073741824) : 0
		spb = (b2 > b1) ? (s2 - s1) / (b2 - b1) : 0
		eff = "-"
		if (adc != "-") { lim = (adc < usb) ? adc : usb; eff = (lim > 0) ? sprintf("%.2f", mib / lim) : "-" }
		printf "%-9s %-15s %8d %5d %8.1f %10.3f %9.1f %8s %8s %6s\n", mode, alloc, size, count,
			mib, cpu, spb, adc, usb, eff
	}' | tee -a "$rows"
}

echo "Benchmark: iio-ffs-bridge in the VM rig ($(uname -r), TCG), $SECS s per row"
hdr=$(printf '%-9s %-15s %8s %5s %8s %10s %9s %8s %8s %6s' mode allocator block count MiB/s \
	cpu_s/GiB sys/block adc_only usb_only eff)
echo "$hdr"
for cfg in "65536 4" "262144 4" "1048576 4" "4194304 4" "1048576 2" "1048576 8" "1048576 16"; do
	set -- $cfg
	measure zero-copy dma-heap "$1" "$2"
	measure copy - "$1" "$2"
done
measure zero-copy udmabuf 1048576 4

rig_gadget_remove ifb
{ echo "$hdr"; cat "$rows"; } >"$OUT"

# The best row of each mode (highest MiB/s), and the ratios between them.
awk '
function obj(r) {
	split(r, f, " ")
	return sprintf("{\"mib_s\": %s, \"cpu_s_per_gib\": %s, \"syscalls_per_block\": %s, \"block_size\": %s, \"block_count\": %s, \"allocator\": \"%s\"}",
		f[5], f[6], f[7], f[3], f[4], f[2])
}
$1 == "zero-copy" && $5 + 0 > zbest { zbest = $5 + 0; z = $0; zcpu = $6; zeff = $10 }
$1 == "copy" && $5 + 0 > cbest { cbest = $5 + 0; c = $0; ccpu = $6 }
END {
	if (z == "" || c == "") { print "bench: no rows" > "/dev/stderr"; exit 1 }
	printf "{\"zero_copy\": %s, \"copy\": %s, \"throughput_ratio\": %.2f, \"cpu_ratio\": %.3f, \"pipeline_efficiency\": %s}\n",
		obj(z), obj(c), zbest / cbest, (ccpu > 0) ? zcpu / ccpu : 0, (zeff == "-") ? "null" : zeff
}' "$rows" | tee -a "$OUT"
