"""Constant folding through each op's NumPy reference.

Guarantees: a pure op whose operands are all known (``constant``, a splat —
``broadcast_to`` of a scalar constant — or a small ``iota``) is replaced by its
value, computed by the op's own ``reference`` so dtypes and NumPy semantics
are exactly the interpreter's. Uniform results become a scalar constant
broadcast to the shape (a splat); other results are folded only up to
``FOLD_LIMIT`` elements so the IR never carries huge literals. Integer index
arithmetic (``INDEX_ARITHMETIC``) on an ``iota`` (the linear positions of a
slice assignment, say) is folded only when its result is uniform or at most
``INDEX_LIMIT`` elements: a kernel
computes ``iota * 64 + 3`` in registers (and a scatter recognises it as a
strided write), while a folded table would be read from memory. Regions are
folded recursively.
"""
from __future__ import annotations

import numpy as np

from ..ir.core import Function
from ..ir.opdef import CREATION, ELEMENTWISE, REGION, SIDE_EFFECT
from ..ir.opnames import ADD, BROADCAST_TO, CONSTANT, IOTA, MULTIPLY, SUBTRACT
from ._rewrite import Rewriter

FOLD_LIMIT = 1 << 14
INDEX_LIMIT = 64
INDEX_ARITHMETIC = frozenset({ADD, SUBTRACT, MULTIPLY})


def _known(rw_known, v):
    return rw_known.get(id(v))


def fold(fn: Function) -> Function:
    rw = Rewriter(fn)
    known: dict[int, tuple] = {}   # new value id -> ("dense", array) | ("splat", 0-d array)
    from_iota: set[int] = set()    # new value ids whose known value is computed from an iota

    def value_of(v):
        return known.get(id(rw[v]))

    def materialize(k, shape):
        kind, a = k
        return np.broadcast_to(a, shape) if kind == "splat" else a

    def emit_const(arr, shape, dtype, loc):
        arr = np.asarray(arr, dtype=dtype)
        flat = arr.reshape(-1)
        if arr.ndim and arr.size > 1 and _uniform(flat):
            scalar = flat[:1].reshape(()).copy()   # a 0-d array (flat[0] is a NumPy scalar)
            s = rw.emit1(CONSTANT, [], {"value": scalar}, loc=loc)
            known[id(s)] = ("dense", scalar)
            r = rw.emit1(BROADCAST_TO, [s], {"shape": shape}, loc=loc)
            known[id(r)] = ("splat", scalar)
            return r
        r = rw.emit1(CONSTANT, [], {"value": np.ascontiguousarray(arr).reshape(shape)}, loc=loc)
        known[id(r)] = ("dense", arr.reshape(shape))
        return r

    for op in fn.ops:
        if op.regions:
            rw.keep(op, tuple(fold(r) for r in op.regions))
            continue
        ins = [value_of(v) for v in op.operands]
        if op.name == CONSTANT:
            rw.keep(op)
            known[id(op.result)] = ("dense", np.asarray(op.attrs["value"]))
            continue
        if op.name == IOTA and op.result.type.size <= FOLD_LIMIT:
            rw.keep(op)
            known[id(op.result)] = ("dense", op.opdef.evaluate([], op.attrs)[0])
            from_iota.add(id(op.result))
            continue
        if op.name == BROADCAST_TO and ins[0] is not None and ins[0][1].ndim == 0:
            rw.keep(op)
            known[id(op.result)] = ("splat", ins[0][1])
            continue
        foldable = (op.opdef.has("pure") and not op.opdef.has(SIDE_EFFECT) and not op.opdef.has(REGION)
                    and not op.opdef.has(CREATION) and all(k is not None for k in ins) and op.operands
                    and not any(r.type.dtype.kind == "c" for r in op.results))   # lowered: keep real
        if not foldable:
            rw.keep(op)
            continue
        res_types = [r.type for r in op.results]
        if op.opdef.has(ELEMENTWISE) and all(k[0] == "splat" or k[1].ndim == 0 for k in ins):
            with np.errstate(all="ignore"):
                outs = op.opdef.evaluate([k[1] for k in ins], op.attrs)
            outs = [np.broadcast_to(o, t.shape) for o, t in zip(outs, res_types)]
        elif all(t.size <= FOLD_LIMIT for t in res_types) and all(
                v.type.size <= FOLD_LIMIT for v in op.operands):
            with np.errstate(all="ignore"):
                outs = op.opdef.evaluate([materialize(k, v.type.shape) for k, v in zip(ins, op.operands)],
                                         op.attrs)
        else:
            rw.keep(op)
            continue
        indexy = any(id(rw[v]) in from_iota for v in op.operands)
        if indexy and op.name in INDEX_ARITHMETIC and any(
                np.dtype(t.dtype).kind in "iu" and t.size > INDEX_LIMIT
                and not _uniform(np.asarray(o).reshape(-1)) for o, t in zip(outs, res_types)):
            rw.keep(op)            # index arithmetic: cheaper computed in the kernel than read
            continue
        for old, o, t in zip(op.results, outs, res_types):
            r = emit_const(o, t.shape, t.dtype, op.loc)
            rw.set(old, r)
            if indexy:
                from_iota.add(id(r))
    return rw.finish()


def _uniform(flat) -> bool:
    first = flat[0]
    same = flat == first
    if flat.dtype.kind == "f":
        same = (same & (np.signbit(flat) == np.signbit(first))) | (np.isnan(flat) & np.isnan(first))
    return bool(same.all())
