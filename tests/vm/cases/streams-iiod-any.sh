#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 400
# debug-kernel: no
# The IIOD interface serves any IIO device's buffer, each on its own pipe,
# beside the native streams (issue 16): the daemon's one stream (rx) reads
# iio-sim-adc natively, while one python3-libiio program holds buffers of
# two devices no stream of the configuration names (iio-sim-adc1 and
# iio-sim-adc2) open at once, every sample of each checked against its own
# counter. Each libiio buffer is a stream the daemon makes for the OPEN
# and releases after CLOSE: nothing of them is left afterwards.
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

streams_adcs 3 unpaced
rig_write "$(rig_adc_dir iio-sim-adc)/sim_paced" 1 # rx: a gap would be a real one
{
	bridge_streams_conf "$(bridge_sentinel rx iio-sim-adc)"
	printf '\n[iiod]\npipes = 3\n'
} >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)

iio-ffs-capture --stream rx --verify --duration 600 --transfers 8 --transfer-size 512K \
	-o /dev/null --quiet --json >/tmp/rx.json &
rx=$!
bridge_wait_log 'rx: Stream 1 started' 0 "stream rx did not start"

cp /lib/libiio-read.py /tmp/ # the host root has its own /lib
hostrun python3 /tmp/libiio-read.py "$uri" 100 4096 iio-sim-adc1 iio-sim-adc2 >/tmp/py.out 2>&1 ||
	bridge_fail "python3-libiio on two devices at once: $(tail -n 5 /tmp/py.out)"
cat /tmp/py.out
grep -q '100 buffers of 4096 scans verified' /tmp/py.out || bridge_fail "python3-libiio did not verify both"
for d in 1 2; do
	grep -q "IIOD iio:device$d: Stream 1 started" "$IFB_LOG" ||
		bridge_fail "no stream was made for iio:device$d"
	grep -q "IIOD iio:device$d: Stream 1 ended" "$IFB_LOG" ||
		bridge_fail "iio:device$d's stream did not end"
done
# both were open at once: the second started before the first ended
awk '/IIOD iio:device[12]: Stream 1 started/ { s++ } /IIOD iio:device[12]: Stream 1 ended/ { if (s < 2) bad = 1 }
     END { exit bad }' "$IFB_LOG" || bridge_fail "the two libiio buffers were not open at once"

# and again, with the same daemon (the streams made for the first were released)
hostrun python3 /tmp/libiio-read.py "$uri" 20 4096 iio-sim-adc2 >/tmp/py2.out 2>&1 ||
	bridge_fail "python3-libiio again: $(tail -n 5 /tmp/py2.out)"
cat /tmp/py2.out

kill -INT "$rx"
wait "$rx" || bridge_fail "rx capture failed: $(cat /tmp/rx.json)"
[ "$(json_bool /tmp/rx.json verify_ok)" = true ] || bridge_fail "rx: not verified"
[ "$(json_num /tmp/rx.json gaps)" = 0 ] || bridge_fail "rx had gaps beside the libiio buffers"
sleep 0.5
bridge_idle_check
bridge_stop
echo "streams-iiod-any: two unconfigured devices' buffers at once over IIOD, rx natively beside them"
