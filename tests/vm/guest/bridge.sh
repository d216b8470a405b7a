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
