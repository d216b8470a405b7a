#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# debug-kernel: no
# Injected ADC block faults: each failed block is counted, its samples are
# reported as a gap, and the stream goes on (hybrid: the ADC side is
# read(), as in copy mode, which sees a failed kernel block as an empty one;
# the USB side is zero-copy's).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_adc_fault hybrid
