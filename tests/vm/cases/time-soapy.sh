#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 400
# debug-kernel: no
# Board time through SoapySDR (issue 19), as an application sees it:
# Debian 12's python3-soapysdr, from the rig's host root, with our module.
# The device has hardware time (hasHardwareTime); getHardwareTime is the
# board's CLOCK_MONOTONIC, which in the rig is the host's own (one kernel
# plays both); setHardwareTime moves it. Then readStream with
# SOAPY_SDR_HAS_TIME: each read's timeNs, against the simulated ADC's
# truth for the scan the counter names (sim_t0_ns + n / true rate),
# running 200 ppm fast; the script stalls once (4.5 s: the module keeps
# 7 MiB of transfers in flight, 3.5 s of this stream) so a gap is in the run.
# Printed: the error's median, 99th percentile and worst.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/soapy-time.py <<'PY'
import sys, time
import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_CS16, SOAPY_SDR_OVERFLOW, SOAPY_SDR_HAS_TIME

want, out = int(sys.argv[1]), sys.argv[2]
dev = SoapySDR.Device("driver=iioffsbridge,iq=adjacent")
if not dev.hasHardwareTime():
    sys.exit("no hardware time")
mono = lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC)
# hardware time is the board's CLOCK_MONOTONIC: here the host's own
d0 = dev.getHardwareTime() - mono()
if abs(d0) > 5000000:
    sys.exit("getHardwareTime is %d ns off this kernel's CLOCK_MONOTONIC" % d0)
# the stream first, on the board's clock itself (no offset set yet)
st = dev.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CS16, [0])
mtu = dev.getStreamMTU(st)
buf = np.empty(2 * mtu, dtype=np.int16)
dev.activateStream(st)
got = overflows = 0
stalled = False
rows = []
while got * 4 < want:
    r = dev.readStream(st, [buf], mtu, timeoutUs=5000000)
    if r.ret == SOAPY_SDR_OVERFLOW:
        overflows += 1
        continue
    if r.ret <= 0:
        sys.exit("readStream returned %d after %d scans" % (r.ret, got))
    if not r.flags & SOAPY_SDR_HAS_TIME:
        sys.exit("a read without SOAPY_SDR_HAS_TIME")
    u = buf[:4].view(np.uint16) ^ 0x8000
    rows.append((int(u[0]) | int(u[1]) << 16, r.timeNs))
    got += r.ret
    if not stalled and got * 4 >= want // 3:
        stalled = True
        # while the stream runs: its START's estimate, no USB request
        dm = dev.getHardwareTime() - mono()
        if abs(dm) > 5000000:
            sys.exit("getHardwareTime during the stream is %d ns off CLOCK_MONOTONIC" % dm)
        time.sleep(4.5)
dev.deactivateStream(st)
dev.closeStream(st)
# setHardwareTime moves the hardware clock: what getHardwareTime says next
dev.setHardwareTime(10 ** 15)
d1 = dev.getHardwareTime() - 10 ** 15
if not 0 <= d1 < 50000000:
    sys.exit("setHardwareTime(1e15) then getHardwareTime: %d ns after" % d1)
with open(out, "w") as f:
    for n, t in rows:
        f.write("%d %d\n" % (n, t))
print("soapy-time: %d reads, %d overflow(s); getHardwareTime %+d ns from CLOCK_MONOTONIC read "
      "after it (Python's own latency included), %+d ns during the stream; after "
      "setHardwareTime(1e15) %+d ns" % (len(rows), overflows, d0, dm, d1))
PY

cat > /tmp/soapy-check.py <<'PY'
import sys
rows, t0, rate, ppm = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
true_rate = rate * (1 + ppm * 1e-6)
hi, prev, errs = 0, None, []
for line in open(rows):
    n, t = map(int, line.split())
    if prev is not None and n < prev:
        hi += 1 << 32
    prev = n
    errs.append(abs(t - (t0 + (hi + n) * 1e9 / true_rate)))
errs.sort()
k = len(errs)
med, p99, worst = errs[k // 2], errs[min(k - 1, k * 99 // 100)], errs[-1]
print("time-soapy: %d reads, timeNs against the truth: median %.1f us, p99 %.1f us, worst %.1f us"
      % (k, med / 1e3, p99 / 1e3, worst / 1e3))
sys.exit(0 if med < 1e6 and p99 < 50e6 else 1)
PY

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
rig_write "$dir/sim_ppm" 200
bridge_conf zero-copy block_size=64K block_count=8 iio:sampling_frequency=500000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/soapy-time.py 16000000 /tmp/soapy-rows.txt >/tmp/soapy.out 2>&1 ||
	bridge_fail "$(cat /tmp/soapy.out)"
cat /tmp/soapy.out
grep -q " [1-9][0-9]* overflow" /tmp/soapy.out || bridge_fail "the 4.5 s stall made no gap"
bridge_stop
host python3 /tmp/soapy-check.py /tmp/soapy-rows.txt "$(cat "$dir/sim_t0_ns")" 500000 200 \
	>/tmp/check.out 2>&1 || bridge_fail "timeNs off the truth: $(cat /tmp/check.out)"
cat /tmp/check.out
