# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# /lib/hostlib.sh: the staged libifbhost install (Makefile HOSTLIB_STAGE,
# in the guest at /stage) under Debian 12's own host programs. Source
# after /lib/rig.sh; the case needs "# hostroot: yes". Sourcing it copies
# the stage to /tmp/stage (the host root sees the guest's /tmp), or fails
# the case when there is none.
#
#   host CMD...   run CMD in the host root (hostrun) with the staged
#                 library, SoapySDR module and Python package in use

[ -e /stage/.done ] || rig_fail "no staged libifbhost install in the guest (make \$(BUILD)/stage/.done)"
cp -a /stage /tmp/stage
HOSTLIB_LIB=/tmp/stage/usr/lib/x86_64-linux-gnu

host() {
	hostrun env LD_LIBRARY_PATH=$HOSTLIB_LIB SOAPY_SDR_PLUGIN_PATH=$HOSTLIB_LIB/SoapySDR/modules0.8 \
		PYTHONPATH=/tmp/stage/usr/lib/python3/dist-packages "$@"
}
