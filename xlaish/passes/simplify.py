"""Algebraic simplification: small local patterns applied to a fixpoint.

Every rewrite keeps IEEE semantics (NaN, signed zeros, infinities):

* ``x + (-0.0) -> x`` and ``x - 0.0 -> x`` for floats (``x + 0.0`` is *not* x
  when x is -0.0); ``x + 0``, ``x - 0`` for integers
* ``x * 1``, ``x / 1``, ``x ** 1 -> x``; ``x ** 2 -> x * x``; ``x ** 0.5 -> sqrt(x)``
  for float32/float64 (NumPy's ``power`` takes the same sqrt fast path there, -0.0 and
  -inf included; its float16 loop does not, so float16 keeps ``power``)
* ``--x -> x``; ``x * 0 -> 0`` only for integers and bool
* ``exp(log(x))`` is *not* simplified (it changes results for negative x)
* casts to the same dtype removed; reshape/transpose/broadcast_to chains
  collapsed; identity views removed; a view (reshape, transpose, slice) of a splat
  (``broadcast_to`` of a scalar) is a splat of the view's shape (fusion clones splats into
  kernels, where a view of a computed value is not an affine read)
"""
from __future__ import annotations

import numpy as np

from ..ir.core import Function
from ..ir.opnames import (
    ADD,
    ASTYPE,
    BROADCAST_TO,
    CONSTANT,
    DIVIDE,
    MULTIPLY,
    NEGATIVE,
    POWER,
    RESHAPE,
    SLICE,
    SQRT,
    SUBTRACT,
    TRANSPOSE,
)
from ._rewrite import Rewriter


def _scalar(defs, v):
    """The scalar value of v if it is a constant or a splat, else None."""
    op = defs.get(id(v))
    if op is None:
        return None
    if op.name == CONSTANT and np.asarray(op.attrs["value"]).size == 1:
        return np.asarray(op.attrs["value"]).reshape(())[()]
    if op.name == BROADCAST_TO:
        return _scalar(defs, op.operands[0])
    return None


def _splat(defs, v):
    """The 0-d operand of ``v = broadcast_to(scalar)``, else None."""
    op = defs.get(id(v))
    if op is not None and op.name == BROADCAST_TO and op.operands[0].type.shape == ():
        return op.operands[0]
    return None


def _is(val, target, neg_zero=None):
    if val is None:
        return False
    try:
        if val != target:
            return False
    except TypeError:
        return False
    if neg_zero is not None and np.asarray(val).dtype.kind == "f":
        return bool(np.signbit(val)) == neg_zero
    return True


def _simplify_once(fn: Function) -> tuple[Function, bool]:
    rw = Rewriter(fn)
    defs: dict = {}        # id(new value) -> defining op (new)
    changed = False

    def same_type_as(v, out_type):
        return v.type == out_type

    for op in fn.ops:
        if op.regions:
            regions = []
            for r in op.regions:
                nr = simplify(r)
                changed |= nr is not r
                regions.append(nr)
            rw.keep(op, tuple(regions))
            for r in op.results:
                defs[id(r)] = rw.ops[-1]
            continue
        ins = [rw[v] for v in op.operands]
        n = op.name
        out = op.results[0].type if op.results else None
        rep = None
        is_float = out is not None and out.dtype.kind == "f"
        if n in (ADD, SUBTRACT, MULTIPLY, DIVIDE, POWER) and len(ins) == 2:
            a, b = ins
            sb = _scalar(defs, b)
            sa = _scalar(defs, a)
            if n == ADD:
                if (is_float and _is(sb, 0, neg_zero=True)) or (not is_float and _is(sb, 0)):
                    rep = a
                elif (is_float and _is(sa, 0, neg_zero=True)) or (not is_float and _is(sa, 0)):
                    rep = b
            elif n == SUBTRACT:
                if (is_float and _is(sb, 0, neg_zero=False)) or (not is_float and _is(sb, 0)):
                    rep = a
            elif n == MULTIPLY:
                if _is(sb, 1):
                    rep = a
                elif _is(sa, 1):
                    rep = b
                elif not is_float and (_is(sb, 0) or _is(sa, 0)):
                    zero = rw.emit1(CONSTANT, [], {"value": np.zeros((), out.dtype)}, loc=op.loc)
                    rep = rw.emit1(BROADCAST_TO, [zero], {"shape": out.shape}, loc=op.loc) \
                        if out.shape else zero
            elif n == DIVIDE:
                if _is(sb, 1):
                    rep = a
            elif n == POWER:
                if _is(sb, 1):
                    rep = a
                elif _is(sb, 2):
                    rep = rw.emit1(MULTIPLY, [a, a], loc=op.loc)
                elif out.dtype.itemsize >= 4 and is_float and _is(sb, 0.5):
                    # NumPy's float16 power has no sqrt fast path: pow(-0.0, 0.5) is +0.0 there
                    rep = rw.emit1(SQRT, [a], loc=op.loc)
        elif n == NEGATIVE:
            d = defs.get(id(ins[0]))
            if d is not None and d.name == NEGATIVE:
                rep = d.operands[0]
        elif n == ASTYPE:
            if ins[0].type.dtype == op.attrs["dtype"]:
                rep = ins[0]
        elif n in (RESHAPE, TRANSPOSE, SLICE) and (scalar := _splat(defs, ins[0])) is not None:
            rep = rw.emit1(BROADCAST_TO, [scalar], {"shape": out.shape}, loc=op.loc)
        elif n in (RESHAPE, BROADCAST_TO):
            d = defs.get(id(ins[0]))
            if ins[0].type.shape == tuple(op.attrs["shape"]):
                rep = ins[0]
            elif d is not None and d.name == n:
                rep = rw.emit1(n, [d.operands[0]], dict(op.attrs), loc=op.loc)
        elif n == TRANSPOSE:
            d = defs.get(id(ins[0]))
            perm = tuple(op.attrs["perm"])
            if perm == tuple(range(len(perm))):
                rep = ins[0]
            elif d is not None and d.name == TRANSPOSE:
                inner = d.attrs["perm"]
                composed = tuple(inner[p] for p in perm)
                rep = d.operands[0] if composed == tuple(range(len(perm))) else \
                    rw.emit1(TRANSPOSE, [d.operands[0]], {"perm": composed}, loc=op.loc)
        if rep is not None and out is not None and rep.type == out:
            rw.set(op.results[0], rep)
            changed = True
            continue
        rw.keep(op)
        for r in op.results:
            defs[id(r)] = rw.ops[-1]
    return rw.finish(), changed


def simplify(fn: Function, max_iters: int = 20) -> Function:
    for _ in range(max_iters):
        new, changed = _simplify_once(fn)
        if not changed:
            return fn
        fn = new
    return fn
