# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# /lib/rig.sh: helpers for VM rig cases (busybox sh, run as root in the
# guest). A case does `. /lib/rig.sh` and reports by exit status: 0 pass,
# 77 skip (print "SKIP: why" first, rig_skip does both), anything else
# fails, and its last output lines are the reason shown by the runner.
# Files written to $RIG_OUT/ end up in build/vm-out/<case>/ on the host.
#
#   rig_fail MSG...              print MSG on stderr, exit 1
#   rig_skip MSG...              print "SKIP: MSG", exit 77
#   rig_need_dmabuf_allocators   skip unless /dev/udmabuf or the system
#                                dma-heap exists (Debian's 6.1 has neither,
#                                its arm64 6.12 udmabuf only); sets
#                                RIG_ALLOCS to those there ("udmabuf heap")
#   rig_write FILE VALUE         write VALUE to a sysfs/configfs FILE, fail
#                                the case naming FILE if that fails
#   rig_wait_file PATH TIMEOUT_S wait until PATH exists (returns 1 on timeout)
#   rig_adc_dir                  print /sys/bus/iio/devices/iio:deviceN of the
#                                simulated ADC (iio-sim-adc)
#   rig_adc_dev                  print its /dev/iio:deviceN
#   rig_adc_setup CHANNELS [LENGTH]
#                                disable buffer0, enable exactly the listed
#                                scan elements ("0 1", "0", "1"), set the
#                                buffer length (scans, default 16384)
#   rig_dac_load [ARGS...]       load the simulated DAC (iio-sim-dac, staged
#                                but not loaded by /init; ARGS: its module
#                                parameters, e.g. devices=2); skip the case
#                                on a kernel without it (6.1); no-op when
#                                loaded already
#   rig_dac_dir [NAME]           print the sysfs dir of the simulated DAC
#                                (default iio-sim-dac)
#   rig_dac_setup CHANNELS [LENGTH]
#                                as rig_adc_setup, for the DAC's out_voltageN
#   rig_gadget_create NAME [VID PID]
#                                configfs gadget g-NAME (strings, one config
#                                c.1, function ffs.NAME), FunctionFS mounted
#                                at /dev/ffs-NAME; not bound
#   rig_gadget_bind NAME         bind g-NAME to the dummy UDC (descriptors
#                                must have been written to ep0 first); no-op
#                                when it is bound to it already
#   rig_gadget_unbind NAME       unbind g-NAME (no-op when not bound)
#   rig_gadget_remove NAME       unbind, unmount, remove everything
#                                rig_gadget_create made (processes must have
#                                closed the FunctionFS files first)
#   rig_nr_write PID             the number /proc/PID/syscall shows for
#                                write(): 1 on x86_64, 64 on arm64, 4 for a
#                                32-bit ARM process on the arm64 kernel
#   rig_usb_wait_device TIMEOUT_S
#                                wait until the host side has enumerated and
#                                configured a device with a vendor-specific
#                                (class ff) interface; prints its sysfs dir
#                                (e.g. /sys/bus/usb/devices/2-1)

RIG_CONFIGFS=/sys/kernel/config/usb_gadget

rig_need_dmabuf_allocators() {
	_rnd_missing=
	[ -e /dev/udmabuf ] || _rnd_missing="/dev/udmabuf (CONFIG_UDMABUF)"
	[ -e /dev/dma_heap/system ] ||
		_rnd_missing="${_rnd_missing:+$_rnd_missing and }/dev/dma_heap/system (CONFIG_DMABUF_HEAPS_SYSTEM)"
	RIG_ALLOCS=
	[ ! -e /dev/udmabuf ] || RIG_ALLOCS=udmabuf
	[ ! -e /dev/dma_heap/system ] || RIG_ALLOCS="${RIG_ALLOCS:+$RIG_ALLOCS }heap"
	[ -n "$RIG_ALLOCS" ] || rig_skip "kernel $(uname -r) has no $_rnd_missing: no DMABUF allocator"
	[ -z "$_rnd_missing" ] || echo "kernel $(uname -r) has no $_rnd_missing: $RIG_ALLOCS only"
}

