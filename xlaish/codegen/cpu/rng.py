"""LLVM rule of ``threefry2x32`` (:mod:`xlaish.ir.ops.rng`), part of the CPU column of the op table
(:mod:`.elementwise` adds ``RULES`` to its table).

The packed uint64 operands are split into 32-bit words, the 20 rounds are straight-line i32
adds, rotations (``llvm.fshl``, one instruction where the target has one) and xors, and the
result is packed again; LLVM folds the packing into the ops around it and vectorises the loop.
Matches the NumPy reference (and ``jax.random``) bit for bit.
"""
from __future__ import annotations

from llvmlite import ir

from ...ir.ops.rng import PARITY, ROTATIONS
from . import types as T


def _words(b, v):
    return b.trunc(b.lshr(v, ir.Constant(T.I64, 32)), T.I32), b.trunc(v, T.I32)


def _threefry2x32(cg, a, dt, out):
    b = cg.b
    (k0, k1), (x0, x1) = (_words(b, v) for v in a)
    ks = (k0, k1, b.xor(b.xor(k0, k1), ir.Constant(T.I32, PARITY)))
    x0, x1 = b.add(x0, ks[0]), b.add(x1, ks[1])
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            x0 = b.add(x0, x1)
            x1 = b.xor(cg.intrinsic("llvm.fshl", [x1, x1, ir.Constant(T.I32, r)]), x0)
        x0 = b.add(x0, ks[(i + 1) % 3])
        x1 = b.add(x1, b.add(ks[(i + 2) % 3], ir.Constant(T.I32, i + 1)))
    hi = b.shl(b.zext(x0, T.I64), ir.Constant(T.I64, 32))
    return b.or_(hi, b.zext(x1, T.I64))


RULES = {"threefry2x32": _threefry2x32}
