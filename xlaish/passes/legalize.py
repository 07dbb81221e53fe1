"""Legalize: IR forms that are valid but that no backend takes, rewritten into forms they do.

Guarantees: no comparison has operands of two dtypes. NumPy's exact
uint64-with-int64 comparison (valid IR; the interpreter runs NumPy's mixed
loop) becomes uniform-dtype ops by :func:`xlaish.ir.policy.split_mixed_compare`
(a sign test, an unsigned comparison and a select), in regions too. The
tracer never emits such comparisons; hand-written IR and passes may.
"""
from __future__ import annotations

import numpy as np

from ..ir.core import Function
from ..ir.opnames import CONSTANT
from ..ir.policy import is_mixed_compare, split_mixed_compare
from ._rewrite import Rewriter


def legalize(fn: Function) -> Function:
    if not _needed(fn):
        return fn
    rw = Rewriter(fn)
    for op in fn.ops:
        if op.regions:
            rw.keep(op, tuple(legalize(r) for r in op.regions))
            continue
        dts = [v.type.dtype for v in op.operands]
        if not is_mixed_compare(op.name, dts):
            rw.keep(op)
            continue
        def emit(name, operands, attrs=None, loc=op.loc):
            return rw.emit1(name, operands, attrs, loc=loc)

        def const(value, loc=op.loc):
            return rw.emit1(CONSTANT, [], {"value": np.asarray(value)}, loc=loc)

        x, y = (rw[v] for v in op.operands)
        rw.set(op.result, split_mixed_compare(emit, const, op.name, x, y, dts))
    return rw.finish()


def _needed(fn: Function) -> bool:
    return any(is_mixed_compare(op.name, [v.type.dtype for v in op.operands])
               or any(_needed(r) for r in op.regions) for op in fn.ops)
