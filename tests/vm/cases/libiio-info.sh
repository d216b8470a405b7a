#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian 12's libiio 0.24 (iio_info, iio_attr) finds the IIOD interface
# beside the native one, lists the simulated ADC with its channels and
# attributes, and reads and writes sampling_frequency through it, which
# reaches sysfs. Attribute names outside the context are refused.
# hostroot: yes
# timeout: 240
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh

bridge_conf zero-copy block_size=64K block_count=4 >/tmp/ifb.conf
printf '\n[iiod]\nhw_model = Rig board\nhw_serial = 0042\n' >>/tmp/ifb.conf
bridge_start /tmp/ifb.conf
adc=$(rig_adc_dir)

# (iio_info -S exits non-zero after listing: the list is what counts)
scan=$(hostrun iio_info -S usb 2>&1)
echo "$scan"
uri=$(echo "$scan" | sed -n 's/.*\[\(usb:[0-9.]*\)\].*/\1/p' | head -n1)
[ -n "$uri" ] || bridge_fail "iio_info -S usb found no usb: context: $scan"
case $uri in usb:*.*.1) ;; *) bridge_fail "IIOD interface expected as interface 1, URI is $uri" ;; esac

hostrun iio_info -u "$uri" >/tmp/info.txt 2>&1 || bridge_fail "iio_info -u $uri failed: $(tail -n 5 /tmp/info.txt)"
cat /tmp/info.txt
grep -q 'iio-sim-adc' /tmp/info.txt || bridge_fail "iio_info does not list iio-sim-adc"
grep -q 'voltage0:  (input, index: 0, format: le:U16/16>>0)' /tmp/info.txt ||
	bridge_fail "iio_info does not show voltage0's scan format"
grep -q 'voltage1:  (input, index: 1, format: le:U16/16>>0)' /tmp/info.txt ||
	bridge_fail "iio_info does not show voltage1's scan format"
grep -q 'attr  *[0-9]*: sampling_frequency value: 10000000' /tmp/info.txt ||
	bridge_fail "iio_info does not read sampling_frequency"
grep -q 'hw_model: Rig board' /tmp/info.txt || bridge_fail "hw_model context attribute missing"
grep -q 'hw_serial: 0042' /tmp/info.txt || bridge_fail "hw_serial context attribute missing"
grep -q "local,kernel: $(uname -r)" /tmp/info.txt || bridge_fail "local,kernel context attribute missing"

# iio_attr: read, write (reaches sysfs), read back
v=$(hostrun iio_attr -u "$uri" -d iio-sim-adc sampling_frequency 2>&1) || bridge_fail "iio_attr read failed: $v"
[ "$v" = 10000000 ] || bridge_fail "iio_attr read '$v', want 10000000"
hostrun iio_attr -u "$uri" -d iio-sim-adc sampling_frequency 2500000 >/tmp/attr.txt 2>&1 ||
	bridge_fail "iio_attr write failed: $(cat /tmp/attr.txt)"
[ "$(cat "$adc/sampling_frequency")" = 2500000 ] ||
	bridge_fail "sysfs sampling_frequency is $(cat "$adc/sampling_frequency") after iio_attr wrote 2500000"
v=$(hostrun iio_attr -u "$uri" -d iio-sim-adc sampling_frequency 2>&1)
[ "$v" = 2500000 ] || bridge_fail "iio_attr read back '$v', want 2500000"
# a channel attribute through the same path: none on the sim ADC beyond scan elements,
# so a made-up one must be refused by the client's own context check
if hostrun iio_attr -u "$uri" -c iio-sim-adc voltage0 no_such_attr >/tmp/bad.txt 2>&1; then
	grep -q 'ERROR\|error\|Unable' /tmp/bad.txt || bridge_fail "iio_attr read an attribute that does not exist: $(cat /tmp/bad.txt)"
fi

# the native interface still works beside it
iio-ffs-capture --verify --bytes 8M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "iio-ffs-capture beside the IIOD interface failed: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "native stream not verified"
bridge_stop
echo "libiio-info: iio_info and iio_attr over usb: ok"
