# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# /lib/libiio.sh: libiio clients (Debian 12's, through hostrun) against
# the daemon's IIOD interface. Source after /lib/rig.sh and /lib/bridge.sh;
# the case needs "# hostroot: yes".
#
#   libiio_uri        print the usb: URI of the one IIOD interface the
#                     host sees (iio_info -S usb), or fail the case
#   libiio_readdev_check URI BUFFER SAMPLES CHANNELS...
#                     iio_readdev -b BUFFER -s SAMPLES iio-sim-adc (or
#                     $LIBIIO_DEV) with the channels (voltage0, voltage1),
#                     every byte checked against the simulated ADC's
#                     pattern; fails the case

libiio_uri() {
	# iio_info -S exits non-zero after listing: the list is what counts
	_lu_scan=$(hostrun iio_info -S usb 2>&1)
	_lu_uri=$(echo "$_lu_scan" | sed -n 's/.*\[\(usb:[0-9.]*\)\].*/\1/p')
	[ "$(echo "$_lu_uri" | grep -c .)" = 1 ] ||
		bridge_fail "expected one usb: IIO context, iio_info -S usb says: $_lu_scan"
	echo "$_lu_uri"
}

libiio_readdev_check() {
	_lr_uri=$1 _lr_b=$2 _lr_s=$3
	shift 3
	case "$*" in
	"voltage0 voltage1") _lr_ch=both _lr_scan=4 ;;
	voltage0) _lr_ch=0 _lr_scan=2 ;;
	*) rig_fail "libiio_readdev_check: channels '$*' not supported" ;;
	esac
	_lr_bytes=$((_lr_s * _lr_scan))
	if ! hostrun iio_readdev -u "$_lr_uri" -b "$_lr_b" -s "$_lr_s" "${LIBIIO_DEV:-iio-sim-adc}" "$@" \
		2>/tmp/readdev.err |
		rig-pattern-check "$_lr_ch" "$_lr_bytes" >/tmp/check.out 2>&1; then
		echo "iio_readdev: $(cat /tmp/readdev.err)" >&2
		bridge_fail "iio_readdev -b $_lr_b -s $_lr_s $*: $(cat /tmp/check.out)"
	fi
	[ ! -s /tmp/readdev.err ] || echo "iio_readdev said: $(cat /tmp/readdev.err)"
	echo "iio_readdev -b $_lr_b -s $_lr_s $*: $(tail -n1 /tmp/check.out)"
}

# libiio_case_readdev MODE: the libiio-readdev-* cases. iio_readdev streams
# through the IIOD interface in MODE with every byte checked for several
# buffer sizes (one not a power of two, one not a whole page), one channel
# alone, and 20 open/read/close cycles; iio-ffs-capture before and after.
libiio_case_readdev() {
	_mode=$1
	bridge_conf "$_mode" block_size=64K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "iio-ffs-capture before libiio failed: $(cat /tmp/cap.json)"

	_uri=$(libiio_uri)
	echo "URI: $_uri"
	libiio_readdev_check "$_uri" 4096 65536 voltage0 voltage1
	libiio_readdev_check "$_uri" 1000 16000 voltage0 voltage1
	libiio_readdev_check "$_uri" 262144 1048576 voltage0 voltage1
	libiio_readdev_check "$_uri" 3000 30000 voltage0
	grep -q "started ($_mode, 4 x 4000 bytes, 4-byte scans)" "$IFB_LOG" ||
		bridge_fail "the 1000-sample buffer did not stream in $_mode mode with 4000-byte blocks"

	_i=0
	while [ $_i -lt 20 ]; do
		libiio_readdev_check "$_uri" 2048 6144 voltage0 voltage1 >/dev/null
		_i=$((_i + 1))
	done
	echo "20 open/read/close cycles verified"
	[ "$(grep -c 'Stream [0-9]* ended' "$IFB_LOG")" -ge 25 ] ||
		bridge_fail "expected at least 25 ended streams in the log"
	bridge_idle_check

	iio-ffs-capture --verify --bytes 16M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "iio-ffs-capture after libiio failed: $(cat /tmp/cap.json)"
	[ "$(json_bool /tmp/cap.json verify_ok)" = true ] || bridge_fail "native stream not verified after libiio"
	bridge_stop
	echo "libiio-readdev-$_mode: ok"
}

# libiio_case_kill MODE: the libiio-kill-* cases. A libiio client killed
# mid-READBUF (three times), then garbage, an overlong line and an unknown
# pipe through raw USB: each time the daemon takes back the block its
# endpoint still held (the stream's one cancel, whatever the mode) and the
# next iio_readdev streams every byte right; the native interface streams
# after all of it; nothing is left behind at exit.
libiio_case_kill() {
	_mode=$1
	bridge_conf "$_mode" block_size=64K block_count=4 >/tmp/ifb.conf
	bridge_start /tmp/ifb.conf
	_uri=$(libiio_uri)

	for _round in 1 2 3; do
		_n=$(grep -c 'Stream [0-9]* started' "$IFB_LOG")
		hostrun iio_readdev -u "$_uri" -b 65536 -s 100000000 iio-sim-adc voltage0 voltage1 >/dev/null 2>&1 &
		_pid=$!
		# wait for the stream, let it run a little, then kill -9 mid-transfer
		_t=0
		while [ "$(grep -c 'Stream [0-9]* started' "$IFB_LOG")" -le "$_n" ]; do
			[ $_t -lt 100 ] || bridge_fail "round $_round: iio_readdev did not start a stream"
			sleep 0.1
			_t=$((_t + 1))
		done
		sleep 1
		kill -9 "$_pid" 2>/dev/null || bridge_fail "round $_round: iio_readdev ended before it was killed"
		wait "$_pid" 2>/dev/null
		libiio_readdev_check "$_uri" 4096 32768 voltage0 voltage1
	done
	grep -q "started ($_mode, " "$IFB_LOG" || bridge_fail "the streams did not run in $_mode mode"
	grep -q 'ended (host disconnected)' "$IFB_LOG" ||
		bridge_fail "the killed client's stream did not end as a disconnect"

	# garbage, an overlong line, huge numbers and unknown pipes through raw
	# USB (rig-iiod-raw), then a real client again
	rig-iiod-raw "$_uri" || bridge_fail "raw protocol abuse: daemon misbehaved"
	libiio_readdev_check "$_uri" 2048 8192 voltage0 voltage1

	iio-ffs-capture --verify --bytes 8M -o /dev/null --quiet --json >/tmp/cap.json ||
		bridge_fail "iio-ffs-capture after killed libiio clients failed: $(cat /tmp/cap.json)"
	bridge_stop
	echo "libiio-kill-$_mode: ok"
}
