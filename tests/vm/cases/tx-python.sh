#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# Transmit from the Python package (issue 18) under Debian's python3 and
# numpy: list_streams() shows the output stream's direction, Device(stream=
# "tx").write() sends 64 MiB of the DAC's counter (as <u4 scans, then as the
# structured dtype of the stream's two u16 channels), the context manager
# ends the stream (played), and the DAC checks it byte-exact. A second run
# writes the counter as complex64 to the I/Q pairing and reads back the
# writer's statistics.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

cat > /tmp/np-write.py <<'PY'
import sys
import numpy as np
import ifbhost

want, how = int(sys.argv[1]), sys.argv[2]
streams = ifbhost.list_streams()
tx = [s for s in streams if s["name"] == "tx"]
assert len(tx) == 1 and tx[0]["direction"] == "out", streams
chunk = 1 << 20  # scans
with ifbhost.Device(stream="tx") as dev:
    assert dev.direction == "out", dev.direction
    sent = 0
    while sent < want:
        n = np.arange(sent // 4, sent // 4 + chunk, dtype=np.uint32)
        if how == "u4":
            data = n.astype("<u4")
        elif how == "structured":
            data = np.empty(chunk, dtype=dev.dtype)
            data["voltage0"], data["voltage1"] = n & 0xffff, n >> 16
        else:  # complex64 on the I/Q pair (raw values, as read() gives them)
            data = ((n & 0xffff) + 1j * (n >> 16)).astype(np.complex64)
        sent += dev.write(data)
stats = dev.stats
assert stats["played"], stats
print("np-write: %d bytes as %s, %s, stats %s, underflows %s" %
      (sent, how, dev.dtype, stats, dev.underflows))
PY

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"
for how in u4 structured; do
	bridge_streams_conf tx:iio-sim-dac:zero-copy:block_size=1M:block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	host python3 /tmp/np-write.py 67108864 $how >/tmp/np.out 2>&1 || bridge_fail "$how: $(cat /tmp/np.out)"
	cat /tmp/np.out
	[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "$how: the DAC saw $(cat "$dac/sim_mismatches") mismatches"
	[ "$(cat "$dac/sim_bytes_played")" = 67108864 ] ||
		bridge_fail "$how: the DAC played $(cat "$dac/sim_bytes_played") bytes, expected 67108864"
	bridge_stop
done
{
	printf '[stream tx]\ndevice = iio-sim-dac\nmode = zero-copy\niq = voltage0:voltage1\n'
	printf 'block_size = 1M\nblock_count = 4\n\n[usb]\nfunctionfs = /dev/ffs-ifb\n'
} >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
host python3 /tmp/np-write.py 16777216 complex >/tmp/np.out 2>&1 || bridge_fail "complex: $(cat /tmp/np.out)"
cat /tmp/np.out
grep -q "('voltage0', '<c8')" /tmp/np.out || bridge_fail "complex: the I/Q pair is not complex64"
[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "complex: the DAC saw mismatches"
[ "$(cat "$dac/sim_bytes_played")" = 16777216 ] || bridge_fail "complex: the DAC played $(cat "$dac/sim_bytes_played") bytes"
bridge_stop
echo "tx-python: 64 MiB as <u4 and as the stream's dtype, 16 MiB as complex64, byte-exact at the DAC"
