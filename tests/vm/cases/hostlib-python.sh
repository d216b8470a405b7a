#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# libifbhost's Python package (python/ifbhost) under Debian 12's own
# python3 and numpy (the rig's host root): 100 MB in zero-copy and in copy
# mode through Device.read(), the simulated ADC's counter checked on the
# numpy array (it may jump only at Device.gaps), the context manager
# stopping the stream, and the complex64 view of an I/Q pairing.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/np-read.py <<'PY'
import sys
import numpy as np
import ifbhost

want = int(sys.argv[1])
with ifbhost.Device(iq=ifbhost.IQ_NONE) as dev:
    assert dev.dtype.names == ("voltage0", "voltage1"), dev.dtype
    assert dev.dtype["voltage0"] == np.dtype("<u2"), dev.dtype
    got, expect, jumps = 0, None, 0
    while got * dev.scan_size < want:
        gaps_before = len(dev.gaps)
        x = dev.read(1 << 20)
        assert x.shape == (1 << 20,), x.shape
        n = x["voltage0"].astype(np.uint32) | (x["voltage1"].astype(np.uint32) << 16)
        breaks = np.nonzero(np.diff(n) != 1)[0] + 1
        allowed = {g - got for g in dev.gaps[gaps_before:]}
        if expect is not None and n[0] != expect and 0 not in allowed:
            sys.exit("counter jumps at scan %d, no gap there" % got)
        for b in breaks:
            if int(b) not in allowed:
                sys.exit("counter jumps at scan %d, no gap there (gaps %s)" % (got + b, sorted(allowed)))
            jumps += 1
        expect = (int(n[-1]) + 1) & 0xffffffff
        got += len(x)
    stats = dev.stats
print("np-read: %d bytes in %s mode, %d gap(s), %d jump(s), counter ok; stats %s" %
      (got * 4, dev.info["mode"], len(dev.gaps), jumps, stats))

# I/Q: the two u16 channels as one complex64 field
with ifbhost.Device(iq=ifbhost.IQ_ADJACENT) as dev:
    assert dev.dtype["voltage0"] == np.complex64, dev.dtype
    x = dev.read(4096)
    re = x["voltage0"].real.astype(np.uint32)
    im = x["voltage0"].imag.astype(np.uint32)
    n = re | (im << 16)
    assert np.all(np.diff(n) == 1) or dev.gaps, "complex64 view breaks the counter"
print("np-read: complex64 view ok")
PY

for mode in zero-copy copy; do
	bridge_conf $mode block_size=1M block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	host python3 /tmp/np-read.py 100000000 >/tmp/np.out 2>&1 || bridge_fail "$mode: $(cat /tmp/np.out)"
	cat /tmp/np.out
	grep -q 'complex64 view ok' /tmp/np.out || bridge_fail "$mode: no complex64 check"
	# the context manager stopped both streams (the daemon logs the end
	# once its last transfers are back, which can be after the host left)
	_t=0
	until grep -q 'Stream 2 ended (host STOP)' "$IFB_LOG"; do
		_t=$((_t + 1))
		[ $_t -lt 100 ] || bridge_fail "$mode: the second stream did not end with STOP"
		sleep 0.1
	done
	bridge_stop
done
echo "hostlib-python: 100 MB zero-copy and copy through numpy, counter checked"
