#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# Transmit from SoapySDR (issue 18): the output stream "tx" of the simulated
# DAC (voltage0 and voltage1 paired as I/Q by the stream's iq key) is a
# Soapy device with one TX channel. A python3-soapysdr script (Debian's)
# writes the DAC's counter as CS16 (I = voltage0 - 32768, Q = voltage1 -
# 32768) in bursts, each ended with SOAPY_SDR_END_BURST (a burst is a stream:
# the DAC's counter restarts with it), and the DAC checks every byte
# (sim_mismatches 0, sim_bytes_played of the last burst). Then, with the DAC
# paced, the script pauses mid-burst and readStreamStatus reports
# SOAPY_SDR_UNDERFLOW where the DAC ran dry (its time: the DAC's own
# offset), one for every underflow the daemon counted, no sample lost.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/soapy-tx.py <<'PY'
import sys, time
import numpy as np
import SoapySDR
from SoapySDR import (SOAPY_SDR_TX, SOAPY_SDR_RX, SOAPY_SDR_CS16, SOAPY_SDR_CF32,
                      SOAPY_SDR_END_BURST, SOAPY_SDR_UNDERFLOW, SOAPY_SDR_TIMEOUT)

bursts, burst_bytes, pause_at, pause_s = (int(sys.argv[1]), int(sys.argv[2]),
                                          int(sys.argv[3]), float(sys.argv[4]))
fmt = sys.argv[5] if len(sys.argv) > 5 else SOAPY_SDR_CS16
found = SoapySDR.Device.enumerate("driver=iioffsbridge,direction=tx")
assert len(found) == 1 and found[0]["stream"] == "tx", found
dev = SoapySDR.Device("driver=iioffsbridge,stream=tx")
assert dev.getNumChannels(SOAPY_SDR_TX) == 1, dev.getNumChannels(SOAPY_SDR_TX)
assert dev.getNumChannels(SOAPY_SDR_RX) == 0
fmts = list(dev.getStreamFormats(SOAPY_SDR_TX, 0))
assert fmts[:2] == ["CS16", "CF32"], fmts
st = dev.setupStream(SOAPY_SDR_TX, fmt, [0])
mtu = dev.getStreamMTU(st)
dev.activateStream(st)
scans = burst_bytes // 4
for b in range(bursts):
    n = np.arange(scans, dtype=np.uint32)
    iq = np.empty(2 * scans, dtype=np.uint16)
    iq[0::2], iq[1::2] = n & 0xffff, n >> 16
    if fmt == SOAPY_SDR_CS16:
        iq = (iq ^ 0x8000).view(np.int16)
    elif fmt == SOAPY_SDR_CF32:  # a fraction of full scale: exact in float32
        iq = ((iq.astype(np.float32) - 32768.0) / 32768.0).astype(np.float32)
    done = partial = 0
    paused = False
    while done < scans:
        k = min(mtu, scans - done)
        flags = SOAPY_SDR_END_BURST if done + k == scans else 0
        r = dev.writeStream(st, [iq[2 * done:]], k, flags, timeoutUs=5000000)
        if r.ret == SOAPY_SDR_TIMEOUT:
            continue
        if r.ret <= 0:
            sys.exit("writeStream returned %d at scan %d of burst %d" % (r.ret, done, b))
        partial += r.ret < k
        done += r.ret
        if pause_s and not paused and done * 4 >= pause_at:
            paused = True
            time.sleep(pause_s)
underflows = []
while True:
    r = dev.readStreamStatus(st, timeoutUs=200000)
    if r.ret == SOAPY_SDR_TIMEOUT:
        break
    assert r.ret == SOAPY_SDR_UNDERFLOW, r.ret
    underflows.append(r.timeNs)
dev.deactivateStream(st)
dev.closeStream(st)
print("soapy-tx: %d burst(s) of %d bytes in %s, %d partial write(s), %d underflow(s) at %s ns"
      % (bursts, burst_bytes, fmt, partial, len(underflows), underflows))
