#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 400
# debug-kernel: no
# Board time (protocol version 6, issue 19), measured against the truth.
# The simulated ADC runs paced, off its nominal 500 kHz by a known ppm, and
# knows when each scan n was taken (sim_t0_ns + n / true rate). ifbh-time
# (libifbhost as an application uses it) reads the stream and asks the
# board time of each read's first scan as it reads; its counter says which
# scan that was. Printed: the error per read (median, 99th percentile,
# worst) as the reader got it and from the final model, the host-clock
# estimate's error, and the rate the model measured against the one set.
# Zero-copy (fence times) without and with gaps (the reader stalls, the
# ADC loses samples the host is never told the number of); copy (the time
# read() returned).
. /lib/rig.sh
. /lib/bridge.sh

. /lib/time.sh

dir=$(rig_adc_dir) || rig_fail "no simulated ADC"
rig_write "$dir/sim_paced" 1

# 10 s at 2 MB/s, 305 blocks of 32.8 ms. A fence signals within
# microseconds of the last scan on a board; here, within the TCG guest's
# hrtimer latency (about 0.1 ms), with spikes of tens of ms when the host
# is busy, which the model (the marks' lower envelope) rides out. The
# first second's reads come before the model has its rate (the nominal
# one until then): they make the 99th percentile, not the median.
time_run zc zero-copy 150 20000000
time_check zc 'source == 1' "zero-copy times are not fence times"
time_check zc 'dppm < 50' "the measured rate is off the true one by more than 50 ppm"
time_check zc 'online_median_ns < 1000000' "as read, half the times are off by more than 1 ms"
time_check zc 'online_p99_ns < 50000000' "as read, 1 % of the times are off by more than 50 ms"
time_check zc 'final_median_ns < 1000000' "the final model is off by more than 1 ms for half the reads"
time_check zc 'clock_rounds >= 14 && clock_drift_known == 1' \
	"10 s of stream did not refresh the host/board clock estimate once a second"
# one kernel: the true drift is 0, within the bound the estimate states
time_check zc 'abs_clock_drift_ppm <= clock_drift_unc_ppm' "the clock drift is off by more than its bound"
time_check zc 'clock_known == 1 && host_median_ns < 1000000' \
	"the host and board clocks are one here, the host times say otherwise"

# The reader stalls for 300 ms once: the ADC loses samples; every
# run after a gap is placed by its own marks.
time_run gaps zero-copy -80 20000000 --stall-at 6000000 --stall-ms 1000
time_check gaps 'gaps >= 1' "the stall made no gap"
time_check gaps 'runs > gaps' "the model does not start a run at each gap"
time_check gaps 'dppm < 50' "the measured rate is off the true one by more than 50 ppm after gaps"
time_check gaps 'online_median_ns < 1000000' "after gaps, half the times are off by more than 1 ms"
time_check gaps 'final_median_ns < 1000000' "after gaps, the final model is off by more than 1 ms for half the reads"

# Copy mode: the time read() returned, late by up to a kernel block and
# the daemon's latency, a floor that moves with the load: what the
# model's source says, and why its rate is coarse (thousands of ppm over
# a few seconds here). read() hides the ADC
# running dry, so a gap is not flagged (a known limit of copy mode): the
# measurement stops at the first counter jump no gap explains.
time_run copy copy 300 10000000 --until-unflagged
time_check copy 'source == 2' "copy mode's times are not read() times"
time_check copy 'reads >= 10' "copy mode: fewer than 10 reads before an unflagged gap"
time_check copy 'dppm < 5000' "copy mode's rate is off by more than 5000 ppm"
time_check copy 'final_median_ns < 100000000' "copy mode's times are off by more than 100 ms for half the reads"
