"""Common-subexpression elimination.

Guarantees: two pure ops with the same op, operands, attributes and regions are
computed once (the later one's results are replaced by the earlier one's).
Side-effecting ops are never merged, except a repeated ``index_check`` of the same index
with the same attributes (idempotent: the first one raises first). Regions are processed
recursively.
"""
from __future__ import annotations

import numpy as np

from ..ir.core import Function
from ..ir.opdef import SIDE_EFFECT
from ..ir.opnames import INDEX_CHECK
from ..ir.printer import format_attr, print_function
from ._rewrite import Rewriter


def _attr_key(attrs):
    out = []
    for k, v in sorted(attrs.items()):
        if isinstance(v, (np.ndarray, np.generic)):   # dtype matters: f32 3.0 is not f64 3.0
            out.append((k, v.dtype.str, v.shape, v.tobytes()))
        else:
            out.append((k, format_attr(v)))
    return tuple(out)


def cse(fn: Function) -> Function:
    rw = Rewriter(fn)
    seen: dict = {}
    for op in fn.ops:
        regions = tuple(cse(r) for r in op.regions)
        if op.opdef.has(SIDE_EFFECT):
            if op.name == INDEX_CHECK:
                key = (op.name, tuple(id(rw[v]) for v in op.operands), _attr_key(op.attrs))
                if key in seen:
                    continue
                seen[key] = op
            rw.keep(op, regions)
            continue
        key = (op.name, tuple(id(rw[v]) for v in op.operands), _attr_key(op.attrs),
               tuple(print_function(r) for r in regions))
        prev = seen.get(key)
        if prev is not None and len(prev.results) == len(op.results):
            for old, new in zip(op.results, prev.results):
                rw.set(old, new)
            continue
        rw.keep(op, regions)
        seen[key] = rw.ops[-1]
    return rw.finish()
