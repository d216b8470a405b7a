#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# The sample rate set from the host (protocol version 3, SET_SAMPLE_RATE
# and GET_STATUS): Debian's python3-soapysdr calls setSampleRate and the
# value reaches the simulated ADC's sampling_frequency in sysfs (and
# getSampleRate, GET_INFO); a value the driver refuses (2.5 Hz: it takes
# whole hertz), a read-only attribute and a running stream each give a
# clear error and leave the rate alone, and a libiio client cannot change
# it under a native stream either; GET_STATUS tells a malformed request's
# outcome, not an older one's; iio-ffs-capture --rate does the same. Old and new across the bump: a version-2 daemon (Makefile V2_RIG)
# gets nothing from a new host, which says the daemon is too old; a
# version-2 host streams from the new daemon as before.
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

. /lib/hostlib.sh
dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
sf=$dir/sampling_frequency
rig_write "$sf" 10000000

cat > /tmp/soapy-rate.py <<'PY'
import sys
import SoapySDR
from SoapySDR import SOAPY_SDR_RX

dev = SoapySDR.Device("driver=iioffsbridge")
assert dev.getSampleRate(SOAPY_SDR_RX, 0) == 10e6, dev.getSampleRate(SOAPY_SDR_RX, 0)
rng = dev.getSampleRateRange(SOAPY_SDR_RX, 0)
assert rng[0].minimum() <= 1234567 <= rng[0].maximum(), str(rng[0])
dev.setSampleRate(SOAPY_SDR_RX, 0, 1234567.0)
got = dev.getSampleRate(SOAPY_SDR_RX, 0)
assert got == 1234567.0, got
try:
    dev.setSampleRate(SOAPY_SDR_RX, 0, 2.5)
    sys.exit("setSampleRate(2.5) was not refused")
except RuntimeError as e:
    msg = str(e)
print("refused: " + msg)
assert "refused sample rate 2.500 Hz" in msg and "Invalid argument" in msg, msg
assert "1234567.000 Hz" in msg, msg  # and says where the rate stays
assert dev.getSampleRate(SOAPY_SDR_RX, 0) == 1234567.0
# not while the stream is active
st = dev.setupStream(SOAPY_SDR_RX, "U16", [0])
dev.activateStream(st)
try:
    dev.setSampleRate(SOAPY_SDR_RX, 0, 5e6)
    sys.exit("setSampleRate while streaming was not refused")
except RuntimeError as e:
    print("refused while streaming: %s" % e)
dev.deactivateStream(st)
dev.closeStream(st)
print("soapy-rate: setSampleRate 1234567 Hz, 2.5 Hz refused")
PY

cat > /tmp/py-rate.py <<'PY'
import errno, sys
import ifbhost

want = sys.argv[1]
dev = ifbhost.Device()
try:
    dev.set_sample_rate(2e6)
except ifbhost.Error as e:
    print("refused: [%s] %s" % (errno.errorcode[e.errno], e.strerror))
    if e.errno != getattr(errno, want):  # EOPNOTSUPP is ENOTSUP on Linux
        sys.exit("expected %s, got %s" % (want, errno.errorcode[e.errno]))
    sys.exit(0)
sys.exit("set_sample_rate(2e6) was not refused (%s expected)" % want)
PY

bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/soapy-rate.py >/tmp/out 2>&1 || bridge_fail "soapy: $(cat /tmp/out)"
cat /tmp/out
[ "$(cat "$sf")" = 1234567 ] || bridge_fail "sysfs sampling_frequency is $(cat "$sf"), not 1234567"
grep -q 'refused sampling_frequency 2.500: Invalid argument' "$IFB_LOG" ||
	bridge_fail "the daemon did not log the refused value"

# a read-only attribute: EACCES, said so, nothing written (once the
# Soapy script's stream has ended: until then the answer is EBUSY)
i=0
until grep -q 'Stream 1 ended' "$IFB_LOG"; do
	[ $i -lt 100 ] || bridge_fail "the Soapy script's stream did not end within 10 s"
	i=$((i + 1))
	sleep 0.1
done
chmod 444 "$sf"
host python3 /tmp/py-rate.py EACCES >/tmp/out 2>&1 || { chmod 644 "$sf"; bridge_fail "read-only: $(cat /tmp/out)"; }
chmod 644 "$sf"
cat /tmp/out
grep -q "sampling_frequency is read-only" /tmp/out || bridge_fail "read-only: no clear message"
[ "$(cat "$sf")" = 1234567 ] || bridge_fail "read-only: sysfs changed to $(cat "$sf")"

