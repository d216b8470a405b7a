# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live sample streams of iio-ffs-bridge USB devices as numpy arrays.

A thin layer over libifbhost (ctypes; see libifbhost(3))::

    import ifbhost
    with ifbhost.Device() as dev:        # STARTs; STOPs on exit
        x = dev.read(1_000_000)          # numpy structured array, 1e6 scans
        print(dev.dtype, dev.gaps, dev.stats)

Units: a *scan* holds one sample of every enabled channel; sample rates are
scans per second; stream offsets count bytes from the first byte after
START; gap positions are given as scan indices into the stream.

Errors: every failure raises :class:`Error`, an ``OSError`` whose
``errno`` is the library's (``ENODEV`` device gone, ``EACCES`` permission
denied, ``EBUSY`` interface in use, ``EPIPE`` request refused,
``EPROTO``/``EBADMSG``/``EPROTONOSUPPORT`` protocol mismatch,
``ECONNRESET`` the device ended the stream, ``ETIMEDOUT``,
``EOPNOTSUPP`` a request the device's protocol version lacks) and whose
``strerror`` is the library's message.
"""
import ctypes
import errno as _errno
import os

import numpy as np

from . import _ffi

__all__ = ["Device", "Error", "IQ_NONE", "IQ_BY_NAME", "IQ_ADJACENT", "IQ_DEVICE",
           "layout_dtype", "default_iq"]

IQ_NONE, IQ_BY_NAME, IQ_ADJACENT = _ffi.IQ_NONE, _ffi.IQ_BY_NAME, _ffi.IQ_ADJACENT
IQ_DEVICE = _ffi.IQ_DEVICE

_lib = None


def _L():
    global _lib
    if _lib is None:
        _lib = _ffi.load()
    return _lib


class Error(OSError):
    """A libifbhost failure: ``errno`` (positive) and the library's message."""


def _check(ret, msg):
    if ret < 0:
        raise Error(-ret, msg() if callable(msg) else msg)
    return ret


def _fields(info, iq):
    L = _L()
    out = (_ffi.Field * _ffi.MAX_CHANNELS)()
    n = ctypes.c_size_t()
    ret = L.ifbh_layout_fields(ctypes.byref(info), iq, out, _ffi.MAX_CHANNELS, ctypes.byref(n))
    _check(ret, "the channels cannot be paired as I/Q as asked")
    return list(out[: n.value])


def default_iq(info):
    """IQ_DEVICE when the device names I/Q pairs (its config's ``[iio] iq``,
    protocol version 3), else IQ_BY_NAME (channels ``X_i``, ``X_q``)."""
    hinted = any(info.ch[k].iq for k in range(info.num_channels))
    return IQ_DEVICE if hinted else IQ_BY_NAME


def layout_dtype(info, iq=None):
    """numpy dtypes of one scan for a GET_INFO layout (an ``_ffi.Info``).

    Returns ``(raw, out)``: *raw* is the structured dtype of the bytes on
    the wire (itemsize = scan size, every field at its byte offset, I/Q
    pairs as two-component subarrays ``(2,)`` or ``(count, 2)``); *out* is
    what :meth:`Device.read` returns: the same fields with every I/Q pair
    as ``complex64`` (I + 1j*Q, raw integer values, no scaling) and every
    real field in its native integer type. Shifts and bit masks of IIO
    (``bits``, ``shift``) are not applied. Raises :class:`Error` (EINVAL)
    when *iq* asks for pairs the layout does not have. *iq* None:
    :func:`default_iq`.
    """
    if iq is None:
        iq = default_iq(info)
    raw, out = [], []
    for f in _fields(info, iq):
        name = f.name.decode("utf-8", "replace")
        base = np.dtype(f.typestr.decode())
        shape = ((f.count, 2) if f.count > 1 else (2,)) if f.iq else ((f.count,) if f.count > 1 else ())
        raw.append((name, f.offset, base, shape))
        oshape = (f.count,) if f.count > 1 else ()
        out.append((name, np.dtype(np.complex64) if f.iq else base, oshape))
    raw_dt = np.dtype({
        "names": [r[0] for r in raw],
        "formats": [(r[2], r[3]) if r[3] else r[2] for r in raw],
        "offsets": [r[1] for r in raw],
        "itemsize": info.scan_size,
    })
    out_dt = np.dtype([(o[0], o[1], o[2]) if o[2] else (o[0], o[1]) for o in out])
    return raw_dt, out_dt


