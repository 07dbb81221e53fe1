"""Index arrays on the CPU: ``gather`` as an indirect load inside map/reduce kernels, and the
``scatter`` kernel kind (see :mod:`xlaish.ir.kernel_indexing` for the contract).

Indices are clamped into ``[0, n)`` before any address is formed, so a bad index (which the
program's ``index_check`` reports after the call) never reads or writes outside a buffer.
A scatter runs on one thread, its updates in C order: repeated indices give the same result
on every run and thread count (NumPy's unbuffered ``ufunc.at`` order).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides, view_layout
from . import types as T
from .elementwise import LOWER, round_half
from .kernel_base import KernelGen
from .loops import for_range, nest, offset


def clamp(b, i, n):
    """i (i64) clamped into [0, n - 1]."""
    zero, top = ir.Constant(T.I64, 0), ir.Constant(T.I64, n - 1)
    i = b.select(b.icmp_signed("<", i, zero), zero, i)
    return b.select(b.icmp_signed(">", i, top), top, i)


def _layout(kg: KernelGen, x):
    """(buffer index, strides, base) of a gathered array: a parameter or a view of one."""
    view = kg.info.views.get(id(x))
    if view is None:
        return kg.param_index[id(x)], contiguous_strides(x.type.shape), 0
    root, chain = view
    _, strides, base = view_layout(root.type.shape, chain)
    return kg.param_index[id(root)], strides, base


def _index(kg: KernelGen, ind, sub, n):
    """The clamped i64 index: ``ind`` evaluated at ``sub`` over its own shape."""
    shape = ind.type.shape
    i = kg.eval(ind, sub, {}, kg.accesses(shape), shape)
    return clamp(kg.b, i, n)


def eval_gather(kg: KernelGen, op, idx, domain):
    """The gather's value at domain index ``idx`` (its result right-aligned in ``domain``)."""
    x, ind = op.operands
    ax = op.attrs["axis"]
    out = op.result.type.shape
    off = len(domain) - len(out)
    zero = ir.Constant(T.I64, 0)

    def at(k):
        d = off + k
        return idx[d] if out[k] != 1 and d >= 0 and idx[d] is not None else zero
    n = x.type.shape[ax]
    if n == 0:
        return T.const(x.type.dtype, 0)
    nb = len(ind.type.shape)
    i = _index(kg, ind, [at(k) for k in range(ax, ax + nb)], n)
    xi = [at(k) for k in range(ax)] + [i] + [at(k) for k in range(ax + nb, len(out))]
    buf, strides, base = _layout(kg, x)
    strides = [0 if (d != ax and x.type.shape[d] == 1) else s for d, s in enumerate(strides)]
    b = kg.b
    return T.load(b, b.gep(kg.ptr(buf, x.type.dtype), [offset(b, xi, strides, base)], inbounds=True),
                  x.type.dtype)


class ScatterKernel(KernelGen):
    """One scatter: copy the operand to the output, then combine the updates in, in order."""

    def body(self, lo, hi):
        sc = next(op for op in self.region.ops if op.name == "scatter")
        x, ind, upd = sc.operands
        ax, mode = sc.attrs["axis"], sc.attrs["mode"]
        dt = np.dtype(x.type.dtype)
        shape = x.type.shape
        ostr = contiguous_strides(shape)
        out = len(self.region.params)
        b = self.b
        n = shape[ax]
        nb = len(ind.type.shape)
        ushape = upd.type.shape

        def run(_):
            xacc = self.accesses(shape)
            nest(b, list(shape), lambda i: self.store(out, dt, ostr, i, self.eval(x, i, {}, xacc, shape)),
                 "c")
            if n == 0 or 0 in ushape:
                return
            uacc = self.accesses(ushape)

            def one(u):
                i = _index(self, ind, u[ax:ax + nb], n)
                val = self.eval(upd, u, {}, uacc, ushape)
                p = b.gep(self.ptr(out, dt), [offset(b, u[:ax] + [i] + u[ax + nb:], ostr)], inbounds=True)
                if mode != "set":
                    val = LOWER[mode](self.cg, [T.load(b, p, dt), val], dt, dt)
                    if dt == np.float16:
                        val = round_half(b, val)
                b.store(T.to_storage(b, val, dt), p)
            nest(b, list(ushape), one, "u")
        for_range(b, lo, hi, run, "once")
        return 1, max(1, int(np.prod(shape)) + int(np.prod(ushape)))
