#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# Receive and transmit of one daemon at once (issue 18), as an RX and a TX
# converter of one transceiver: stream rx reads the simulated ADC while
# stream tx plays to the simulated DAC, each byte-exact, each with its own
# interface (the output one of protocol 2) and counters.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
rig_write "$(rig_adc_dir iio-sim-adc)/sim_paced" 1 # rx: a gap would be a real one
bridge_streams_conf "$(bridge_sentinel rx iio-sim-adc)" \
	tx:iio-sim-dac:zero-copy:block_size=1M:block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --list >/tmp/list.txt 2>&1
cat /tmp/list.txt
grep -q 'rx' /tmp/list.txt || bridge_fail "--list does not name stream rx"

iio-ffs-capture --stream rx --verify --duration 600 --transfers 8 --transfer-size 256K \
	-o /dev/null --quiet --json >/tmp/rx.json &
rx=$!
bridge_wait_log 'rx: Stream 1 started' 0 "stream rx did not start"
iio-ffs-play --stream tx --pattern counter --bytes 256M --quiet --json >/tmp/tx.json ||
	bridge_fail "tx: $(cat /tmp/tx.json)"
kill -INT "$rx"
wait "$rx" || bridge_fail "rx capture failed: $(cat /tmp/rx.json)"
cat /tmp/rx.json /tmp/tx.json
[ "$(json_bool /tmp/rx.json verify_ok)" = true ] || bridge_fail "rx: not verified"
[ "$(json_num /tmp/rx.json gaps)" = 0 ] || bridge_fail "rx had gaps while tx played"
[ "$(cat "$dac/sim_bytes_played")" = 268435456 ] ||
	bridge_fail "tx: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 268435456"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "tx: mismatches at the DAC"
grep -q 'tx: Stream 1 ended (host STOP): 268435456 bytes' "$IFB_LOG" || bridge_fail "tx's end"
bridge_stop
echo "tx-rx: rx read byte-exact while tx played 256 MiB byte-exact, one daemon"
