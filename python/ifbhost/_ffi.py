# SPDX-License-Identifier: LGPL-2.1-or-later
"""ctypes mirror of include/ifbhost.h (libifbhost.so.1). Private.

Every structure here copies the C declaration field for field; keep them in
step with the header (the unit test python/tests/test_layout.py checks the
sizes against the library's own layout results).
"""
import ctypes
import ctypes.util
import os

NAME_LEN = 32
CHANNEL_NAME_LEN = 24
MAX_CHANNELS = 64
STATS_MAX_GAPS = 32

IQ_NONE, IQ_BY_NAME, IQ_ADJACENT, IQ_DEVICE = 0, 1, 2, 3
IQ_ROLE_NONE, IQ_ROLE_I, IQ_ROLE_Q = 0, 1, 2
LOG_WARNING, LOG_INFO = 1, 2


class Channel(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * CHANNEL_NAME_LEN)] + [
        (n, ctypes.c_uint)
        for n in ("scan_index", "offset", "is_signed", "is_be", "bits",
                  "storage_bits", "shift", "repeat", "iq", "iq_partner")
    ]


class Info(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("mode", ctypes.c_uint),
        ("state", ctypes.c_uint),
        ("num_channels", ctypes.c_uint),
        ("block_size", ctypes.c_uint32),
        ("block_count", ctypes.c_uint32),
        ("scan_size", ctypes.c_uint32),
        ("sample_rate_mhz", ctypes.c_uint64),
        ("device_name", ctypes.c_char * NAME_LEN),
        ("ch", Channel * MAX_CHANNELS),
    ]


class Stats(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("mode", ctypes.c_uint),
        ("state", ctypes.c_uint),
        ("num_gaps", ctypes.c_uint),
        ("stream_id", ctypes.c_uint32),
    ] + [(n, ctypes.c_uint64) for n in ("bytes_sent", "blocks_sent", "starvations",
                                         "adc_errors", "usb_errors", "gaps_total")] + [
        ("gap_offset", ctypes.c_uint64 * STATS_MAX_GAPS),
    ]


class Field(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char * CHANNEL_NAME_LEN),
        ("offset", ctypes.c_uint),
        ("count", ctypes.c_uint),
        ("bytes", ctypes.c_uint),
        ("is_signed", ctypes.c_bool),
        ("is_be", ctypes.c_bool),
        ("iq", ctypes.c_bool),
        ("ch", ctypes.c_uint),
        ("ch_q", ctypes.c_uint),
        ("typestr", ctypes.c_char * 4),
    ]


class Match(ctypes.Structure):
    _fields_ = [
        ("have_vidpid", ctypes.c_bool),
        ("vid", ctypes.c_uint16),
        ("pid", ctypes.c_uint16),
        ("serial", ctypes.c_char_p),
        ("path", ctypes.c_char_p),
    ]


class DeviceDesc(ctypes.Structure):
    _fields_ = [
        ("path", ctypes.c_char * 40),
        ("vid", ctypes.c_uint16),
        ("pid", ctypes.c_uint16),
        ("iface", ctypes.c_uint8),
        ("alt", ctypes.c_uint8),
        ("ep_in", ctypes.c_uint8),
        ("max_packet", ctypes.c_uint16),
        ("speed", ctypes.c_int),
        ("strings_ok", ctypes.c_bool),
        ("open_error", ctypes.c_int),
        ("manufacturer", ctypes.c_char * 128),
        ("product", ctypes.c_char * 128),
        ("serial", ctypes.c_char * 128),
    ]


class StreamOpts(ctypes.Structure):
    _fields_ = [
        ("transfers", ctypes.c_uint),
        ("transfer_size", ctypes.c_size_t),
        ("stats_period", ctypes.c_double),
    ]


class ReadInfo(ctypes.Structure):
    _fields_ = [("offset", ctypes.c_uint64), ("gap", ctypes.c_bool)]


