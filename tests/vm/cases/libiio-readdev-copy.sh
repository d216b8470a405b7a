#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian 12's iio_readdev (libiio 0.24) streams the simulated ADC through
# the IIOD interface in copy mode: every byte checked against the
# ADC's counter for several buffer sizes (one not a power of two, one not
# a whole page), one channel alone, and 20 open/read/close cycles in a
# row; iio-ffs-capture streams before and after on the same daemon.
# hostroot: yes
# timeout: 420
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

bridge_conf copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "iio-ffs-capture before libiio failed: $(cat /tmp/cap.json)"

uri=$(libiio_uri)
echo "URI: $uri"
libiio_readdev_check "$uri" 4096 65536 voltage0 voltage1
libiio_readdev_check "$uri" 1000 16000 voltage0 voltage1
libiio_readdev_check "$uri" 262144 1048576 voltage0 voltage1
libiio_readdev_check "$uri" 3000 30000 voltage0
grep -q 'started (copy, 4 x 4000 bytes, 4-byte scans)' "$IFB_LOG" ||
	bridge_fail "the 1000-sample buffer did not stream in copy mode with 4000-byte blocks"

i=0
while [ $i -lt 20 ]; do
	libiio_readdev_check "$uri" 2048 6144 voltage0 voltage1 >/dev/null
	i=$((i + 1))
done
echo "20 open/read/close cycles verified"
[ "$(grep -c 'Stream [0-9]* ended' "$IFB_LOG")" -ge 25 ] ||
	bridge_fail "expected at least 25 ended streams in the log"
bridge_idle_check

iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
	bridge_fail "iio-ffs-capture after libiio failed: $(cat /tmp/cap.json)"
[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "native stream not verified after libiio"
bridge_stop
echo "libiio-readdev-copy: ok"
