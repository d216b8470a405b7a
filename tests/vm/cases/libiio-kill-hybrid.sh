#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A libiio client killed mid-READBUF (and one that sends garbage, an
# overlong line and an unknown pipe through raw USB) leaves the daemon
# ready in hybrid mode: the next iio_readdev streams every byte right, and
# the native interface streams after all of it. Nothing is left behind at
# exit (libiio_case_kill in tests/vm/guest/libiio.sh).
# Hybrid's USB side is a DMABUF transfer: the block a killed client left
# queued is taken back by detaching it, not by io_cancel().
# hostroot: yes
# timeout: 360
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

libiio_case_kill hybrid
