"""Packed (BLIS-style) float32/float64 matmul, used by :mod:`.matmul_kernel`.

The output (per batch index) is cut into a grid of tasks, ``rows x cols`` blocks, run in at
most ``MAX_GROUPS`` groups (the kernel's outer iterations, which the runtime's worker pool
splits over threads; each group owns one region of the kernel's scratch buffer for its packing
buffers, so a big batch of small products does not ask for scratch per task). A task:

1. packs its column panel of B (all of K, ``nc`` columns) into ``nr``-wide slivers, each
   ``K x nr`` contiguous (columns past N repeat column N-1: computed, never stored);
2. for each block of ``mc`` rows, for each ``kc``-deep slice of K: copies that ``mc x kc``
   block of A row by row (row stride ``lda = kc`` + 64 bytes, so the micro-kernel's rows do
   not share L1 sets; rows past M repeat row M-1), then runs the ``mr x nr`` micro-kernel over
   every (column sliver, row sliver) pair, accumulating into an ``mc x nc`` block buffer (the
   first K slice stores, later ones add);
3. applies the fused epilogue to the finished block buffer and stores the region's outputs.

The micro-kernel (one shared LLVM function per dtype and shape) keeps ``mr x nv`` vector
accumulators in registers and does ``mr * nv`` FMAs per step of k (a splat of one A value
times ``nv`` vectors of B), prefetching the B sliver ``PREFETCH_K`` steps ahead (the hardware
prefetcher alone left the start of each sliver, fresh from L3, exposed). Operands are read
through ``KernelGen.eval`` while packing, so transposed, sliced, broadcast or non-contiguous
operands all work; only packing pays for strides.

Block sizes (elements): ``nr`` is ``nv`` vectors of 64 bytes; ``kc x nr`` of B is one L1's
worth, ``mc x kc`` of A sits in L2, a task's column panel in L3; chosen by measurement on a
Zen 4 (32 KiB L1d, 1 MiB L2 per core) with benchmarks/matmul.py: the micro-tile shape (12x2,
8x3, 6x4, 14x2 vectors) and kc (128/256) made no measurable difference, mc did (48 < 96 for
float32; 96 < 192 for float64, whose B sliver comes from L3 more often) and so did the
prefetch. Tasks: at least one per CPU when the product is big enough.
"""
from __future__ import annotations

import os

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from . import types as T
from .loops import alloca_at_entry, for_range

# dtype -> (mr, nv, kc, mc, nc): micro-tile rows, vectors per micro-tile row, K slice, row block,
# widest column panel
BLOCKS = {np.dtype(np.float32): (12, 2, 256, 96, 1024),
          np.dtype(np.float64): (12, 2, 256, 192, 1024)}
MIN_TASKS = max(2, os.cpu_count() or 1)    # tasks to split a big enough output into (threads)
MIN_TASK_FLOPS = 1 << 21
MIN_SPLIT_NC = 256     # narrowest column panel made to get more tasks (each panel re-packs A)
PREFETCH_K = 16       # the micro-kernel prefetches B this many k steps ahead (+5-10% at 1024-2048)
MAX_GROUPS = 64        # tasks run in at most this many groups (outer iterations), one scratch region each
MIN_PACKED_WORK = 16 ** 3    # M * N * K below which the generic kernel is used (padding would dominate)


