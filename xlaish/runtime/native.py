"""``NativeExecutable``: calls a compiled program's single entry point.

Per call: convert arguments to contiguous arrays of the traced dtypes (a
non-contiguous or read-only input is handled; only a non-contiguous one is
copied), allocate result arrays and the intermediate slots of the buffer
plan, and make one native call with the GIL released (ctypes drops it).
"""
from __future__ import annotations

import ctypes

import numpy as np

from .. import config

_ENTRY_T = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64)


class NativeExecutable:
    backend = "cpu"

    def __init__(self, address: int, layout, keepalive=None):
        self.entry = _ENTRY_T(address)
        self.layout = layout
        self.keepalive = keepalive          # the JIT engine or loaded library owning the code
        self.nparams = len(layout.param_types)
        self.nres = len(layout.result_types)
        self.nbufs = self.nparams + self.nres + len(layout.slot_sizes)
        self.buf_t = ctypes.c_void_p * max(self.nbufs, 1)
        self.in_dtypes = [t.dtype for t in layout.param_types]
        self.out_specs = [(t.shape, t.dtype) for t in layout.result_types]

    def __call__(self, arrays):
        bufs = self.buf_t()
        keep = []
        for k, (a, dt) in enumerate(zip(arrays, self.in_dtypes)):
            if not (isinstance(a, np.ndarray) and a.dtype == dt and a.flags.c_contiguous):
                a = np.ascontiguousarray(a, dtype=dt)
            keep.append(a)
            bufs[k] = a.ctypes.data
        outs = []
        for j, ((shape, dt), (kind, _)) in enumerate(zip(self.out_specs, self.layout.result_sources)):
            o = np.empty(shape, dt)
            outs.append(o)
            bufs[self.nparams + j] = o.ctypes.data
        base = self.nparams + self.nres
        for s, size in enumerate(self.layout.slot_sizes):
            tmp = np.empty(max(size, 1), np.uint8)
            keep.append(tmp)
            bufs[base + s] = tmp.ctypes.data
        rc = self.entry(bufs, config.num_threads())
        if rc != 0:
            raise RuntimeError(f"compiled program failed with code {rc}")
        for j, (kind, where) in enumerate(self.layout.result_sources):
            if kind == "param":
                np.copyto(outs[j], keep[where])
            elif kind == "const":
                np.copyto(outs[j], where)
            elif kind == "alias":
                np.copyto(outs[j], outs[where])
        return outs
