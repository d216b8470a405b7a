#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# libifbhost's SoapySDR module under Debian 12's own SoapySDR 0.8
# (SoapySDRUtil, python3-soapysdr, from the rig's host root): --find and
# --probe see the device; a python3-soapysdr script reads 100 MB in CS16
# with the simulated ADC's counter checked (channels paired as I/Q with
# iq=adjacent: I = voltage0, Q = voltage1, unsigned, so CS16 = value -
# 32768); then, with a paced ADC, the script stalls and the counter may
# jump only right after readStream returned SOAPY_SDR_OVERFLOW; a real
# channel (iq=none) reads as CF32 and CS16 with Q = 0 (what GNU Radio's
# Soapy source asks for). The stall
# is 4 s: the library keeps 16 MiB of transfers in flight, two seconds of
# this 8 MB/s stream, so a shorter one may never starve the ADC.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/soapy-read.py <<'PY'
import sys, time
import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_CS16, SOAPY_SDR_OVERFLOW, SOAPY_SDR_HAS_TIME

want, stall_at, stall_s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
dev = SoapySDR.Device("driver=iioffsbridge,iq=adjacent")
rate = dev.getSampleRate(SOAPY_SDR_RX, 0)
st = dev.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CS16, [0])
mtu = dev.getStreamMTU(st)
buf = np.empty(2 * mtu, dtype=np.int16)
dev.activateStream(st)
got = overflows = jumps = 0
expect = None
after_overflow = False
stalled = False
while got * 4 < want:
    r = dev.readStream(st, [buf], mtu, timeoutUs=5000000)
    if r.ret == SOAPY_SDR_OVERFLOW:
        overflows += 1
        after_overflow = True
        continue
    if r.ret <= 0:
        sys.exit("readStream returned %d after %d scans" % (r.ret, got))
    u = buf[: 2 * r.ret].view(np.uint16) ^ 0x8000
    n = u[0::2].astype(np.uint32) | (u[1::2].astype(np.uint32) << 16)
    if expect is not None and n[0] != expect:
        if not after_overflow:
            sys.exit("counter %#x at scan %d, expected %#x, no overflow flagged" % (n[0], got, expect))
        jumps += 1
    d = np.nonzero(np.diff(n) != 1)[0]
    if len(d):
        sys.exit("counter breaks inside one read at scan %d" % (got + d[0] + 1))
    if rate and r.flags & SOAPY_SDR_HAS_TIME == 0:
        sys.exit("no time on a read")
    expect = (int(n[-1]) + 1) & 0xffffffff
    after_overflow = False
    got += r.ret
    if not stalled and got * 4 >= stall_at:
        stalled = True
        time.sleep(stall_s)
dev.deactivateStream(st)
dev.closeStream(st)
print("soapy-read: %d bytes in CS16, %d overflow(s), %d jump(s), counter ok" % (got * 4, overflows, jumps))
PY

bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
out=$(host SoapySDRUtil --find=driver=iioffsbridge 2>&1) || bridge_fail "SoapySDRUtil --find: $out"
echo "$out"
echo "$out" | grep -q 'driver = iioffsbridge' || bridge_fail "SoapySDRUtil --find does not list the device"
out=$(host SoapySDRUtil --probe=driver=iioffsbridge,iq=adjacent 2>&1) || bridge_fail "SoapySDRUtil --probe: $out"
echo "$out"
echo "$out" | grep -q 'hardware=iio-sim-adc' || bridge_fail "--probe: no hardware key"
echo "$out" | grep -q 'Channels: 1 Rx' || bridge_fail "--probe: not one Rx channel"
echo "$out" | grep -q 'CS16, CF32, CU16' || bridge_fail "--probe: stream formats"
echo "$out" | grep -q 'Native format: CU16' || bridge_fail "--probe: native format"
host python3 /tmp/soapy-read.py 100000000 0 0 >/tmp/soapy.out 2>&1 || bridge_fail "$(cat /tmp/soapy.out)"
cat /tmp/soapy.out

# A real channel (iq=none) as the complex formats GNU Radio's Soapy source
# asks for: the sample in I, Q = 0; voltage0 is the counter's low half.
cat > /tmp/soapy-real.py <<'PY'
import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_CF32, SOAPY_SDR_CS16, SOAPY_SDR_OVERFLOW

dev = SoapySDR.Device("driver=iioffsbridge,iq=none")
fmts = dev.getStreamFormats(SOAPY_SDR_RX, 0)
assert "CF32" in fmts and "CS16" in fmts, "real channel formats: %s" % fmts
for fmt, dt in ((SOAPY_SDR_CF32, np.complex64), (SOAPY_SDR_CS16, np.int16)):
    st = dev.setupStream(SOAPY_SDR_RX, fmt, [0])
    mtu = dev.getStreamMTU(st)
    buf = np.empty(mtu if dt is np.complex64 else 2 * mtu, dtype=dt)
    dev.activateStream(st)
    got = 0
    while got < 1000000:
        r = dev.readStream(st, [buf], mtu, timeoutUs=5000000)
        if r.ret == SOAPY_SDR_OVERFLOW:
            continue  # a gap between reads; inside one read the counter holds
        assert r.ret > 0, "readStream returned %d" % r.ret
        if dt is np.complex64:
            i, q = buf[: r.ret].real, buf[: r.ret].imag
            v = np.rint(i * 32768.0 + 32768.0).astype(np.int64)
        else:
            i, q = buf[0 : 2 * r.ret : 2], buf[1 : 2 * r.ret : 2]
            v = i.astype(np.int64) + 32768
        assert not q.any(), "%s: Q is not 0" % fmt
        assert (np.diff(v) % 65536 == 1).all(), "%s: I is not the counter" % fmt
        got += r.ret
    dev.deactivateStream(st)
    dev.closeStream(st)
    print("soapy-real: %s: %d scans, I = voltage0, Q = 0" % (fmt, got))
PY
host python3 /tmp/soapy-real.py >/tmp/soapy.out 2>&1 || bridge_fail "real channel as complex: $(cat /tmp/soapy.out)"
cat /tmp/soapy.out
bridge_stop

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=64K block_count=4 iio:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/soapy-read.py 24000000 4000000 4.0 >/tmp/soapy.out 2>&1 || bridge_fail "stalled: $(cat /tmp/soapy.out)"
cat /tmp/soapy.out
grep -q ' [1-9][0-9]* jump(s)' /tmp/soapy.out || bridge_fail "the script stalled 4 s but the counter never jumped"
bridge_stop
echo "hostlib-soapy: find, probe, 100 MB CS16, a real channel as CF32/CS16 and overflow at the forced gap"
