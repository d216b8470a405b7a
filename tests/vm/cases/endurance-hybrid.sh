#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 500
# debug-kernel: no
# Hybrid mode, fewer cycles (each stream drops its first kernel blocks and
# copies every byte once): 40 START/STOP cycles, then 30
# disconnect/reconnect cycles, each on one daemon with fds, RSS and
# DMABUFs unchanged.
. /lib/rig.sh
. /lib/bridge.sh
bridge_case_start_stop hybrid 40
bridge_case_reconnect_cycles hybrid 30
