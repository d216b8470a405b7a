# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live sample streams of iio-ffs-bridge USB devices as numpy arrays.

A thin layer over libifbhost (ctypes; see libifbhost(3))::

    import ifbhost
    with ifbhost.Device() as dev:        # STARTs; STOPs on exit
        x = dev.read(1_000_000)          # numpy structured array, 1e6 scans
        print(dev.dtype, dev.gaps, dev.stats)

A device of protocol version 4 may serve several streams (several IIO
buffers, one USB interface each, named in its daemon's config): each is
opened on its own, by name, and runs on its own::

    for s in ifbhost.list_streams():
        print(s["path"], s["name"], s["index"], s["count"])
    with ifbhost.Device(stream="rx") as rx, ifbhost.Device(stream="hk") as hk:
        a, b = rx.read(4096), hk.read(16)

An output stream (protocol version 5: samples from the host to an IIO
output device, a DAC) is opened by name, or with ``direction="out"``, and
written; leaving the ``with`` block (or :meth:`Device.end`) sends what is
left and waits until the DAC has played it::

    with ifbhost.Device(stream="tx") as tx:
        tx.write(np.arange(1 << 20, dtype="<u4"))   # scans' bytes, or tx.dtype
    print(tx.underflows)                            # where the DAC ran dry

Each Device has its own libusb context, and its transfers move only while
it is read: read every open stream often enough (or each from a thread of
its own), or the device reports gaps in the one left waiting.

Units: a *scan* holds one sample of every enabled channel; sample rates are
scans per second; stream offsets count bytes from the first byte after
START; gap positions are given as scan indices into the stream.

Errors: every failure raises :class:`Error`, an ``OSError`` whose
``errno`` is the library's (``ENODEV`` device gone, ``EACCES`` permission
denied, ``EBUSY`` interface in use, ``EPIPE`` request refused,
``EPROTO``/``EBADMSG``/``EPROTONOSUPPORT`` protocol mismatch,
``ECONNRESET`` the device ended the stream, ``ETIMEDOUT``,
``EOPNOTSUPP`` a request the device's protocol version lacks, ``ENOENT``
no stream of that name) and whose
``strerror`` is the library's message.
"""
import ctypes
import errno as _errno
import os

import numpy as np

from . import _ffi

__all__ = ["Device", "Error", "IQ_NONE", "IQ_BY_NAME", "IQ_ADJACENT", "IQ_DEVICE",
           "layout_dtype", "default_iq", "list_streams"]

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


def _match(serial, path, vid, pid):
    m = _ffi.Match()
    if vid is not None or pid is not None:
        m.have_vidpid, m.vid, m.pid = True, vid or 0, pid or 0
    m.serial = serial.encode() if serial else None
    m.path = path.encode() if path else None
    return m


class _Found:
    """A libusb context and the list ifbh_find() made from it (with *dirs*,
    ifbh_find_streams()'s), freed by ``with``."""

    def __init__(self, serial, path, vid, pid, dirs=None):
        L = _L()
        self.ctx, self.lst = ctypes.c_void_p(), ctypes.c_void_p()
        _check(L.ifbh_ctx_new(ctypes.byref(self.ctx)), "libusb could not start")
        m = _match(serial, path, vid, pid)
        try:
            if dirs is None:
                ret = L.ifbh_find(self.ctx, ctypes.byref(m), ctypes.byref(self.lst))
            else:
                ret = L.ifbh_find_streams(self.ctx, ctypes.byref(m), dirs, ctypes.byref(self.lst))
            _check(ret, self.error)
        except BaseException:
            L.ifbh_ctx_free(self.ctx)
            raise

    def error(self):
        return _L().ifbh_ctx_error(self.ctx).decode("utf-8", "replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _L().ifbh_list_free(self.lst)
        if self.ctx is not None:
            _L().ifbh_ctx_free(self.ctx)
        return False


def _text(b):
    return b.decode("utf-8", "replace")


def list_streams(serial=None, path=None, vid=None, pid=None):
    """Every stream of the matching devices, in the order of their USB
    interfaces (a device's stream 0 first), as dicts: ``path`` (bus path),
    ``vid``, ``pid``, ``serial``, ``product``, ``interface`` (its USB
    interface number), ``index`` and ``count`` (the stream's number and the
    device's streams), ``name`` (the stream's name; ``""`` for a device
    before protocol version 4, which has one stream, opened by the name
    ``"main"``), ``direction`` (``"in"``: read from the device, an ADC's;
    ``"out"``: written to it, a DAC's, protocol version 5) and ``error``
    (None, or why the stream could not be opened to ask its name, e.g.
    another program uses it: ``name`` is then None).

    Each stream is opened briefly (its interface claimed) to read its
    name. Raises :class:`Error` only when listing fails as a whole.
    """
    L = _L()
    out = []
    with _Found(serial, path, vid, pid, _ffi.FIND_IN | _ffi.FIND_OUT) as f:
        for i in range(L.ifbh_list_count(f.lst)):
            d = L.ifbh_list_get(f.lst, i).contents
            s = {"path": _text(d.path), "vid": d.vid, "pid": d.pid,
                 "serial": _text(d.serial), "product": _text(d.product),
                 "interface": d.iface, "index": L.ifbh_list_stream_index(f.lst, i),
                 "count": None, "name": None, "error": None,
                 "direction": "out" if L.ifbh_list_direction(f.lst, i) == _ffi.DIRECTION_OUT
                 else "in"}
            dev = ctypes.c_void_p()
            ret = L.ifbh_dev_open(f.ctx, f.lst, i, ctypes.byref(dev))
            if ret:
                s["error"] = f.error()
            else:
                s["name"] = _text(L.ifbh_dev_stream_name(dev))
                s["index"] = L.ifbh_dev_stream_index(dev)
                s["count"] = L.ifbh_dev_stream_count(dev)
                L.ifbh_dev_close(dev)
            out.append(s)
    return out


class Device:
    """One stream of an iio-ffs-bridge device.

    ``Device(serial=None, path=None, vid=None, pid=None, iq=None,
    transfers=None, transfer_size=None, stream=None, direction=None)`` finds the device
    (exactly one must match: ``serial``, bus ``path`` "BUS-PORT[.PORT]...",
    or ``vid``/``pid`` narrow the search), opens it and reads its layout.
    *stream* names the stream to open (protocol version 4 devices may serve
    several, see :func:`list_streams`; a device before it has one, which
    answers to ``"main"``), of either direction; without it exactly one
    input stream must match, or with ``direction="out"`` one output stream
    (``"in"``/``"out"`` also narrow a named search).

    Output streams (:attr:`direction` ``"out"``) are written:
    :meth:`write` starts the stream (START) and sends scans, :meth:`end`
    (and ``__exit__``/:meth:`close`) sends the rest and waits until the DAC
    has played the last sample; a :meth:`write` after :meth:`end` starts a
    new stream. :attr:`underflows` lists where the DAC ran dry (scan
    indices of the first scan played after it, counting from the start of
    the stream in which it happened). :meth:`read` is for input streams.
    *transfers* and *transfer_size* (bytes) set the bulk transfers in
    flight; None: the library's default, 16 of 1 MiB within half of
    usbfs's memory limit, which all programs share (so that two streams,
    in one program or two, fit under Linux's default 16 MiB).
    Streams of one device are opened, started and stopped independently
    (one :class:`Device` each).
    The stream STARTs at ``__enter__`` (or the first :meth:`read`) and is
    STOPped by ``__exit__`` / :meth:`close`. *iq* None pairs channels
    as the device says (:func:`default_iq`): the pairs of its ``[iio] iq``
    come back as complex64.

    Attributes: ``info`` (dict: device name, mode, channels...),
    ``scan_size`` (bytes), ``sample_rate`` (scans/s, float, 0.0 unknown),
    ``dtype`` (what :meth:`read` returns), ``raw_dtype`` (the wire
    layout), ``stream`` (the stream's name, ``""`` before protocol version
    4), ``stream_index`` and ``stream_count``. Raises :class:`Error`:
    ENODEV when no device matches, EBUSY when several (devices or streams)
    do, ENOENT when no stream has the name *stream* (the message lists
    those there are), or what opening reports.
    """

    def __init__(self, serial=None, path=None, vid=None, pid=None, iq=None,
                 transfers=None, transfer_size=None, stream=None, direction=None):
        L = _L()
        self._ctx = self._dev = self._s = self._w = None
        self.gaps = []
        self.time = self.host_time = self.realtime = None
        self.underflows = []
        self._uf_seen = 0
        self._scans = 0
        if direction not in (None, "in", "out"):
            raise ValueError("direction: expected None, 'in' or 'out', not %r" % (direction,))
        dirs = None  # input streams alone, as before output streams existed
        if direction == "out" or stream is not None:
            dirs = {"in": _ffi.FIND_IN, "out": _ffi.FIND_OUT}.get(
                direction, _ffi.FIND_IN | _ffi.FIND_OUT)
        with _Found(serial, path, vid, pid, dirs) as f:
            self._dev = self._open(f, stream)
            self._ctx, f.ctx = f.ctx, None  # the context lives on with the device
        self.stream = _text(L.ifbh_dev_stream_name(self._dev))
        self.stream_index = L.ifbh_dev_stream_index(self._dev)
        self.stream_count = L.ifbh_dev_stream_count(self._dev)
        self.direction = ("out" if L.ifbh_dev_direction(self._dev) == _ffi.DIRECTION_OUT
                          else "in")
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
            "stream": self.stream,
            "direction": self.direction,
        }
        self._opts = _ffi.StreamOpts(transfers or 0, transfer_size or 0, 0.0)
        self._wopts = _ffi.WriterOpts(transfers or 0, transfer_size or 0, 0.0)

    def _open(self, f, stream):
        L = _L()
        dev = ctypes.c_void_p()
        if stream is not None:
            _check(L.ifbh_list_open_stream(f.ctx, f.lst, stream.encode(), ctypes.byref(dev)),
                   f.error)
            return dev
        n = L.ifbh_list_count(f.lst)
        if n != 1:
            paths = {L.ifbh_list_get(f.lst, i).contents.path for i in range(n)}
            what = "devices" if len(paths) == n else "streams"
            raise Error(_errno.ENODEV if n == 0 else _errno.EBUSY,
                        "no iio-ffs-bridge device found" if n == 0 else
                        "%d devices match: choose one with serial= or path=" % n
                        if what == "devices" else
                        "%d streams match: choose one with stream= (see list_streams())" % n)
        _check(L.ifbh_dev_open(f.ctx, f.lst, 0, ctypes.byref(dev)), f.error)
        return dev

    def channel_sign(self, i):
        """Channel *i*'s sign letter as the kernel gives it: ``"u"``, ``"s"``,
        and from protocol version 4 ``"S"`` (signed, sign-extended by the
        driver: ADI's AD9361-class) or ``"U"``. :attr:`dtype` reads both
        upper-case letters right (``S`` as signed, ``U`` as unsigned)."""
        r = _L().ifbh_dev_channel_sign(self._dev, i)
        _check(r, "no channel %r" % i)
        return chr(r)

    def set_sample_rate(self, hz):
        """Set the device's sample rate (its IIO sampling_frequency) to *hz*
        scans per second (float, milli-hertz resolution), before the stream
        starts. Returns the rate the device took (it may round), which
        :attr:`sample_rate` and :attr:`info` then show. Raises :class:`Error`:
        EOPNOTSUPP (a protocol version 1 or 2 device), EBUSY (a stream
        runs), ENOENT/EACCES (no or a read-only attribute), ERANGE, or the
        driver's refusal (often EINVAL), each with the device's reason."""
        if self._s is not None or self._w is not None:
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

    def _dev_err(self):
        return _L().ifbh_dev_error(self._dev).decode("utf-8", "replace")

    def start(self):
        """START the stream (done by ``with`` and the first read). Raises :class:`Error`."""
        if self.direction == "out":
            self._start_writer()
            return
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

        Board time (a device of protocol version 6): :attr:`time` is the
        board's CLOCK_MONOTONIC (ns) at which the first scan returned was
        taken, :attr:`host_time` the same on this host's CLOCK_MONOTONIC
        and :attr:`realtime` on the board's CLOCK_REALTIME (ns since 1970);
        None when unknown (an older device). :meth:`time_model` has the
        measured rate.
        """
        if self.direction == "out":
            raise Error(_errno.EINVAL, "stream %r is an output stream: write() it" % self.stream)
        self.start()
        L = _L()
        buf = np.empty(n * self.scan_size, dtype=np.uint8)
        got = 0
        ri = _ffi.ReadInfo()
        base = buf.ctypes.data
        self.time = self.host_time = self.realtime = None
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
            if got == 0:
                self._times_at(ri.offset)
            got += r
        self._scans += got
        arr = buf[: got * self.scan_size].view(self.raw_dtype)
        return arr if raw else self._convert(arr)

    def _times_at(self, offset):
        L = _L()
        t = ctypes.c_int64()
        if L.ifbh_stream_board_time(self._s, offset, ctypes.byref(t)) == 0:
            self.time = t.value
        if L.ifbh_stream_host_time(self._s, offset, ctypes.byref(t)) == 0:
            self.host_time = t.value
        if L.ifbh_stream_realtime(self._s, offset, ctypes.byref(t)) == 0:
            self.realtime = t.value

    def time_model(self):
        """The stream's time model as a dict (protocol version 6), or None
        for an older device or before the stream starts: ``source``
        ("fence": zero-copy DMABUF fence times, "read": the daemon's read()
        times, "timestamp": the device's own timestamp channel, "none"),
        ``timestamp_clock`` (the clock of the stream's timestamp channel,
        as IIO names it, e.g. "realtime"; None without one or from a
        device before protocol version 7), ``marks``, ``runs`` (gap-free
        runs), ``nominal_hz``,
        ``rate_hz`` (measured), ``ppm``, ``jitter_ns``, and with a clock
        estimate ``host_offset_ns`` (host - board CLOCK_MONOTONIC),
        ``host_offset_unc_ns``, ``realtime_offset_ns`` (board REALTIME -
        MONOTONIC), ``board_clock`` ("synchronised", "free-running" or
        "unknown"), ``clock_at_ns`` (the host CLOCK_MONOTONIC the offset
        is of), ``clock_drift_ppm`` (how fast host - board changes,
        measured over the stream's once-a-second round trips; None until
        they span 4 s) and ``clock_drift_unc_ppm`` (its bound; until
        measured, the 200 ppm assumed). ``host_time`` after each read has
        the drift applied."""
        if self._s is None:
            return None
        m = _ffi.TimeModel()
        m.size = ctypes.sizeof(m)
        if _L().ifbh_stream_time_model(self._s, ctypes.byref(m)) != 0:
            return None
        d = {
            "source": {1: "fence", 2: "read", 3: "timestamp"}.get(m.source, "none"),
            "timestamp_clock": _L().ifbh_ts_clock_name(m.timestamp_clock).decode()
            if m.timestamp_clock else None,
            "marks": m.marks, "runs": m.runs, "nominal_hz": m.nominal_hz,
            "rate_hz": m.rate_hz, "ppm": m.ppm, "jitter_ns": m.jitter_ns,
        }
        if m.clock_known:
            known, synced = m.clock_flags & 0x8, m.clock_flags & 0x1
            d.update(host_offset_ns=m.host_offset_ns, host_offset_unc_ns=m.host_offset_unc_ns,
                     realtime_offset_ns=m.realtime_offset_ns,
                     board_clock=("synchronised" if synced else "free-running") if known
                     else "unknown",
                     clock_at_ns=m.clock_at_ns,
                     clock_drift_ppm=m.clock_drift_ppm if m.clock_drift_known else None,
                     clock_drift_unc_ppm=m.clock_drift_unc_ppm)
        return d

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

    # --- output streams ---------------------------------------------------

    def _start_writer(self):
        if self._w is not None:
            return
        L = _L()
        w = ctypes.c_void_p()
        _check(L.ifbh_writer_new(self._dev, ctypes.byref(self._wopts), ctypes.byref(w)),
               self._dev_err)
        self._w, self._uf_seen = w, 0
        self._base = len(self.underflows)
        _check(L.ifbh_writer_start(w), self._dev_err)
        self.sample_rate = self._info.sample_rate_mhz / 1000.0
        self.info["sample_rate"] = self.sample_rate

    def _collect(self):
        """The writer's underflow offsets not yet in :attr:`underflows`."""
        offs = ctypes.POINTER(ctypes.c_uint64)()
        n = _L().ifbh_writer_underflow_offsets(self._w, ctypes.byref(offs))
        for k in range(self._uf_seen, n):
            self.underflows.append(offs[k] // self.scan_size)
        self._uf_seen = max(self._uf_seen, n)

    def _to_raw(self, data):
        """*data* as the scans' bytes (a contiguous numpy array)."""
        a = np.asarray(data)
        if a.dtype == self.raw_dtype or a.dtype.names is None and a.dtype.kind in "iub":
            return np.ascontiguousarray(a)
        if a.dtype.kind == "c" and a.dtype.names is None:
            # complex samples: every field must be an I/Q pair
            names = self.dtype.names
            if any(self.dtype[nm].base != np.complex64 for nm in names):
                raise Error(_errno.EINVAL, "complex samples, but not every field is an I/Q "
                            "pair: write %s or raw bytes" % (self.dtype,))
            a = a.reshape(-1, len(names)) if len(names) > 1 else a.reshape(-1)
            s = np.empty(a.shape[0], dtype=self.dtype)
            for k, nm in enumerate(names):
                s[nm] = a[:, k] if len(names) > 1 else a
            a = s
        if a.dtype.names is None or set(a.dtype.names) != set(self.raw_dtype.names):
            raise Error(_errno.EINVAL, "cannot write %s to a stream of %s" % (a.dtype, self.dtype))
        raw = np.zeros(a.shape, dtype=self.raw_dtype)
        for nm in self.raw_dtype.names:
            dst, src = raw[nm], a[nm]
            base = self.raw_dtype[nm].base
            if np.iscomplexobj(src):
                lim = np.iinfo(base)
                dst[..., 0] = np.clip(np.rint(src.real), lim.min, lim.max)
                dst[..., 1] = np.clip(np.rint(src.imag), lim.min, lim.max)
            else:
                dst[...] = src
        return raw

    def write(self, data, timeout=5.0):
        """Send *data* to an output stream (STARTing it first if needed).

        *data*: a numpy array of :attr:`raw_dtype` (the scans as the device
        takes them), of :attr:`dtype` (I/Q pairs as complex64 with raw
        integer values, as :meth:`read` gives them; rounded and clipped to
        the channel's type), a plain complex array when every field is an
        I/Q pair (one column per field), or any integer array, taken as the
        scans' bytes (e.g. interleaved ``<u2`` samples, or ``<u4`` for two
        u16 channels). Returns the number of bytes sent. Waits up to
        *timeout* seconds at a time for the device to take data, then raises
        :class:`Error` (ETIMEDOUT); the stream's errors raise :class:`Error`.
        """
        if self.direction != "out":
            raise Error(_errno.EINVAL, "stream %r is an input stream: read() it" % self.stream)
        raw = self._to_raw(data)
        self._start_writer()
        L = _L()
        base, size, done = raw.ctypes.data, raw.nbytes, 0
        while done < size:
            r = L.ifbh_writer_write(self._w, ctypes.c_void_p(base + done), size - done,
                                    int(timeout * 1000))
            self._collect()
            if r == -_errno.EAGAIN:
                raise Error(_errno.ETIMEDOUT, "the device took no data within %.1f s" % timeout)
            _check(r, self._dev_err)
            done += r
        return done

    def end(self, timeout=None):
        """End an output stream: send what is left (whole scans), STOP, and
        wait until the DAC has played the last sample (*timeout* seconds,
        None: no limit; then :class:`Error` ETIMEDOUT and the stream is
        cancelled). :attr:`underflows` then holds every underflow the
        device listed. Idempotent; a later :meth:`write` starts a new
        stream."""
        if self._w is None:
            return
        L = _L()
        try:
            ret = L.ifbh_writer_end(self._w, -1 if timeout is None else int(timeout * 1000))
            self._collect()
            self._last = self._wstats()
            if ret:
                L.ifbh_writer_cancel(self._w)
            _check(ret, self._dev_err)
        finally:
            L.ifbh_writer_free(self._w)
            self._w = None

    def cancel(self):
        """Give an output stream up: what is in flight is dropped, STOP is
        sent (the device still plays what it holds)."""
        if self._w is not None:
            _L().ifbh_writer_cancel(self._w)
            self._collect()
            _L().ifbh_writer_free(self._w)
            self._w = None

    def _wstats(self):
        st = _L().ifbh_writer_status(self._w).contents
        d = {k: getattr(st, k) for k in ("queued", "submitted", "sent", "dropped", "played",
                                          "underflows", "underflows_unlisted")}
        if st.have_stats:
            d.update({k: getattr(st.stats, k) for k in ("stream_id", "bytes_sent",
                                                         "blocks_sent", "starvations")})
        return d

    @property
    def stats(self):
        """The device's counters (dict) as of its last GET_STATS: bytes_sent,
        blocks_sent, starvations, adc_errors, usb_errors, gaps_total,
        stream_id; plus received (bytes this host got) and gaps_unlisted
        (gaps whose offsets the device could not list). None before the
        first reply. An output stream's: queued, submitted, sent (bytes the
        device took), dropped, played (the DAC played everything, after
        :meth:`end`), underflows, underflows_unlisted, and from the device
        stream_id, bytes_sent (bytes given to the DAC), blocks_sent,
        starvations; after :meth:`end`, the stream's last."""
        if self.direction == "out":
            return self._wstats() if self._w is not None else getattr(self, "_last", None)
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
        """STOP (if started), free the stream, release the device. An
        output stream is ended first (:meth:`end`: played to the last
        sample)."""
        L = _L()
        if self._w is not None:
            try:
                self.end()
            finally:
                self.cancel()
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

    def __exit__(self, exc_type, *exc):
        if exc_type is not None and self._w is not None:
            self.cancel()  # an error: do not wait for the DAC
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
