# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# /lib/bridge.sh: run iio-ffs-bridge on the simulated ADC in a VM case.
# Source after /lib/rig.sh.
#
#   bridge_conf MODE [KEY=VALUE | iio:KEY=VALUE ...]
#                     print a config streaming iio-sim-adc in MODE through
#                     /dev/ffs-ifb; KEY=VALUE go to [stream], iio:KEY=VALUE
#                     to [iio]
#   bridge_streams_conf NAME:DEVICE:MODE[:KEY=VALUE...] ...
#                     print a config with a [stream NAME] section per
#                     argument (the keys of [iio] and [stream] alike),
#                     through /dev/ffs-ifb
#   streams_adcs N [unpaced]
#                     reload the simulated ADC as N devices (iio-sim-adc,
#                     iio-sim-adc1, ...), 2 channels each at 2 MHz, paced
#                     (unpaced: each block filled as soon as it is queued)
#   bridge_start CONF start the daemon (log in $IFB_LOG), wait for its
#                     descriptors, bind the gadget, wait for the host side
#                     (IFB_ULIMIT_V=KiB: the daemon's address-space limit)
#   bridge_stop       SIGTERM, expect exit 0 within a second (the debug
#                     kernel: three), check nothing
#                     is left behind, remove the gadget
#   bridge_fail MSG   fail the case, showing the daemon's log tail
#   bridge_wait_log PATTERN N FAILURE
#                     wait for the daemon's log to hold more than N lines
#                     matching PATTERN, or fail
#   bridge_reload PID WHAT
#                     SIGHUP and wait for the daemon to say it reloaded
#   bridge_clean_check
#                     fail unless the IIO buffer is disabled and no DMABUF
#                     exists any more (after the daemon exited)
#   bridge_idle_check fail unless the IIO buffer is disabled and no DMABUF
#                     is attached to anything (daemon running, no stream)
#   json_num FILE KEY / json_bool FILE KEY
#                     the first "KEY": value in a one-line JSON document
#
# Cases that run in either mode (one mode per boot: Linux 6.12's IIO DMA
# buffer has a lock-order problem lockdep reports once both fileio and
# DMABUF attach were used in one boot, see tests/vm/README.md):
#   bridge_case_paced MODE      no gaps with the ADC paced below capacity
#   bridge_case_reconnect MODE HOW...
#                               host gone mid-stream (HOW: host, unbind) and
#                               back, no restart
#   bridge_case_sigterm MODE    SIGTERM with the host reading and stalled
#   bridge_case_stop_abandoned MODE
#                               a STOP nobody drains is cancelled after 3 s

IFB_LOG=/tmp/ifb.log
IFB_PID=

bridge_conf() {
	_bc_mode=$1
	shift
	printf '[iio]\ndevice = iio-sim-adc\n'
	for _bc_kv in "$@"; do
		case $_bc_kv in
		iio:*) _bc_kv=${_bc_kv#iio:} && printf '%s = %s\n' "${_bc_kv%%=*}" "${_bc_kv#*=}" ;;
		esac
	done
	printf '\n[stream]\nmode = %s\n' "$_bc_mode"
	for _bc_kv in "$@"; do
		case $_bc_kv in
		iio:*) ;;
		*) printf '%s = %s\n' "${_bc_kv%%=*}" "${_bc_kv#*=}" ;;
		esac
	done
	printf '\n[usb]\nfunctionfs = /dev/ffs-ifb\n'
}

bridge_streams_conf() {
	for _bs_s in "$@"; do
		_bs_ifs=$IFS
		IFS=:
		# shellcheck disable=SC2086
		set -- $_bs_s
		IFS=$_bs_ifs
		printf '[stream %s]\ndevice = %s\nmode = %s\n' "$1" "$2" "$3"
		shift 3
		for _bs_kv in "$@"; do
			printf '%s = %s\n' "${_bs_kv%%=*}" "${_bs_kv#*=}"
		done
		printf '\n'
	done
	printf '[usb]\nfunctionfs = /dev/ffs-ifb\n'
}

