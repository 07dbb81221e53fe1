"""Index arrays on the CPU: the ``scatter`` kernel kind (``gather`` is an indirect load inside
map/reduce kernels: :mod:`.gather_eval`; the contract: :mod:`xlaish.ir.kernel_indexing`).

Indices are clamped into ``[0, n)`` before any address is formed, so a bad index (which the
program's ``index_check`` reports after the call) never reads or writes outside a buffer.
A scatter runs on one thread, its updates in C order: repeated indices give the same result
on every run and thread count (NumPy's unbuffered ``ufunc.at`` order).
"""
from __future__ import annotations

import numpy as np

from ...ir.kernel import contiguous_strides
from ...ir.opnames import SCATTER
from . import types as T
from .elementwise import LOWER, round_half
from .gather_eval import index_value
from .kernel_base import KernelGen
from .loops import for_range, nest, offset


class ScatterKernel(KernelGen):
    """One scatter: copy the operand to the output, then combine the updates in, in order."""

    def body(self, lo, hi):
        sc = next(op for op in self.region.ops if op.name == SCATTER)
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
                i = index_value(self, ind, u[ax:ax + nb], n)
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
