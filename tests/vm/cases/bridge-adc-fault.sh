#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# Injected ADC block faults: each failed block is counted, its samples are
# reported as a gap, and the stream goes on (zero-copy: the fence carries
# the error).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_adc_fault zero-copy
