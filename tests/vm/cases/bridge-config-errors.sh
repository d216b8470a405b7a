#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kernels: 6.1 6.12
# Each bad configuration fails with exit 78 and a message naming the file,
# line and key, and leaves nothing behind.
. /lib/rig.sh
. /lib/bridge.sh

expect() { # WANT_TEXT then the config on stdin
	cat >/tmp/bad.conf
	iio-ffs-bridge -c /tmp/bad.conf >/tmp/bad.out 2>&1
	rc=$?
	[ "$rc" = 78 ] || rig_fail "exit $rc (want 78) for: $(cat /tmp/bad.out)"
	grep -qF -- "$1" /tmp/bad.out || rig_fail "message '$(cat /tmp/bad.out)' lacks '$1'"
}

rig_gadget_create ifb
expect "/tmp/bad.conf:2: [iio] device" <<'X'
[iio]
device = no-such-adc
[usb]
functionfs = /dev/ffs-ifb
X
expect "/tmp/bad.conf:3: [iio] channels" <<'X'
[iio]
device = iio-sim-adc
channels = voltage0, voltage7
[usb]
functionfs = /dev/ffs-ifb
X
grep -q "voltage0, voltage1" /tmp/bad.out || rig_fail "unknown channel error does not list the channels"
expect "/tmp/bad.conf:2: [iio] buffer" <<'X'
[iio]
buffer = 3
device = iio-sim-adc
X
expect "/tmp/bad.conf:4: [stream] block_size: expected" <<'X'
[iio]
device = iio-sim-adc
[stream]
block_size = 1000
X
expect "/tmp/bad.conf:3: unknown section [streams]" <<'X'
[iio]
device = iio-sim-adc
[streams]
X
# A named allocator the kernel lacks is the file's mistake, with the ones
# it has listed; --check-config used to accept "dma-heap: system" too.
expect "/tmp/bad.conf:4: [stream] allocator: cannot open dma-heap:nosuch" <<'X'
[iio]
device = iio-sim-adc
[stream]
allocator = dma-heap:nosuch
[usb]
functionfs = /dev/ffs-ifb
X
grep -q "expected one this kernel offers: .*; or auto" /tmp/bad.out ||
	rig_fail "missing allocator error does not list what the kernel offers: $(cat /tmp/bad.out)"
printf '[iio]\ndevice = iio-sim-adc\n[stream]\nallocator = dma-heap: system\n' >/tmp/bad.conf
iio-ffs-bridge -c /tmp/bad.conf --check-config >/tmp/bad.out 2>&1
[ $? = 78 ] || rig_fail "--check-config accepted 'dma-heap: system': $(cat /tmp/bad.out)"
grep -qF "/tmp/bad.conf:4: [stream] allocator" /tmp/bad.out || rig_fail "$(cat /tmp/bad.out)"
expect "/tmp/bad.conf: [iio] device: missing" </dev/null
rm /tmp/bad.conf
iio-ffs-bridge -c /tmp/bad.conf >/tmp/bad.out 2>&1
[ $? = 78 ] || rig_fail "missing config file is not exit 78"
# Issue 10: a directory is not an empty config, a long line is one line.
iio-ffs-bridge -c /tmp >/tmp/bad.out 2>&1
[ $? = 78 ] || rig_fail "a directory as the config is not exit 78"
grep -qF "/tmp: is a directory; expected a regular file" /tmp/bad.out || rig_fail "$(cat /tmp/bad.out)"
{
	printf '[iio]\ndevice = iio-sim-adc\n[stream]\n# %0196d block_count = 64\n' 0
	printf '[usb]\nfunctionfs = /dev/ffs-ifb\nproduct_id = 0104\n'
} >/tmp/long.conf
iio-ffs-bridge -c /tmp/long.conf --check-config >/tmp/eff.conf || rig_fail "long comment refused"
grep -q '^block_count = 4$' /tmp/eff.conf || rig_fail "a long comment's tail was read as a key"
grep -q '^product_id = 0x0104$' /tmp/eff.conf || rig_fail "product_id 0104 not read as hex"

# inih reads 199 bytes a line: a longer key line is refused whole, never
# split; a long list continues on indented lines and --check-config
# writes it back so.
{ printf '[iio]\ndevice = iio-sim-adc\n[usb]\nfunctionfs = /dev/'; printf '%0190d\n' 0; } >/tmp/in.conf
expect "/tmp/bad.conf:4: line of 208 bytes; expected at most 199 bytes per line" </tmp/in.conf
printf '[iio]\ndevice = iio-sim-adc\nchannels = voltage0,\n\t; the second\n\tvoltage1\n[usb]\nfunctionfs = /dev/ffs-ifb\n' >/tmp/list.conf
iio-ffs-bridge -c /tmp/list.conf --check-config >/tmp/eff.conf || rig_fail "a list over continuation lines refused"
grep -q '^channels = voltage0, voltage1$' /tmp/eff.conf || rig_fail "the continued list was not read whole: $(cat /tmp/eff.conf)"
expect "/tmp/bad.conf:3: [usb] product: continues on an indented line" <<'X'
[usb]
product = A
  B
[iio]
device = iio-sim-adc
X

# Not a config error: FunctionFS not mounted there -> exit 1, clear message.
bridge_conf copy >/tmp/ok.conf
sed -i 's|/dev/ffs-ifb|/dev/nothing-here|' /tmp/ok.conf
iio-ffs-bridge -c /tmp/ok.conf >/tmp/bad.out 2>&1
rc=$?
[ "$rc" = 1 ] || rig_fail "exit $rc (want 1) for a missing FunctionFS"
grep -q "cannot set up FunctionFS at /dev/nothing-here" /tmp/bad.out || rig_fail "$(cat /tmp/bad.out)"
bridge_clean_check
iio-ffs-bridge -c /tmp/ok.conf --check-config >/tmp/eff.conf || rig_fail "--check-config failed"
grep -q '^mode = copy$' /tmp/eff.conf || rig_fail "--check-config does not print the effective mode"
rig_gadget_remove ifb
echo "config errors: all reported"
