#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# The daemon's per-channel I/Q hint ([iio] iq, GET_INFO protocol version
# 3) end to end: with iq = voltage0:voltage1 iio-ffs-capture writes
# SigMF cu16_le with one channel (no --iq given) and --info names the
# pair; --iq=none still overrides; Debian's python3 + numpy get complex64
# and Debian's python3-soapysdr one CS16 channel, both with the simulated
# ADC's counter checked (I = n & 0xffff, Q = n >> 16). Without the key the
# same capture is ru16_le with two channels. A pair the device cannot
# stream as I/Q is a config error (exit 78) naming file:line and key.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/meta.py <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["global"]
print("%s %d" % (g["core:datatype"], g["core:num_channels"]))
PY

cat > /tmp/np-iq.py <<'PY'
import numpy as np
import ifbhost

with ifbhost.Device() as dev:
    assert dev.dtype.names == ("voltage0",), dev.dtype
    assert dev.dtype["voltage0"] == np.dtype(np.complex64), dev.dtype
    x = dev.read(1 << 20)["voltage0"]
    n = x.real.astype(np.uint32) | (x.imag.astype(np.uint32) << 16)
    assert not dev.gaps, dev.gaps
    d = np.nonzero(np.diff(n) != 1)[0]
    assert len(d) == 0, "counter breaks at scan %d" % d[0]
print("numpy: %d complex64 scans, counter ok from %#x" % (len(x), int(n[0])))
PY

cat > /tmp/soapy-iq.py <<'PY'
import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_CS16

dev = SoapySDR.Device("driver=iioffsbridge")
assert dev.getNumChannels(SOAPY_SDR_RX) == 1, dev.getNumChannels(SOAPY_SDR_RX)
assert "CS16" in dev.getStreamFormats(SOAPY_SDR_RX, 0)
st = dev.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CS16, [0])
mtu = dev.getStreamMTU(st)
buf = np.empty(2 * mtu, dtype=np.int16)
dev.activateStream(st)
r = dev.readStream(st, [buf], mtu, timeoutUs=5000000)
assert r.ret > 0, r.ret
u = buf[: 2 * r.ret].view(np.uint16) ^ 0x8000
n = u[0::2].astype(np.uint32) | (u[1::2].astype(np.uint32) << 16)
assert not np.any(np.diff(n) != 1), "counter breaks"
dev.deactivateStream(st)
dev.closeStream(st)
print("soapy: %d CS16 samples on one channel, counter ok" % r.ret)
PY

bridge_conf zero-copy block_size=1M block_count=4 iio:iq=voltage0:voltage1 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --info >/tmp/out 2>&1 || bridge_fail "--info: $(cat /tmp/out)"
cat /tmp/out
grep -q 'voltage0 .* I of I/Q with voltage1' /tmp/out || bridge_fail "--info does not show the pair"
grep -q 'voltage1 .* Q of I/Q with voltage0' /tmp/out || bridge_fail "--info does not show the pair"
iio-ffs-capture --sigmf /tmp/iq --verify --bytes 8M --quiet --json >/tmp/cap.json ||
	bridge_fail "capture: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "capture: not verified"
dt=$(host python3 /tmp/meta.py /tmp/iq.sigmf-meta) || rig_fail "no SigMF metadata"
echo "with [iio] iq: $dt"
[ "$dt" = "cu16_le 1" ] || bridge_fail "with [iio] iq the datatype is '$dt', want 'cu16_le 1'"
iio-ffs-capture --sigmf /tmp/real --iq=none --bytes 4M --quiet || bridge_fail "--iq=none capture"
dt=$(host python3 /tmp/meta.py /tmp/real.sigmf-meta)
[ "$dt" = "ru16_le 2" ] || bridge_fail "--iq=none gives '$dt', want 'ru16_le 2'"
host python3 /tmp/np-iq.py >/tmp/out 2>&1 || bridge_fail "numpy: $(cat /tmp/out)"
cat /tmp/out
host python3 /tmp/soapy-iq.py >/tmp/out 2>&1 || bridge_fail "soapy: $(cat /tmp/out)"
cat /tmp/out
bridge_stop

: >"$IFB_LOG"
bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --sigmf /tmp/plain --bytes 4M --quiet || bridge_fail "capture without [iio] iq"
dt=$(host python3 /tmp/meta.py /tmp/plain.sigmf-meta)
echo "without [iio] iq: $dt"
[ "$dt" = "ru16_le 2" ] || bridge_fail "without [iio] iq the datatype is '$dt', want 'ru16_le 2'"
bridge_stop

# a pair the device cannot stream as I/Q: Q before I in the scan
bridge_conf zero-copy iio:iq=voltage1:voltage0 >/tmp/bad.conf
iio-ffs-bridge -c /tmp/bad.conf >/tmp/bad.out 2>&1
rc=$?
cat /tmp/bad.out
[ $rc = 78 ] || rig_fail "iq = voltage1:voltage0: exit $rc, want 78"
grep -q '/tmp/bad.conf:3: \[iio\] iq: pair voltage1:voltage0: expected Q stored right after I' /tmp/bad.out ||
	rig_fail "iq = voltage1:voltage0: not the expected message"
echo "hostlib-iq: cu16_le, complex64 and CS16 from the daemon's [iio] iq; ru16_le without it"
