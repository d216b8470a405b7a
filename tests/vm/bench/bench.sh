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
#   arch         the machine (uname -m): x86_64 in the x86-64 rig, aarch64
#                in the arm64 one (make bench-arm), so that a regression
#                particular to one architecture shows.
# Without strace in the guest (the arm64 rig has none: Debian's arm64
# strace cannot be installed beside the build machine's) sys/block is "-".
# The last line is one JSON object. Under TCG everything is CPU-bound and
# +-25% run to run: compare rows of one run, not numbers across runs.
#
# The libiio rows (issue 8): the same libiio client, Debian 12's
# iio_readdev 0.24, reads the simulated ADC (2 channels, 4-byte scans)
# through Debian's own iiod 0.24 (serving FunctionFS, `iiod -F DIR -n 2`)
# and through our daemon's IIOD interface (zero-copy and copy), at 256 KiB,
# 1 MiB and 4 MiB client buffers (`-b` samples x 4 bytes). For each run:
#   MiB/s        seen by the client: (3N - N) bytes / (t(3N) - t(N)) for
#                two reads of N and 3N bytes, so the client's start-up
#                (context XML over USB, buffer set-up) cancels out; the
#                better of two such pairs;
#   cpu_s/GiB    the serving daemon's CPU over the same bytes, all its
#                threads (see iiod_cpu_ns and ours_cpu_ns);
#   client_cpu   iio_readdev's CPU seconds per second (cutime + cstime of
#                the shell that waited for it): near 1, the client is
#                the limit.
# Debian's iiod takes one client session per start here (a second OPEN on
# the same instance gets EINVAL), so it is started afresh for every read;
# our daemon serves them all from one start.
#
# The multi rows (issue 16): one daemon with one stream, then with two
# (two simulated ADCs, two [stream NAME] sections), each stream read by its
# own iio-ffs-capture --stream at once, 3 x SECS s:
#   MiB/s        all the streams together (the sum of the captures'
#                MiB/s), the best of three runs; per_stream: each
#                stream's in that run;
#   cpu_s/GiB    daemon CPU seconds per GiB of all the streams' bytes.
#
# The tx rows (issue 18): one output stream to the simulated DAC (unpaced:
# it plays a block as soon as it has it, so the rows measure USB and the
# daemon), iio-ffs-play --pattern counter, 3 plays of TX_BYTES:
#   MiB/s        seen by iio-ffs-play (START to the DAC idle), the best of
#                three, min and max beside it;
#   cpu_s/GiB    daemon CPU seconds per GiB played;
#   sys/block    the daemon's syscalls per block, as for the rows above
#                (two plays of different length, the difference divided
#                by the difference in blocks).
# A mode the daemon cannot run for an output stream prints "not run".
#
# bench_rows (kernel command line; `make bench BENCH_ROWS=...`) picks a
# subset: comma-separated MODE[:SIZE:COUNT[:ALLOCATOR]], e.g.
# "zero-copy:64K:8,hybrid" (a bare MODE: that mode's default rows),
# "libiio" for the libiio rows, "multi" for the multi rows and "tx" for the
# tx rows ("all", the default, has every row).
# hostroot: yes
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

SECS=4
ARCH=$(uname -m)
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
	if ! command -v strace >/dev/null; then
		: >"$2"
		echo "0 0"
		return
	fi
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
		-v b1="$b1" -v b2="$b2" -v adc="$adc" -v usb="$usb" -v arch="$ARCH" '
		{ r[NR] = $1 }
		END {
			min = r[1]; max = r[NR]
			cpu = (sent > 0) ? (c1 - c0) / 1e9 / (sent / 1073741824) : 0
			frac = (c1 - c0) / 1e9 / (3 * secs)
			spb = (b2 > b1) ? sprintf("%.1f", (s2 - s1) / (b2 - b1)) : "-"
			eff = "-"
			if (adc != "-") { lim = (adc < usb) ? adc : usb; eff = (lim > 0) ? sprintf("%.2f", max / lim) : "-" }
			printf "%-9s %-9s %8d %5d %8.1f %8.1f %8.1f %9.3f %8.2f %9s %8s %8s %6s %-7s\n", mode,
				(alloc == "") ? "-" : alloc, size, count, max, min, max, cpu, frac, spb, adc, usb, eff, arch
		}' | tee -a "$rows"
}

numfmt_size() {
	if [ $(($1 % 1048576)) -eq 0 ]; then echo "$(($1 / 1048576))M"; else echo "$(($1 / 1024))K"; fi
}

