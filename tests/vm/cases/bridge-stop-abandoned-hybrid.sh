#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# A STOP nobody drains, in hybrid mode: see bridge_case_stop_abandoned in
# tests/vm/guest/bridge.sh. (Found in hostlib-rate: SET_SAMPLE_RATE stayed
# EBUSY after a SoapySDR stream.)
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_stop_abandoned hybrid
