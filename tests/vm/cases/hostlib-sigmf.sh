#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 300
# debug-kernel: no
# SigMF with --iq: the simulated ADC's two u16 channels paired as one
# complex channel (cu16_le), and every capture segment after a gap with
# its own core:datetime. The host tool is stopped twice for a second so
# the device reports gaps (with 1 MiB of transfers in flight: its default
# 16 MiB hold two seconds of this 8 MB/s stream, so a 1 s stall would
# often not starve the ADC at all); Debian's python3 (the rig's host root) checks
# the recording.
. /lib/rig.sh
. /lib/bridge.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1
bridge_conf zero-copy block_size=64K block_count=4 iio:sampling_frequency=2000000 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

iio-ffs-capture --sigmf /tmp/iq --iq=adjacent --verify --duration 6 --quiet --json \
	--transfers 4 --transfer-size 256K >/tmp/cap.json &
cap=$!
for _ in 1 2; do
	sleep 1
	kill -STOP "$cap"
	sleep 1
	kill -CONT "$cap"
done
wait "$cap" || bridge_fail "capture failed: $(cat /tmp/cap.json)"
cat /tmp/cap.json
bridge_stop

cat > /tmp/check.py <<'PY'
import json, os, re, sys
meta = json.load(open("/tmp/iq.sigmf-meta"))
g = meta["global"]
assert g["core:datatype"] == "cu16_le", g["core:datatype"]
assert g["core:num_channels"] == 1, g["core:num_channels"]
assert "iio-sim-adc" in g["core:hw"], g["core:hw"]
size = os.path.getsize("/tmp/iq.sigmf-data")
assert size % 4 == 0 and size > 0, size
caps = meta["captures"]
assert len(caps) >= 3, "want a segment per stall, got %d" % len(caps)
rfc = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")
times = []
for c in caps:
    assert "core:datetime" in c, "segment at %d has no core:datetime" % c["core:sample_start"]
    assert rfc.match(c["core:datetime"]), c["core:datetime"]
    times.append(c["core:datetime"])
assert times == sorted(times), times

print("sigmf: %d bytes cu16_le, %d segments, datetimes %s" % (size, len(caps), times))
PY
hostrun python3 /tmp/check.py || rig_fail "the SigMF recording is not as expected"
echo "hostlib-sigmf: complex datatype and per-segment core:datetime"
