"""Matmul kernels: ``matmul`` (batched, any operand layout) with its fused elementwise epilogue.

The path is chosen per kernel from the static shapes, dtype and operand strides:

* float32/float64, M == 1 or N == 1 with both operands unit-stride along K: one vectorised dot
  product per output element (:mod:`.matmul_vector`);
* float32/float64, M == 1 with B unit-stride along N: the vecmat path, streaming B once with
  register accumulators (:mod:`.matmul_vector`), edge columns by the generic kernel;
* other float32/float64 with M, N > 1 and M * N * K >= 16**3: the packed BLIS-style path
  (:mod:`.matmul_packed`), for every layout (packing reads through views);
* anything else (other dtypes, K == 0, tiny products, M == 1 or N == 1 with strided operands):
  the generic row kernel below (``k`` outer, unit-stride ``j`` inner).

Every path applies the fused epilogue to finished values and stores the region's outputs.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.opnames import MATMUL
from . import types as T
from .elementwise import LOWER
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range
from .matmul_packed import MIN_PACKED_WORK, PackedMatmul
from .matmul_packed import plan as packed_plan
from .matmul_vector import VectorMatmul


class MatmulKernel(PackedMatmul, VectorMatmul, KernelGen):
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

    def emit(self):
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        dt = mm.result.type.dtype
        vplan = self._vector_plan()
        if vplan == "dot":
            lo, hi = self._begin("")
            self._end(*self._matmul_dot(lo, hi))
            return
        if vplan == "vecmat":
            lo, hi = self._begin("")
            n_outer, work, jstart = self._matmul_vecmat(lo, hi)
            self._end(n_outer, work)
            if jstart < N:
                lo, hi = self._begin(".edge")
                self._end(*self._matmul(lo, hi, jstart=jstart))
            return
        if dt in (np.float32, np.float64) and M > 1 and N > 1 and M * N * K >= MIN_PACKED_WORK:
            p = packed_plan(dt, math.prod(batch), M, N, K)
            sb, sa, sc = self._packed_scratch(p, K)
            self.scratch_bytes = p["groups"] * (sb + sa + sc)
            lo, hi = self._begin("")
            self._end(*self._matmul_packed(lo, hi, p))
            return
        lo, hi = self._begin("")
        self._end(*self._matmul(lo, hi))

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
