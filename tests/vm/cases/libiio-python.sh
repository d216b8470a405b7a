#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian 12's python3-libiio reads 200 buffers through the IIOD interface
# (zero-copy), each sample checked against the ADC's counter.
# hostroot: yes
# timeout: 300
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

bridge_conf zero-copy block_size=64K block_count=4 >/tmp/ifb.conf
bridge_start /tmp/ifb.conf
uri=$(libiio_uri)
cp /lib/libiio-read.py /tmp/ # the host root has its own /lib
hostrun python3 /tmp/libiio-read.py "$uri" 200 4096 >/tmp/py.out 2>&1 ||
	bridge_fail "python3-libiio: $(tail -n 5 /tmp/py.out)"
cat /tmp/py.out
grep -q '200 buffers of 4096 scans verified' /tmp/py.out || bridge_fail "python3-libiio did not verify 200 buffers"
bridge_stop
echo "libiio-python: ok"