# The rows to run, one "MODE SIZE COUNT ALLOC" a line.
select_rows() {
	for want in $(echo "${bench_rows:-all}" | tr ',' ' '); do
		[ "$want" = libiio ] && continue
		[ "$want" = multi ] && continue
		[ "$want" = tx ] && continue
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
hdr=$(printf '%-9s %-9s %8s %5s %8s %8s %8s %9s %8s %9s %8s %8s %6s %-7s' mode allocator block count \
	MiB/s min max cpu_s/GiB cpu_frac sys/block adc_only usb_only eff arch)
echo "$hdr"
select_rows >/tmp/bench.sel
case ",${bench_rows:-all}," in *,all,* | *,libiio,*) want_libiio=1 ;; *) want_libiio=0 ;; esac
case ",${bench_rows:-all}," in *,all,* | *,multi,*) want_multi=1 ;; *) want_multi=0 ;; esac
case ",${bench_rows:-all}," in *,all,* | *,tx,*) want_tx=1 ;; *) want_tx=0 ;; esac
[ -s /tmp/bench.sel ] || [ "$want_libiio" = 1 ] || [ "$want_multi" = 1 ] || [ "$want_tx" = 1 ] ||
	rig_fail "bench_rows='$bench_rows' selects no row"
while read -r mode size count alloc; do
	measure "$mode" "$alloc" "$(bytes_of "$size")" "$count" </dev/null
done </tmp/bench.sel

# --- the multi rows ----------------------------------------------------------
MULTI_ROWS="zero-copy:1M:8 copy:1M:8"
multirows=/tmp/bench.multi
: >"$multirows"
multihdr=$(printf '%-7s %-9s %8s %5s %8s %-19s %9s %-7s' streams mode block count MiB/s per_stream \
	cpu_s/GiB arch)

# One multi row: N streams (1 or 2) of MODE, SIZE x COUNT each.
multi_row() { # N MODE SIZE COUNT
	_spec=
	for _k in $(seq 1 "$1"); do
		_dev=iio-sim-adc
		[ "$_k" = 1 ] || _dev=iio-sim-adc$((_k - 1))
		_spec="$_spec s$_k:$_dev:$2:block_size=$3:block_count=$4"
	done
	# shellcheck disable=SC2086 # one word per stream
	bridge_streams_conf $_spec >/tmp/mu.conf
	daemon_up /tmp/mu.conf
	_c0=$(cpu_ns "$IFB_PID")
	_sent=0
	: >/tmp/mu.rates
	for _ in 1 2 3; do
		for _k in $(seq 1 "$1"); do
			iio-ffs-capture --stream "s$_k" --duration "$SECS" -o /dev/null --quiet --json \
				>/tmp/mu$_k.json &
			eval "_p$_k=\$!"
		done
		_line=
		for _k in $(seq 1 "$1"); do
			eval "wait \$_p$_k" || bridge_fail "multi: capture of s$_k failed: $(cat /tmp/mu$_k.json)"
			_line="$_line $(json_num /tmp/mu$_k.json mib_s)"
			_sent=$((_sent + $(json_num /tmp/mu$_k.json bytes_sent)))
		done
		echo "$_line" >>/tmp/mu.rates
	done
	_c1=$(cpu_ns "$IFB_PID")
	daemon_down
	awk -v n="$1" -v mode="$2" -v size="$3" -v count="$4" -v c0="$_c0" -v c1="$_c1" \
		-v sent="$_sent" -v arch="$ARCH" '
		{ t = 0; per = ""; for (i = 1; i <= NF; i++) { t += $i; per = per (i > 1 ? "/" : "") sprintf("%.1f", $i) }
		  if (t > best) { best = t; bper = per } }
		END { cpu = (sent > 0) ? (c1 - c0) / 1e9 / (sent / 1073741824) : 0
		      printf "%-7d %-9s %8d %5d %8.1f %-19s %9.3f %-7s\n", n, mode, size, count, best, bper, cpu, arch }' \
		/tmp/mu.rates | tee -a "$multirows"
}

