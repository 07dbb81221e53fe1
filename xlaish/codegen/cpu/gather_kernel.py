"""Index arrays on the CPU: the ``scatter`` kernel kind (``gather`` is an indirect load inside
map/reduce kernels: :mod:`.gather_eval`; the contract: :mod:`xlaish.ir.kernel_indexing`).

Indices are clamped into ``[0, n)`` before any address is formed, so a bad index (which the
program's ``index_check`` reports after the call) never reads or writes outside a buffer.
A scatter runs on one thread, its updates in C order: repeated indices give the same result
on every run and thread count (NumPy's unbuffered ``ufunc.at`` order).

In place: when the scatter's operand is a kernel parameter (or a reshape of one:
:func:`xlaish.passes.buffers.inplace_param`) and the program hands the kernel that same
buffer as its output (the buffer plan's aliasing rule), the kernel does not copy the operand;
it computes every index and update value into its scratch buffer first (a gather of the
operand in the same kernel reads the old values), then writes them through the operand's
pointer. When neither the indices nor the values read the operand (a stencil written into
another array, a loop-carried row update computed from other arrays), it writes each update
directly, in one pass and without scratch. Its cost is the updates, not the array.

Strided writes: when the indices are static index arithmetic (``iota`` and constants: the
linear positions of ``B[1:-1, 1:-1] = ...``; :func:`xlaish.ir.kernel_indexing.affine_index`)
that are provably distinct and in range, addresses are formed as ``base + sum(u * stride)``
(no clamp, so LLVM vectorises the row), and a direct in-place write is split over the
updates' first axis (threads may share it: no two updates touch one element, so the order
does not matter).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.kernel_indexing import affine_index, injective_in_range
from ...ir.opnames import SCATTER
from ...passes.buffers import inplace_param, updates_read_operand
from . import types as T
from .elementwise import LOWER, round_half
from .gather_eval import index_value
from .kernel_base import KernelGen
from .loops import for_range, nest, offset


class ScatterKernel(KernelGen):
    """One scatter: copy the operand to the output, then combine the updates in, in order (or,
    when the output is the operand's buffer, only the updates: see the module docstring)."""

    def emit(self):
        sc = next(op for op in self.region.ops if op.name == SCATTER)
        self.inplace = inplace_param(self.region)
        self.direct = self.inplace is not None and not updates_read_operand(self.region, self.inplace)
        nupd = int(np.prod(sc.operands[2].type.shape))
        x, ind = sc.operands[:2]
        ax = sc.attrs["axis"]
        a = affine_index(self.defs, ind)
        self.affine = a if a is not None and injective_in_range(
            ind.type.shape, a[1], a[0], 0, x.type.shape[ax]) else None
        if self.inplace is not None and nupd and not self.direct:
            self.scratch_bytes = nupd * (8 + np.dtype(sc.operands[0].type.dtype).itemsize) + 8
        super().emit()

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
        empty = n == 0 or 0 in ushape

        def combine(p, val):
            if mode != "set":
                val = LOWER[mode](self.cg, [T.load(b, p, dt), val], dt, dt)
                if dt == np.float16:
                    val = round_half(b, val)
            b.store(T.to_storage(b, val, dt), p)

        def at(buf, u, i):
            return b.gep(self.ptr(buf, dt), [offset(b, u[:ax] + [i] + u[ax + nb:], ostr)], inbounds=True)

        if self.affine is not None:        # static distinct positions: a strided write
            base, istr = self.affine
            ustrides = list(ostr[:ax]) + [s * ostr[ax] for s in istr] + list(ostr[ax + 1:])

            def target(buf, u):
                return b.gep(self.ptr(buf, dt), [offset(b, u, ustrides, base * ostr[ax])], inbounds=True)
        else:
            def target(buf, u):
                return at(buf, u, index_value(self, ind, u[ax:ax + nb], n))

        def copy_then_scatter():
            xacc = self.accesses(shape)
            nest(b, list(shape), lambda i: self.store(out, dt, ostr, i, self.eval(x, i, {}, xacc, shape)),
                 "c")
            if empty:
                return
            uacc = self.accesses(ushape)

            def one(u):
                combine(target(out, u), self.eval(upd, u, {}, uacc, ushape))
            nest(b, list(ushape), one, "u")

        def direct(first=None):    # the updates do not read the operand: write as they come
            uacc = self.accesses(ushape)

            def one(u):
                u = u if first is None else [first] + u
                combine(target(self.inplace, u), self.eval(upd, u, {}, uacc, ushape))
            nest(b, list(ushape) if first is None else list(ushape[1:]), one, "d")

        def in_place():
            if self.direct:
                direct()
                return
            nupd = int(np.prod(ushape))
            ustr = contiguous_strides(ushape)
            idx_p = b.bitcast(self.scratch, T.I64.as_pointer())
            val_p = b.bitcast(b.gep(self.scratch, [ir.Constant(T.I64, 8 * nupd)]), T.storage(dt).as_pointer())
            uacc = self.accesses(ushape)

            def first(u):           # every index and value, before any write
                k = offset(b, u, ustr)
                b.store(index_value(self, ind, u[ax:ax + nb], n), b.gep(idx_p, [k], inbounds=True))
                b.store(T.to_storage(b, self.eval(upd, u, {}, uacc, ushape), dt),
                        b.gep(val_p, [k], inbounds=True))

            def then(u):
                k = offset(b, u, ustr)
                i = b.load(b.gep(idx_p, [k], inbounds=True))
                combine(at(self.inplace, u, i), T.load(b, b.gep(val_p, [k], inbounds=True), dt))
            nest(b, list(ushape), first, "u")
            nest(b, list(ushape), then, "w")

        if self.affine is not None and self.direct and len(ushape) > 1 and not empty:
            def slab(u0):          # one index of the updates' first axis (threads split them)
                same = b.icmp_unsigned("==", b.ptrtoint(self.bufs[self.inplace], T.I64),
                                       b.ptrtoint(self.bufs[out], T.I64))
                with b.if_else(same) as (yes, no):
                    with yes:
                        direct(u0)
                    with no:       # not in place: the first slab copies and writes everything
                        with b.if_then(b.icmp_signed("==", u0, ir.Constant(T.I64, 0))):
                            copy_then_scatter()
            for_range(b, lo, hi, slab, "slab")
            return ushape[0], max(1, int(np.prod(ushape[1:])))     # work per slab: its updates

        def run(_):
            if self.inplace is None or empty:
                copy_then_scatter()
                return
            same = b.icmp_unsigned("==", b.ptrtoint(self.bufs[self.inplace], T.I64),
                                   b.ptrtoint(self.bufs[out], T.I64))
            with b.if_else(same) as (yes, no):
                with yes:
                    in_place()
                with no:
                    copy_then_scatter()
        for_range(b, lo, hi, run, "once")
        return 1, max(1, int(np.prod(shape)) + int(np.prod(ushape)))
