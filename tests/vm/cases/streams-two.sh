#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# Two streams of one daemon at once (issue 16): two simulated ADCs, each
# its own [stream NAME], its own interface and bulk IN endpoint, captured
# by two hosts at once, byte-exact from each ADC's own counter. Each has
# its own gaps: the host of one stalls for a second, and only its stream
# reports gaps (the capture resynchronises exactly there).
. /lib/rig.sh
. /lib/bridge.sh

streams_adcs 2
bridge_streams_conf "$(bridge_sentinel rx iio-sim-adc)" \
	hk:iio-sim-adc1:zero-copy:block_size=64K:block_count=4:sampling_frequency=500000 >/tmp/ifb.conf
cat /tmp/ifb.conf
bridge_start /tmp/ifb.conf
grep -q "rx: iio-sim-adc, 2 channels" "$IFB_LOG" || bridge_fail "stream rx not set up"
grep -q "hk: iio-sim-adc1, 2 channels" "$IFB_LOG" || bridge_fail "stream hk not set up"

# Each stream is its own interface: rx the first (a version 1-3 host's),
# then the IIOD interface (1), then hk; each answers for its own stream.
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"
RIG_CTRL_IFACE=0 rig-ctrl "$dev" stream info >/tmp/if0 || bridge_fail "interface 0: $(cat /tmp/if0)"
RIG_CTRL_IFACE=2 rig-ctrl "$dev" stream info >/tmp/if2 || bridge_fail "interface 2: $(cat /tmp/if2)"
cat /tmp/if0 /tmp/if2
grep -q '^index=0 count=2 name=rx$' /tmp/if0 || bridge_fail "interface 0 is not stream rx"
grep -q 'device=iio-sim-adc$' /tmp/if0 || bridge_fail "interface 0 does not describe iio-sim-adc"
grep -q '^index=1 count=2 name=hk$' /tmp/if2 || bridge_fail "interface 2 is not stream hk"
grep -q 'device=iio-sim-adc1$' /tmp/if2 || bridge_fail "interface 2 does not describe iio-sim-adc1"

# What a host sees: both streams listed, by name.
iio-ffs-capture --list >/tmp/list.txt 2>&1 || bridge_fail "--list failed: $(cat /tmp/list.txt)"
cat /tmp/list.txt
grep -q 'rx' /tmp/list.txt || bridge_fail "--list does not name stream rx"
grep -q 'hk' /tmp/list.txt || bridge_fail "--list does not name stream hk"

# hk: 1 MiB of transfers in flight, so a 1 s stall starves its 2 MB/s ADC
# (a rate the debug kernel keeps up with beside a second VM); rx (2 s of
# blocks, 2 MiB of transfers) rides out a loaded rig. Linux lets all
# programs have 16 MiB in flight (usbfs_memory_mb).
iio-ffs-capture --stream rx --verify --duration 6 --transfers 8 --transfer-size 256K -o /dev/null --quiet --json \
	>/tmp/rx.json &
rx=$!
iio-ffs-capture --stream hk --verify --duration 6 --transfers 4 --transfer-size 256K \
	-o /dev/null --quiet --json >/tmp/hk.json &
hk=$!
sleep 2
kill -STOP "$hk"   # hk's host stops reading for a second; rx's goes on
sleep 1
kill -CONT "$hk"
wait "$rx" || bridge_fail "rx capture failed: $(cat /tmp/rx.json)"
wait "$hk" || bridge_fail "hk capture failed: $(cat /tmp/hk.json)"
cat /tmp/rx.json /tmp/hk.json
for s in rx:3000000:1 hk:5000000:2; do
	n=${s%%:*} min=${s#*:} rate=${s##*:}
	min=${min%%:*}
	[ "$(json_bool /tmp/$n.json verify_ok)" = true ] || bridge_fail "$n: counter not verified"
	b=$(json_num /tmp/$n.json verified_bytes)
	[ "${b:-0}" -ge "$min" ] || bridge_fail "$n: only $b bytes verified in 6 s at $rate MB/s"
done
gaps=$(json_num /tmp/hk.json gaps)
[ "${gaps:-0}" -ge 1 ] || bridge_fail "hk's host stalled for 1 s but hk reported no gap"
rxgaps=$(json_num /tmp/rx.json gaps)
[ "${rxgaps:-0}" = 0 ] || bridge_fail "rx reported $rxgaps gap(s) for hk's stall"
grep -q 'rx: Stream 1 started' "$IFB_LOG" || bridge_fail "the log does not name stream rx"
grep -q 'hk: Stream 1 ended (host STOP)' "$IFB_LOG" || bridge_fail "the log does not name stream hk"
bridge_stop
echo "streams-two: rx and hk at once, byte-exact; hk's $gaps gap(s) its own"
