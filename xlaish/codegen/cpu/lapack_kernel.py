"""LAPACK kernels: one op of :mod:`xlaish.ir.ops.lapack` per kernel, a LAPACK call per matrix.

The outer iterations are a fixed number of chunks of the batch (at most ``CHUNKS``), each with
its own work arrays in the kernel scratch (so chunks run on any thread). Per matrix: the operands
are copied (evaluated through their views, so broadcast or transposed inputs are never
materialised) into the chunk's arrays in the layout the call wants, the routines are called
(Fortran ABI: arguments by pointer, hidden string lengths; symbols and integer width from
:mod:`xlaish.runtime.lapack`), and the results copied out in C order.

LAPACK is column-major. The operands are copied column-major and the routines called as NumPy's
``umath_linalg`` calls them (gesv, getrf, syevd 'L', gesdd, geqrf + orgqr), so pivots,
eigenvector and singular-vector signs are NumPy's; results are read back transposed. The one
exception is ``cholesky``: a symmetric matrix's C-order lower triangle is the column-major upper
one, so potrf ``'U'`` runs on a plain copy, and its factor read in C order is the lower factor
(no transposes: the large-size case this matters for). ``lu_slogdet`` computes sign, log|det| and
``det = sign * exp(log|det|)`` (NumPy's formula) from the diagonal and the pivots.

Workspace sizes are LAPACK's own answers to a size query, asked when the kernel is generated.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.ops.lapack import LAPACK
from ...runtime import lapack as rt
from . import types as T
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, offset, unravel


def _i64(v):
    return ir.Constant(T.I64, v)


class LapackKernel(KernelGen):
    CHUNKS = 16

    def emit(self):
        (self.op,) = [o for o in self.region.ops if o.opdef.has(LAPACK)]
        op = self.op
        self.dt = np.dtype(op.operands[0].type.dtype)
        self.ft = T.storage(self.dt)
        self.it = ir.IntType(rt.int_bits())
        self.t = "d" if self.dt == np.float64 else "s"
        batch = self.info.domain
        self.nbatch = math.prod(batch)
        self.arrays = {}                  # name -> (byte offset in a chunk, element type)
        self.chunk_bytes = 0
        self.plan()
        self.chunks = max(1, min(self.nbatch, self.CHUNKS))
        self.scratch_bytes = max(8, self.chunks * self.chunk_bytes)
        lo, hi = self._begin("")
        self.consts = {}
        if self.nbatch:
            self.loop(lo, hi)
        m = op.operands[0].type.shape[-1]
        self._end(self.chunks, max(1, -(-self.nbatch // self.chunks) * m ** 3))

    # -- work arrays ---------------------------------------------------------------------------
    def array(self, name, count, kind="f"):
        ty = self.ft if kind == "f" else self.it
        size = max(1, int(count)) * (self.dt.itemsize if kind == "f" else rt.int_bits() // 8)
        self.arrays[name] = (self.chunk_bytes, ty)
        self.chunk_bytes += -(-size // 64) * 64

    def plan(self):
        op, t = self.op, self.op.name
        sh = op.operands[0].type.shape
        if t == "lu_solve":
            n, k = sh[-1], op.operands[1].type.shape[-1]
            self.array("a", n * n)
            self.array("b", n * k)
            self.array("ipiv", n, "i")
        elif t == "lu_slogdet":
            n = sh[-1]
            self.array("a", n * n)
            self.array("ipiv", n, "i")
        elif t == "cholesky":
            self.array("a", sh[-1] ** 2)
        elif t == "eigh":
            n = sh[-1]
            self.lwork, self.liwork = rt.workspace("syevd", self.dt, n)
            self.array("a", n * n)
            self.array("w", n)
            self.array("work", self.lwork)
            self.array("iwork", self.liwork, "i")
        elif t in ("svd", "svdvals"):
            m, n = sh[-2], sh[-1]
            k = min(m, n)
            self.jobz = "N" if t == "svdvals" else ("A" if op.attrs["full_matrices"] else "S")
            self.lwork, _ = rt.workspace("gesdd", self.dt, m, n, jobz=self.jobz)
            self.array("a", m * n)
            self.array("s", k)
            if t == "svd":
                uc = m if self.jobz == "A" else k        # U is m x uc, VT is vr x n
                vr = n if self.jobz == "A" else k
                self.array("u", m * uc)
                self.array("vt", vr * n)
            self.array("work", self.lwork)
            self.array("iwork", 8 * k, "i")
        elif t == "qr":
            m, n = sh[-2], sh[-1]
            k = min(m, n)
            self.qcols = m if op.attrs["complete"] else k
            self.lwork = max(rt.workspace("geqrf", self.dt, m, n)[0],
                             rt.workspace("orgqr", self.dt, m, self.qcols, k)[0])
            self.array("a", m * max(n, self.qcols))
            self.array("tau", k)
            self.array("work", self.lwork)
        else:
            raise AssertionError(t)
        self.array("scalars", 8, "i")

    # -- helpers -------------------------------------------------------------------------------
    def ival(self, v):
        """Pointer to an integer LAPACK argument holding the constant v."""
        p = self.consts.get(v)
        if p is None:       # (set where first needed; loop() sets the usual ones before any loop)
            p = alloca_at_entry(self.b, self.it, f"c{v}")
            self.b.store(ir.Constant(self.it, v), p)
            self.consts[v] = p
        return p

    def char(self, c):
        name = f"xl_lapack_char_{c}"
        g = self.module.globals.get(name)
        if g is None:
            g = ir.GlobalVariable(self.module, T.I8, name=name)
            g.initializer = ir.Constant(T.I8, ord(c))
            g.global_constant = True
            g.linkage = "internal"
        return g

    def call(self, routine, args, nchars=0):
        name = rt.symbol(self.t + routine)
        fn = self.module.globals.get(name)
        if fn is None:
            fnty = ir.FunctionType(ir.VoidType(), [T.PTR] * len(args) + [T.I64] * nchars)
            fn = ir.Function(self.module, fnty, name=name)
        b = self.b
        self.b.call(fn, [b.bitcast(a, T.PTR) for a in args] + [_i64(1)] * nchars)

    def out_bufs(self, r):
        """Buffer indices of the region outputs that are result r (reshapes included)."""
        n0 = len(self.region.params)
        return [n0 + j for j, x in enumerate(self.region.results) if self.info.source(x) is r]

    # -- the kernel ----------------------------------------------------------------------------
    def loop(self, lo, hi):
        b = self.b
        batch = self.info.domain
        nch, nb = _i64(self.chunks), _i64(self.nbatch)
        # the integer arguments live in allocas set once in the entry block
        for v in self._int_constants():
            self.ival(v)

        def chunk(c):
            base = b.gep(self.scratch, [b.mul(c, _i64(self.chunk_bytes))])
            self.ptrs = {n: b.bitcast(b.gep(base, [_i64(off)]), ty.as_pointer())
                         for n, (off, ty) in self.arrays.items()}
            self.info_p = self.ptrs["scalars"]
            r0 = b.udiv(b.mul(c, nb), nch)
            r1 = b.udiv(b.mul(b.add(c, _i64(1)), nb), nch)

            def one(k):
                coords = unravel(b, k, list(range(len(batch))), list(batch), len(batch))
                getattr(self, "_" + self.op.name)(coords)
            for_range(b, r0, r1, one, "mat")
        for_range(b, lo, hi, chunk, "chunk")

    def _int_constants(self):
        sh = self.op.operands[0].type.shape
        vals = {0, 1, -1} | {max(1, d) for d in sh[-2:]} | set(sh[-2:])
        for o in self.op.operands[1:]:
            vals |= {o.type.shape[-1]}
        for attr in ("lwork", "liwork", "qcols"):
            if hasattr(self, attr):
                vals.add(getattr(self, attr))
        sh = self.op.operands[0].type.shape
        vals |= {min(sh[-2:]), max(1, min(sh[-2:]))}
        return sorted(vals)

    def copy_in(self, v, coords, dst, rows, cols, colmajor):
        """v[coords..., i, j] -> dst[i + j*rows] (colmajor) or dst[i*cols + j]."""
        b = self.b
        dom = v.type.shape
        acc = self.accesses(dom)

        def row(i):
            def col(j):
                idx = list(coords) + [i, j]
                x = self.eval(v, idx, {}, acc, dom)
                pos = b.add(i, b.mul(j, _i64(rows))) if colmajor else b.add(b.mul(i, _i64(cols)), j)
                b.store(T.to_storage(b, x, self.dt), b.gep(dst, [pos]))
            for_range(b, 0, cols, col, "cj")
        for_range(b, 0, rows, row, "ci")

    def copy_out(self, r, coords, src, rows, cols, ld, transposed, keep=None):
        """out[coords..., i, j] = src[j*ld + i] (transposed) or src[i*ld + j], for each output of r;
        ``keep(i, j)``: an i1, else 0 is written (triangular factors)."""
        b = self.b
        for buf in self.out_bufs(r):
            strides = contiguous_strides(r.type.shape)

            def row(i, buf=buf, strides=strides):
                def col(j):
                    pos = b.add(b.mul(j, _i64(ld)), i) if transposed else b.add(b.mul(i, _i64(ld)), j)
                    x = b.load(b.gep(src, [pos]))
                    if keep is not None:
                        x = b.select(keep(i, j), x, ir.Constant(self.ft, 0.0))
                    off = offset(b, list(coords) + [i, j], strides)
                    b.store(x, b.gep(self.ptr(buf, self.dt), [off], inbounds=True))
                for_range(b, 0, cols, col, "oj")
            for_range(b, 0, rows, row, "oi")

    def store_batch(self, r, coords, value, dtype):
        for buf in self.out_bufs(r):
            off = offset(self.b, coords, contiguous_strides(r.type.shape))
            self.b.store(T.to_storage(self.b, value, dtype),
                         self.b.gep(self.ptr(buf, dtype), [off], inbounds=True))

    def store_info(self, coords, r):
        v = self.b.load(self.info_p)
        v = self.b.sext(v, T.I64) if self.it != T.I64 else v
        self.store_batch(r, coords, v, np.int64)

    def copy_vec(self, r, coords, src, count):
        b = self.b
        for buf in self.out_bufs(r):
            strides = contiguous_strides(r.type.shape)

            def el(i, buf=buf, strides=strides):
                off = offset(b, list(coords) + [i], strides)
                b.store(b.load(b.gep(src, [i])), b.gep(self.ptr(buf, self.dt), [off], inbounds=True))
            for_range(b, 0, count, el, "ov")

    # -- one matrix per op ---------------------------------------------------------------------
    def _lu_solve(self, coords):
        p, op = self.ptrs, self.op
        a, rhs = op.operands
        n, k = a.type.shape[-1], rhs.type.shape[-1]
        self.copy_in(a, coords, p["a"], n, n, True)
        self.copy_in(rhs, coords, p["b"], n, k, True)
        ld = self.ival(max(1, n))
        self.call("gesv", [self.ival(n), self.ival(k), p["a"], ld, p["ipiv"], p["b"], ld, self.info_p])
        x, info = op.results
        self.copy_out(x, coords, p["b"], n, k, n, True)
        self.store_info(coords, info)

    def _lu_slogdet(self, coords):
        b, p, op = self.b, self.ptrs, self.op
        a = op.operands[0]
        n = a.type.shape[-1]
        self.copy_in(a, coords, p["a"], n, n, True)
        self.call("getrf", [self.ival(n), self.ival(n), p["a"], self.ival(max(1, n)), p["ipiv"],
                            self.info_p])
        ct = T.compute(self.dt)
        sign = alloca_at_entry(b, ct, "sign")
        logd = alloca_at_entry(b, ct, "logd")
        b.store(ir.Constant(ct, 1.0), sign)
        b.store(ir.Constant(ct, 0.0), logd)

        def diag(i):
            d = T.load(b, b.gep(p["a"], [b.mul(i, _i64(n + 1))]), self.dt)
            piv = b.load(b.gep(p["ipiv"], [i]))
            i1 = b.add(b.trunc(i, self.it) if self.it != T.I64 else i, ir.Constant(self.it, 1))
            s = b.load(sign)
            s = b.select(b.icmp_signed("!=", piv, i1), b.fneg(s), s)
            zero = ir.Constant(ct, 0.0)
            s = b.select(b.fcmp_ordered("<", d, zero), b.fneg(s), s)
            s = b.select(b.fcmp_ordered("==", d, zero), zero, s)
            b.store(s, sign)
            ad = self.cg.intrinsic("llvm.fabs", [d])
            b.store(b.fadd(b.load(logd), self.cg.call_math("log", [ad])), logd)
        for_range(b, 0, n, diag, "dg")
        s, lg = b.load(sign), b.load(logd)
        det = b.fmul(s, self.cg.call_math("exp", [lg]))
        rs, rl, rd = op.results
        self.store_batch(rs, coords, s, self.dt)
        self.store_batch(rl, coords, lg, self.dt)
        self.store_batch(rd, coords, det, self.dt)

    def _cholesky(self, coords):
        b, p, op = self.b, self.ptrs, self.op
        n = op.operands[0].type.shape[-1]
        self.copy_in(op.operands[0], coords, p["a"], n, n, False)
        self.call("potrf", [self.char("U"), self.ival(n), p["a"], self.ival(max(1, n)), self.info_p],
                  nchars=1)
        l, info = op.results
        self.copy_out(l, coords, p["a"], n, n, n, False, keep=lambda i, j: b.icmp_signed("<=", j, i))
        self.store_info(coords, info)

    def _eigh(self, coords):
        p, op = self.ptrs, self.op
        n = op.operands[0].type.shape[-1]
        self.copy_in(op.operands[0], coords, p["a"], n, n, True)
        uplo = self.char("L" if op.attrs["lower"] else "U")
        self.call("syevd", [self.char("V"), uplo, self.ival(n), p["a"], self.ival(max(1, n)), p["w"],
                            p["work"], self.ival(self.lwork), p["iwork"], self.ival(self.liwork),
                            self.info_p], nchars=2)
        w, v, info = op.results
        self.copy_vec(w, coords, p["w"], n)
        self.copy_out(v, coords, p["a"], n, n, n, True)
        self.store_info(coords, info)

    def _gesdd(self, coords, uv):
        p, op = self.ptrs, self.op
        m, n = op.operands[0].type.shape[-2:]
        k = min(m, n)
        self.copy_in(op.operands[0], coords, p["a"], m, n, True)
        if uv:
            uc = m if self.jobz == "A" else k
            vr = n if self.jobz == "A" else k
            u_args = [p["u"], self.ival(max(1, m)), p["vt"], self.ival(max(1, vr))]
        else:
            uc = vr = 0
            u_args = [p["work"], self.ival(1), p["work"], self.ival(1)]
        self.call("gesdd", [self.char(self.jobz), self.ival(m), self.ival(n), p["a"], self.ival(max(1, m)),
                            p["s"]] + u_args + [p["work"], self.ival(self.lwork), p["iwork"], self.info_p],
                  nchars=1)
        if uv:
            u, s, vt, info = op.results
            self.copy_out(u, coords, p["u"], m, uc, m, True)
            self.copy_out(vt, coords, p["vt"], vr, n, vr, True)
        else:
            s, info = op.results
        self.copy_vec(s, coords, p["s"], k)
        self.store_info(coords, info)

    def _svd(self, coords):
        self._gesdd(coords, True)

    def _svdvals(self, coords):
        self._gesdd(coords, False)

    def _qr(self, coords):
        b, p, op = self.b, self.ptrs, self.op
        m, n = op.operands[0].type.shape[-2:]
        k = min(m, n)
        self.copy_in(op.operands[0], coords, p["a"], m, n, True)
        ld = self.ival(max(1, m))
        self.call("geqrf", [self.ival(m), self.ival(n), p["a"], ld, p["tau"], p["work"],
                            self.ival(self.lwork), self.info_p])
        q, r = op.results
        self.copy_out(r, coords, p["a"], r.type.shape[-2], n, m, True,
                      keep=lambda i, j: b.icmp_signed("<=", i, j))
        self.call("orgqr", [self.ival(m), self.ival(self.qcols), self.ival(k), p["a"], ld, p["tau"],
                            p["work"], self.ival(self.lwork), self.info_p])
        self.copy_out(q, coords, p["a"], m, self.qcols, m, True)
