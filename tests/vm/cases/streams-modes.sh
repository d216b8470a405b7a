#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# debug-kernel: no
# (one boot with both fileio and DMABUF attach trips lockdep's report on
# Linux 6.12's IIO DMA buffer locks, tests/vm/README.md; each mode's own
# cases run there.)
# Each stream has its own backend (issue 16): one daemon with a zero-copy
# stream and a copy-mode stream at once, both unpaced (no sample can be
# lost), 128 MiB of each captured at once, byte-exact; then the streams
# swap hosts' order and go again, and SIGTERM ends both.
. /lib/rig.sh
. /lib/bridge.sh

streams_adcs 2 unpaced
bridge_streams_conf zc:iio-sim-adc:zero-copy:block_size=1M:block_count=4 \
	cp:iio-sim-adc1:copy:block_size=1M:block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf

both() { # ROUND
	iio-ffs-capture --stream zc --stream cp --verify --bytes 128M -o /tmp/cap.raw --json \
		--quiet >/tmp/both.json || bridge_fail "round $1: $(cat /tmp/both.json)"
	cat /tmp/both.json
	for s in zc cp; do
		grep "\"stream\":\"$s\"" /tmp/both.json >/tmp/$s.json ||
			bridge_fail "round $1: no summary for stream $s"
		[ "$(json_bool /tmp/$s.json verify_ok)" = true ] || bridge_fail "round $1: $s not verified"
		[ "$(json_num /tmp/$s.json verified_bytes)" = 134217728 ] ||
			bridge_fail "round $1: not every byte of $s verified"
	done
	rm -f /tmp/cap-zc.raw /tmp/cap-cp.raw
}
both 1
grep -q 'zc: Zero-copy: 4 DMABUFs' "$IFB_LOG" || bridge_fail "zc did not stream zero-copy"
grep -q 'zc: Stream 1 started (zero-copy' "$IFB_LOG" || bridge_fail "zc's stream not zero-copy"
grep -q 'cp: Stream 1 started (copy' "$IFB_LOG" || bridge_fail "cp's stream not in copy mode"
both 2
bridge_stop
echo "streams-modes: a zero-copy and a copy-mode stream at once, 2 x 128 MiB each verified"
