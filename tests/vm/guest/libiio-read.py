# SPDX-License-Identifier: GPL-2.0-or-later
"""python3 libiio-read.py URI BUFFERS SAMPLES [DEVICE...]: Debian's
python3-libiio (0.24) opens simulated ADCs (default iio-sim-adc) over
usb:, reads BUFFERS buffers of SAMPLES scans of voltage0 and voltage1 from
each, the devices' buffers open at once and refilled in turn, and checks
that each device's data is its own u32 counter, consecutive across
buffers. Prints one line; exits 1 on the first wrong sample."""
import sys

import iio
import numpy as np

uri, nbuf, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = sys.argv[4:] or ["iio-sim-adc"]
ctx = iio.Context(uri)
bufs = []
for name in names:
    dev = ctx.find_device(name)
    if dev is None:
        sys.exit(f"no {name} in the context")
    for ch in dev.channels:
        if ch.id in ("voltage0", "voltage1"):
            ch.enabled = True
    bufs.append(iio.Buffer(dev, samples))
expected = [None] * len(bufs)
for i in range(nbuf):
    for k, buf in enumerate(bufs):
        buf.refill()
        data = np.frombuffer(buf.read(), dtype="<u4")
        if len(data) != samples:
            sys.exit(f"{names[k]} buffer {i}: {len(data)} scans, want {samples}")
        if expected[k] is None:
            expected[k] = int(data[0])
        want = (np.arange(samples, dtype=np.uint64) + expected[k]) & 0xFFFFFFFF
        bad = np.nonzero(data.astype(np.uint64) != want)[0]
        if len(bad):
            j = int(bad[0])
            sys.exit(f"{names[k]} buffer {i} scan {j}: 0x{int(data[j]):08x}, "
                     f"want 0x{int(want[j]):08x}")
        expected[k] = (expected[k] + samples) & 0xFFFFFFFF
first = ", ".join(f"{n} from scan {(e - nbuf * samples) & 0xFFFFFFFF}" for n, e in zip(names, expected))
print(f"python3-libiio: {nbuf} buffers of {samples} scans verified ({first})")
