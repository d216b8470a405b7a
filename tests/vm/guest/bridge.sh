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
#   bridge_start CONF start the daemon (log in $IFB_LOG), wait for its
#                     descriptors, bind the gadget, wait for the host side
#   bridge_stop       SIGTERM, expect exit 0 within a second, check nothing
#                     is left behind, remove the gadget
#   bridge_fail MSG   fail the case, showing the daemon's log tail
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

bridge_fail() {
	echo "--- iio-ffs-bridge log (tail) ---" >&2
	tail -n 25 "$IFB_LOG" >&2 2>/dev/null
	rig_fail "$@"
}

bridge_start() {
	[ -d /dev/ffs-ifb ] || rig_gadget_create ifb
	iio-ffs-bridge -v -c "$1" >>"$IFB_LOG" 2>&1 &
	IFB_PID=$!
	rig_wait_file /dev/ffs-ifb/ep1 10 || bridge_fail "daemon did not write its USB descriptors"
	rig_gadget_bind ifb
	rig_usb_wait_device 15 >/dev/null || bridge_fail "host did not enumerate the gadget"
}

bridge_clean_check() {
	_bcc_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	[ "$(cat "$_bcc_dir/buffer0/enable")" = 0 ] || rig_fail "IIO buffer left enabled"
	if [ -r /sys/kernel/debug/dma_buf/bufinfo ]; then
		grep -q '^Total 0 objects' /sys/kernel/debug/dma_buf/bufinfo ||
			rig_fail "DMABUFs left behind: $(grep '^Total' /sys/kernel/debug/dma_buf/bufinfo)"
	fi
}

bridge_idle_check() {
	_bic_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	[ "$(cat "$_bic_dir/buffer0/enable")" = 0 ] || bridge_fail "IIO buffer still enabled"
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
	awk -v a="$_bs_t0" -v b="$_bs_t1" 'BEGIN { exit !(b - a < 1.0) }' ||
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
