#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 200
# Injected ADC block faults in copy mode: the DMA buffer core hands a
# failed block over empty; each is counted, reported as a gap, and the
# stream goes on (issue 9, finding 10).
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_adc_fault copy