rig_nr_write() {
	case $(uname -m) in
	x86_64) echo 1 ;;
	aarch64)
		# ELF class (byte 4 of the program): 1 is 32-bit, compat numbers
		if [ "$(od -An -tu1 -j4 -N1 "/proc/$1/exe" | tr -d ' ')" = 1 ]; then
			echo 4
		else
			echo 64
		fi
		;;
	*) rig_fail "rig_nr_write: no syscall table for $(uname -m)" ;;
	esac
}

rig_fail() {
	echo "$*" >&2
	exit 1
}

rig_skip() {
	echo "SKIP: $*"
	exit 77
}

rig_write() {
	# printf, not echo: configfs/sysfs want exactly the value
	printf '%s\n' "$2" > "$1" || rig_fail "writing '$2' to $1 failed"
}

# Sleeps in tenths of a second, so waits end soon after the event.
rig_wait_file() {
	_rw_n=$(($2 * 10))
	while [ ! -e "$1" ]; do
		[ "$_rw_n" -gt 0 ] || return 1
		_rw_n=$((_rw_n - 1))
		sleep 0.1
	done
	return 0
}

# rig_adc_dir [NAME]: the sysfs directory of the simulated ADC named NAME
# (default iio-sim-adc; devices=N makes iio-sim-adc1, iio-sim-adc2, ...).
rig_adc_dir() {
	for _ra_d in /sys/bus/iio/devices/iio:device*; do
		[ -e "$_ra_d/name" ] || continue
		if [ "$(cat "$_ra_d/name")" = "${1:-iio-sim-adc}" ]; then
			echo "$_ra_d"
			return 0
		fi
	done
	echo "rig_adc_dir: no ${1:-iio-sim-adc} device under /sys/bus/iio/devices" >&2
	return 1
}

# rig_adc_dirs: every simulated ADC's sysfs directory, one per line.
rig_adc_dirs() {
	for _ra_d in /sys/bus/iio/devices/iio:device*; do
		[ -e "$_ra_d/name" ] || continue
		case $(cat "$_ra_d/name") in
		iio-sim-adc*) echo "$_ra_d" ;;
		esac
	done
}

rig_adc_dev() {
	_ra_dir=$(rig_adc_dir) || return 1
	echo "/dev/${_ra_dir##*/}"
}

# _rig_conv_setup DIR in|out CHANNELS [LENGTH]: rig_adc_setup and
# rig_dac_setup, for the converter at DIR and its in_ or out_ channels.
_rig_conv_setup() {
	rig_write "$1/buffer0/enable" 0
	for _rs_c in 0 1; do
		_rs_v=0
		for _rs_w in $3; do
			[ "$_rs_w" = "$_rs_c" ] && _rs_v=1
		done
		rig_write "$1/buffer0/$2_voltage${_rs_c}_en" "$_rs_v"
	done
	rig_write "$1/buffer0/length" "${4:-16384}"
}

rig_adc_setup() {
	_rs_dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
	_rig_conv_setup "$_rs_dir" in "$@"
}

rig_dac_load() {
	[ -e /lib/modules/iio-sim-dac.ko ] ||
		rig_skip "kernel $(uname -r) has no simulated DAC (its DMA buffer core has no output support)"
	[ -d /sys/module/iio_sim_dac ] && return 0
	insmod /lib/modules/iio-sim-dac.ko "$@" || rig_fail "insmod iio-sim-dac $* failed"
}

rig_dac_dir() {
	rig_adc_dir "${1:-iio-sim-dac}"
}

rig_dac_setup() {
	_rs_dir=$(rig_dac_dir) || rig_fail "no simulated DAC"
	_rig_conv_setup "$_rs_dir" out "$@"
}

