# SPDX-License-Identifier: GPL-2.0-or-later
"""python3 libiio-read.py URI BUFFERS SAMPLES: Debian's python3-libiio
(0.24) opens the simulated ADC over usb:, reads BUFFERS buffers of SAMPLES
scans of voltage0 and voltage1, and checks that the data is the ADC's u32
counter, consecutive across buffers. Prints one line; exits 1 on the first
wrong sample."""
import sys

import iio
import numpy as np

uri, nbuf, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = iio.Context(uri)
dev = ctx.find_device("iio-sim-adc")
if dev is None:
    sys.exit("no iio-sim-adc in the context")
for ch in dev.channels:
    if ch.id in ("voltage0", "voltage1"):
        ch.enabled = True
buf = iio.Buffer(dev, samples)
expected = None
for i in range(nbuf):
    buf.refill()
    data = np.frombuffer(buf.read(), dtype="<u4")
    if len(data) != samples:
        sys.exit(f"buffer {i}: {len(data)} scans, want {samples}")
    if expected is None:
        expected = int(data[0])
    want = (np.arange(samples, dtype=np.uint64) + expected) & 0xFFFFFFFF
    bad = np.nonzero(data.astype(np.uint64) != want)[0]
    if len(bad):
        j = int(bad[0])
        sys.exit(f"buffer {i} scan {j}: 0x{int(data[j]):08x}, want 0x{int(want[j]):08x}")
    expected = (expected + samples) & 0xFFFFFFFF
print(f"python3-libiio: {nbuf} buffers of {samples} scans verified, first scan {expected - nbuf * samples}")
