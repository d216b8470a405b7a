#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian 12's iio_readdev (libiio 0.24) streams the simulated ADC through
# the IIOD interface in hybrid mode: every byte checked against the
# ADC's counter for several buffer sizes (one not a power of two, one not
# a whole page), one channel alone, and 20 open/read/close cycles in a
# row; iio-ffs-capture streams before and after on the same daemon.
# hostroot: yes
# timeout: 420
# debug-kernel: no
. /lib/rig.sh
. /lib/bridge.sh
. /lib/libiio.sh

libiio_case_readdev hybrid