if [ "$want_multi" = 1 ]; then
	echo
	echo "multi: one daemon, one stream and two streams at once (each its own ADC and capture)"
	echo "$multihdr"
	# two simulated ADCs, unpaced as above
	rig_gadget_remove ifb
	rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
	insmod /lib/modules/iio-sim-adc.ko devices=2 channels=2,2 || rig_fail "cannot load 2 simulated ADCs"
	rig_gadget_create ifb
	for row in $MULTI_ROWS; do
		# shellcheck disable=SC2046 # MODE SIZE COUNT
		set -- $(echo "$row" | tr ':' ' ')
		for n in 1 2; do
			multi_row "$n" "$1" "$(bytes_of "$2")" "$3" </dev/null
		done
	done
	awk '$1 == 1 && $2 == "zero-copy" { one = $5; onec = $7 } $1 == 2 && $2 == "zero-copy" { two = $5; twoc = $7 }
	     END { if (one > 0 && onec > 0)
		     printf "zero-copy, two streams / one: %.2fx MiB/s, %.2fx CPU per GiB\n", two / one, twoc / onec }' \
		"$multirows"
fi

# --- the tx rows -------------------------------------------------------------
TX_ROWS="zero-copy:1M:8 zero-copy:64K:8 hybrid:1M:8 copy:1M:8 copy:64K:8"
TX_BYTES=256M
txrows=/tmp/bench.tx
: >"$txrows"
txhdr=$(printf '%-9s %8s %5s %8s %8s %8s %9s %9s %-7s' mode block count MiB/s min max cpu_s/GiB \
	sys/block arch)

# The daemon's syscalls while iio-ffs-play plays BYTES: "calls blocks".
traced_play() { # BYTES
	if ! command -v strace >/dev/null; then
		echo "0 0"
		return
	fi
	strace -c -f -p "$IFB_PID" -o /tmp/strace.tx 2>/dev/null &
	sp=$!
	sleep 0.5
	iio-ffs-play --stream tx --pattern counter --bytes "$1" --quiet --json >/tmp/tp.json ||
		bridge_fail "tx: traced play failed: $(cat /tmp/tp.json)"
	sleep 0.2
	kill -INT "$sp"
	wait "$sp"
	total=$(awk '$NF == "total" { print $4 }' /tmp/strace.tx)
	echo "${total:-0} $(sed -n 's/.*"blocks_sent":\([0-9]*\).*/\1/p' /tmp/tp.json)"
}

tx_row() { # MODE SIZE COUNT
	bridge_streams_conf tx:iio-sim-dac:"$1":block_size="$2":block_count="$3" >/tmp/tx.conf
	iio-ffs-bridge -c /tmp/tx.conf >>"$IFB_LOG" 2>&1 &
	IFB_PID=$!
	# a mode the daemon cannot run for an output stream: a config error
	# once the descriptors are written (it probes the endpoint first)
	for _ in $(seq 1 100); do
		[ -e /dev/ffs-ifb/ep1 ] && break
		kill -0 "$IFB_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	if ! kill -0 "$IFB_PID" 2>/dev/null; then
		wait "$IFB_PID"
		printf '%-9s %8d %5d %8s %8s %8s %9s %9s %-7s  (not run: %s)\n' "$1" "$2" "$3" - - - - - \
			"$ARCH" "$(grep -o 'error: .*' "$IFB_LOG" | tail -n 1)" | tee -a "$txrows"
		IFB_PID=
		return
	fi
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "tx: host did not enumerate the gadget"
	_c0=$(cpu_ns "$IFB_PID")
	: >/tmp/tx.rates
	for _ in 1 2 3; do
		iio-ffs-play --stream tx --pattern counter --bytes "$TX_BYTES" --quiet --json >/tmp/tx.json ||
			bridge_fail "tx: play failed: $(cat /tmp/tx.json)"
		json_num /tmp/tx.json mib_s >>/tmp/tx.rates
	done
	_c1=$(cpu_ns "$IFB_PID")
	set -- "$1" "$2" "$3" $(traced_play 16M) $(traced_play 48M)
	daemon_down
	awk -v mode="$1" -v size="$2" -v count="$3" -v c0="$_c0" -v c1="$_c1" -v bytes="$(bytes_of "$TX_BYTES")" \
		-v ca="$4" -v ba="$5" -v cb="$6" -v bb="$7" -v arch="$ARCH" '
		NR == 1 || $1 > max { max = $1 } NR == 1 || $1 < min { min = $1 }
		END { cpu = (c1 - c0) / 1e9 / (3 * bytes / 1073741824)
		      sys = (bb > ba && cb > ca) ? sprintf("%.1f", (cb - ca) / (bb - ba)) : "-"
		      printf "%-9s %8d %5d %8.1f %8.1f %8.1f %9.3f %9s %-7s\n", mode, size, count, max, min, max, cpu, sys, arch }' \
		/tmp/tx.rates | tee -a "$txrows"
}