PY

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
# by hand: bridge_streams_conf splits its arguments at ':' (iq's pairs)
tx_conf() {
	printf '[stream tx]\ndevice = iio-sim-dac\nmode = zero-copy\niq = voltage0:voltage1\n'
	for kv in "$@"; do
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
	done
	printf '\n[usb]\nfunctionfs = /dev/ffs-ifb\n'
}
tx_conf block_size=1M block_count=4 >/tmp/ifb.conf
cat /tmp/ifb.conf
bridge_start /tmp/ifb.conf
out=$(host SoapySDRUtil --probe=driver=iioffsbridge,stream=tx 2>&1) || bridge_fail "SoapySDRUtil --probe: $out"
echo "$out"
echo "$out" | grep -q 'Channels: 0 Rx, 1 Tx' || bridge_fail "--probe: not one Tx channel"
echo "$out" | grep -q 'direction=tx' || bridge_fail "--probe: no direction"
echo "$out" | grep -q 'Native format: CU16' || bridge_fail "--probe: native format"

# 3 bursts of 24 MiB (an odd number of 1 MiB blocks, not of transfers)
host python3 /tmp/soapy-tx.py 3 25165824 0 0 >/tmp/soapy.out 2>&1 || bridge_fail "$(cat /tmp/soapy.out)"
cat /tmp/soapy.out
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "the DAC saw $(cat "$dac/sim_mismatches") mismatches"
[ "$(cat "$dac/sim_bytes_played")" = 25165824 ] ||
	bridge_fail "the DAC played $(cat "$dac/sim_bytes_played") bytes of the last burst, expected 25165824"
n=$(grep -c 'tx: Stream [0-9]* ended (host STOP): 25165824 bytes' "$IFB_LOG")
[ "$n" = 3 ] || bridge_fail "$n stream(s) of 25165824 bytes ended, expected 3 (one per burst)"

# the other formats: CF32 (a fraction of full scale) and the native CU16
for f in CF32 CU16; do
	host python3 /tmp/soapy-tx.py 1 8388608 0 0 "$f" >/tmp/soapy.out 2>&1 || bridge_fail "$f: $(cat /tmp/soapy.out)"
	cat /tmp/soapy.out
	[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "$f: the DAC saw $(cat "$dac/sim_mismatches") mismatches"
	[ "$(cat "$dac/sim_bytes_played")" = 8388608 ] ||
		bridge_fail "$f: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 8388608"
done
bridge_stop

# paced at 8 MB/s, 2 MiB of blocks; the script pauses 2 s after 8 MiB
rig_write "$dac/sim_paced" 1
tx_conf block_size=256K block_count=8 sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/soapy-tx.py 1 33554432 8388608 2.0 >/tmp/soapy.out 2>&1 ||
	bridge_fail "paused: $(cat /tmp/soapy.out)"
cat /tmp/soapy.out
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "paused: the DAC saw mismatches"
[ "$(cat "$dac/sim_bytes_played")" = 33554432 ] ||
	bridge_fail "paused: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 33554432"
n_truth=$(cat "$dac/sim_underflows")
truth=$(cat "$dac/sim_underflow_offsets")
n_host=$(sed -n 's/.*, \([0-9]*\) underflow(s).*/\1/p' /tmp/soapy.out)
bridge_wait_log 'tx: Stream 1 ended' 0 "paused: the daemon did not log the stream's end"
n_daemon=$(sed -n 's/.*tx: Stream [0-9]* ended (host STOP): 33554432 bytes.* \([0-9]*\) starvations.*/\1/p' "$IFB_LOG" | tail -1)
echo "DAC: $n_truth underflow(s) at $truth; daemon: $n_daemon; readStreamStatus: $n_host"
# the pause: the DAC runs dry after the 8 MiB written before it (whole
# transfers: all submitted), at scan 2097152, 1.048576 s at 2 MHz
case " $truth " in
*" 8388608 "*) ;;
*) bridge_fail "the script paused 2 s after 8 MiB but the DAC did not run dry there" ;;
esac
grep -q '[[ ]1048576000[],]' /tmp/soapy.out ||
	bridge_fail "readStreamStatus did not report the underflow of the pause (1048576000 ns)"
# every underflow the daemon counted, once; the daemon misses none the DAC
# saw (it may count one more: tx-underflow)
[ -n "$n_daemon" ] && [ "${n_host:-0}" = "$n_daemon" ] ||
	bridge_fail "readStreamStatus told ${n_host:-no} underflows, the daemon counted ${n_daemon:-?}"
[ "$n_daemon" -ge "$n_truth" ] || bridge_fail "the DAC ran dry $n_truth times, the daemon counted $n_daemon"
bridge_stop
echo "tx-soapy: 3 CS16 bursts byte-exact with END_BURST, $n_host underflow(s) through readStreamStatus (the pause's included; daemon $n_daemon, DAC $n_truth)"