# tx_play_check ID BYTES PLAYED [WHAT]: iio-ffs-play sends BYTES of the
# counter pattern to stream tx (its stream ID), and must end with the
# simulated DAC having played PLAYED bytes byte-exact, the host told it
# was all played and the daemon's end-of-stream line saying so. The
# play's JSON is left in /tmp/play.json.
tx_play_check() {
	_tp_what=${4:-stream $1}
	_tp_dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
	iio-ffs-play --stream tx --pattern counter --bytes "$2" --quiet --json >/tmp/play.json \
		2>/tmp/play.err || bridge_fail "$_tp_what: iio-ffs-play failed: $(cat /tmp/play.json /tmp/play.err)"
	[ "$(json_bool /tmp/play.json played)" = true ] || bridge_fail "$_tp_what: the DAC did not play it all"
	[ "$(cat "$_tp_dac/sim_bytes_played")" = "$3" ] ||
		bridge_fail "$_tp_what: the DAC played $(cat "$_tp_dac/sim_bytes_played") bytes, expected $3"
	[ "$(cat "$_tp_dac/sim_mismatches")" = 0 ] ||
		bridge_fail "$_tp_what: $(cat "$_tp_dac/sim_mismatches") scans did not match, the first at byte $(cat "$_tp_dac/sim_first_mismatch")"
	grep -q "tx: Stream $1 ended (host STOP): $3 bytes" "$IFB_LOG" ||
		bridge_fail "$_tp_what: the daemon's end of stream: $(grep "tx: Stream $1 ended" "$IFB_LOG")"
}

# bridge_sentinel NAME DEVICE: the bridge_streams_conf spec of a stream
# that must read on without a gap while a case disturbs the others: 2 s of
# blocks (8 x 256 KiB at 250 kS/s x 4 bytes per scan, 1 MB/s). Less was
# not enough: with two TCG VMs on two cores a guest stalled for longer than
# a 1 MiB pool lasts at 8 MB/s (CI, 2026-12-06: streams-iiod-any). A stream
# held up by another's events for longer than 2 s still shows as a gap.
bridge_sentinel() {
	printf '%s:%s:zero-copy:block_size=256K:block_count=8:sampling_frequency=250000' "$1" "$2"
}

streams_adcs() {
	_sa_ch=2
	_sa_rate=2000000
	for _sa_i in $(seq 2 "$1"); do
		_sa_ch="$_sa_ch,2"
		_sa_rate="$_sa_rate,2000000"
	done
	rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
	insmod /lib/modules/iio-sim-adc.ko devices="$1" channels="$_sa_ch" rates="$_sa_rate" ||
		rig_fail "cannot load iio-sim-adc devices=$1"
	[ "$2" = unpaced ] && return 0
	for _sa_d in $(rig_adc_dirs); do
		rig_write "$_sa_d/sim_paced" 1
	done
}

# bridge_wait_log PATTERN N FAILURE: wait up to 5 s until the log holds
# more than N lines matching PATTERN (a line the daemon writes once per
# event: N counted before the event was caused), else fail with FAILURE.
bridge_wait_log() {
	_bw_t=0
	while [ "$(grep -c "$1" "$IFB_LOG")" = "$2" ]; do
		_bw_t=$((_bw_t + 1))
		[ $_bw_t -lt 50 ] || bridge_fail "$3"
		sleep 0.1
	done
}

# bridge_reload PID WHAT: SIGHUP the daemon and wait until it says it
# reloaded (WHAT names the reload in the failure).
bridge_reload() {
	_br_n=$(grep -c 'Configuration reloaded from' "$IFB_LOG")
	kill -HUP "$1"
	bridge_wait_log 'Configuration reloaded from' "$_br_n" "$2: reload not applied"
}

bridge_fail() {
	echo "--- iio-ffs-bridge log (tail) ---" >&2
	tail -n 25 "$IFB_LOG" >&2 2>/dev/null
	rig_fail "$@"
}