if [ "$want_tx" = 1 ]; then
	echo
	echo "tx: one output stream to the simulated DAC (unpaced), iio-ffs-play, 3 x $TX_BYTES"
	echo "$txhdr"
	rig_dac_load
	for row in $TX_ROWS; do
		# shellcheck disable=SC2046 # MODE SIZE COUNT
		set -- $(echo "$row" | tr ':' ' ')
		tx_row "$1" "$(bytes_of "$2")" "$3" </dev/null
	done
	awk '$1 == "zero-copy" && $2 == 1048576 && $4 != "-" { z = $4; zc = $7 }
	     $1 == "copy" && $2 == 1048576 && $4 != "-" { c = $4; cc = $7 }
	     END { if (z > 0 && c > 0)
		     printf "tx at 1 MiB blocks: zero-copy / copy: %.2fx MiB/s, %.3fx CPU per GiB\n", z / c, (cc > 0) ? zc / cc : 0 }' \
		"$txrows"
fi

# --- the libiio rows -------------------------------------------------------
LIBIIO_SIZES="256K 1M 4M"
librows=/tmp/bench.libiio
: >"$librows"
libhdr=$(printf '%-14s %-9s %8s %8s %9s %11s' daemon mode buffer MiB/s cpu_s/GiB client_cpu)

# A daemon's CPU in ns. iiod: utime + stime of /proc/PID/stat (10 ms
# ticks; it counts the per-client threads that have ended, and iiod's CPU
# is large enough for the ticks). Ours: the ns of schedstat, every task
# (its threads, if any, live as long as it does).
iiod_cpu_ns() { awk '{ print ($14 + $15) * 10000000 }' "/proc/$1/stat"; }
ours_cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'; }

# _kt: cutime + cstime of this (sub)shell, the CPU of the children it
# waited for (the builtin read opens /proc/self: this very process; not to
# be called inside $(...), which is another process).
own_child_ticks() {
	read -r _st </proc/self/stat
	# shellcheck disable=SC2086 # the fields are wanted
	set -- $_st
	_kt=$((${16} + ${17}))
}

# One read of BYTES through URI with BUF-byte client buffers; prints its
# seconds and the client's CPU ticks. The bytes are counted, not checked
# (the libiio-* cases check them).
readdev_secs() { # URI BUF BYTES
	own_child_ticks
	_k0=$_kt
	_t0=$(cut -d' ' -f1 /proc/uptime)
	_got=$(hostrun iio_readdev -u "$1" -b $(($2 / 4)) -s $(($3 / 4)) iio-sim-adc voltage0 voltage1 \
		2>/tmp/rd.err | wc -c)
	_t1=$(cut -d' ' -f1 /proc/uptime)
	own_child_ticks
	_k1=$_kt
	if [ "$_got" != "$3" ]; then
		echo "iio_readdev -b $(($2 / 4)) -s $(($3 / 4)): $_got of $3 bytes: $(cat /tmp/rd.err)" >&2
		return 1
	fi
	awk -v a="$_t0" -v b="$_t1" -v k=$((_k1 - _k0)) 'BEGIN { print b - a, k }'
}

# The usb: URI of the one IIOD interface, once the host has enumerated it.
wait_uri() {
	_i=0
	until _u=$(hostrun iio_info -S usb 2>/dev/null | sed -n 's/.*\[\(usb:[0-9.]*\)\].*/\1/p') &&
		[ "$(echo "$_u" | grep -c .)" = 1 ]; do
		[ $_i -lt 30 ] || return 1
		_i=$((_i + 1))
		sleep 0.5
	done
	echo "$_u"
}

iiod_up() {
	hostrun iiod -F /dev/ffs-iiod -n 2 >>/tmp/iiod.log 2>&1 &
	IIOD_PID=$!
	rig_wait_file /hostroot/dev/ffs-iiod/ep1 10 || rig_fail "iiod did not start: $(tail -n 3 /tmp/iiod.log)"
	rig_gadget_bind iiod
	URI=$(wait_uri) || rig_fail "the host found no IIOD interface on iiod's gadget"
}

iiod_down() {
	kill -TERM "$IIOD_PID"
	wait "$IIOD_PID"
	rig_gadget_unbind iiod
}

# One timed read of BYTES: prints "seconds client_ticks daemon_ns".
# iiod is started for it (see above); our daemon is running.
iiod_read() { # BUF BYTES
	iiod_up
	_r=$(readdev_secs "$URI" "$1" "$2") || rig_fail "iiod: $(tail -n 3 /tmp/iiod.log)"
	_c=$(iiod_cpu_ns "$IIOD_PID")
	iiod_down
	echo "$_r $_c"
}

