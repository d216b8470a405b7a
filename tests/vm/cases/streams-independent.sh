#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# Streams of one daemon start, stop, fail and reconnect on their own
# (issue 16). While a host reads stream rx without a break, stream hk is
# started and stopped, has ADC faults injected, has its IIO buffer
# disabled behind the daemon's back, and loses its host (SIGKILL) mid-
# stream; each time hk's next host is served, and rx reads on: one stream
# (stream id 1), byte-exact, no gap, no error.
. /lib/rig.sh
. /lib/bridge.sh

streams_adcs 2
hkdir=$(rig_adc_dir iio-sim-adc1) || rig_fail "no second simulated ADC"
bridge_streams_conf "$(bridge_sentinel rx iio-sim-adc)" \
	hk:iio-sim-adc1:zero-copy:block_size=256K:block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
dev=$(rig_usb_wait_device 15) || bridge_fail "no host device"

# usbfs lets all programs have 16 MiB in flight (usbfs_memory_mb): the two
# hosts take 4 MiB each
iio-ffs-capture --stream rx --verify --duration 300 --transfers 8 --transfer-size 512K \
	-o /dev/null --quiet --json >/tmp/rx.json &
rx=$!
bridge_wait_log 'rx: Stream 1 started' 0 "stream rx did not start"

hk_capture() { # WHAT ARGS...: an hk capture that must verify
	_what=$1
	shift
	iio-ffs-capture --stream hk --verify --transfers 8 --transfer-size 512K "$@" \
		-o /dev/null --quiet --json >/tmp/hk.json ||
		bridge_fail "hk, $_what: capture failed: $(cat /tmp/hk.json)"
	[ "$(json_bool /tmp/hk.json verify_ok)" = true ] || bridge_fail "hk, $_what: not verified"
}

# 1. started and stopped, twice
hk_capture "first stream" --bytes 16M
hk_capture "second stream" --bytes 16M
grep -q 'hk: Stream 2 ended (host STOP)' "$IFB_LOG" || bridge_fail "hk's second stream not seen"

# 2. ADC faults on hk's converter: counted, reported as a gap, hk goes on
iio-ffs-capture --stream hk --verify --bytes 48M --transfers 8 --transfer-size 512K \
	-o /dev/null --quiet --json >/tmp/hk.json &
hk=$!
bridge_wait_log 'hk: Stream 3 started' 0 "hk's third stream did not start"
sleep 1
rig_write "$hkdir/sim_fail_blocks" 3
wait "$hk" || bridge_fail "hk with faults: $(cat /tmp/hk.json)"
[ "$(json_bool /tmp/hk.json verify_ok)" = true ] || bridge_fail "hk with faults: not verified"
[ "$(json_num /tmp/hk.json adc_errors)" -ge 3 ] || bridge_fail "hk's faults not counted: $(cat /tmp/hk.json)"

# 3. hk's buffer disabled by another program: hk's stream ends with an error
iio-ffs-capture --stream hk --duration 60 --transfers 8 --transfer-size 512K -o /dev/null \
	--quiet --json >/tmp/hk.json 2>/tmp/hk.err &
hk=$!
bridge_wait_log 'hk: Stream 4 started' 0 "hk's fourth stream did not start"
sleep 1
rig_write "$hkdir/buffer0/enable" 0
wait "$hk"
rc=$?
[ "$rc" = 6 ] || bridge_fail "hk's host exited $rc after its buffer was disabled, expected 6: $(cat /tmp/hk.err)"
grep -q 'hk: IIO buffer .* was disabled by another program: ending stream 4' "$IFB_LOG" ||
	bridge_fail "no log line naming hk's disabled buffer"
hk_capture "after its buffer was disabled" --bytes 16M

# 4. hk's host killed mid-stream; the next host is served
iio-ffs-capture --stream hk --duration 60 --transfers 8 --transfer-size 512K -o /dev/null \
	--quiet >/dev/null 2>&1 &
hk=$!
bridge_wait_log 'hk: Stream 6 started' 0 "hk's sixth stream did not start"
sleep 1
kill -KILL "$hk"
wait "$hk"
hk_capture "after its host was killed" --bytes 16M

# rx read on through all of it
kill -INT "$rx"
wait "$rx" || bridge_fail "rx capture failed: $(cat /tmp/rx.json)"
cat /tmp/rx.json
[ "$(json_bool /tmp/rx.json verify_ok)" = true ] || bridge_fail "rx: not verified"
[ "$(json_num /tmp/rx.json gaps)" = 0 ] || bridge_fail "rx had gaps while hk was disturbed"
[ "$(json_num /tmp/rx.json adc_errors)" = 0 ] || bridge_fail "rx counted hk's ADC errors"
[ "$(json_num /tmp/rx.json stream_id)" = 1 ] || bridge_fail "rx's stream was restarted"
grep -q 'rx: Stream 2' "$IFB_LOG" && bridge_fail "rx's stream was restarted"
rig-ctrl "$dev" stats >/tmp/stats || bridge_fail "GET_STATS of rx failed"
grep -q 'adc_errors=0 usb_errors=0' /tmp/stats || bridge_fail "rx's counters: $(cat /tmp/stats)"
bridge_stop
echo "streams-independent: hk stopped, faulted, disabled and abandoned; rx read on byte-exact"