class Device:
    """One iio-ffs-bridge device and its stream.

    ``Device(serial=None, path=None, vid=None, pid=None, iq=None,
    transfers=16, transfer_size=1 << 20)`` finds the device (exactly one
    must match: ``serial``, bus ``path`` "BUS-PORT[.PORT]...", or
    ``vid``/``pid`` narrow the search), opens it and reads its layout.
    The stream STARTs at ``__enter__`` (or the first :meth:`read`) and is
    STOPped by ``__exit__`` / :meth:`close`. *iq* None pairs channels
    as the device says (:func:`default_iq`): the pairs of its ``[iio] iq``
    come back as complex64.

    Attributes: ``info`` (dict: device name, mode, channels...),
    ``scan_size`` (bytes), ``sample_rate`` (scans/s, float, 0.0 unknown),
    ``dtype`` (what :meth:`read` returns), ``raw_dtype`` (the wire
    layout). Raises :class:`Error`: ENODEV when no device matches, EBUSY
    when several do, or what opening reports.
    """

    def __init__(self, serial=None, path=None, vid=None, pid=None, iq=None,
                 transfers=16, transfer_size=1 << 20):
        L = _L()
        self._ctx = self._dev = self._s = None
        self.gaps = []
        self._scans = 0
        ctx = ctypes.c_void_p()
        _check(L.ifbh_ctx_new(ctypes.byref(ctx)), "libusb could not start")
        self._ctx = ctx
        m = _ffi.Match()
        if vid is not None or pid is not None:
            m.have_vidpid, m.vid, m.pid = True, vid or 0, pid or 0
        m.serial = serial.encode() if serial else None
        m.path = path.encode() if path else None
        lst = ctypes.c_void_p()
        try:
            _check(L.ifbh_find(ctx, ctypes.byref(m), ctypes.byref(lst)), self._ctx_err)
            n = L.ifbh_list_count(lst)
            if n != 1:
                raise Error(_errno.ENODEV if n == 0 else _errno.EBUSY,
                            "no iio-ffs-bridge device found" if n == 0 else
                            "%d devices match: choose one with serial= or path=" % n)
            dev = ctypes.c_void_p()
            _check(L.ifbh_dev_open(ctx, lst, 0, ctypes.byref(dev)), self._ctx_err)
            self._dev = dev
        except BaseException:
            L.ifbh_list_free(lst)
            self.close()
            raise
        L.ifbh_list_free(lst)
        self._info = L.ifbh_dev_info(self._dev).contents
        i = self._info
        self.scan_size = i.scan_size
        self.sample_rate = i.sample_rate_mhz / 1000.0
        self.raw_dtype, self.dtype = layout_dtype(i, iq)
        self.info = {
            "device_name": i.device_name.decode("utf-8", "replace"),
            "mode": L.ifbh_mode_name(i.mode).decode(),
            "scan_size": i.scan_size,
            "block_size": i.block_size,
            "block_count": i.block_count,
            "sample_rate": self.sample_rate,
            "channels": [c.name.decode("utf-8", "replace") for c in i.ch[: i.num_channels]],
        }
        self._opts = _ffi.StreamOpts(transfers, transfer_size, 0.0)

    def set_sample_rate(self, hz):
        """Set the device's sample rate (its IIO sampling_frequency) to *hz*
        scans per second (float, milli-hertz resolution), before the stream
        starts. Returns the rate the device took (it may round), which
        :attr:`sample_rate` and :attr:`info` then show. Raises :class:`Error`:
        EOPNOTSUPP (a protocol version 1 or 2 device), EBUSY (a stream
        runs), ENOENT/EACCES (no or a read-only attribute), ERANGE, or the
        driver's refusal (often EINVAL), each with the device's reason."""
        if self._s is not None:
            raise Error(_errno.EBUSY, "set the sample rate before the stream starts")
        L = _L()
        took = ctypes.c_uint64()
        mhz = int(round(float(hz) * 1000.0))
        if mhz < 1 or mhz >= 1 << 64:
            raise Error(_errno.ERANGE, "sample rate %r Hz: expected 0.001 Hz to 1 THz" % hz)
        _check(L.ifbh_dev_set_sample_rate(self._dev, mhz, ctypes.byref(took)), self._dev_err)
        self.sample_rate = self._info.sample_rate_mhz / 1000.0
        self.info["sample_rate"] = self.sample_rate
        return took.value / 1000.0

    def _ctx_err(self):
        return _L().ifbh_ctx_error(self._ctx).decode("utf-8", "replace")

    def _dev_err(self):
        return _L().ifbh_dev_error(self._dev).decode("utf-8", "replace")

    def start(self):
        """START the stream (done by ``with`` and the first read). Raises :class:`Error`."""
        if self._s is not None:
            return
        L = _L()
        s = ctypes.c_void_p()
        _check(L.ifbh_stream_new(self._dev, ctypes.byref(self._opts), ctypes.byref(s)),
               self._dev_err)
        self._s = s
        _check(L.ifbh_stream_start(s), self._dev_err)
        # START may have read a new rate (never a new layout): keep it
        self.sample_rate = self._info.sample_rate_mhz / 1000.0
        self.info["sample_rate"] = self.sample_rate

    def read(self, n, timeout=5.0, raw=False):
        """The next *n* scans as a numpy array of shape ``(m,)``.

        dtype is :attr:`dtype` (I/Q pairs as complex64), or
        :attr:`raw_dtype` with ``raw=True`` (the bytes as sent, no copy
        beyond the one out of the USB transfers). ``m == n`` unless the
        stream ended (``m`` may then be smaller, 0 at the end). Where the
        device reported missing samples, the scan index is appended to
        :attr:`gaps` (scan indices count from the stream's first scan).
        *timeout*: seconds without data before :class:`Error` (ETIMEDOUT);
        errors of the stream (ENODEV...) raise :class:`Error`.
        """
        self.start()
        L = _L()
        buf = np.empty(n * self.scan_size, dtype=np.uint8)
        got = 0
        ri = _ffi.ReadInfo()
        base = buf.ctypes.data
        while got < n:
            r = L.ifbh_stream_read_scans(self._s, ctypes.c_void_p(base + got * self.scan_size),
                                         n - got, ctypes.byref(ri), int(timeout * 1000))
            if r == -_errno.EAGAIN:
                raise Error(_errno.ETIMEDOUT, "no data within %.1f s" % timeout)
            _check(r, self._dev_err)
            if r == 0:
                break
            if ri.gap:
                self.gaps.append(ri.offset // self.scan_size)
            got += r
        self._scans += got
        arr = buf[: got * self.scan_size].view(self.raw_dtype)
        return arr if raw else self._convert(arr)

    def _convert(self, arr):
        out = np.empty(arr.shape, dtype=self.dtype)
        for name in self.dtype.names:
            src = arr[name]
            if self.dtype[name].base == np.complex64:
                out[name].real = src[..., 0]
                out[name].imag = src[..., 1]
            else:
                out[name] = src
        return out

    @property
    def stats(self):
        """The device's counters (dict) as of its last GET_STATS: bytes_sent,
        blocks_sent, starvations, adc_errors, usb_errors, gaps_total,
        stream_id; plus received (bytes this host got) and gaps_unlisted
        (gaps whose offsets the device could not list). None before the
        first reply."""
        if self._s is None:
            return None
        st = _L().ifbh_stream_status(self._s).contents
        if not st.have_stats:
            return None
        d = {k: getattr(st.stats, k) for k in ("stream_id", "bytes_sent", "blocks_sent",
                                                "starvations", "adc_errors", "usb_errors",
                                                "gaps_total")}
        d["received"] = st.received
        d["gaps_unlisted"] = st.gaps_unlisted
        return d

    def stop(self, timeout=5.0):
        """STOP the stream and wait (up to *timeout* s) for its end; the
        scans still in flight are read and dropped. Idempotent."""
        if self._s is None:
            return
        L = _L()
        L.ifbh_stream_stop(self._s)
        scratch = np.empty(1 << 20, dtype=np.uint8)
        while L.ifbh_stream_read(self._s, scratch.ctypes.data, scratch.size, None,
                                 int(timeout * 1000)) > 0:
            pass

    def close(self):
        """STOP (if started), free the stream, release the device."""
        L = _L()
        if self._s is not None:
            try:
                self.stop()
            finally:
                L.ifbh_stream_free(self._s)
                self._s = None
        if self._dev is not None:
            L.ifbh_dev_close(self._dev)
            self._dev = None
        if self._ctx is not None:
            L.ifbh_ctx_free(self._ctx)
            self._ctx = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
