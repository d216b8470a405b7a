#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The rig's host root: Debian 12's own packaged programs run as the USB host
# (hostrun), see the guest's devices and sysfs, share /tmp and $RIG_OUT with
# the guest, and cannot change the cached root.
# hostroot: yes
# timeout: 180
# debug-kernel: no
# shellcheck source=tests/vm/guest/rig.sh
. /lib/rig.sh

hostrun true || rig_fail "hostrun true failed"
v=$(hostrun cat /etc/debian_version) || rig_fail "reading the root's /etc/debian_version failed"
case $v in 12.*) ;; *) rig_fail "the host root is Debian '$v', want 12.x" ;; esac

# Debian's libiio 0.24 reads the guest's sysfs: the simulated ADC is there.
out=$(hostrun iio_info -u local:) || rig_fail "iio_info -u local: failed: $out"
echo "$out" | grep -q 'iio-sim-adc' || rig_fail "iio_info does not list iio-sim-adc: $out"
echo "$out" | grep -q 'Library version: 0\.24' || rig_fail "iio_info is not libiio 0.24: $(echo "$out" | head -n2)"

# Python modules the libiio and SoapySDR cases use.
hostrun python3 -c 'import iio, numpy, SoapySDR; print(iio.version[0:2])' > /tmp/py.out ||
	rig_fail "importing iio, numpy, SoapySDR in python3 failed"
[ "$(cat /tmp/py.out)" = "(0, 24)" ] || rig_fail "python3 iio.version is '$(cat /tmp/py.out)', want (0, 24)"
command_v=$(hostrun sh -c 'command -v SoapySDRUtil iio_readdev iio_attr iiod') ||
	rig_fail "SoapySDRUtil, iio_readdev, iio_attr or iiod missing in the host root"
echo "$command_v"

# The working directory and /tmp are shared, $RIG_OUT is /rig-out, /dev/bus/usb is there.
cd /tmp || rig_fail "cd /tmp"
echo guest > /tmp/from-guest
[ "$(hostrun cat from-guest)" = guest ] || rig_fail "the guest's /tmp is not the host root's /tmp (relative path)"
hostrun sh -c 'echo host > /rig-out/from-host' || rig_fail "writing /rig-out inside the host root failed"
[ "$(cat "$RIG_OUT/from-host")" = host ] || rig_fail "/rig-out inside the host root is not \$RIG_OUT"
hostrun test -d /dev/bus/usb || rig_fail "no /dev/bus/usb inside the host root"
hostrun test -d /sys/kernel/config/usb_gadget || rig_fail "no configfs inside the host root"

# The cached root is read-only.
if hostrun sh -c 'echo x > /etc/rig-write-test' 2>/dev/null; then
	rig_fail "the host root is writable: a case could change the cache"
fi
echo "hostroot: ok"
