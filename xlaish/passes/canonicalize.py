"""Canonical forms the fusion pass and the backends rely on.

Guarantees: ``custom_vjp_call`` ops are inlined (their rule only matters to
autodiff, which runs on traced IR); every reduction (and argmax/argmin) has ``keepdims=True``; where the
program wanted the dims dropped, a ``reshape`` follows. ``matmul`` operands are
at least 2-D (1-D operands are reshaped to a row/column and the result
reshaped back), as NumPy defines them.
"""
from __future__ import annotations

from ..ir.core import Function
from ..ir.opdef import REDUCTION
from ..ir.opnames import CUSTOM_VJP_CALL, MATMUL, RESHAPE
from ._rewrite import Rewriter


def canonicalize(fn: Function) -> Function:
    rw = Rewriter(fn)
    for op in fn.ops:
        if op.name == CUSTOM_VJP_CALL:       # autodiff is done: inline the primal function
            body = canonicalize(op.regions[0])
            env = {id(p): rw[v] for p, v in zip(body.params, op.operands)}
            for inner in body.ops:
                new = rw.emit(inner.opdef, [env[id(v)] for v in inner.operands], dict(inner.attrs),
                              inner.regions, loc=inner.loc)
                for old, nv in zip(inner.results, new):
                    env[id(old)] = nv
            for old, r in zip(op.results, body.results):
                rw.set(old, env[id(r)])
            continue
        if op.regions:
            rw.keep(op, tuple(canonicalize(r) for r in op.regions))
            continue
        if op.opdef.has(REDUCTION) and not op.attrs["keepdims"]:
            attrs = dict(op.attrs, keepdims=True)
            r = rw.emit1(op.opdef, [rw[op.operands[0]]], attrs, loc=op.loc)
            out = op.result.type.shape
            rw.set(op.result, rw.emit1(RESHAPE, [r], {"shape": out}, loc=op.loc)
                   if r.type.shape != out else r)
            continue
        if op.name == MATMUL and any(v.type.ndim == 1 for v in op.operands):
            a, b = (rw[v] for v in op.operands)
            if a.type.ndim == 1:
                a = rw.emit1(RESHAPE, [a], {"shape": (1, a.type.shape[0])}, loc=op.loc)
            if b.type.ndim == 1:
                b = rw.emit1(RESHAPE, [b], {"shape": (b.type.shape[0], 1)}, loc=op.loc)
            r = rw.emit1(MATMUL, [a, b], loc=op.loc)
            rw.set(op.result, rw.emit1(RESHAPE, [r], {"shape": op.result.type.shape}, loc=op.loc)
                   if r.type.shape != op.result.type.shape else r)
            continue
        rw.keep(op)
    return rw.finish()
