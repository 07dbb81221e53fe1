"""NumPy dtypes as LLVM types: how values are stored in memory and computed in registers.

bool is stored as ``i8`` (NumPy's layout) and computed as ``i1``; float16 is
stored as ``half`` and computed in ``float`` (as NumPy does), rounded on store.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F16, F32, F64 = ir.HalfType(), ir.FloatType(), ir.DoubleType()
PTR = ir.IntType(8).as_pointer()


def storage(dt) -> ir.Type:
    dt = np.dtype(dt)
    if dt.kind == "b":
        return I8
    if dt.kind in "iu":
        return ir.IntType(dt.itemsize * 8)
    if dt.kind == "c":       # only ever stored (make_complex); see xlaish.passes.complex
        part = {8: F32, 16: F64}[dt.itemsize]
        return ir.LiteralStructType([part, part])
    return {2: F16, 4: F32, 8: F64}[dt.itemsize]


def compute(dt) -> ir.Type:
    dt = np.dtype(dt)
    if dt.kind == "b":
        return I1
    if dt.kind == "f" and dt.itemsize == 2:
        return F32
    return storage(dt)


def load(b, ptr, dt):
    """Load one element of dtype dt from an ``i8*``-typed or typed pointer, in compute type."""
    v = b.load(ptr)
    dt = np.dtype(dt)
    if dt.kind == "b":
        return b.icmp_unsigned("!=", v, ir.Constant(I8, 0))
    if dt.kind == "f" and dt.itemsize == 2:
        return b.fpext(v, F32)
    return v


def to_storage(b, v, dt):
    dt = np.dtype(dt)
    if dt.kind == "b":
        return b.zext(v, I8)
    if dt.kind == "f" and dt.itemsize == 2:
        return b.fptrunc(v, F16)
    return v


def const(dt, value) -> ir.Constant:
    """A compute-type constant of dtype dt."""
    dt = np.dtype(dt)
    t = compute(dt)
    if dt.kind == "b":
        return ir.Constant(t, int(bool(value)))
    if dt.kind in "iu":
        v = int(value)
        return ir.Constant(t, v & ((1 << (dt.itemsize * 8)) - 1) if v < 0 else v)
    v = float(value)
    if dt.itemsize == 2:
        v = float(np.float16(v))
    elif dt.itemsize == 4:
        v = float(np.float32(v))
    return ir.Constant(t, v)
