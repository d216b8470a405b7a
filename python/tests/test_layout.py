# SPDX-License-Identifier: GPL-2.0-or-later
"""ifbhost without a device: numpy dtypes from GET_INFO layouts, through
the real libifbhost (ifbh_layout_fields) and the ctypes mirror of its
structures, and I/Q conversion of raw scans to complex64."""
import ctypes
import errno
import unittest

import numpy as np

import ifbhost
from ifbhost import _ffi


def info(channels):
    """channels: (name, storage_bits, signed, big_endian, repeat)."""
    i = _ffi.Info()
    off = 0
    for k, (name, storage, signed, be, rep) in enumerate(channels):
        c = i.ch[k]
        c.name = name.encode()
        c.scan_index = k
        c.offset = off
        c.is_signed, c.is_be = int(signed), int(be)
        c.bits = c.storage_bits = storage
        c.repeat = rep
        off += rep * storage // 8
    i.num_channels = len(channels)
    i.scan_size = off
    return i


class Layout(unittest.TestCase):
    def test_real_fields(self):
        raw, out = ifbhost.layout_dtype(info([("voltage0", 16, False, False, 1),
                                              ("temp", 32, True, True, 2)]))
        self.assertEqual(raw.itemsize, 10)
        self.assertEqual(raw.fields["voltage0"], (np.dtype("<u2"), 0))
        self.assertEqual(raw.fields["temp"][0], np.dtype((">i4", (2,))))
        self.assertEqual(raw.fields["temp"][1], 2)
        self.assertEqual(out["temp"], np.dtype((">i4", (2,))))

    def test_iq_pairs_complex64(self):
        i = info([("voltage0_i", 16, True, False, 1), ("voltage0_q", 16, True, False, 1),
                  ("voltage1_i", 16, True, False, 1), ("voltage1_q", 16, True, False, 1)])
        raw, out = ifbhost.layout_dtype(i)
        self.assertEqual(out.names, ("voltage0", "voltage1"))
        self.assertEqual(out["voltage0"], np.dtype(np.complex64))
        self.assertEqual(raw.fields["voltage1"], (np.dtype(("<i2", (2,))), 4))
        # raw scans to complex64, the way Device.read converts them
        scans = np.array([1, -2, 3, -4, 5, 6, 7, 8], dtype="<i2").tobytes()
        arr = np.frombuffer(scans, dtype=np.uint8).view(raw)
        dev = ifbhost.Device.__new__(ifbhost.Device)
        dev.dtype = out
        got = dev._convert(arr)
        self.assertEqual(got.shape, (2,))
        self.assertEqual(got["voltage0"][0], 1 - 2j)
        self.assertEqual(got["voltage1"][1], 7 + 8j)

    def test_adjacent_and_refusal(self):
        i = info([("voltage0", 16, False, False, 1), ("voltage1", 16, False, False, 1)])
        _, out = ifbhost.layout_dtype(i, ifbhost.IQ_ADJACENT)
        self.assertEqual(out.names, ("voltage0",))
        with self.assertRaises(ifbhost.Error) as e:
            ifbhost.layout_dtype(info([("a", 16, True, False, 1), ("b", 32, True, False, 1)]),
                                 ifbhost.IQ_ADJACENT)
        self.assertEqual(e.exception.errno, 22)

    def test_device_pairs(self):
        # the device's [iio] iq hint (GET_INFO version 3): complex64 by default
        i = info([("temp", 16, True, False, 1), ("voltage0", 16, False, False, 1),
                  ("voltage1", 16, False, False, 1)])
        self.assertEqual(ifbhost.default_iq(i), ifbhost.IQ_BY_NAME)
        _, out = ifbhost.layout_dtype(i)
        self.assertEqual(out.names, ("temp", "voltage0", "voltage1"))
        i.ch[1].iq, i.ch[1].iq_partner = _ffi.IQ_ROLE_I, 2
        i.ch[2].iq, i.ch[2].iq_partner = _ffi.IQ_ROLE_Q, 1
        self.assertEqual(ifbhost.default_iq(i), ifbhost.IQ_DEVICE)
        raw, out = ifbhost.layout_dtype(i)
        self.assertEqual(out.names, ("temp", "voltage0"))
        self.assertEqual(out["voltage0"], np.dtype(np.complex64))
        self.assertEqual(raw.fields["voltage0"], (np.dtype(("<u2", (2,))), 2))
        # asked otherwise, the hint is not used
        _, out = ifbhost.layout_dtype(i, ifbhost.IQ_NONE)
        self.assertEqual(len(out.names), 3)

    def test_structure_sizes_match_the_library(self):
        # the library writes whole Field structs; a wrong mirror shifts names
        i = info([("x%d" % k, 8, False, False, 1) for k in range(64)])
        _, out = ifbhost.layout_dtype(i, ifbhost.IQ_NONE)
        self.assertEqual(out.names, tuple("x%d" % k for k in range(64)))


if __name__ == "__main__":
    unittest.main()


class Streams(unittest.TestCase):
    """libifbhost 1.2's stream functions through ctypes, where no device is
    needed: an empty list (no iio-ffs-bridge device on this machine)."""

    def setUp(self):
        self.L = _ffi.load()
        self.found = ifbhost._Found(None, "999-99", None, None)  # no such bus path

    def tearDown(self):
        self.found.__exit__(None, None, None)

    def test_empty_list(self):
        self.assertEqual(self.L.ifbh_list_count(self.found.lst), 0)
        self.assertEqual(self.L.ifbh_list_stream_index(self.found.lst, 0), -errno.ERANGE)
        self.assertEqual(ifbhost.list_streams(path="999-99"), [])

    def test_open_unknown_stream(self):
        dev = ctypes.c_void_p()
        ret = self.L.ifbh_list_open_stream(self.found.ctx, self.found.lst, b"rx",
                                           ctypes.byref(dev))
        self.assertEqual(ret, -errno.ENOENT)
        self.assertIn('no stream "rx"', self.found.error())
        with self.assertRaises(ifbhost.Error) as e:
            ifbhost.Device(path="999-99", stream="rx")
        self.assertEqual(e.exception.errno, errno.ENOENT)
        with self.assertRaises(ifbhost.Error) as e:
            ifbhost.Device(path="999-99")
        self.assertEqual(e.exception.errno, errno.ENODEV)