class TimeModel(ctypes.Structure):
    """struct ifbh_time_model (1.4, grown in 1.5); size set by the caller."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("source", ctypes.c_int),
        ("marks", ctypes.c_uint64),
        ("runs", ctypes.c_uint64),
        ("nominal_hz", ctypes.c_double),
        ("rate_hz", ctypes.c_double),
        ("ppm", ctypes.c_double),
        ("jitter_ns", ctypes.c_double),
        ("clock_known", ctypes.c_int),
        ("host_offset_ns", ctypes.c_int64),
        ("host_offset_unc_ns", ctypes.c_int64),
        ("realtime_offset_ns", ctypes.c_int64),
        ("tai_offset_ns", ctypes.c_int64),
        ("clock_flags", ctypes.c_uint),
        ("esterror_us", ctypes.c_uint32),
        # 1.5
        ("timestamp_clock", ctypes.c_int),
        ("refused", ctypes.c_uint64),
        ("clock_at_ns", ctypes.c_int64),
        ("clock_drift_known", ctypes.c_int),
        ("clock_drift_ppm", ctypes.c_double),
        ("clock_drift_unc_ppm", ctypes.c_double),
        ("clock_rounds", ctypes.c_uint64),
    ]


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class StreamStatus(ctypes.Structure):
    _fields_ = [
        ("received", ctypes.c_uint64),
        ("started", ctypes.c_bool),
        ("stop_sent", ctypes.c_bool),
        ("eos", ctypes.c_bool),
        ("ended", ctypes.c_bool),
        ("stuck", ctypes.c_bool),
        ("error", ctypes.c_int),
        ("host_errors", ctypes.c_uint),
        ("proto_errors", ctypes.c_uint),
        ("have_stats", ctypes.c_bool),
        ("stats", Stats),
        ("gaps", ctypes.c_uint64),
        ("gaps_unlisted", ctypes.c_uint64),
        ("t_start", ctypes.c_double),
        ("t_end", ctypes.c_double),
        ("start_wall", Timespec),
    ]


DIRECTION_IN, DIRECTION_OUT = 0, 1
FIND_IN, FIND_OUT = 1, 2


class WriterOpts(ctypes.Structure):
    _fields_ = [
        ("transfers", ctypes.c_uint),
        ("transfer_size", ctypes.c_size_t),
        ("stats_period", ctypes.c_double),
    ]


class WriterStatus(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("queued", "submitted", "sent", "dropped")] + [
        (n, ctypes.c_bool) for n in ("started", "stop_sent", "played", "ended")] + [
        ("error", ctypes.c_int),
        ("host_errors", ctypes.c_uint),
        ("proto_errors", ctypes.c_uint),
        ("have_stats", ctypes.c_bool),
        ("stats", Stats),
        ("underflows", ctypes.c_uint64),
        ("underflows_unlisted", ctypes.c_uint64),
        ("t_start", ctypes.c_double),
        ("t_end", ctypes.c_double),
    ]


P = ctypes.c_void_p
_PROTOS = {
    "ifbh_ctx_new": (ctypes.c_int, [ctypes.POINTER(P)]),
    "ifbh_ctx_free": (None, [P]),
    "ifbh_ctx_error": (ctypes.c_char_p, [P]),
    "ifbh_find": (ctypes.c_int, [P, ctypes.POINTER(Match), ctypes.POINTER(P)]),
    "ifbh_list_free": (None, [P]),
    "ifbh_list_count": (ctypes.c_size_t, [P]),
    "ifbh_list_denied": (ctypes.c_size_t, [P]),
    "ifbh_list_get": (ctypes.POINTER(DeviceDesc), [P, ctypes.c_size_t]),
    "ifbh_dev_open": (ctypes.c_int, [P, P, ctypes.c_size_t, ctypes.POINTER(P)]),
    "ifbh_dev_close": (None, [P]),
    "ifbh_dev_error": (ctypes.c_char_p, [P]),
    "ifbh_dev_desc": (ctypes.POINTER(DeviceDesc), [P]),
    "ifbh_dev_info": (ctypes.POINTER(Info), [P]),
    "ifbh_dev_get_stats": (ctypes.c_int, [P, ctypes.POINTER(Stats)]),
    "ifbh_dev_set_sample_rate": (ctypes.c_int, [P, ctypes.c_uint64,
                                                ctypes.POINTER(ctypes.c_uint64)]),
    "ifbh_layout_fields": (ctypes.c_int, [ctypes.POINTER(Info), ctypes.c_int,
                                          ctypes.POINTER(Field), ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.c_size_t)]),
    "ifbh_stream_new": (ctypes.c_int, [P, ctypes.POINTER(StreamOpts), ctypes.POINTER(P)]),
    "ifbh_stream_free": (None, [P]),
    "ifbh_stream_start": (ctypes.c_int, [P]),
    "ifbh_stream_stop": (ctypes.c_int, [P]),
    "ifbh_stream_cancel": (None, [P]),
    "ifbh_stream_read_scans": (ctypes.c_ssize_t, [P, P, ctypes.c_size_t,
                                                  ctypes.POINTER(ReadInfo), ctypes.c_int]),
    "ifbh_stream_read": (ctypes.c_ssize_t, [P, P, ctypes.c_size_t,
                                            ctypes.POINTER(ReadInfo), ctypes.c_int]),
    "ifbh_stream_status": (ctypes.POINTER(StreamStatus), [P]),
    "ifbh_mode_name": (ctypes.c_char_p, [ctypes.c_uint]),
    # 1.2: several streams per device (protocol version 4)
    "ifbh_dev_stream_name": (ctypes.c_char_p, [P]),
    "ifbh_dev_stream_index": (ctypes.c_uint, [P]),
    "ifbh_dev_stream_count": (ctypes.c_uint, [P]),
    "ifbh_dev_channel_sign": (ctypes.c_int, [P, ctypes.c_uint]),
    "ifbh_list_stream_index": (ctypes.c_int, [P, ctypes.c_size_t]),
    "ifbh_list_open_stream": (ctypes.c_int, [P, P, ctypes.c_char_p, ctypes.POINTER(P)]),
    # 1.3: output streams (protocol version 5)
    "ifbh_find_streams": (ctypes.c_int, [P, ctypes.POINTER(Match), ctypes.c_uint,
                                         ctypes.POINTER(P)]),
    "ifbh_list_direction": (ctypes.c_int, [P, ctypes.c_size_t]),
    "ifbh_dev_direction": (ctypes.c_int, [P]),
    "ifbh_writer_new": (ctypes.c_int, [P, ctypes.POINTER(WriterOpts), ctypes.POINTER(P)]),
    "ifbh_writer_free": (None, [P]),
    "ifbh_writer_start": (ctypes.c_int, [P]),
    "ifbh_writer_write": (ctypes.c_ssize_t, [P, P, ctypes.c_size_t, ctypes.c_int]),
    "ifbh_writer_poll": (ctypes.c_int, [P, ctypes.c_int]),
    "ifbh_writer_end": (ctypes.c_int, [P, ctypes.c_int]),
    "ifbh_writer_cancel": (None, [P]),
    "ifbh_writer_status": (ctypes.POINTER(WriterStatus), [P]),
    "ifbh_writer_underflow_offsets": (ctypes.c_size_t, [P, ctypes.POINTER(
        ctypes.POINTER(ctypes.c_uint64))]),
    # 1.4: board time (protocol version 6)
    "ifbh_stream_time_model": (ctypes.c_int, [P, ctypes.POINTER(TimeModel)]),
    "ifbh_stream_board_time": (ctypes.c_int, [P, ctypes.c_uint64,
                                              ctypes.POINTER(ctypes.c_int64)]),
    "ifbh_stream_host_time": (ctypes.c_int, [P, ctypes.c_uint64,
                                             ctypes.POINTER(ctypes.c_int64)]),
    "ifbh_stream_realtime": (ctypes.c_int, [P, ctypes.c_uint64,
                                            ctypes.POINTER(ctypes.c_int64)]),
    "ifbh_dev_clock": (ctypes.c_int, [P, ctypes.c_uint, ctypes.POINTER(TimeModel)]),
    # 1.5: the device's timestamp channel (protocol version 7)
    "ifbh_ts_clock_name": (ctypes.c_char_p, [ctypes.c_uint]),
}


def load():
    """The library, from $IFBHOST_LIBRARY or the loader's path."""
    name = os.environ.get("IFBHOST_LIBRARY") or "libifbhost.so.1"
    lib = ctypes.CDLL(name, use_errno=True)
    for fn, (res, args) in _PROTOS.items():
        f = getattr(lib, fn)
        f.restype = res
        f.argtypes = args
    return lib