ours_read() { # BUF BYTES
	_c0=$(ours_cpu_ns "$IFB_PID")
	_r=$(readdev_secs "$URI" "$1" "$2") || bridge_fail "iio_readdev through our daemon failed"
	echo "$_r $(($(ours_cpu_ns "$IFB_PID") - _c0))"
}

# The better of two (N, 3N) pairs, as a row.
libiio_row() { # DAEMON MODE BUF
	_buf=$3
	_n=$((8 * _buf))
	[ "$_n" -lt 33554432 ] && _n=33554432
	: >/tmp/pairs
	for _ in 1 2; do
		if [ "$1" = iiod ]; then
			_a=$(iiod_read "$_buf" "$_n") && _b=$(iiod_read "$_buf" $((3 * _n)))
		else
			_a=$(ours_read "$_buf" "$_n") && _b=$(ours_read "$_buf" $((3 * _n)))
		fi || rig_fail "libiio row $1 $2 $_buf failed"
		echo "$_a $_b" >>/tmp/pairs
	done
	# fields: secs_a client_a daemon_a secs_b client_b daemon_b (client:
	# 10 ms ticks; daemon: ns)
	awk -v d="$1" -v m="$2" -v buf="$_buf" -v n="$_n" '
		{ dt = $4 - $1; if (dt <= 0) next
		  r = 2 * n / 1048576 / dt; cpu = ($6 - $3) / 1e9 / (2 * n / 1073741824)
		  cl = ($5 - $2) / 100 / dt
		  if (r > best) { best = r; bcpu = cpu; bcl = cl } }
		END { if (best == 0) { print d, m, buf, "-", "-", "-"; exit }
		      printf "%-14s %-9s %8d %8.1f %9.3f %11.2f\n", d, m, buf, best, (bcpu < 0) ? 0 : bcpu, bcl }' \
		/tmp/pairs | tee -a "$librows"
}

if [ "$want_libiio" = 1 ]; then
	echo
	echo "libiio: Debian's iio_readdev 0.24 through iiod 0.24 and through iio-ffs-bridge's IIOD interface"
	echo "(client_cpu: iio_readdev's CPU seconds per second; near 1 the client is the limit)"
	echo "$libhdr"
	for mode in zero-copy copy; do
		bridge_conf "$mode" block_size=64K block_count=4 >/tmp/l.conf
		daemon_up /tmp/l.conf
		URI=$(wait_uri) || bridge_fail "the host found no IIOD interface on our daemon"
		for size in $LIBIIO_SIZES; do
			libiio_row iio-ffs-bridge "$mode" "$(bytes_of "$size")" </dev/null
		done
		daemon_down
	done
	rig_gadget_create iiod
	umount /dev/ffs-iiod || rig_fail "umount /dev/ffs-iiod failed"
	# iiod runs in the Debian root: its FunctionFS goes where it sees /dev.
	mkdir -p /hostroot/dev/ffs-iiod
	mount -t functionfs iiod /hostroot/dev/ffs-iiod || rig_fail "mounting FunctionFS for iiod failed"
	for size in $LIBIIO_SIZES; do
		buf=$(bytes_of "$size")
		# iiod's local backend asks for an IIO buffer of 4 x the client's
		# (libiio 0.24 local.c, NB_BLOCKS), which the DMA buffer core
		# allocates as 2 coherent blocks; without CMA (Debian's amd64
		# kernel has none) one allocation is at most 4 MiB (order 10),
		# and a larger one fails with ENOMEM and a kernel WARNING.
		if [ $((2 * buf)) -gt 4194304 ]; then
			printf '%-14s %-9s %8d %8s %9s %11s  (not run: 2 x %d MiB coherent DMA blocks; no CMA here)\n' \
				iiod copy "$buf" - - - $((2 * buf / 1048576)) | tee -a "$librows"
			continue
		fi
		libiio_row iiod copy "$buf" </dev/null
	done
	umount /hostroot/dev/ffs-iiod
	rig_gadget_remove iiod
	awk '$3 == 1048576 && $1 == "iiod" { im = $4; ic = $5 }
	     $3 == 1048576 && $1 == "iio-ffs-bridge" && $2 == "zero-copy" { zm = $4; zc = $5 }
	     END { if (im > 0 && zm != "")
		     printf "at 1 MiB buffers: iio-ffs-bridge zero-copy / iiod: %.2fx MiB/s, %.3fx CPU per GiB\n",
			zm / im, (ic > 0) ? zc / ic : 0 }' "$librows"