# iio-ffs-capture --rate
iio-ffs-capture --rate 3000000 --info >/tmp/out 2>&1 || bridge_fail "--rate: $(cat /tmp/out)"
grep -q '^sample rate: 3000000.000 Hz' /tmp/out || bridge_fail "--rate: $(cat /tmp/out)"
[ "$(cat "$sf")" = 3000000 ] || bridge_fail "--rate: sysfs is $(cat "$sf")"
# GET_STATUS tells the last SET_SAMPLE_RATE's outcome, also when that one
# was malformed (stalled before its data stage), not the one before it (a success)
dev=$(rig_usb_wait_device 5) || bridge_fail "no device"
rig-ctrl "$dev" badrate status >/tmp/out 2>&1 || bridge_fail "badrate: $(cat /tmp/out)"
cat /tmp/out
grep -q '^request=6 error=-22 rate_mhz=3000000000 version=3$' /tmp/out ||
	bridge_fail "GET_STATUS after a malformed SET_SAMPLE_RATE: $(tail -n1 /tmp/out), want request=6 error=-22"
iio-ffs-capture --rate 2.5 --info >/tmp/out 2>&1
rc=$?
cat /tmp/out
[ $rc = 2 ] || bridge_fail "--rate 2.5: exit $rc, want 2"
grep -q 'refused sample rate 2.500 Hz: Invalid argument' /tmp/out || bridge_fail "--rate 2.5: no clear message"
iio-ffs-capture --rate 3000000 --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "a stream after --rate: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "a stream after --rate: not verified"
# the version-2 host tool on the new daemon, as before
iio-ffs-capture-v2 --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "v2 host, new daemon: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "v2 host, new daemon: not verified"
bridge_stop

# a stream running (start = immediate: no host START needed): EBUSY
: >"$IFB_LOG"
bridge_conf zero-copy block_size=1M block_count=4 start=immediate >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/py-rate.py EBUSY >/tmp/out 2>&1 || bridge_fail "busy: $(cat /tmp/out)"
cat /tmp/out
grep -q "a stream runs" /tmp/out || bridge_fail "busy: no clear message"
[ "$(cat "$sf")" = 3000000 ] || bridge_fail "busy: sysfs changed to $(cat "$sf")"
# nor through the libiio interface: the native stream's host was told the
# rate at START
uri=$(libiio_uri)
hostrun iio_attr -u "$uri" -d iio-sim-adc sampling_frequency 5000000 >/tmp/out 2>&1
cat /tmp/out
[ "$(cat "$sf")" = 3000000 ] ||
	bridge_fail "a libiio client changed sampling_frequency to $(cat "$sf") under a native stream"
grep -q 'IIOD: WRITE of .*sampling_frequency refused' "$IFB_LOG" || bridge_fail "the IIOD refusal is not logged"
bridge_stop

# the version-2 daemon: the new host sends nothing and says why
: >"$IFB_LOG"
bridge_conf zero-copy block_size=1M block_count=4 >/tmp/ifb.conf
[ -d /dev/ffs-ifb ] || rig_gadget_create ifb
iio-ffs-bridge-v2 -v -c /tmp/ifb.conf >>"$IFB_LOG" 2>&1 &
IFB_PID=$!
export IFB_PID
rig_wait_file /dev/ffs-ifb/ep1 10 || bridge_fail "v2 daemon did not write its USB descriptors"
rig_gadget_bind ifb
rig_usb_wait_device 15 >/dev/null || bridge_fail "host did not enumerate the gadget"
host python3 /tmp/py-rate.py EOPNOTSUPP >/tmp/out 2>&1 || bridge_fail "v2 daemon: $(cat /tmp/out)"
cat /tmp/out
grep -q "protocol version 2" /tmp/out || bridge_fail "v2 daemon: the message does not name the version"
iio-ffs-capture --rate 2000000 --info >/tmp/out 2>&1
rc=$?
[ $rc = 2 ] || bridge_fail "--rate on a v2 daemon: exit $rc, want 2: $(cat /tmp/out)"
grep -q 'needs version 3' /tmp/out || bridge_fail "--rate on a v2 daemon: $(cat /tmp/out)"
grep -q 'request 0x06' "$IFB_LOG" && bridge_fail "the new host sent SET_SAMPLE_RATE to a v2 daemon"
[ "$(cat "$sf")" = 3000000 ] || bridge_fail "v2 daemon: sysfs changed to $(cat "$sf")"
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "new host, v2 daemon: $(cat /tmp/cap.json)"
bridge_stop
echo "hostlib-rate: setSampleRate reaches sysfs; refused, read-only, busy and v2 daemon each said so"
