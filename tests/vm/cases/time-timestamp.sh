#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostroot: yes
# timeout: 600
# debug-kernel: no
# A device's own timestamp channel (issue 19). The simulated ADC gets
# IIO's timestamp channel (timestamp=1: le:s64/64, scan index 2, at byte
# 8 of a 16-byte scan), paced at 500 kHz; in each scan it writes the time
# scan n was produced (sim_t0_ns + n * 1e9 / rate, a CLOCK_MONOTONIC
# time) on the device's current_timestamp_clock, here IIO's default,
# REALTIME. The daemon streams voltage0, voltage1 and the timestamp;
# iio-ffs-capture --sigmf --verify records 2 s. Checked: the SigMF data
# holds the samples only (scans x 4 bytes: no timestamp, no padding), the
# counter verifies, NAME-timestamp.sigmf-data holds scans x 8 bytes, each
# timestamp is its scan's true time on REALTIME (sim_t0_ns + n / rate plus
# one REALTIME - MONOTONIC offset for all, within 1 ns, the offset the
# guest's clocks show), they step by 1e9 / rate ns, both metas parse
# (Debian's python3 in the host root) with the datatypes and
# cross-references, the timestamps' meta names the clock (protocol
# version 7), and the capture's time model came from the timestamps.
#
# Then the time model fed by the timestamps (ifbh-time, as in time-rate,
# at 250 kHz and +150 ppm): on REALTIME, TAI and BOOTTIME (moved onto the
# board's MONOTONIC by GET_CLOCK's offsets) and on MONOTONIC the model's
# source is the timestamp channel, its rate within 1 ppm and its times within 2 us of the truth;
# on MONOTONIC_RAW (another rate: not modelled) the source is the fence
# times, and the model says which clock the channel had.
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
[ "$(cat "$dir/current_timestamp_clock")" = realtime ] ||
	rig_fail "current_timestamp_clock is $(cat "$dir/current_timestamp_clock"), IIO's default is realtime"

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
import json, struct, sys, time
t0, rate, scans = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rt_off = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
m = json.load(open("/tmp/ts.sigmf-meta"))
t = json.load(open("/tmp/ts-timestamp.sigmf-meta"))
g, tg = m["global"], t["global"]
assert (g["core:datatype"], g["core:num_channels"]) == ("ru16_le", 2), g
assert (tg["core:datatype"], tg["core:num_channels"]) == ("ri64_le", 1), tg
assert g["core:sample_rate"] == tg["core:sample_rate"] == rate, (g, tg)
assert "ts-timestamp" in g["core:description"], g["core:description"]
assert "current_timestamp_clock when the stream started: realtime" in tg["core:description"], tg["core:description"]
cap = json.load(open("/tmp/cap.json"))
assert cap["time"]["source"] == "timestamp" and cap["time"]["timestamp_clock"] == "realtime", cap["time"]
assert any(a.get("core:label") == "timestamps" and "ts-timestamp.sigmf-data" in a["core:comment"]
           for a in m["annotations"]), m["annotations"]
assert any(a.get("core:label") == "samples" and "ts.sigmf-data" in a["core:comment"]
           for a in t["annotations"]), t["annotations"]
n = struct.unpack("<%dI" % scans, open("/tmp/ts.sigmf-data", "rb").read())
ts = struct.unpack("<%dq" % scans, open("/tmp/ts-timestamp.sigmf-data", "rb").read())
# scan n's true time: sim_t0_ns + floor(n * 1e9 / rate) (ppm 0), on REALTIME
off = ts[0] - (t0 + n[0] * 10**9 // rate)
assert abs(off - rt_off) < 10**9, "REALTIME - MONOTONIC is %d ns, the timestamps say %d" % (rt_off, off)
worst = max(abs(ts[k] - off - (t0 + n[k] * 10**9 // rate)) for k in range(scans))
assert worst <= 1, "timestamp off its scan's time by %d ns" % worst
period = 10**9 / rate
steps = [ts[k] - ts[k - 1] for k in range(1, scans) if n[k] == n[k - 1] + 1]
bad = [d for d in steps if abs(d - period) > 1]
assert not bad, "%d steps not %g ns, e.g. %d" % (len(bad), period, bad[0])
print("%d %d %d %d %d %s" % (n[0], ts[0] - off - t0, len(steps), min(steps), max(steps), worst))
PY
res=$(host python3 /tmp/check.py "$t0" "$rate" "$scans") || rig_fail "check: $res"
set -- $res
echo "time-timestamp: $scans scans at $rate Hz, $gaps gap(s), counter verified; data $dsize bytes (4 per scan), timestamps $tsize bytes (8 per scan); first scan n=$1 at sim_t0_ns + $2 ns; $3 steps of $4..$5 ns (1e9/rate = $((1000000000 / rate))); worst |timestamp - REALTIME offset - (sim_t0_ns + n/rate)| $6 ns; SigMF ru16_le x 2 + ri64_le x 1"

# The time model from the timestamps, against the truth.
. /lib/time.sh
TIME_RATE=250000 TIME_CONF=iio:channels=voltage0,voltage1,timestamp TIME_CASE=time-timestamp
for clock in realtime tai boottime monotonic monotonic_raw; do
	rig_write "$dir/current_timestamp_clock" $clock
	time_run $clock zero-copy 150 8000000
done
time_check realtime 'source == 3 && timestamp_clock == 1' "REALTIME timestamps are not the model's source"
time_check realtime 'dppm < 1 && refused == 0' "from the timestamps, the rate is off by 1 ppm or more"
time_check realtime 'final_median_ns < 2000 && final_p99_ns < 2000' "from REALTIME timestamps, the final model is 2 us off"
time_check realtime 'online_median_ns < 2000' "from REALTIME timestamps, half the times as read are 2 us off"
time_check tai 'source == 3 && timestamp_clock == 7' "TAI timestamps are not the model's source"
time_check tai 'dppm < 1 && final_median_ns < 2000' "from TAI timestamps, the model is off"
time_check boottime 'source == 3 && timestamp_clock == 6 && dppm < 1 && final_median_ns < 2000' \
	"BOOTTIME timestamps are not the model's source, or it is off"
time_check monotonic 'source == 3 && timestamp_clock == 2 && dppm < 1 && final_median_ns < 2000' \
	"MONOTONIC timestamps are not the model's source, or it is off"
time_check monotonic_raw 'source == 1 && timestamp_clock == 3' "MONOTONIC_RAW timestamps are modelled (another rate), or the clock is not told"