fi

rig_gadget_remove ifb
{
	echo "$hdr"
	cat "$rows"
	echo
	echo "Where the calls go (syscalls per block, steady state):"
	cat "$calls"
	if [ -s "$librows" ]; then
		echo
		echo "$libhdr"
		cat "$librows"
	fi
	if [ -s "$multirows" ]; then
		echo
		echo "$multihdr"
		cat "$multirows"
	fi
	if [ -s "$txrows" ]; then
		echo
		echo "$txhdr"
		cat "$txrows"
	fi
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
		f[5], f[8], num(f[10]), f[3], f[4], f[2])
}
{
	row = sprintf("{\"mode\": \"%s\", \"allocator\": %s, \"block_size\": %s, \"block_count\": %s, \"mib_s\": %s, \"mib_s_min\": %s, \"mib_s_max\": %s, \"cpu_s_per_gib\": %s, \"cpu_frac\": %s, \"syscalls_per_block\": %s, \"adc_only_mib_s\": %s, \"usb_only_mib_s\": %s, \"efficiency\": %s, \"arch\": \"%s\"}",
		$1, ($2 == "-") ? "null" : "\"" $2 "\"", $3, $4, $5, $6, $7, $8, $9, num($10), num($11), num($12), num($13), $14)
	all = (all == "") ? row : all ", " row
}
$1 == "zero-copy" && $5 + 0 > zbest { zbest = $5 + 0; z = $0; zcpu = $8; zeff = $13 }
$1 == "copy" && $5 + 0 > cbest { cbest = $5 + 0; c = $0; ccpu = $8 }
END {
	printf "{\"arch\": \"%s\", \"zero_copy\": %s, \"copy\": %s, ", arch, (z != "") ? obj(z) : "null", (c != "") ? obj(c) : "null"
	if (z != "" && c != "")
		printf "\"throughput_ratio\": %.2f, \"cpu_ratio\": %.3f, ", zbest / cbest, (ccpu > 0) ? zcpu / ccpu : 0
	else
		printf "\"throughput_ratio\": null, \"cpu_ratio\": null, "
	printf "\"pipeline_efficiency\": %s, \"rows\": [%s], ", (z != "") ? num(zeff) : "null", all
	# the libiio rows (second file): daemon mode buffer MiB/s cpu_s/GiB client_cpu
	lib = ""
	while ((getline line < lfile) > 0) {
		split(line, f, " ")
		o = sprintf("{\"daemon\": \"%s\", \"mode\": \"%s\", \"buffer_bytes\": %s, \"mib_s\": %s, \"cpu_s_per_gib\": %s, \"client_cpu_frac\": %s}",
			f[1], f[2], f[3], num(f[4]), num(f[5]), num(f[6]))
		lib = (lib == "") ? o : lib ", " o
	}
	printf "\"libiio\": [%s], ", lib
	# the multi rows (third file): streams mode block count MiB/s per_stream cpu_s/GiB arch
	multi = ""
	while ((getline line < mfile) > 0) {
		split(line, f, " ")
		o = sprintf("{\"streams\": %s, \"mode\": \"%s\", \"block_size\": %s, \"block_count\": %s, \"mib_s\": %s, \"per_stream_mib_s\": [%s], \"cpu_s_per_gib\": %s, \"arch\": \"%s\"}",
			f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8])
		gsub("/", ", ", o)
		multi = (multi == "") ? o : multi ", " o
	}
	printf "\"multi\": [%s], ", multi
	# the tx rows (fourth file): mode block count MiB/s min max cpu_s/GiB sys/block arch
	tx = ""
	while ((getline line < tfile) > 0) {
		split(line, f, " ")
		o = sprintf("{\"mode\": \"%s\", \"block_size\": %s, \"block_count\": %s, \"mib_s\": %s, \"mib_s_min\": %s, \"mib_s_max\": %s, \"cpu_s_per_gib\": %s, \"syscalls_per_block\": %s, \"arch\": \"%s\"}",
			f[1], f[2], f[3], num(f[4]), num(f[5]), num(f[6]), num(f[7]), num(f[8]), f[9])
		tx = (tx == "") ? o : tx ", " o
	}
	printf "\"tx\": [%s]}\n", tx
}' lfile="$librows" mfile="$multirows" tfile="$txrows" arch="$ARCH" "$rows" | tee -a "$OUT"
