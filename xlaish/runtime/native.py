"""``NativeExecutable``: calls a compiled program's single entry point.

Per call: make each argument a C-contiguous array of the traced dtype (only
a non-contiguous or wrongly typed input is copied; read-only inputs are read
in place), allocate the result arrays, and make one native call with the GIL
released (ctypes drops it). The entry reads the arrays' data pointers itself
(see :mod:`xlaish.codegen.cpu.program`), so the call costs about a
microsecond on top of the kernels.
"""
from __future__ import annotations

import ctypes

import numpy as np

from .. import config

_ENTRY_T = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64)
_ndarray = np.ndarray


def _data_offset_ok(offset: int) -> bool:
    a = np.zeros(3)
    return ctypes.c_void_p.from_address(id(a) + offset).value == a.ctypes.data


class NativeExecutable:
    backend = "cpu"

    def __init__(self, address: int, layout, keepalive=None, py_address: int | None = None):
        from ..codegen.cpu.program import ARRAY_DATA_OFFSET
        self.layout = layout
        self.keepalive = keepalive          # the JIT engine or loaded library owning the code
        self.nparams = len(layout.param_types)
        self.nres = len(layout.result_types)
        self.in_dtypes = [t.dtype for t in layout.param_types]
        self.out_specs = [(t.shape, t.dtype) for t in layout.result_types]
        self.obj_t = ctypes.py_object * max(self.nparams + self.nres, 1)
        self.buf_t = ctypes.c_void_p * max(self.nparams + self.nres, 1)
        self.entry = _ENTRY_T(address)
        self.py_entry = _ENTRY_T(py_address) if py_address and _data_offset_ok(ARRAY_DATA_OFFSET) else None
        self.parallel = layout.parallel
        self.post = [(j, kind, where) for j, (kind, where) in enumerate(layout.result_sources)
                     if kind != "buf"]

    def __call__(self, arrays):
        ins = []
        for a, dt in zip(arrays, self.in_dtypes):
            if not (type(a) is _ndarray and a.dtype == dt and a.flags.c_contiguous):
                a = np.ascontiguousarray(a, dtype=dt)
            ins.append(a)
        outs = [np.empty(shape, dt) for shape, dt in self.out_specs]
        nt = config.num_threads() if self.parallel else 1
        if self.py_entry is not None:
            rc = self.py_entry(self.obj_t(*ins, *outs), nt)
        else:
            rc = self.entry(self.buf_t(*[x.ctypes.data for x in ins + outs]), nt)
        if rc != 0:
            raise MemoryError("xlaish: the compiled program could not allocate its intermediate buffers") \
                if rc == 2 else RuntimeError(f"xlaish: compiled program failed with code {rc}")
        for j, kind, where in self.post:
            if kind == "param":
                np.copyto(outs[j], ins[where])
            elif kind == "const":
                np.copyto(outs[j], where)
            else:
                np.copyto(outs[j], outs[where])
        return outs
