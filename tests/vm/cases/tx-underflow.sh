#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# Underflows (issue 18): the simulated DAC plays at its rate (8 MB/s), the
# host stalls for a second (SIGSTOP), and the DAC runs dry. The daemon
# counts each underflow with the stream offset where playing resumed, and
# the host reads them (GET_STATS, GET_GAPS): the offsets iio-ffs-play
# reports are the ones the DAC itself recorded (sim_underflow_offsets; the
# daemon may report one more than the DAC saw when the DAC's block ended
# during the enqueue of the next, never fewer). No sample is lost: the DAC
# plays every byte, in order.
. /lib/rig.sh
. /lib/bridge.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
rig_write "$dac/sim_paced" 1
bridge_streams_conf tx:iio-sim-dac:zero-copy:block_size=256K:block_count=8:sampling_frequency=2000000 \
	>/tmp/ifb.conf
bridge_start /tmp/ifb.conf

# 512 KiB of transfers in flight and 2 MiB of blocks: 0.3 s at 8 MB/s
iio-ffs-play --stream tx --pattern counter --bytes 40M --transfers 2 --transfer-size 256K \
	--quiet --json >/tmp/play.json &
play=$!
bridge_wait_log 'tx: Stream 1 started' 0 "stream tx did not start"
sleep 2
kill -STOP "$play"
sleep 1
kill -CONT "$play"
wait "$play"
rc=$?
cat /tmp/play.json
[ "$rc" = 0 ] || bridge_fail "iio-ffs-play exited $rc"
[ "$(json_bool /tmp/play.json played)" = true ] || bridge_fail "the DAC did not play it all"
[ "$(cat "$dac/sim_bytes_played")" = 41943040 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 41943040"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "the DAC saw $(cat "$dac/sim_mismatches") mismatches"

truth=$(cat "$dac/sim_underflow_offsets")
n_truth=$(cat "$dac/sim_underflows")
n_host=$(json_num /tmp/play.json underflows)
echo "DAC: $n_truth underflow(s) at $truth; host: $n_host"
[ "${n_truth:-0}" -ge 1 ] || bridge_fail "the host stalled for 1 s but the DAC never ran dry"
host=$(sed -n 's/.*"underflow_offsets":\[\([0-9,]*\)\].*/\1/p' /tmp/play.json | tr ',' ' ')
for o in $truth; do
	case " $host " in
	*" $o "*) ;;
	*) bridge_fail "the DAC ran dry at $o; the host was told $host" ;;
	esac
done
[ "$n_host" -le $((n_truth + 2)) ] || bridge_fail "the host was told $n_host underflows, the DAC saw $n_truth"
bridge_stop
echo "tx-underflow: $n_truth underflow(s) at the DAC, $n_host reported to the host at the same offsets"
