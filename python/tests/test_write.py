# SPDX-License-Identifier: GPL-2.0-or-later
"""Device.write()'s conversion of numpy arrays into an output stream's
scans, without a device: raw bytes, the stream's dtype, complex64 on I/Q
pairs (rounded, clipped), and refusals."""
import errno
import unittest

import numpy as np

import ifbhost
from test_layout import info


def writer(channels, iq):
    d = ifbhost.Device.__new__(ifbhost.Device)
    d.raw_dtype, d.dtype = ifbhost.layout_dtype(info(channels), iq)
    return d


U16X2 = [("voltage0", 16, False, False, 1), ("voltage1", 16, False, False, 1)]


class Write(unittest.TestCase):
    def test_integers_are_bytes(self):
        d = writer(U16X2, ifbhost.IQ_NONE)
        a = np.arange(5, dtype="<u4")
        self.assertEqual(d._to_raw(a).tobytes(), a.tobytes())

    def test_structured(self):
        d = writer(U16X2, ifbhost.IQ_NONE)
        s = np.zeros(3, dtype=d.dtype)
        s["voltage0"], s["voltage1"] = [1, 2, 3], [4, 5, 6]
        self.assertEqual(d._to_raw(s).view("<u2").tolist(), [1, 4, 2, 5, 3, 6])

    def test_complex_pair(self):
        d = writer(U16X2, ifbhost.IQ_ADJACENT)
        c = np.array([1 + 2j, 65535.4 + 0.6j, -3 + 70000j], dtype=np.complex64)
        self.assertEqual(d._to_raw(c).view("<u2").tolist(), [1, 2, 65535, 1, 0, 65535])

    def test_complex_needs_pairs(self):
        d = writer(U16X2, ifbhost.IQ_NONE)
        with self.assertRaises(ifbhost.Error) as e:
            d._to_raw(np.zeros(2, dtype=np.complex64))
        self.assertEqual(e.exception.errno, errno.EINVAL)


if __name__ == "__main__":
    unittest.main()
