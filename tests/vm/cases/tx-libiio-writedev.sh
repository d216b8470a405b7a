#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian 12's iio_writedev (libiio 0.24) plays the counter pattern to the
# simulated DAC through the IIOD interface: each WRITEBUF's data lands in a
# block (a FunctionFS DMABUF transfer in zero-copy mode) and goes to the
# DAC, byte-exact (sim_bytes_played, sim_mismatches 0), for a power-of-two
# buffer and one that is not; -c (cyclic): the DAC repeats the one buffer
# sent; a client killed mid-stream, then the next one byte-exact; copy
# mode the same, and its cyclic buffer refused with the reason.
# hostroot: yes
# timeout: 420
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

rig_dac_load
dac=$(rig_dac_dir) || rig_fail "no simulated DAC"

# the DAC's pattern with voltage0 and voltage1: little-endian u32 0, 1, 2...
hostrun python3 -c 'import sys, numpy; sys.stdout.buffer.write(numpy.arange(2 << 20, dtype="<u4").tobytes())' \
	>/tmp/pat.bin || rig_fail "cannot make the pattern"
[ "$(stat -c %s /tmp/pat.bin)" = 8388608 ] || rig_fail "pattern: $(stat -c %s /tmp/pat.bin) bytes"

dac_check() { # WHAT BYTES
	_played=$(cat "$dac/sim_bytes_played")
	_mm=$(cat "$dac/sim_mismatches")
	[ "$_played" = "$2" ] || bridge_fail "$1: the DAC played $_played bytes, expected $2"
	[ "$_mm" = 0 ] || bridge_fail "$1: $_mm mismatches, the first at byte $(cat "$dac/sim_first_mismatch")"
	[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "$1: the DAC's buffer is still enabled"
	echo "$1: $_played bytes played, 0 mismatches"
}

writedev() { # WHAT SAMPLES_PER_BUFFER SAMPLES
	if ! hostrun iio_writedev -u "$uri" -b "$2" -s "$3" iio-sim-dac voltage0 voltage1 \
		</tmp/pat.bin 2>/tmp/writedev.err; then
		bridge_fail "$1: iio_writedev -b $2 -s $3 failed: $(cat /tmp/writedev.err)"
	fi
	dac_check "$1 (iio_writedev -b $2 -s $3)" $(($3 * 4))
}

cyclic() { # WHAT SAMPLES_PER_BUFFER
	_n=$(grep -c 'Stream [0-9]* ended' "$IFB_LOG")
	hostrun iio_writedev -u "$uri" -b "$2" -s "$2" -c iio-sim-dac voltage0 voltage1 \
		</tmp/pat.bin 2>/tmp/cyc.err &
	_pid=$!
	_t=0
	while [ "$(cat "$dac/sim_cyclic_repeats")" -lt 100 ]; do
		[ $_t -lt 100 ] || bridge_fail "$1: the buffer was not repeated: $(cat /tmp/cyc.err)"
		sleep 0.1
		_t=$((_t + 1))
	done
	sleep 1
	_rep=$(cat "$dac/sim_cyclic_repeats")
	[ "$(cat "$dac/sim_mismatches")" = 0 ] || bridge_fail "$1: the waveform did not arrive intact"
	# iio_writedev -c sleeps until a signal; then it closes its buffer
	kill -INT "$_pid"
	wait "$_pid" || bridge_fail "$1: iio_writedev -c exited $?: $(cat /tmp/cyc.err)"
	[ "$(grep -c 'Stream [0-9]* ended' "$IFB_LOG")" -gt "$_n" ] || bridge_fail "$1: the stream did not end"
	[ "$(cat "$dac/buffer0/enable")" = 0 ] || bridge_fail "$1: the DAC still plays after CLOSE"
	grep -q "Cyclic: $(($2 * 4)) bytes ($2 scans) repeating at the DAC" "$IFB_LOG" ||
		bridge_fail "$1: the daemon did not queue one cyclic block"
	echo "$1: one $(($2 * 4))-byte buffer repeated $_rep times"
}

# --- zero-copy
bridge_conf zero-copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)
echo "URI: $uri"
writedev zero-copy 16384 2097152
grep -q 'Stream [0-9]* started (zero-copy, 4 x 65536 bytes, 4-byte scans)' "$IFB_LOG" ||
	bridge_fail "the output stream did not run in zero-copy mode with the client's buffer"
writedev zero-copy 1000 100000
cyclic zero-copy 4096

# a client killed mid-stream (kill -9: its pipe is reset by the next one)
_n=$(grep -c 'Stream [0-9]* started' "$IFB_LOG")
cat /tmp/pat.bin /tmp/pat.bin /tmp/pat.bin /tmp/pat.bin /tmp/pat.bin /tmp/pat.bin |
	hostrun iio_writedev -u "$uri" -b 65536 iio-sim-dac voltage0 voltage1 2>/dev/null &
_pid=$!
_t=0
while [ "$(grep -c 'Stream [0-9]* started' "$IFB_LOG")" -le "$_n" ]; do
	[ $_t -lt 100 ] || bridge_fail "the client to kill did not start a stream"
	sleep 0.1
	_t=$((_t + 1))
done
sleep 1
kill -9 "$_pid" 2>/dev/null || bridge_fail "iio_writedev ended before it was killed"
wait "$_pid" 2>/dev/null
echo "killed a client after $(cat "$dac/sim_bytes_played") bytes"
writedev "after a killed client" 16384 2097152
grep -q 'ended (host disconnected)' "$IFB_LOG" ||
	bridge_fail "the killed client's stream did not end as a disconnect"
# WRITEBUF's refusals, data sent with the line, three buffers through raw
# USB, then one cut off halfway by a pipe reset; iio_writedev after it
rig-iiod-raw "$uri" "$(basename "$dac")" >/tmp/raw.out 2>&1 ||
	bridge_fail "raw WRITEBUF abuse: $(cat /tmp/raw.out)"
grep 'WRITEBUF\|rig-iiod-raw' /tmp/raw.out
grep -q 'ended (host STOP): 12288 bytes' "$IFB_LOG" ||
	bridge_fail "the three raw 4096-byte WRITEBUFs were not played: $(grep 'ended' "$IFB_LOG" | tail -n2)"
writedev "after a WRITEBUF cut off" 16384 2097152
grep -E 'Stream [0-9]+ (started|ended)|Cyclic' "$IFB_LOG" | sed 's/^/daemon: /'
bridge_stop

# --- copy
bridge_conf copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)
writedev copy 16384 2097152
grep -q 'Stream [0-9]* started (copy, 4 x 65536 bytes, 4-byte scans)' "$IFB_LOG" ||
	bridge_fail "the output stream did not run in copy mode"
writedev copy 1000 100000
if hostrun iio_writedev -u "$uri" -b 4096 -s 4096 -c iio-sim-dac voltage0 voltage1 \
	</tmp/pat.bin 2>/tmp/cyc.err; then
	bridge_fail "copy mode accepted a cyclic buffer"
fi
grep -q 'Cyclic buffer refused: a cyclic waveform needs zero-copy mode' "$IFB_LOG" ||
	bridge_fail "copy mode's cyclic refusal gave no reason: $(cat /tmp/cyc.err)"
echo "copy: cyclic refused ($(head -n1 /tmp/cyc.err))"
writedev "copy after the refusal" 4096 65536
grep -E 'started \(copy|Cyclic buffer refused' "$IFB_LOG" | sed 's/^/daemon: /'
bridge_stop
echo "tx-libiio-writedev: ok"
