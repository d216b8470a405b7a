#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# SIGTERM mid-stream exits 0 within a second with nothing left attached:
# with the host reading, and with the host stalled (transfers must then be
# cancelled), in both modes.
. /lib/rig.sh
. /lib/bridge.sh

for mode in zero-copy copy; do
	for host in reading stalled; do
		bridge_conf "$mode" block_size=1M block_count=4 >/tmp/ifb.conf
		bridge_start /tmp/ifb.conf
		iio-ffs-capture --duration 30 -o /dev/null --quiet >/dev/null 2>&1 &
		cap=$!
		sleep 2
		[ "$host" = stalled ] && kill -STOP "$cap"
		sleep 1
		bridge_stop # SIGTERM, exit 0 within 1 s, buffer off, no DMABUF left
		kill -KILL "$cap" 2>/dev/null
		wait "$cap" 2>/dev/null
		echo "$mode, host $host: clean exit"
	done
done
