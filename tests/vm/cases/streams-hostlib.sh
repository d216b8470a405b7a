#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 400
# debug-kernel: no
# Several streams through the host APIs (issue 16), under Debian 12's own
# python3, numpy and SoapySDR 0.8: ifbhost.list_streams() names both
# streams; two ifbhost.Device(stream=...) read at once in one program with
# the default options (they fit usbfs's 16 MiB together), each its own
# ADC's counter; SoapySDRUtil --find lists one result per stream with its
# stream= key, and python3-soapysdr reads stream=hk while capture reads rx.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

streams_adcs 2
bridge_streams_conf rx:iio-sim-adc:zero-copy:block_size=256K:block_count=8 \
	hk:iio-sim-adc1:zero-copy:block_size=256K:block_count=8 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

cat > /tmp/two.py <<'PY'
import sys
import numpy as np
import ifbhost

names = [(s["name"], s["index"], s["count"]) for s in ifbhost.list_streams()]
assert names == [("rx", 0, 2), ("hk", 1, 2)], names

def check(dev, x, state):
    n = x["voltage0"].astype(np.uint32) | (x["voltage1"].astype(np.uint32) << 16)
    allowed = {g - state["got"] for g in dev.gaps[state["gaps"]:]}
    if state["expect"] is not None and n[0] != state["expect"] and 0 not in allowed:
        sys.exit("%s: counter jumps at scan %d, no gap there" % (dev.stream, state["got"]))
    for b in np.nonzero(np.diff(n) != 1)[0] + 1:
        if int(b) not in allowed:
            sys.exit("%s: counter jumps at scan %d, no gap there" % (dev.stream, state["got"] + b))
    state["expect"] = (int(n[-1]) + 1) & 0xffffffff
    state["got"] += len(x)
    state["gaps"] = len(dev.gaps)

with ifbhost.Device(stream="rx", iq=ifbhost.IQ_NONE) as rx, \
     ifbhost.Device(stream="hk", iq=ifbhost.IQ_NONE) as hk:
    assert (rx.stream, rx.stream_index, rx.stream_count) == ("rx", 0, 2)
    assert (hk.stream, hk.stream_index, hk.stream_count) == ("hk", 1, 2)
    st = {d.stream: {"got": 0, "expect": None, "gaps": 0} for d in (rx, hk)}
    while min(s["got"] for s in st.values()) < 8 << 20:
        for d in (rx, hk):
            check(d, d.read(1 << 16), st[d.stream])
print("two streams at once in one program: %s, counters ok" %
      ", ".join("%s %d scans, %d gap(s)" % (k, v["got"], v["gaps"]) for k, v in st.items()))
PY
host python3 /tmp/two.py >/tmp/two.out 2>&1 || bridge_fail "python, two streams: $(tail -n 5 /tmp/two.out)"
cat /tmp/two.out

out=$(host SoapySDRUtil --find=driver=iioffsbridge 2>&1) || bridge_fail "SoapySDRUtil --find: $out"
echo "$out"
[ "$(echo "$out" | grep -c 'driver = iioffsbridge')" = 2 ] || bridge_fail "--find does not list two streams"
echo "$out" | grep -q 'stream = rx' || bridge_fail "--find: no stream=rx"
echo "$out" | grep -q 'stream = hk' || bridge_fail "--find: no stream=hk"

cat > /tmp/soapy-hk.py <<'PY'
import sys
import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_CS16, SOAPY_SDR_OVERFLOW

dev = SoapySDR.Device("driver=iioffsbridge,stream=hk,iq=adjacent")
st = dev.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CS16, [0])
mtu = dev.getStreamMTU(st)
buf = np.empty(2 * mtu, dtype=np.int16)
dev.activateStream(st)
got = 0
while got < 4000000:
    r = dev.readStream(st, [buf], mtu, timeoutUs=5000000)
    if r.ret == SOAPY_SDR_OVERFLOW:
        continue
    if r.ret <= 0:
        sys.exit("readStream returned %d after %d scans" % (r.ret, got))
    u = buf[: 2 * r.ret].view(np.uint16) ^ 0x8000
    n = u[0::2].astype(np.uint32) | (u[1::2].astype(np.uint32) << 16)
    if len(np.nonzero(np.diff(n) != 1)[0]):
        sys.exit("hk: counter breaks inside one read")
    got += r.ret
dev.deactivateStream(st)
dev.closeStream(st)
print("soapy stream=hk: %d scans, counter ok" % got)
PY
n=$(grep -c 'rx: Stream [0-9]* started' "$IFB_LOG")
iio-ffs-capture --stream rx --verify --duration 600 --transfers 8 -o /dev/null --quiet --json \
	>/tmp/rx.json &
rx=$!
bridge_wait_log 'rx: Stream [0-9]* started' "$n" "capture's stream rx did not start"
host python3 /tmp/soapy-hk.py >/tmp/soapy.out 2>&1 || bridge_fail "soapy stream=hk: $(tail -n 5 /tmp/soapy.out)"
cat /tmp/soapy.out
kill -INT "$rx"
wait "$rx" || bridge_fail "rx capture beside soapy: $(cat /tmp/rx.json)"
[ "$(json_bool /tmp/rx.json verify_ok)" = true ] || bridge_fail "rx beside soapy: not verified"
bridge_stop
echo "streams-hostlib: Python reads two streams at once, SoapySDR one per stream"
