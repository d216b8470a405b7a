#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 400
# debug-kernel: no
# A device's own timestamp channel (issue 19). The simulated ADC gets
# IIO's timestamp channel (timestamp=1: le:s64/64, scan index 2, at byte
# 8 of a 16-byte scan), paced at 500 kHz; in each scan it writes the time
# scan n was produced (CLOCK_MONOTONIC, sim_t0_ns + n * 1e9 / rate). The
# daemon streams voltage0, voltage1 and the timestamp; iio-ffs-capture
# --sigmf --verify records 2 s. Checked: the SigMF data holds the samples
# only (scans x 4 bytes: no timestamp, no padding), the counter verifies,
# NAME-timestamp.sigmf-data holds scans x 8 bytes, each timestamp is its
# scan's true time (within 1 ns of sim_t0_ns + n / rate for the scan's
# counter n), they step by 1e9 / rate ns, and both metas parse (Debian's
# python3 in the host root) with the datatypes and cross-references.
. /lib/rig.sh
. /lib/bridge.sh

. /lib/hostlib.sh

rate=500000

rmmod iio-sim-adc || rig_fail "cannot unload iio-sim-adc"
insmod /lib/modules/iio-sim-adc.ko timestamp=1 || rig_fail "cannot load iio-sim-adc timestamp=1"
dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
for f in in_timestamp_en in_timestamp_index in_timestamp_type; do
	[ -e "$dir/scan_elements/$f" ] || rig_fail "timestamp=1: no scan_elements/$f"
done
[ "$(cat "$dir/scan_elements/in_timestamp_type")" = "le:s64/64>>0" ] ||
	rig_fail "in_timestamp_type is $(cat "$dir/scan_elements/in_timestamp_type")"
[ "$(cat "$dir/scan_elements/in_timestamp_index")" = 2 ] ||
	rig_fail "in_timestamp_index is $(cat "$dir/scan_elements/in_timestamp_index")"
rig_write "$dir/sim_paced" 1
# the sim's timestamps are CLOCK_MONOTONIC: let the device say so
[ -e "$dir/current_timestamp_clock" ] && rig_write "$dir/current_timestamp_clock" monotonic

bridge_conf zero-copy block_size=256K block_count=8 iio:sampling_frequency=$rate \
	iio:channels=voltage0,voltage1,timestamp >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --info >/tmp/info 2>&1 || bridge_fail "--info: $(cat /tmp/info)"
grep -q timestamp /tmp/info || bridge_fail "--info shows no timestamp channel: $(cat /tmp/info)"
iio-ffs-capture --sigmf /tmp/ts --verify --duration 2 --quiet --json >/tmp/cap.json ||
	bridge_fail "capture: $(cat /tmp/cap.json)"
cat /tmp/cap.json
t0=$(cat "$dir/sim_t0_ns")
bridge_stop

[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || rig_fail "the counter did not verify"
scans=$(json_num /tmp/cap.json scans)
gaps=$(json_num /tmp/cap.json gaps)
[ "${scans:-0}" -gt 100000 ] || rig_fail "only $scans scans in 2 s at $rate Hz"
dsize=$(wc -c </tmp/ts.sigmf-data)
tsize=$(wc -c </tmp/ts-timestamp.sigmf-data)
[ "$dsize" = $((scans * 4)) ] || rig_fail "data file: $dsize bytes for $scans scans, want $((scans * 4))"
[ "$tsize" = $((scans * 8)) ] || rig_fail "timestamp file: $tsize bytes for $scans scans, want $((scans * 8))"

cat > /tmp/check.py <<'PY'
import json, struct, sys
t0, rate, scans = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
m = json.load(open("/tmp/ts.sigmf-meta"))
t = json.load(open("/tmp/ts-timestamp.sigmf-meta"))
g, tg = m["global"], t["global"]
assert (g["core:datatype"], g["core:num_channels"]) == ("ru16_le", 2), g
assert (tg["core:datatype"], tg["core:num_channels"]) == ("ri64_le", 1), tg
assert g["core:sample_rate"] == tg["core:sample_rate"] == rate, (g, tg)
assert "ts-timestamp" in g["core:description"], g["core:description"]
assert "current_timestamp_clock" in tg["core:description"], tg["core:description"]
assert any(a.get("core:label") == "timestamps" and "ts-timestamp.sigmf-data" in a["core:comment"]
           for a in m["annotations"]), m["annotations"]
assert any(a.get("core:label") == "samples" and "ts.sigmf-data" in a["core:comment"]
           for a in t["annotations"]), t["annotations"]
n = struct.unpack("<%dI" % scans, open("/tmp/ts.sigmf-data", "rb").read())
ts = struct.unpack("<%dq" % scans, open("/tmp/ts-timestamp.sigmf-data", "rb").read())
# scan n's true time: sim_t0_ns + floor(n * 1e9 / rate) (ppm 0)
worst = max(abs(ts[k] - (t0 + n[k] * 10**9 // rate)) for k in range(scans))
assert worst <= 1, "timestamp off its scan's time by %d ns" % worst
period = 10**9 / rate
steps = [ts[k] - ts[k - 1] for k in range(1, scans) if n[k] == n[k - 1] + 1]
bad = [d for d in steps if abs(d - period) > 1]
assert not bad, "%d steps not %g ns, e.g. %d" % (len(bad), period, bad[0])
print("%d %d %d %d %d %s" % (n[0], ts[0] - t0, len(steps), min(steps), max(steps), worst))
PY
res=$(host python3 /tmp/check.py "$t0" "$rate" "$scans") || rig_fail "check: $res"
set -- $res
echo "time-timestamp: $scans scans at $rate Hz, $gaps gap(s), counter verified; data $dsize bytes (4 per scan), timestamps $tsize bytes (8 per scan); first scan n=$1 at sim_t0_ns + $2 ns; $3 steps of $4..$5 ns (1e9/rate = $((1000000000 / rate))); worst |timestamp - (sim_t0_ns + n/rate)| $6 ns; SigMF ru16_le x 2 + ri64_le x 1"
