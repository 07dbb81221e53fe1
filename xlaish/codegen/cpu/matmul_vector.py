"""Matrix-vector paths of the float32/float64 matmul, used by :mod:`.matmul_kernel`: no packing,
each matrix streamed once.

* ``vecmat`` (M == 1, B unit-stride along N, e.g. batch-1 inference ``x @ W``): a task is a
  block of ``nv`` vectors of columns; it walks k once, splatting ``a[k]`` and doing one FMA per
  vector of ``B[k, j0:j0 + nv * vl]`` into register accumulators, then applies the epilogue.
  Columns past the last full block go to the generic row kernel.
* ``dot`` (both operands unit-stride along K: ``A @ v`` with N == 1, or ``x @ W.T`` with M == 1):
  one dot product per output element, vectorised along K with four vector accumulators, the
  tail added scalar by scalar, then a horizontal sum.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from . import types as T
from .loops import alloca_at_entry, for_range, offset

VECMAT_VECTORS = 16    # vectors of columns per vecmat task (a whole 1 KiB row slice: contiguous streams)
DOT_ACCS = 4


class VectorMatmul:
    """Mixin for MatmulKernel: vecmat and dot paths (see the module docstring)."""

    def _vl(self, dt):
        return 64 // np.dtype(dt).itemsize

    def _vector_plan(self):
        """'vecmat', 'dot' or None for this region's matmul."""
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        dt = mm.result.type.dtype
        if dt not in (np.float32, np.float64) or K == 0:
            return None
        acc_a = self.accesses(a_space).get(id(a_v))
        acc_b = self.accesses(b_space).get(id(b_v))
        if acc_a is None or acc_b is None:
            return None
        nd = len(domain)
        if (M == 1 or N == 1) and acc_a.dstrides[nd - 1] == 1 and acc_b.dstrides[nd - 2] == 1:
            return "dot"
        if M == 1 and acc_b.dstrides[nd - 1] == 1 and N >= self._vl(dt):
            return "vecmat"
        return None

    def _outs(self):
        return [(k, r, self.info.source(r)) for k, r in enumerate(self.region.results)]

    def _bcoords(self, g):
        b = self.b
        *_, batch, _a, _b = self._mm_setup()
        coords, rem = [], g
        for ext in reversed(batch):
            coords.insert(0, b.urem(rem, ir.Constant(T.I64, ext)))
            rem = b.udiv(rem, ir.Constant(T.I64, ext))
        return coords

    def _splat(self, x, vty):
        b = self.b
        vl = vty.count
        return b.shuffle_vector(b.insert_element(ir.Constant(vty, None), x, ir.Constant(T.I32, 0)),
                                ir.Constant(vty, None), ir.Constant(ir.VectorType(T.I32, vl), [0] * vl))

    def _vload(self, acc, dt, idx, vty):
        b = self.b
        p = b.gep(self.ptr(acc.buf, dt), [offset(b, idx, acc.dstrides, acc.base)], inbounds=True)
        ld = b.load(b.bitcast(p, vty.as_pointer()))
        ld.align = np.dtype(dt).itemsize
        return ld

    def _fma(self, dt, vl):
        vty = ir.VectorType(T.storage(dt), vl)
        return self.cg._fn(f"llvm.fma.v{vl}{'f32' if dt == np.float32 else 'f64'}",
                           ir.FunctionType(vty, [vty, vty, vty]))

    def _matmul_vecmat(self, lo, hi):
        """Returns (n_outer, work, first edge column)."""
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        b = self.b
        dt = mm.result.type.dtype
        st = T.storage(dt)
        vl = self._vl(dt)
        nv = max(1, min(VECMAT_VECTORS, N // vl))
        jb = nv * vl
        nblocks = N // jb
        vty = ir.VectorType(st, vl)
        fma = self._fma(dt, vl)
        a_acc, b_acc = self.accesses(a_space), self.accesses(b_space)
        bacc = b_acc[id(b_v)]
        acc = self.accesses(domain)
        nparams = len(self.region.params)
        outs = self._outs()
        out_strides = contiguous_strides(domain)
        accs = [alloca_at_entry(b, vty) for _ in range(nv)]
        tile = alloca_at_entry(b, ir.ArrayType(st, jb))
        zero = ir.Constant(T.I64, 0)

        def task(g):
            bc = self._bcoords(b.udiv(g, ir.Constant(T.I64, nblocks)))
            j0 = b.mul(b.urem(g, ir.Constant(T.I64, nblocks)), ir.Constant(T.I64, jb))
            for v in range(nv):
                b.store(ir.Constant(vty, [0.0] * vl), accs[v])

            def kstep(k):
                a = self.eval(a_v, bc + [zero, k], {}, a_acc, a_space)
                s = self._splat(T.to_storage(b, a, dt), vty)
                for v in range(nv):
                    bv = self._vload(bacc, dt, bc + [k, b.add(j0, ir.Constant(T.I64, v * vl))], vty)
                    b.store(b.call(fma, [s, bv, b.load(accs[v])]), accs[v])
            for_range(b, 0, K, kstep, "vk")
            tp = b.bitcast(tile, st.as_pointer())
            for v in range(nv):
                stv = b.store(b.load(accs[v]), b.bitcast(b.gep(tp, [ir.Constant(T.I64, v * vl)]),
                                                         vty.as_pointer()))
                stv.align = dt.itemsize

            def epi(j):
                idx = bc + [zero, b.add(j0, j)]
                env = {id(mm.result): T.load(b, b.gep(tp, [j]), dt)}
                for k_, r, s_ in outs:
                    self.store(nparams + k_, r.type.dtype, out_strides, idx,
                               self.eval(s_, idx, env, acc, domain))
            for_range(b, 0, jb, epi, "ve")
        for_range(b, lo, hi, task, "vtask")
        return math.prod(batch) * nblocks, K * jb, nblocks * jb

    def _matmul_dot(self, lo, hi):
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        b = self.b
        dt = mm.result.type.dtype
        st = T.storage(dt)
        vl = self._vl(dt)
        vty = ir.VectorType(st, vl)
        fma = self._fma(dt, vl)
        a_acc, b_acc = self.accesses(a_space), self.accesses(b_space)
        aacc, bacc = a_acc[id(a_v)], b_acc[id(b_v)]
        acc = self.accesses(domain)
        nparams = len(self.region.params)
        outs = self._outs()
        out_strides = contiguous_strides(domain)
        accs = [alloca_at_entry(b, vty) for _ in range(DOT_ACCS)]
        sacc = alloca_at_entry(b, st)
        step = DOT_ACCS * vl
        kmain = K - K % step

        def one(g):    # g = flattened (batch, i, j)
            j = b.urem(g, ir.Constant(T.I64, N))
            rest = b.udiv(g, ir.Constant(T.I64, N))
            i = b.urem(rest, ir.Constant(T.I64, M))
            bc = self._bcoords(b.udiv(rest, ir.Constant(T.I64, M)))
            for v in range(DOT_ACCS):
                b.store(ir.Constant(vty, [0.0] * vl), accs[v])
            b.store(ir.Constant(st, 0.0), sacc)

            def kblock(q):
                k0 = b.mul(q, ir.Constant(T.I64, step))
                for v in range(DOT_ACCS):
                    k = b.add(k0, ir.Constant(T.I64, v * vl))
                    av = self._vload(aacc, dt, bc + [i, k], vty)
                    bv = self._vload(bacc, dt, bc + [k, j], vty)
                    b.store(b.call(fma, [av, bv, b.load(accs[v])]), accs[v])
            for_range(b, 0, kmain // step, kblock, "dk")

            def ktail(k):
                x = self.load(aacc, bc + [i, k])
                y = self.load(bacc, bc + [k, j])
                b.store(self.cg.intrinsic("llvm.fma", [x, y, b.load(sacc)]), sacc)
            for_range(b, kmain, K, ktail, "dt")
            tot = b.load(accs[0])
            for v in range(1, DOT_ACCS):
                tot = b.fadd(tot, b.load(accs[v]))
            s = b.load(sacc)
            for t in range(vl):
                s = b.fadd(s, b.extract_element(tot, ir.Constant(T.I32, t)))
            idx = bc + [i, j]
            env = {id(mm.result): s}
            for k_, r, s_ in outs:
                self.store(nparams + k_, r.type.dtype, out_strides, idx, self.eval(s_, idx, env, acc, domain))
        for_range(b, lo, hi, one, "dot")
        return math.prod(batch) * M * N, K