bridge_start() {
	[ -d /dev/ffs-ifb ] || rig_gadget_create ifb
	# IFB_ULIMIT_V: an address-space limit (KiB) for the daemon.
	(
		[ -z "$IFB_ULIMIT_V" ] || ulimit -v "$IFB_ULIMIT_V"
		exec iio-ffs-bridge -v -c "$1"
	) >>"$IFB_LOG" 2>&1 &
	IFB_PID=$!
	rig_wait_file /dev/ffs-ifb/ep1 10 || bridge_fail "daemon did not write its USB descriptors"
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "host did not enumerate the gadget"
}

bridge_clean_check() {
	_bcc_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	for _bcc_d in $(rig_adc_dirs); do
		[ "$(cat "$_bcc_d/buffer0/enable")" = 0 ] ||
			rig_fail "IIO buffer of $(cat "$_bcc_d/name") left enabled"
	done
	if [ -r /sys/kernel/debug/dma_buf/bufinfo ]; then
		grep -q '^Total 0 objects' /sys/kernel/debug/dma_buf/bufinfo ||
			rig_fail "DMABUFs left behind: $(grep '^Total' /sys/kernel/debug/dma_buf/bufinfo)"
	fi
}

bridge_idle_check() {
	_bic_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	for _bic_d in $(rig_adc_dirs); do
		[ "$(cat "$_bic_d/buffer0/enable")" = 0 ] ||
			bridge_fail "IIO buffer of $(cat "$_bic_d/name") still enabled"
	done
	if [ -r /sys/kernel/debug/dma_buf/bufinfo ] &&
		grep -q '^Total [1-9][0-9]* devices attached' /sys/kernel/debug/dma_buf/bufinfo; then
		cat /sys/kernel/debug/dma_buf/bufinfo >&2
		bridge_fail "DMABUFs still attached with no stream"
	fi
}

bridge_stop() {
	[ -n "$IFB_PID" ] || return 0
	_bs_t0=$(cut -d' ' -f1 /proc/uptime)
	kill -TERM "$IFB_PID"
	wait "$IFB_PID"
	_bs_rc=$?
	_bs_t1=$(cut -d' ' -f1 /proc/uptime)
	IFB_PID=
	[ "$_bs_rc" = 0 ] || bridge_fail "daemon exited $_bs_rc after SIGTERM"
	# A second (systemd gives 5); the debug kernel (lockdep, DMA-API
	# checks, page poisoning: several times slower, and freeing a copy
	# pool of 192 MiB took 2.2 s there on a loaded machine) gets three.
	_bs_limit=1.0
	case $(uname -r) in *-ifb-debug) _bs_limit=3.0 ;; esac
	awk -v a="$_bs_t0" -v b="$_bs_t1" -v l="$_bs_limit" 'BEGIN { exit !(b - a < l) }' ||
		bridge_fail "daemon took $(awk -v a="$_bs_t0" -v b="$_bs_t1" 'BEGIN { print b - a }') s to exit"
	bridge_clean_check
	rig_gadget_remove ifb
}

json_num() {
	sed -n "s/.*\"$2\": *\(-\{0,1\}[0-9.][0-9.eE+-]*\).*/\1/p" "$1" | head -n 1
}

json_bool() {
	sed -n "s/.*\"$2\": *\(true\|false\).*/\1/p" "$1" | head -n 1
}

bridge_case_paced() {
	_mode=$1
	_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	rig_write "$_dir/sim_paced" 1
	# 1 MS/s x 4 bytes = 4 MB/s, with half a second of blocks: well inside
	# what the rig moves even on a loaded machine or the debug kernel.
	bridge_conf "$_mode" block_size=256K block_count=8 iio:sampling_frequency=1000000 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --duration 5 -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$_mode: capture failed: $(cat /tmp/cap.json)"
	cat /tmp/cap.json
	_gaps=$(json_num /tmp/cap.json gaps)
	[ "$_gaps" = 0 ] || bridge_fail "$_mode: $_gaps gaps with the ADC paced at 1 MS/s"
	_bytes=$(json_num /tmp/cap.json bytes)
	# 5 s at 4 MB/s is 20 MB; allow for start-up.
	[ "${_bytes:-0}" -gt 10000000 ] || bridge_fail "$_mode: only $_bytes bytes in 5 s"
	bridge_stop
	echo "paced ($_mode): no gaps"
}

