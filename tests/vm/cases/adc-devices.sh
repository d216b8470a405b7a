#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# The simulated ADC makes several devices on request (module parameters
# devices, channels, rates), each with its own buffer, counter, channel
# count and default rate: the rig for a daemon with several streams. Each
# device is found by name, says what it was given, and streams through
# the daemon byte-exact (a 1-channel device: the counter's low half; two
# channels of a 4-channel one: the whole u32 counter).
. /lib/rig.sh
. /lib/bridge.sh

rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
insmod /lib/modules/iio-sim-adc.ko devices=3 channels=2,1,4 rates=10000000,2000000,5000000 ||
	rig_fail "cannot load iio-sim-adc devices=3"

# name channels rate, per device
for want in "iio-sim-adc 2 10000000" "iio-sim-adc1 1 2000000" "iio-sim-adc2 4 5000000"; do
	set -- $want
	found=
	for d in /sys/bus/iio/devices/iio:device*; do
		[ "$(cat "$d/name")" = "$1" ] && found=$d
	done
	[ -n "$found" ] || rig_fail "no IIO device named $1"
	n=$(ls "$found"/scan_elements/ | grep -c '^in_voltage[0-9]*_en$')
	[ "$n" = "$2" ] || rig_fail "$1 has $n channels, expected $2"
	[ "$(cat "$found/sampling_frequency" 2>/dev/null || cat "$found/in_voltage_sampling_frequency")" = "$3" ] ||
		rig_fail "$1's sampling_frequency is not $3"
	echo "$1: $found, $2 channel(s), $3 Hz"
done

# One stream per device in turn, each from its own counter.
stream_device() { # DEVICE CHANNELS BYTES
	bridge_conf zero-copy block_size=1M block_count=4 "iio:channels=$2" |
		sed "s/^device = iio-sim-adc\$/device = $1/" >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --bytes "$3" -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "$1: capture failed: $(cat /tmp/cap.json)"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "$1: pattern not verified"
	[ "$(json_num /tmp/cap.json verified_bytes)" = "$3" ] || bridge_fail "$1: not every byte verified"
	grep -q "IIO: '$1' is iio:device" "$IFB_LOG" || bridge_fail "$1: the log does not say which device streams"
	bridge_stop
	echo "$1 ($2): $3 bytes verified"
}
stream_device iio-sim-adc1 all 33554432
stream_device iio-sim-adc2 "voltage0 voltage1" 67108864
stream_device iio-sim-adc all 67108864
echo "adc-devices: 3 simulated ADCs, each streamed byte-exact from its own counter"
