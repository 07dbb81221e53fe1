"""Matmul kernels: ``matmul`` (batched) with its fused elementwise epilogue.

float32/float64 with a unit-stride right operand run register-blocked
micro-kernels (8 rows x 2 vectors of FMA accumulators) over column panels,
the panels split across threads, the epilogue applied to each finished tile;
other dtypes, layouts and the edge columns use a generic row kernel (``k``
outer, unit-stride ``j`` inner).
"""
from __future__ import annotations

import math
import os

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.opnames import MATMUL
from . import types as T
from .elementwise import LOWER
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, offset
from .matmul_packed import PackedMatmul
from .matmul_packed import plan as packed_plan


class MatmulKernel(PackedMatmul, KernelGen):
    def _mm_setup(self):
        info = self.info
        mm = next(op for op in self.region.ops if op.name == MATMUL)
        a_v, b_v = mm.operands
        domain = info.domain                       # (*batch, M, N)
        M, N = domain[-2], domain[-1]
        K = a_v.type.shape[-1]
        batch = domain[:-2]
        a_space, b_space = batch + (M, K), batch + (K, N)
        return mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space

    def _matmul_panelled(self):
        """f32/f64 with a unit-stride right operand: register-blocked micro-kernels."""
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        dt = mm.result.type.dtype
        if dt not in (np.float32, np.float64):
            return None
        acc_b = self.accesses(b_space).get(id(b_v))
        if acc_b is None or acc_b.dstrides[-1] != 1:
            return None
        vl = 16 if dt == np.float32 else 8
        nr = 2 * vl
        return (vl, nr) if N >= nr else None

    def emit(self):
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        dt = mm.result.type.dtype
        if dt in (np.float32, np.float64) and K > 0 and M > 1 and N > 1 and os.environ.get("XL_MM_OLD") is None:
            blocks = os.environ.get("XL_MM_BLOCKS")
            p = packed_plan(dt, math.prod(batch), M, N, K,
                            tuple(int(x) for x in blocks.split(",")) if blocks else None)
            sb, sa, sc = self._packed_scratch(p, K)
            n_outer = math.prod(batch) * p["mblocks"] * p["nblocks"]
            self.scratch_bytes = n_outer * (sb + sa + sc)
            lo, hi = self._begin("")
            self._end(*self._matmul_packed(lo, hi, p))
            return
        plan = self._matmul_panelled()
        if plan is None:
            lo, hi = self._begin("")
            n_outer, work = self._matmul(lo, hi)
            self._end(n_outer, work)
            return
        vl, nr = plan
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        npanels = N // nr
        lo, hi = self._begin(".panels")
        self._matmul_panels(lo, hi, vl, nr)
        self._end(math.prod(batch) * npanels, M * K * nr)
        if N % nr:
            lo, hi = self._begin(".edge")
            n_outer, work = self._matmul(lo, hi, jstart=npanels * nr)
            self._end(n_outer, work)

    def _matmul_panels(self, lo, hi, vl, nr, mr=8):
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        b = self.b
        dt = mm.result.type.dtype
        st = T.storage(dt)
        vty = ir.VectorType(st, vl)
        nv = nr // vl
        npanels = N // nr
        a_acc, b_acc = self.accesses(a_space), self.accesses(b_space)
        bacc = b_acc[id(b_v)]
        acc = self.accesses(domain)
        nparams = len(self.region.params)
        outs = [(k, r, self.info.source(r)) for k, r in enumerate(self.region.results)]
        out_strides = contiguous_strides(domain)
        fma = self.cg._fn(f"llvm.fma.v{vl}{'f32' if dt == np.float32 else 'f64'}",
                          ir.FunctionType(vty, [vty, vty, vty]))
        tile = alloca_at_entry(b, ir.ArrayType(st, mr * nr))
        accs = [[alloca_at_entry(b, vty) for _ in range(nv)] for _ in range(mr)]
        bptr = self.ptr(bacc.buf, dt)

        def panel(g):
            bi = b.udiv(g, ir.Constant(T.I64, npanels))
            j0 = b.mul(b.urem(g, ir.Constant(T.I64, npanels)), ir.Constant(T.I64, nr))
            bcoords, rem = [], bi
            for ext in reversed(batch):
                bcoords.insert(0, b.urem(rem, ir.Constant(T.I64, ext)))
                rem = b.udiv(rem, ir.Constant(T.I64, ext))

            def block(i0, rows):
                for r in range(rows):
                    for v in range(nv):
                        b.store(ir.Constant(vty, [0.0] * vl), accs[r][v])

                def kstep(k):
                    base = offset(b, bcoords + [k, j0], bacc.dstrides, bacc.base)
                    bvec = []
                    for v in range(nv):
                        p = b.gep(bptr, [b.add(base, ir.Constant(T.I64, v * vl))], inbounds=True)
                        ld = b.load(b.bitcast(p, vty.as_pointer()))
                        ld.align = dt.itemsize
                        bvec.append(ld)
                    for r in range(rows):
                        a = self.eval(a_v, bcoords + [b.add(i0, ir.Constant(T.I64, r)), k], {}, a_acc,
                                      a_space)
                        a = T.to_storage(b, a, dt) if st != a.type else a
                        splat = b.insert_element(ir.Constant(vty, None), a, ir.Constant(T.I32, 0))
                        splat = b.shuffle_vector(splat, ir.Constant(vty, None),
                                                 ir.Constant(ir.VectorType(T.I32, vl), [0] * vl))
                        for v in range(nv):
                            b.store(b.call(fma, [splat, bvec[v], b.load(accs[r][v])]), accs[r][v])
                for_range(b, 0, K, kstep, "mk")
                tp = b.bitcast(tile, st.as_pointer())
                for r in range(rows):
                    for v in range(nv):
                        p = b.bitcast(b.gep(tp, [ir.Constant(T.I64, r * nr + v * vl)]), vty.as_pointer())
                        stv = b.store(b.load(accs[r][v]), p)
                        stv.align = dt.itemsize

                def epi(t):
                    r_ = b.udiv(t, ir.Constant(T.I64, nr))
                    j = b.urem(t, ir.Constant(T.I64, nr))
                    idx = bcoords + [b.add(i0, r_), b.add(j0, j)]
                    env = {id(mm.result): T.load(b, b.gep(tp, [t]), dt)}
                    for k_, r, s_ in outs:
                        self.store(nparams + k_, r.type.dtype, out_strides, idx,
                                   self.eval(s_, idx, env, acc, domain))
                for_range(b, 0, rows * nr, epi, "me")

            m4 = M - M % mr
            for_range(b, 0, m4 // mr, lambda q: block(b.mul(q, ir.Constant(T.I64, mr)), mr), "mb")
            if M % mr:
                for_range(b, m4, M, lambda i: block(i, 1), "m1")
        for_range(b, lo, hi, panel, "panel")

    def _matmul(self, lo, hi, tile=256, jstart=0):
        """Generic matmul: one output row at a time, k outer, unit-stride j inner (any dtype/layout)."""
        info = self.info
        region = self.region
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        nb = math.prod(batch)
        dt = mm.result.type.dtype
        acc = self.accesses(domain)
        # operands are read (or, for constants, evaluated) over their own index spaces
        a_acc, b_acc = self.accesses(a_space), self.accesses(b_space)
        b = self.b
        ct = T.compute(dt)
        ncols = N - jstart
        tile = max(1, min(tile, ncols))
        row = alloca_at_entry(b, ir.ArrayType(ct, tile))
        nparams = len(region.params)
        outs = [(k, r, info.source(r)) for k, r in enumerate(region.results)]
        out_strides = contiguous_strides(domain)

        def one_row(g):   # g = flattened (batch, i)
            bi = b.udiv(g, ir.Constant(T.I64, M))
            i = b.urem(g, ir.Constant(T.I64, M))
            bcoords = []
            rem = bi
            for ext in reversed(batch):
                bcoords.insert(0, b.urem(rem, ir.Constant(T.I64, ext)))
                rem = b.udiv(rem, ir.Constant(T.I64, ext))

            def jblock(jb):
                j0 = b.add(b.mul(jb, ir.Constant(T.I64, tile)), ir.Constant(T.I64, jstart))
                jn = b.sub(ir.Constant(T.I64, N), j0)
                jn = b.select(b.icmp_signed("<", jn, ir.Constant(T.I64, tile)), jn, ir.Constant(T.I64, tile))

                def zero(j):
                    b.store(T.const(dt, 0), b.gep(row, [ir.Constant(T.I32, 0), j]))
                for_range(b, 0, jn, zero, "z")

                def kstep(k):
                    av = self.eval(a_v, bcoords + [i, k], {}, a_acc, a_space)

                    def jstep(j):
                        p = b.gep(row, [ir.Constant(T.I32, 0), j])
                        bv = self.eval(b_v, bcoords + [k, b.add(j0, j)], {}, b_acc, b_space)
                        prod = LOWER["multiply"](self.cg, [av, bv], dt, dt)
                        b.store(LOWER["add"](self.cg, [b.load(p), prod], dt, dt), p)
                    for_range(b, 0, jn, jstep, "j")
                for_range(b, 0, K, kstep, "k")

                def epi(j):
                    jj = b.add(j0, j)
                    idx = bcoords + [i, jj]
                    env = {id(mm.result): b.load(b.gep(row, [ir.Constant(T.I32, 0), j]))}
                    for k_, r, s in outs:
                        val = self.eval(s, idx, env, acc, domain)
                        self.store(nparams + k_, r.type.dtype, out_strides, idx, val)
                for_range(b, 0, jn, epi, "epi")
            for_range(b, 0, (ncols + tile - 1) // tile, jblock, "jb")

        for_range(b, lo, hi, one_row, "mrow")
        return nb * M, ncols * K