# How the host goes away: "host" has the host drop the device (its
# authorized flag: the configuration goes and the gadget stays bound, as
# when a cable is pulled; this dummy_hcd does not re-enumerate after a UDC
# soft_connect cycle), "unbind" unbinds the UDC. Zero-copy is tested with
# the host's side only: after an unbind, Linux 6.12 oopses on any
# FunctionFS DMABUF transfer that races it (README, "Kernel behaviour"),
# which the daemon can narrow but not close.
bridge_case_reconnect() {
	_mode=$1
	shift
	bridge_conf "$_mode" block_size=256K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	_pid=$IFB_PID
	for _how in "$@"; do
		_dev=$(rig_usb_wait_device 15) || bridge_fail "$_mode: no host device"
		iio-ffs-capture --duration 30 -o /dev/null --quiet --json >/tmp/cap.json 2>/tmp/cap.err &
		_cap=$!
		sleep 2
		case $_how in
		host) rig_write "$_dev/authorized" 0 ;;
		unbind) rig_gadget_unbind ifb ;;
		esac
		if wait "$_cap"; then
			bridge_fail "$_mode ($_how): capture did not notice the device going away"
		fi
		grep -qi 'gone\|disconnect\|no device' /tmp/cap.err ||
			bridge_fail "$_mode ($_how): capture said: $(cat /tmp/cap.err)"
		sleep 1
		kill -0 "$_pid" || bridge_fail "$_mode ($_how): daemon died on disconnect"
		bridge_idle_check
		case $_how in
		host) rig_write "$_dev/authorized" 1 ;;
		unbind) rig_gadget_bind ifb ;;
		esac
		rig_usb_wait_device 15 >/dev/null || bridge_fail "$_mode ($_how): host did not enumerate again"
		iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json >/tmp/cap.json ||
			bridge_fail "$_mode ($_how): capture after reconnect failed: $(cat /tmp/cap.json)"
		echo "reconnect ($_mode, $_how): stream resumed"
	done
	[ "$IFB_PID" = "$_pid" ] || bridge_fail "$_mode: daemon was restarted"
	bridge_stop
}

bridge_case_sigterm() {
	_mode=$1
	for _host in reading stalled; do
		bridge_conf "$_mode" block_size=1M block_count=4 >/tmp/ifb.conf
		bridge_start /tmp/ifb.conf
		iio-ffs-capture --duration 30 -o /dev/null --quiet >/dev/null 2>&1 &
		_cap=$!
		sleep 2
		[ "$_host" = stalled ] && kill -STOP "$_cap"
		sleep 1
		bridge_stop # SIGTERM, exit 0 within 1 s, buffer off, no DMABUF left
		kill -KILL "$_cap" 2>/dev/null
		wait "$_cap" 2>/dev/null
		echo "sigterm ($_mode), host $_host: clean exit"
	done
}

# bridge_resources: one line with the daemon's open fds, RSS (KiB) and the
# number of DMABUFs in the system (debugfs), for endurance cases.
bridge_resources() {
	_br_fds=$(ls "/proc/$IFB_PID/fd" | wc -l)
	_br_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$IFB_PID/status")
	_br_dmabufs=$(sed -n 's/^Total \([0-9]*\) objects.*/\1/p' /sys/kernel/debug/dma_buf/bufinfo 2>/dev/null)
	[ -n "$_br_fds" ] && [ -n "$_br_rss" ] && [ -n "$_br_dmabufs" ] ||
		bridge_fail "cannot read the daemon's fds, RSS or the DMABUF count"
	echo "fds=$_br_fds rss_kb=$_br_rss dmabufs=$_br_dmabufs"
}