rig_gadget_create() {
	_rg_g=$RIG_CONFIGFS/g-$1
	[ -d "$RIG_CONFIGFS" ] || rig_fail "no $RIG_CONFIGFS (libcomposite/configfs missing)"
	mkdir "$_rg_g" || rig_fail "mkdir $_rg_g failed"
	rig_write "$_rg_g/idVendor" "${2:-0x1d6b}"
	rig_write "$_rg_g/idProduct" "${3:-0x0104}"
	rig_write "$_rg_g/bcdDevice" 0x0100
	rig_write "$_rg_g/bcdUSB" 0x0320
	mkdir "$_rg_g/strings/0x409" || rig_fail "mkdir $_rg_g/strings/0x409 failed"
	rig_write "$_rg_g/strings/0x409/manufacturer" "iio-ffs-bridge rig"
	rig_write "$_rg_g/strings/0x409/product" "rig gadget $1"
	rig_write "$_rg_g/strings/0x409/serialnumber" "rig-$1"
	mkdir "$_rg_g/configs/c.1" "$_rg_g/configs/c.1/strings/0x409" ||
		rig_fail "mkdir $_rg_g/configs/c.1 failed"
	rig_write "$_rg_g/configs/c.1/strings/0x409/configuration" "rig"
	rig_write "$_rg_g/configs/c.1/MaxPower" 100
	mkdir "$_rg_g/functions/ffs.$1" || rig_fail "mkdir $_rg_g/functions/ffs.$1 failed"
	ln -s "$_rg_g/functions/ffs.$1" "$_rg_g/configs/c.1/" ||
		rig_fail "linking ffs.$1 into $_rg_g/configs/c.1 failed"
	mkdir -p "/dev/ffs-$1"
	mount -t functionfs "$1" "/dev/ffs-$1" || rig_fail "mounting functionfs $1 at /dev/ffs-$1 failed"
}

rig_gadget_bind() {
	_rg_udc=
	for _rg_u in /sys/class/udc/*; do
		[ -e "$_rg_u" ] && _rg_udc=${_rg_u##*/} && break
	done
	[ -n "$_rg_udc" ] || rig_fail "no UDC in /sys/class/udc"
	# The daemon may have bound it already (it binds a gadget nobody bound).
	[ "$(cat "$RIG_CONFIGFS/g-$1/UDC")" = "$_rg_udc" ] && return 0
	rig_write "$RIG_CONFIGFS/g-$1/UDC" "$_rg_udc"
}

rig_gadget_unbind() {
	_rg_f=$RIG_CONFIGFS/g-$1/UDC
	[ -e "$_rg_f" ] || return 0
	if [ -n "$(cat "$_rg_f")" ]; then
		echo > "$_rg_f" || rig_fail "unbinding g-$1 failed"
	fi
	return 0
}

rig_gadget_remove() {
	_rg_g=$RIG_CONFIGFS/g-$1
	rig_gadget_unbind "$1"
	if grep -q " /dev/ffs-$1 " /proc/mounts; then
		umount "/dev/ffs-$1" || rig_fail "umount /dev/ffs-$1 failed (FunctionFS files still open?)"
	fi
	rmdir "/dev/ffs-$1" 2>/dev/null
	[ -d "$_rg_g" ] || return 0
	rm -f "$_rg_g/configs/c.1/ffs.$1"
	rmdir "$_rg_g/configs/c.1/strings/0x409" "$_rg_g/configs/c.1" \
		"$_rg_g/functions/ffs.$1" "$_rg_g/strings/0x409" "$_rg_g" ||
		rig_fail "removing gadget $_rg_g failed"
}

rig_usb_wait_device() {
	_ru_n=$(($1 * 10))
	while :; do
		for _ru_i in /sys/bus/usb/devices/*:*; do
			[ -e "$_ru_i/bInterfaceClass" ] || continue
			[ "$(cat "$_ru_i/bInterfaceClass")" = ff ] || continue
			_ru_d=${_ru_i%:*}
			[ -n "$(cat "$_ru_d/bConfigurationValue" 2>/dev/null)" ] || continue
			echo "$_ru_d"
			return 0
		done
		[ "$_ru_n" -gt 0 ] || break
		_ru_n=$((_ru_n - 1))
		sleep 0.1
	done
	echo "rig_usb_wait_device: no configured vendor-class USB device after $1 s" >&2
	return 1
}