def microkernel(module: ir.Module, dt, mr: int, nv: int) -> ir.Function:
    """``void ukr(i64 kc, st* a, i64 lda, st* b, st* c, i64 ldc, i1 first)``: c[mr x nr] (row
    stride ldc) = (first ? 0 : c) + a (mr x kc, row stride lda) times a b-sliver (kc x nr)."""
    dt = np.dtype(dt)
    name = f"xl.mm.ukr.{dt.name}.{mr}x{nv}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn
    st = T.storage(dt)
    vl = 64 // dt.itemsize
    nr = nv * vl
    vty = ir.VectorType(st, vl)
    sp = st.as_pointer()
    fnty = ir.FunctionType(ir.VoidType(), [T.I64, sp, T.I64, sp, sp, T.I64, T.I1])
    fn = ir.Function(module, fnty, name=name)
    fn.linkage = "internal"
    kc, ap, lda, bp, cp, ldc, first = fn.args
    for a in (ap, bp, cp):
        a.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    fname = f"llvm.fma.v{vl}{'f32' if dt == np.float32 else 'f64'}"
    fma = module.globals.get(fname) or ir.Function(module, ir.FunctionType(vty, [vty, vty, vty]), name=fname)
    accs = [[alloca_at_entry(b, vty) for _ in range(nv)] for _ in range(mr)]
    zero = ir.Constant(vty, [0.0] * vl)

    def cvec(r, v):
        p = b.gep(cp, [b.add(b.mul(ir.Constant(T.I64, r), ldc), ir.Constant(T.I64, v * vl))], inbounds=True)
        return b.bitcast(p, vty.as_pointer())

    for r in range(mr):
        for v in range(nv):
            ld = b.load(cvec(r, v))
            ld.align = dt.itemsize
            b.store(b.select(first, zero, ld), accs[r][v])
    mask = ir.Constant(ir.VectorType(T.I32, vl), [0] * vl)

    pf = module.globals.get("llvm.prefetch.p0i8") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [T.PTR, T.I32, T.I32, T.I32]), name="llvm.prefetch.p0i8")

    def kstep(k):
        bbase = b.mul(k, ir.Constant(T.I64, nr))
        for line in range(nr * dt.itemsize // 64):    # the B sliver, PREFETCH_K steps ahead
            q = b.gep(bp, [b.add(bbase, ir.Constant(T.I64, PREFETCH_K * nr + line * 64 // dt.itemsize))])
            b.call(pf, [b.bitcast(q, T.PTR), ir.Constant(T.I32, 0), ir.Constant(T.I32, 3),
                        ir.Constant(T.I32, 1)])
        bv = []
        for v in range(nv):
            p = b.gep(bp, [b.add(bbase, ir.Constant(T.I64, v * vl))], inbounds=True)
            ld = b.load(b.bitcast(p, vty.as_pointer()))
            ld.align = dt.itemsize
            bv.append(ld)
        for r in range(mr):
            a = b.load(b.gep(ap, [b.add(b.mul(lda, ir.Constant(T.I64, r)), k)], inbounds=True))
            s = b.shuffle_vector(b.insert_element(ir.Constant(vty, None), a, ir.Constant(T.I32, 0)),
                                 ir.Constant(vty, None), mask)
            for v in range(nv):
                b.store(b.call(fma, [s, bv[v], b.load(accs[r][v])]), accs[r][v])
    for_range(b, 0, kc, kstep, "k")
    for r in range(mr):
        for v in range(nv):
            stv = b.store(b.load(accs[r][v]), cvec(r, v))
            stv.align = dt.itemsize
    b.ret_void()
    return fn


def plan(dt, nbatch: int, M: int, N: int, K: int, blocks=None):
    """The task grid and buffer sizes (all in elements) for one packed matmul."""
    mr, nv, kc, mc, nc = blocks or BLOCKS[np.dtype(dt)]
    nr = nv * 64 // np.dtype(dt).itemsize

    def rup(x, m):
        return -(-x // m) * m
    nc = min(nc, rup(N, nr))
    rows = M
    tasks = nbatch * -(-N // nc)
    want = max(1, min(MIN_TASKS, 2 * nbatch * M * N * K // MIN_TASK_FLOPS))
    if tasks < want:     # split the columns more (panels of at least MIN_SPLIT_NC), then the rows
        per = max(-(-N // nc), min(-(-want // nbatch), N // MIN_SPLIT_NC))
        nc = max(nr, rup(-(-N // per), nr))
        tasks = nbatch * -(-N // nc)
        if tasks < want:
            per_m = -(-want // tasks)
            rows = max(mr, rup(-(-M // per_m), mr))
    mc = min(mc, rup(rows, mr))
    kc = min(kc, K)
    ntasks = nbatch * -(-M // rows) * -(-N // nc)
    per_group = -(-ntasks // MAX_GROUPS)
    return dict(tasks=ntasks, per_group=per_group, groups=-(-ntasks // per_group),
                mr=mr, nv=nv, nr=nr, kc=kc, mc=mc, nc=nc, rows=rows, lda=kc + 64 // np.dtype(dt).itemsize,
                mblocks=-(-M // rows), nblocks=-(-N // nc))


class PackedMatmul:
    """Mixin for MatmulKernel: the packed path (see the module docstring)."""

    def _packed_scratch(self, p, K):
        """Bytes of scratch per task: B panel, A block, C block (each 64-byte aligned)."""
        isz = np.dtype(self._mm_setup()[0].result.type.dtype).itemsize

        def al(n):
            return -(-n * isz // 64) * 64
        return al(K * p["nc"]), al(p["mc"] * p["lda"]), al(p["mc"] * p["nc"])

    def _matmul_packed(self, lo, hi, p):
        mm, a_v, b_v, domain, M, N, K, batch, a_space, b_space = self._mm_setup()
        b = self.b
        dt = mm.result.type.dtype
        st = T.storage(dt)
        sp = st.as_pointer()
        mr, nr, kc, mc, nc, rows = p["mr"], p["nr"], p["kc"], p["mc"], p["nc"], p["rows"]
        mblocks, nblocks = p["mblocks"], p["nblocks"]
        ukr = microkernel(self.module, dt, mr, p["nv"])
        a_acc, b_acc = self.accesses(a_space), self.accesses(b_space)
        acc = self.accesses(domain)
        nparams = len(self.region.params)
        outs = [(k, r, self.info.source(r)) for k, r in enumerate(self.region.results)]
        out_strides = contiguous_strides(domain)
        sb, sa, sc = self._packed_scratch(p, K)
        ldc, lda = nc, p["lda"]

        def c(x):
            return ir.Constant(T.I64, x)

        def imin(x, y):
            return b.select(b.icmp_signed("<", x, y), x, y)

        def task(t, g):   # task t, in group g (whose scratch region it uses)
            base = b.gep(self.scratch, [b.mul(g, c(sb + sa + sc))], inbounds=True)
            bpk = b.bitcast(base, sp)
            apk = b.bitcast(b.gep(base, [c(sb)], inbounds=True), sp)
            cbf = b.bitcast(b.gep(base, [c(sb + sa)], inbounds=True), sp)
            jb = b.urem(t, c(nblocks))
            rest = b.udiv(t, c(nblocks))
            ib = b.urem(rest, c(mblocks))
            bi = b.udiv(rest, c(mblocks))
            bcoords, rem = [], bi
            for ext in reversed(batch):
                bcoords.insert(0, b.urem(rem, c(ext)))
                rem = b.udiv(rem, c(ext))
            j_lo = b.mul(jb, c(nc))
            ncw = imin(c(nc), b.sub(c(N), j_lo))
            i_lo = b.mul(ib, c(rows))
            i_hi = imin(b.add(i_lo, c(rows)), c(M))

            # 1. pack B[:, j_lo:j_lo+ncw] into slivers of K x nr
            nfull = b.udiv(ncw, c(nr))

            def brow(k):      # row by row (contiguous reads of a row-major B), into every sliver
                def full_sliver(s):
                    j0 = b.add(j_lo, b.mul(s, c(nr)))
                    dst = b.gep(bpk, [b.add(b.mul(s, c(K * nr)), b.mul(k, c(nr)))], inbounds=True)

                    def jcol(j):
                        v = self.eval(b_v, bcoords + [k, b.add(j0, j)], {}, b_acc, b_space)
                        b.store(T.to_storage(b, v, dt), b.gep(dst, [j], inbounds=True))
                    for_range(b, 0, nr, jcol, "pbj")
                for_range(b, 0, nfull, full_sliver, "pbs")
            for_range(b, 0, K, brow, "pbk")
            with b.if_then(b.icmp_unsigned("!=", b.urem(ncw, c(nr)), c(0))):
                j0 = b.add(j_lo, b.mul(nfull, c(nr)))
                dst = b.gep(bpk, [b.mul(nfull, c(K * nr))], inbounds=True)
                cols = [imin(b.add(j0, c(j)), c(N - 1)) for j in range(nr)]

                def krow(k):     # columns unrolled: no strided (scatter) stores
                    for j in range(nr):
                        v = self.eval(b_v, bcoords + [k, cols[j]], {}, b_acc, b_space)
                        b.store(T.to_storage(b, v, dt),
                                b.gep(dst, [b.add(b.mul(k, c(nr)), c(j))], inbounds=True))
                for_range(b, 0, K, krow, "pbk")
            nsl = b.udiv(b.add(ncw, c(nr - 1)), c(nr))

            # 2. row blocks of mc
            def rowblock(q):
                ic = b.add(i_lo, b.mul(q, c(mc)))
                mcw = imin(c(mc), b.sub(i_hi, ic))
                nra = b.udiv(b.add(mcw, c(mr - 1)), c(mr))

                def kslice(t):
                    pc = b.mul(t, c(kc))
                    kcur = imin(c(kc), b.sub(c(K), pc))

                    def arow(r):      # A rows copied as they are (k contiguous), row stride lda
                        row = imin(b.add(ic, r), c(M - 1))
                        dst = b.gep(apk, [b.mul(r, c(lda))], inbounds=True)

                        def kcol(k):
                            v = self.eval(a_v, bcoords + [row, b.add(pc, k)], {}, a_acc, a_space)
                            b.store(T.to_storage(b, v, dt), b.gep(dst, [k], inbounds=True))
                        for_range(b, 0, kcur, kcol, "pak")
                    for_range(b, 0, b.mul(nra, c(mr)), arow, "par")
                    first = b.icmp_unsigned("==", t, c(0))

                    def jsl(s):
                        bs = b.gep(bpk, [b.add(b.mul(s, c(K * nr)), b.mul(pc, c(nr)))], inbounds=True)

                        def isl(u):
                            asl = b.gep(apk, [b.mul(u, c(mr * lda))], inbounds=True)
                            csl = b.gep(cbf, [b.add(b.mul(u, c(mr * ldc)), b.mul(s, c(nr)))], inbounds=True)
                            b.call(ukr, [kcur, asl, c(lda), bs, csl, c(ldc), first])
                        for_range(b, 0, nra, isl, "uir")
                    for_range(b, 0, nsl, jsl, "ujr")
                for_range(b, 0, -(-K // kc), kslice, "pc")

                # 3. epilogue over the finished block
                def erow(r):
                    i = b.add(ic, r)

                    def ecol(j):
                        idx = bcoords + [i, b.add(j_lo, j)]
                        env = {id(mm.result): T.load(b, b.gep(cbf, [b.add(b.mul(r, c(ldc)), j)]), dt)}
                        for k_, res, s_ in outs:
                            self.store(nparams + k_, res.type.dtype, out_strides, idx,
                                       self.eval(s_, idx, env, acc, domain))
                    for_range(b, 0, ncw, ecol, "ej")
                for_range(b, 0, mcw, erow, "ei")
            nrb = b.udiv(b.add(b.sub(i_hi, i_lo), c(mc - 1)), c(mc))
            for_range(b, 0, nrb, rowblock, "ic")
        ntasks, per = p["tasks"], p["per_group"]

        def group(g):
            t0 = b.mul(g, c(per))
            for_range(b, t0, imin(b.add(t0, c(per)), c(ntasks)), lambda t: task(t, g), "task")
        for_range(b, lo, hi, group, "group")
        return p["groups"], per * rows * nc * K