# bridge_case_buffer_disabled MODE: another program writes 0 to the IIO
# buffer's enable under a running stream. The daemon ends the stream with
# a reason (log line, GET_STATS idle with an ADC error, end-of-stream), the
# host tool ends with exit 6 and says so, and the next stream works.
bridge_case_buffer_disabled() {
	_mode=$1
	_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	bridge_conf "$_mode" block_size=256K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	_dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"
	iio-ffs-capture --duration 60 -o /dev/null --quiet --json >/tmp/cap.json 2>/tmp/cap.err &
	_cap=$!
	sleep 3
	rig_write "$_dir/buffer0/enable" 0
	_t0=$(cut -d' ' -f1 /proc/uptime)
	wait "$_cap"
	_rc=$?
	_t1=$(cut -d' ' -f1 /proc/uptime)
	cat /tmp/cap.err
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { exit !(b - a < 10) }' ||
		bridge_fail "$_mode: capture took $(awk -v a="$_t0" -v b="$_t1" 'BEGIN { print b - a }') s to end"
	[ "$_rc" = 6 ] || bridge_fail "$_mode: capture exited $_rc, expected 6 (the device ended the stream)"
	grep -q 'device ended stream 1 on its own.*[1-9][0-9]* ADC errors' /tmp/cap.err ||
		bridge_fail "$_mode: capture did not say why: $(cat /tmp/cap.err)"
	grep -q 'IIO buffer .* was disabled by another program: ending stream 1' "$IFB_LOG" ||
		bridge_fail "$_mode: no log line for the disabled buffer"
	grep -q 'Stream 1 ended (error)' "$IFB_LOG" || bridge_fail "$_mode: stream 1 did not end as an error"
	rig-ctrl "$_dev" stats >/tmp/stats || bridge_fail "$_mode: GET_STATS failed"
	grep -q 'state=0 stream=1 .*adc_errors=[1-9]' /tmp/stats ||
		bridge_fail "$_mode: GET_STATS does not show the end: $(cat /tmp/stats)"
	bridge_idle_check
	iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$_mode: next capture failed: $(cat /tmp/cap.json)"
	[ "$(json_num /tmp/cap.json bytes)" = 33554432 ] || bridge_fail "$_mode: next capture short: $(cat /tmp/cap.json)"
	bridge_stop
	echo "buffer disabled ($_mode): stream ended with a reason, next stream verified"
}

# bridge_case_adc_fault MODE: injected ADC block faults are counted, their
# samples reported as a gap, and the stream goes on. The ADC is paced, so a
# block fails when its time is up, as with real DMA (zero-copy: a fault
# signalled within microseconds of the enqueue could beat the daemon's
# fence snapshot, iio-ffs-bridge(8)); copy mode sees a failed kernel block
# as an empty one.
bridge_case_adc_fault() {
	_mode=$1
	_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	# Zero-copy: paced, see above. Copy mode cannot see the ADC run dry, so
	# a paced ADC on a loaded rig would lose samples it cannot report; the
	# unpaced ADC never skips but for the failed blocks.
	# The capture must outlast the second before the faults: unpaced, copy
	# mode moves 32 MiB in under a second on a quiet machine.
	if [ "$_mode" != zero-copy ]; then # copy, hybrid: the ADC side is read()
		bridge_conf "$_mode" block_size=256K block_count=8 >/tmp/ifb.conf
		_bytes=268435456
	else
		rig_write "$_dir/sim_paced" 1
		bridge_conf "$_mode" block_size=256K block_count=8 iio:sampling_frequency=2000000 >/tmp/ifb.conf
		_bytes=33554432
	fi
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --bytes "$_bytes" --duration 60 -o /dev/null --quiet --json >/tmp/cap.json &
	_cap=$!
	# Faults once the stream runs (copy mode drops its first kernel blocks).
	_t=0
	until grep -q 'Stream 1 started' "$IFB_LOG"; do
		_t=$((_t + 1))
		[ $_t -lt 100 ] || bridge_fail "$_mode: stream did not start"
		sleep 0.1
	done
	sleep 1
	rig_write "$_dir/sim_fail_blocks" 3
	wait "$_cap" || bridge_fail "$_mode: capture failed: $(cat /tmp/cap.json)"
	cat /tmp/cap.json
	[ "$(cat "$_dir/sim_blocks_failed")" -ge 3 ] || bridge_fail "the ADC did not fail 3 blocks"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "$_mode: data corrupt around the faults"
	_errs=$(json_num /tmp/cap.json adc_errors)
	# Copy and hybrid mode (read()) may count failed blocks that come back
	# to back as fewer (iio-ffs-bridge(8)); the gap is reported either way
	# (verified above).
	_want=3
	[ "$_mode" != zero-copy ] && _want=1
	[ "${_errs:-0}" -ge $_want ] || bridge_fail "$_mode: daemon counted $_errs ADC errors, expected $_want or more"
	_gaps=$(json_num /tmp/cap.json gaps)
	[ "${_gaps:-0}" -ge 1 ] || bridge_fail "$_mode: no gap reported for the faults"
	[ "$(json_num /tmp/cap.json bytes)" = "$_bytes" ] || bridge_fail "$_mode: stream did not go on after the faults"
	bridge_stop
	echo "adc-fault ($_mode): 3 faults counted, stream verified"
}

