#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 400
# debug-kernel: no
# A libiio client on one stream and a native host on another, at once
# (issue 16): Debian's iio_readdev reads stream hk's converter through the
# IIOD interface, every byte checked, while iio-ffs-capture reads stream
# rx without a break. One stream has one client at a time: a libiio OPEN
# of rx's converter gets EBUSY while rx streams, and a native START of hk
# is refused while a libiio client has it.
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

# rx's converter paced (a gap would be a real one), hk's unpaced
# (a libiio client between READBUFs lets a paced one run dry)
streams_adcs 2 unpaced
rig_write "$(rig_adc_dir iio-sim-adc)/sim_paced" 1
bridge_streams_conf "$(bridge_sentinel rx iio-sim-adc)" \
	hk:iio-sim-adc1:zero-copy:block_size=64K:block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)
echo "URI: $uri"

iio-ffs-capture --stream rx --verify --duration 600 --transfers 8 --transfer-size 512K \
	-o /dev/null --quiet --json >/tmp/rx.json &
rx=$!
bridge_wait_log 'rx: Stream 1 started' 0 "stream rx did not start"

LIBIIO_DEV=iio-sim-adc1
libiio_readdev_check "$uri" 4096 262144 voltage0 voltage1
libiio_readdev_check "$uri" 65536 1048576 voltage0 voltage1
libiio_readdev_check "$uri" 3000 30000 voltage0
grep -q 'hk: Stream [0-9]* started (zero-copy, 4 x 16384 bytes' "$IFB_LOG" ||
	bridge_fail "the libiio client was not served by stream hk"

# rx's converter is busy: its libiio OPEN is refused, rx reads on
if hostrun iio_readdev -u "$uri" -b 4096 -s 4096 iio-sim-adc voltage0 voltage1 >/dev/null \
	2>/tmp/busy.err; then
	bridge_fail "a libiio client read rx's converter while rx streamed"
fi
cat /tmp/busy.err
grep -qi 'busy' /tmp/busy.err || bridge_fail "the refused libiio OPEN does not say busy: $(cat /tmp/busy.err)"

# hk belongs to a libiio client: a native START of hk is refused meanwhile
hostrun iio_readdev -u "$uri" -b 4096 -s 400000000 iio-sim-adc1 voltage0 voltage1 >/dev/null \
	2>/tmp/long.err &
lr=$!
n=$(grep -c 'hk: Stream [0-9]* started' "$IFB_LOG")
bridge_wait_log 'hk: Stream [0-9]* started' "$n" "the long libiio read did not start"
if iio-ffs-capture --stream hk --bytes 1M --transfers 2 -o /dev/null --quiet 2>/tmp/hk.err; then
	bridge_fail "a native host started hk while a libiio client had it"
fi
cat /tmp/hk.err
grep -q 'hk: Host: START refused: busy, a libiio client is streaming' "$IFB_LOG" ||
	bridge_fail "the daemon did not refuse hk's START as busy"
kill "$lr"
wait "$lr"

kill -INT "$rx"
wait "$rx" || bridge_fail "rx capture failed: $(cat /tmp/rx.json)"
cat /tmp/rx.json
[ "$(json_bool /tmp/rx.json verify_ok)" = true ] || bridge_fail "rx: not verified"
[ "$(json_num /tmp/rx.json gaps)" = 0 ] || bridge_fail "rx had gaps beside the libiio client"
grep -q 'rx: Stream 2' "$IFB_LOG" && bridge_fail "rx's stream was restarted"
bridge_stop
echo "streams-libiio: iio_readdev on hk verified while rx streamed natively; busy refusals both ways"
