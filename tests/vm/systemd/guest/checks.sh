#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The checks of tests/vm/systemd/run, run as a unit (ifb-test.service) in the
# guest with systemd as PID 1. One line per check: "PASS name",
# "FAIL name: reason" or "SKIP name: why"; diagnostics go in between.
# Last: "IFB-TEST-TAINT n" and "IFB-TEST-DONE". Lines starting with
# "IFB-TEST-INFO " are shown by the runner (e.g. the exposure score).

set -uo pipefail

UNIT=iio-ffs-bridge
UNIT_PATH=$(cat /etc/ifb-test/unit-path)
GADGETS=/sys/kernel/config/usb_gadget

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1: $2"
	shift 2
	(($#)) && printf '  %s\n' "$@"
	return 0
}
skip() { echo "SKIP $1: $2"; }
info() { echo "IFB-TEST-INFO $*"; }
prop() { systemctl show -P "$1" "${2:-$UNIT}"; }

journal_tail() {
	echo "--- journalctl -u ${1:-$UNIT} (tail) ---"
	journalctl -q --no-pager -u "${1:-$UNIT}" -n 25 -o short-monotonic
}

last_error() {
	journalctl -q --no-pager -u "$UNIT" -p err -o cat -t iio-ffs-bridge -n 1
}

adc_dir() {
	local d
	for d in /sys/bus/iio/devices/iio:device*; do
		[[ $(cat "$d/name" 2>/dev/null) == iio-sim-adc ]] && { echo "$d"; return 0; }
	done
	return 1
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, polled every tenth
# of a second (by the clock: under TCG a systemctl call alone takes a while).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

host_sees_device() {
	local i d
	for i in /sys/bus/usb/devices/*:*; do
		[[ $(cat "$i/bInterfaceClass" 2>/dev/null) == ff ]] || continue
		d=${i%:*}
		[[ -n $(cat "$d/bConfigurationValue" 2>/dev/null) ]] && return 0
	done
	return 1
}

# capture NAME: the host side (root, outside the unit) reads 64 MiB and
# checks the simulated ADC's pattern.
capture() {
	local name=$1 json rc=0
	if ! wait_for 20 host_sees_device; then
		fail "$name" "the host side never enumerated the gadget the daemon composed"
		journal_tail
		return 1
	fi
	json=$(timeout 120 iio-ffs-capture --verify --bytes 64M -o /dev/null --quiet --json 2> /tmp/capture.err) || rc=$?
	if ((rc == 0)); then
		pass "$name"
		info "$name: $(grep -o '"verified_bytes":[0-9]*\|"mib_s":[0-9.]*\|"mode":"[a-z-]*"' <<< "$json" | paste -sd' ')"
		return 0
	fi
	fail "$name" "iio-ffs-capture --verify --bytes 64M exited $rc" "$json" "$(cat /tmp/capture.err)"
	journal_tail
	return 1
}

snapshot() {
	find "$GADGETS" 2>/dev/null | sort
	echo ---
	cat /proc/mounts
}

# --- preconditions -----------------------------------------------------------
adc=$(adc_dir) || { fail setup "no iio-sim-adc under /sys/bus/iio/devices"; echo IFB-TEST-DONE; exit 1; }
# configfs was a module at boot: mount it now, so "before" and "after" both
# have it (the unit Wants= it too).
systemctl start sys-kernel-config.mount || fail setup "systemctl start sys-kernel-config.mount failed"
[[ -d $GADGETS ]] || fail setup "$GADGETS missing (libcomposite not loaded?)"
ls /sys/class/udc/* > /dev/null 2>&1 || fail setup "no UDC in /sys/class/udc"
info "$(systemctl --version | head -n1); kernel $(uname -r)"

# --- systemd-analyze verify ----------------------------------------------------
# --man=no: minbase has no man-db to look the Documentation= pages up; they
# are checked as files instead.
out=$(systemd-analyze verify --man=no "$UNIT_PATH" 2>&1)
rc=$?
missing=()
for m in /usr/share/man/man8/iio-ffs-bridge.8 /usr/share/man/man5/iio-ffs-bridge.conf.5; do
	[[ -e $m || -e $m.gz ]] || missing+=("$m")
done
if ((rc != 0)) || [[ -n $out ]]; then
	fail verify "systemd-analyze verify $UNIT_PATH: exit $rc" "$out"
elif ((${#missing[@]})); then
	fail verify "Documentation= pages not installed: ${missing[*]}"
else
	pass verify
fi

# --- start: READY and STATUS -----------------------------------------------------
before=$(snapshot)
rc=0
timeout 60 systemctl start "$UNIT" || rc=$?
state=$(prop ActiveState)
if ((rc != 0)) || [[ $state != active ]]; then
	fail start "systemctl start $UNIT: exit $rc, ActiveState=$state; the daemon's last error: $(last_error)"
	journal_tail
	started=0
else
	pass start
	started=1
fi
# The daemon updates its status every second (and as the host enumerates),
# so the two reads need not show the same text; both must show the daemon's.
status_text=$(prop StatusText)
status_out=$(systemctl status --no-pager "$UNIT" 2>&1)
status_line=$(sed -n 's/^ *Status: "\(.*\)"$/\1/p' <<< "$status_out")
status_re='^(Idle|Streaming) '
if ((started)) && [[ $status_text =~ $status_re && $status_line =~ $status_re ]]; then
	pass status
	info "StatusText: $status_text; systemctl status: Status: \"$status_line\""
else
	fail status "StatusText='$status_text', systemctl status Status: '$status_line' (want Idle/Streaming ...)" "$status_out"
fi

# --- the sandbox is really on ---------------------------------------------------
pid=$(prop MainPID)
if ((started)) && [[ $pid != 0 ]]; then
	problems=()
	st=/proc/$pid/status
	[[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/1/ns/mnt)" ]] ||
		problems+=("not in its own mount namespace")
	[[ $(awk '/^NoNewPrivs:/ { print $2 }' "$st") == 1 ]] || problems+=("NoNewPrivs is not 1")
	[[ $(awk '/^Seccomp:/ { print $2 }' "$st") == 2 ]] || problems+=("no seccomp filter")
	capbnd=$(awk '/^CapBnd:/ { print $2 }' "$st")
	# CAP_SYS_ADMIN (21) alone
	[[ $capbnd == 0000000000200000 ]] || problems+=("CapBnd is $capbnd, not CAP_SYS_ADMIN alone")
	[[ $(prop DevicePolicy) == closed ]] || problems+=("DevicePolicy is not closed")
	# The root is read-only for it, its runtime directory is not.
	if nsenter -t "$pid" -m touch /usr/ifb-test-write 2> /dev/null; then
		problems+=("it can write /usr")
		rm -f /usr/ifb-test-write
	fi
	grep -q ' /run/iio-ffs-bridge/ffs functionfs ' "/proc/$pid/mounts" ||
		problems+=("no functionfs mount at /run/iio-ffs-bridge/ffs in its namespace")
	if ((${#problems[@]})); then
		fail sandbox "${problems[*]}"
	else
		pass sandbox
	fi
fi

# --- a capture through the gadget the daemon composed ----------------------------
((started)) && capture capture

# --- board time under the sandbox: GET_CLOCK reads adjtimex (modes 0), which
# the unit's SystemCallFilter must let through for the clock's state -----------
if ((started)); then
	out=$(timeout 60 iio-ffs-capture --info 2>&1)
	if grep -q 'board REALTIME: .*, \(free-running\|synchronised\)' <<< "$out"; then
		pass board-clock
		info "board-clock: $(grep 'board' <<< "$out" | paste -sd' ')"
	else
		fail board-clock "iio-ffs-capture --info does not know the board clock's state (adjtimex refused?)" "$out"
	fi
fi

# --- the journal, with priorities -------------------------------------------------
if journalctl -q --no-pager -u "$UNIT" -p info -o cat | grep -q 'USB descriptors written'; then
	if journalctl -q --no-pager -u "$UNIT" -p warning -o cat | grep -q 'USB descriptors written'; then
		fail journal "'USB descriptors written' is logged at warning or above, not info"
	else
		pass journal
	fi
else
	fail journal "journalctl -u $UNIT -p info has no 'USB descriptors written'"
	journal_tail
fi

# --- reload (SIGHUP) ---------------------------------------------------------------
pid=$(prop MainPID)
if ((started)) && [[ $pid != 0 ]]; then
	# SIGHUP is bit 0: blocked (sd-event signalfd) or caught means handled.
	blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$pid/status")
	cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status")
	if ((((0x$blk | 0x$cgt) & 1) == 0)); then
		skip reload "the daemon does not handle SIGHUP yet (neither blocked nor caught: SigBlk=$blk SigCgt=$cgt)"
	else
		rc=0
		timeout 30 systemctl reload "$UNIT" || rc=$?
		sleep 1
		if ((rc == 0)) && [[ $(prop ActiveState) == active && $(prop MainPID) == "$pid" ]]; then
			pass reload
		else
			fail reload "systemctl reload: exit $rc, ActiveState=$(prop ActiveState), MainPID $pid -> $(prop MainPID)"
			journal_tail
		fi
	fi
fi

# stop_check NAME: systemctl stop exits clean and leaves configfs, the mount
# table and the IIO buffer as they were before the first start.
stop_check() {
	local name=$1 rc=0 result code after enable
	timeout 30 systemctl stop "$UNIT" || rc=$?
	result=$(prop Result)
	code=$(prop ExecMainStatus)
	after=$(snapshot)
	enable=$(cat "$adc/buffer0/enable")
	if ((rc == 0)) && [[ $result == success && $code == 0 && $after == "$before" && $enable == 0 ]]; then
		pass "$name"
	else
		fail "$name" "systemctl stop: exit $rc, Result=$result, ExecMainStatus=$code, buffer0/enable=$enable; configfs and /proc/mounts against before the start:" \
			"$(diff <(echo "$before") <(echo "$after") | head -n 20)"
		journal_tail
	fi
}

# --- stop: clean exit, nothing left behind ----------------------------------------
((started)) && stop_check stop

# --- the other allocator: /dev/udmabuf through the device allow-list ----------------
# The first start used the default (dma-heap:system first).
info "first start: $(journalctl -q --no-pager -u "$UNIT" -o cat | grep -m1 'DMABUF allocator')"
if ((started)); then
	cp /etc/iio-ffs-bridge.conf /etc/ifb-test/saved.conf
	sed -i 's/^mode = zero-copy$/&\nallocator = udmabuf/' /etc/iio-ffs-bridge.conf
	if timeout 60 systemctl start "$UNIT" && [[ $(prop ActiveState) == active ]]; then
		inv=$(prop InvocationID)
		if journalctl -q --no-pager "_SYSTEMD_INVOCATION_ID=$inv" -o cat | grep -q 'DMABUF allocator: udmabuf'; then
			capture capture-udmabuf
		else
			fail capture-udmabuf "the daemon did not log 'DMABUF allocator: udmabuf' with allocator = udmabuf"
			journal_tail
		fi
		stop_check stop-udmabuf
	else
		fail capture-udmabuf "systemctl start $UNIT with allocator = udmabuf failed: ActiveState=$(prop ActiveState)"
		journal_tail
		systemctl stop "$UNIT"
	fi
	cp /etc/ifb-test/saved.conf /etc/iio-ffs-bridge.conf
fi

# --- the watchdog: a stalled loop is killed and restarted --------------------------
restarted=0
if ((started)) && timeout 60 systemctl start "$UNIT" && [[ $(prop ActiveState) == active ]]; then
	pid=$(prop MainPID)
	n0=$(prop NRestarts)
	wd=$(prop WatchdogUSec)
	[[ $wd == 3s ]] || fail watchdog "WatchdogUSec of the running unit is '$wd', not the 3s of the test's drop-in"
	# Stalled for real: the event loop stops turning, no WATCHDOG=1 comes.
	kill -STOP "$pid"
	gone() { [[ ! -e /proc/$pid ]] && journalctl -q --no-pager -u "$UNIT" -o cat | grep -q "Failed with result 'watchdog'"; }
	if wait_for 20 gone; then
		pass watchdog
		info "watchdog: $(journalctl -q --no-pager -u "$UNIT" -o cat | grep -m1 'Watchdog timeout')"
		restarted() {
			local p
			p=$(prop MainPID)
			[[ $p != 0 && $p != "$pid" && $(prop ActiveState) == active ]]
		}
		if wait_for 20 restarted; then
			n1=$(prop NRestarts)
			if ((n1 == n0 + 1)); then
				pass watchdog-restart
				info "watchdog-restart: MainPID $pid -> $(prop MainPID), NRestarts $n0 -> $n1"
				restarted=1
				capture capture-after-restart
			else
				fail watchdog-restart "NRestarts $n0 -> $n1, want one restart"
			fi
		else
			fail watchdog-restart "not active again within 20 s of the watchdog kill: ActiveState=$(prop ActiveState) SubState=$(prop SubState) MainPID=$(prop MainPID) NRestarts=$(prop NRestarts) Result=$(prop Result); the daemon's last error: $(last_error)"
			journal_tail
		fi
	else
		fail watchdog "PID $pid not killed by the watchdog within 20 s of SIGSTOP: ActiveState=$(prop ActiveState) Result=$(prop Result)"
		journal_tail
		kill -CONT "$pid" 2> /dev/null
	fi
elif ((started)); then
	fail watchdog "the second systemctl start $UNIT failed: ActiveState=$(prop ActiveState)"
	journal_tail
fi
if ((restarted)); then
	stop_check stop-after-restart
else
	systemctl stop "$UNIT"
fi

# --- a UDC that appears late: the unit waits for it, no restarts -------------------
# (issue 9, finding 7) With [gadget] and no UDC at start, the daemon is READY,
# composes the gadget, waits for a UDC on kernel uevents and binds it when
# the driver loads.
if ((started)) && modprobe -r dummy_hcd; then
	rc=0
	timeout 60 systemctl start "$UNIT" || rc=$?
	sleep 5
	pid=$(prop MainPID)
	if ((rc == 0)) && [[ $(prop ActiveState) == active && $(prop NRestarts) == 0 ]] &&
		journalctl -q --no-pager -u "$UNIT" -o cat -n 20 | grep -q 'waiting for a UDC to appear'; then
		modprobe dummy_hcd is_super_speed=1
		if capture late-udc && [[ $(prop MainPID) == "$pid" ]]; then
			stop_check stop-late-udc
		else
			systemctl stop "$UNIT"
		fi
	else
		fail late-udc "with no UDC: start exit $rc, ActiveState=$(prop ActiveState), NRestarts=$(prop NRestarts); the daemon's last error: $(last_error)"
		journal_tail
		systemctl stop "$UNIT"
		modprobe dummy_hcd is_super_speed=1
	fi
	systemctl reset-failed "$UNIT" 2> /dev/null
fi

# --- a board script's gadget: bound again after the unit restarts -------------------
# (issue 9, finding 6) The script makes the gadget, mounts FunctionFS and
# binds once the daemon's descriptors are written. When the daemon's ep0
# closes (a restart, a crash) FunctionFS unbinds the gadget; the restarted
# daemon binds it again by itself.
board=$GADGETS/g-board
if ((started)) && mkdir "$board"; then
	echo 0x1d6b > "$board/idVendor"
	echo 0x0104 > "$board/idProduct"
	mkdir -p "$board/strings/0x409" "$board/configs/c.1/strings/0x409" "$board/functions/ffs.board"
	echo board > "$board/strings/0x409/product"
	echo board > "$board/configs/c.1/strings/0x409/configuration"
	ln -s "$board/functions/ffs.board" "$board/configs/c.1/"
	mkdir -p /dev/ffs-board
	mount -t functionfs board /dev/ffs-board
	cp /etc/iio-ffs-bridge.conf /etc/ifb-test/saved.conf
	printf '[iio]\ndevice = iio-sim-adc\n[stream]\nmode = zero-copy\n[usb]\nfunctionfs = /dev/ffs-board\n' \
		> /etc/iio-ffs-bridge.conf
	udc=$(ls /sys/class/udc | head -n1)
	if timeout 60 systemctl start "$UNIT" && wait_for 10 test -e /dev/ffs-board/ep1; then
		echo "$udc" > "$board/UDC" # the board script's own bind
		if capture board-gadget; then
			pid=$(prop MainPID)
			kill -KILL "$pid" # a crash: Restart=on-failure brings it back
			restarted() {
				local p
				p=$(prop MainPID)
				[[ $p != 0 && $p != "$pid" && $(prop ActiveState) == active ]]
			}
			if wait_for 30 restarted && capture board-gadget-after-restart; then
				info "board-gadget: $(journalctl -q --no-pager -u "$UNIT" -o cat | grep -m1 'is not bound .* binding it')"
			else
				fail board-gadget-after-restart "after a crash and the unit's restart the host never saw the device: UDC='$(cat "$board/UDC")'"
				journal_tail
			fi
		fi
	else
		fail board-gadget "systemctl start with the board gadget failed: ActiveState=$(prop ActiveState)"
		journal_tail
	fi
	systemctl stop "$UNIT"
	systemctl reset-failed "$UNIT" 2> /dev/null
	cp /etc/ifb-test/saved.conf /etc/iio-ffs-bridge.conf
	echo > "$board/UDC" 2> /dev/null
	umount /dev/ffs-board
	rm -f "$board/configs/c.1/ffs.board"
	rmdir "$board/configs/c.1/strings/0x409" "$board/configs/c.1" "$board/functions/ffs.board" \
		"$board/strings/0x409" "$board"
fi

# --- a config error: exit 78, at priority err, not restarted ------------------------
bad=/run/systemd/system/ifb-badconf.service
sed -e 's|^ExecStart=\(.*\) -c .*|ExecStart=\1 -c /etc/ifb-test/bad.conf|' "$UNIT_PATH" > "$bad"
systemctl daemon-reload
rc=0
timeout 30 systemctl start ifb-badconf.service 2> /dev/null || rc=$?
sleep 1
errs=$(journalctl -q --no-pager -u ifb-badconf -p err -o cat)
if ((rc != 0)) && [[ $(prop ExecMainStatus ifb-badconf) == 78 && $(prop NRestarts ifb-badconf) == 0 ]] &&
	grep -q 'warp-speed' <<< "$errs"; then
	pass config-error
	info "config-error at priority err: $(grep -m1 'warp-speed' <<< "$errs")"
else
	fail config-error "start: exit $rc, ExecMainStatus=$(prop ExecMainStatus ifb-badconf), NRestarts=$(prop NRestarts ifb-badconf), err lines: '$errs'"
	journal_tail ifb-badconf
fi
systemctl reset-failed ifb-badconf.service 2> /dev/null
rm -f "$bad"
systemctl daemon-reload

# --- the exposure score --------------------------------------------------------------
# --offline: minbase has no D-Bus system bus for the online analysis.
sec=$(systemd-analyze security --offline=true --no-pager "$UNIT_PATH" 2>&1)
score=$(sed -n 's/.*Overall exposure level for [^:]*: *//p' <<< "$sec")
info "systemd-analyze security --offline=true $UNIT_PATH: ${score:-(no score: $(tail -n1 <<< "$sec"))}"
echo "--- systemd-analyze security (the remaining exposure) ---"
grep '✗' <<< "$sec"

echo "IFB-TEST-TAINT $(cat /proc/sys/kernel/tainted)"
echo IFB-TEST-DONE