# Endurance (tests/vm/cases/endurance-*.sh). On the debug kernel (lockdep,
# /proc/lockdep exists) everything runs several times slower: the cycle
# counts are divided by ENDURANCE_DEBUG_DIV there, and the case says so.
ENDURANCE_DEBUG_DIV=10

endurance_cycles() {
	if [ -e /proc/lockdep ]; then
		echo "debug kernel: $1 cycles / $ENDURANCE_DEBUG_DIV" >&2
		echo $(($1 / ENDURANCE_DEBUG_DIV))
	else
		echo "$1"
	fi
}

# endurance_check START_LINE END_LINE: fail unless the daemon's fds and
# the system's DMABUFs are the same at the end as at the start, and its RSS
# grew by less than 64 KiB. RSS can grow by a few pages once, when a call
# path deeper than any before touches new stack (+12 KiB was seen after 89
# and after 99 cycles alike, so not per stream); a leak per stream of a
# block's bookkeeping or more shows above that.
endurance_check() {
	echo "resources at start: $1"
	echo "resources at end:   $2"
	[ "$(echo "$1" | sed 's/ rss_kb=[0-9]*//')" = "$(echo "$2" | sed 's/ rss_kb=[0-9]*//')" ] ||
		bridge_fail "fds or DMABUFs changed: start $1, end $2"
	_ec_a=$(echo "$1" | sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p')
	_ec_b=$(echo "$2" | sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p')
	[ -z "$_ec_a" ] || [ $((_ec_b - _ec_a)) -lt 64 ] ||
		bridge_fail "RSS grew by $((_ec_b - _ec_a)) KiB: start $1, end $2"
}

# bridge_case_start_stop MODE N: N START/STOP cycles on one daemon, each a
# short capture that stops by itself (STOP at its byte limit). Every STOP
# must end with the end-of-stream packet and the log's "host STOP" (a STOP
# that landed during a transfer used to become a disconnect).
bridge_case_start_stop() {
	_mode=$1
	_n=$(endurance_cycles "$2")
	bridge_conf "$_mode" block_size=64K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	_i=0
	_warm=$((_n / 10 + 1))
	while [ $_i -lt "$_n" ]; do
		_i=$((_i + 1))
		iio-ffs-capture --verify --bytes 2M -o /dev/null --quiet >/tmp/cap.out 2>&1 ||
			bridge_fail "$_mode: cycle $_i: capture failed: $(cat /tmp/cap.out)"
		grep -q 'end-of-stream' /tmp/cap.out && bridge_fail "$_mode: cycle $_i: $(cat /tmp/cap.out)"
		# Start figures once warm: the first streams page in the pool's
		# buffers and the loop's own memory for the first time.
		[ $_i = $_warm ] && _start=$(bridge_resources)
	done
	sleep 1
	_end=$(bridge_resources)
	_stops=$(grep -c 'ended (host STOP)' "$IFB_LOG")
	[ "$_stops" = "$_n" ] ||
		bridge_fail "$_mode: $_stops of $_n streams ended as a host STOP: $(grep 'ended (' "$IFB_LOG" | grep -v 'host STOP' | head -n 3)"
	endurance_check "$_start" "$_end"
	bridge_stop
	echo "start-stop ($_mode): $_n cycles, every STOP ended with end-of-stream"
}

# bridge_case_reconnect_cycles MODE N: N times, the host drops the device
# mid-stream (authorized 0) and takes it back; one daemon throughout.
bridge_case_reconnect_cycles() {
	_mode=$1
	_n=$(endurance_cycles "$2")
	bridge_conf "$_mode" block_size=256K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	_pid=$IFB_PID
	# Warm up (pages in the pool's buffers), then cycle.
	iio-ffs-capture --bytes 16M -o /dev/null --quiet || bridge_fail "$_mode: warm-up capture failed"
	_i=0
	_s=1
	_warm=$((_n / 10 + 1))
	while [ $_i -lt "$_n" ]; do
		_i=$((_i + 1))
		_s=$((_s + 1))
		_dev=$(rig_usb_wait_device 15) || bridge_fail "$_mode: cycle $_i: no host device"
		iio-ffs-capture --duration 30 -o /dev/null --quiet >/tmp/cap.out 2>&1 &
		_cap=$!
		_t=0
		until grep -q "Stream $_s started" "$IFB_LOG"; do
			_t=$((_t + 1))
			[ $_t -lt 100 ] || bridge_fail "$_mode: cycle $_i: stream $_s did not start"
			sleep 0.1
		done
		sleep 0.3
		rig_write "$_dev/authorized" 0
		wait "$_cap" && bridge_fail "$_mode: cycle $_i: capture did not notice the disconnect"
		_t=0
		until grep -q "Stream $_s ended" "$IFB_LOG"; do
			_t=$((_t + 1))
			[ $_t -lt 50 ] || bridge_fail "$_mode: cycle $_i: stream did not end"
			sleep 0.1
		done
		rig_write "$_dev/authorized" 1
		[ $_i = $_warm ] && { sleep 0.5; _start=$(bridge_resources); }
	done
	rig_usb_wait_device 15 >/dev/null || bridge_fail "$_mode: host did not enumerate again"
	iio-ffs-capture --verify --bytes 32M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$_mode: capture after $_n reconnects failed: $(cat /tmp/cap.json)"
	sleep 0.5
	_end=$(bridge_resources)
	[ "$IFB_PID" = "$_pid" ] || bridge_fail "$_mode: daemon was restarted"
	endurance_check "$_start" "$_end"
	bridge_stop
	echo "reconnect cycles ($_mode): $_n, stream verified after the last"
}

# bridge_case_stop_abandoned MODE: the bridge-stop-abandoned-* cases. A
# host sends STOP and reads nothing more (it crashed, or, as SoapySDR's
# deactivateStream did when a read ended early, gave up before the
# end-of-stream packet): what is in flight is cancelled after 3 s, the
# stream ends, GET_STATS says idle, and the next host streams. (One mode
# per boot, see the top.)
bridge_case_stop_abandoned() {
	mode=$1
	: >"$IFB_LOG"
	bridge_conf "$mode" block_size=64K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	dev=$(rig_usb_wait_device 5) || bridge_fail "no device"
	# START, then STOP with no transfer ever submitted by the host
	rig-ctrl "$dev" start >/dev/null || bridge_fail "$mode: START failed"
	sleep 0.5
	rig-ctrl "$dev" stop >/dev/null || bridge_fail "$mode: STOP failed"
	i=0
	until grep -q 'Stream 1 ended' "$IFB_LOG"; do
		[ $i -lt 100 ] || bridge_fail "$mode: the stream did not end within 10 s of a STOP nobody drains"
		i=$((i + 1))
		sleep 0.1
	done
	grep -q 'Host stopped reading after STOP: cancelling' "$IFB_LOG" ||
		bridge_fail "$mode: the cancel is not logged"
	rig-ctrl "$dev" stats >/tmp/st.out || bridge_fail "$mode: GET_STATS failed"
	grep -q '^state=0 ' /tmp/st.out || bridge_fail "$mode: GET_STATS after the cancel: $(cat /tmp/st.out)"
	bridge_idle_check
	iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$mode: the next host's stream failed: $(cat /tmp/cap.json)"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "$mode: the next stream not verified"
	bridge_stop
	echo "$mode: an undrained STOP ended in $((i / 10)).$((i % 10)) s; the next stream verified"
}
