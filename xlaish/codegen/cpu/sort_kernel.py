"""Sort kernels: a stable LSD radix sort of each row, in native code (no Python per row).

Rows are every index of the domain but the sorted axis.
Per row: the keys (and, for ``sort_by``, the payload) are evaluated, with any fused elementwise
producers, into the row's part of the kernel scratch buffer; each key becomes an unsigned integer
of its width whose order is NumPy's order (signed ints: sign bit flipped; floats: sign-magnitude
flipped, ``-0.0`` made ``+0.0`` and every NaN the largest key, so NaN sorts last and ties keep
their order); one read builds the histograms of every digit (11-bit digits for long rows, 8-bit
for short ones); each digit pass is a stable counting scatter between two buffers, skipped when
every key has the same digit (so small integers or a constant high half cost no pass); finally
the keys are turned back into values (``sort``) or the payload copied out (``sort_by``).

Outer iterations are a fixed number of chunks of rows (at most 64), each with its own row buffers
in the scratch (``chunks * 2 * n * (key bytes + payload bytes)``; three key buffers for
``kth_smallest``), so chunks run on any thread and the buffers stay in cache from row to row;
the digit counters live on the stack (at most 6 * 2048 * 8 bytes).
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.opnames import KTH_SMALLEST, SORT_BY
from ...ir.ops.sort import SORT
from . import types as T
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, offset, unravel


def _i64(v):
    return ir.Constant(T.I64, v)


def _kbits(dt) -> int:
    return 8 if np.dtype(dt).kind == "b" else np.dtype(dt).itemsize * 8


class SortKernel(KernelGen):
    CHUNKS = 64          # outer iterations: fixed chunks of rows, each with its own row buffers
    def emit(self):
        (self.op,) = [o for o in self.region.ops if o.opdef.has(SORT)]
        op = self.op
        domain = self.info.domain
        (axis,) = self.info.axes
        self.n = n = domain[axis]
        self.kdt = np.dtype(op.operands[0].type.dtype)
        self.pdt = np.dtype(op.operands[1].type.dtype) if op.name == SORT_BY else None
        self.kw = _kbits(self.kdt)
        self.pw = _kbits(self.pdt) if self.pdt is not None else 0
        self.select = op.name == KTH_SMALLEST
        nbuf = 3 if self.select else 2
        self.row_bytes = -(-(nbuf * n * (self.kw + self.pw) // 8) // 8) * 8
        kept = [domain[d] for d in range(len(domain)) if d != axis]
        self.rows = math.prod(kept)
        self.chunks = max(1, min(self.rows, self.CHUNKS))
        self.scratch_bytes = max(8, self.chunks * self.row_bytes)
        lo, hi = self._begin("")
        n_outer, work = self.body(lo, hi)
        self._end(n_outer, work)

    # key <-> value ---------------------------------------------------------------------------
    def _to_key(self, x):
        b, dt, w = self.b, self.kdt, self.kw
        it = ir.IntType(w)
        if dt.kind == "b":
            return b.zext(x, it)
        if dt.kind == "u":
            return x
        if dt.kind == "i":
            return b.xor(x, ir.Constant(it, 1 << (w - 1)))
        stored = b.fptrunc(x, T.F16) if dt.itemsize == 2 else x
        u = b.bitcast(stored, it)
        u = b.select(b.fcmp_ordered("==", x, ir.Constant(x.type, 0.0)), ir.Constant(it, 0), u)
        neg = b.icmp_signed("<", u, ir.Constant(it, 0))
        key = b.xor(u, b.select(neg, ir.Constant(it, -1), ir.Constant(it, 1 << (w - 1))))
        return b.select(b.fcmp_unordered("!=", x, x), ir.Constant(it, -1), key)

    def _from_key(self, key):
        """The value (compute type) of a key."""
        b, dt, w = self.b, self.kdt, self.kw
        it = ir.IntType(w)
        if dt.kind == "b":
            return b.icmp_unsigned("!=", key, ir.Constant(it, 0))
        if dt.kind == "u":
            return key
        if dt.kind == "i":
            return b.xor(key, ir.Constant(it, 1 << (w - 1)))
        top = b.icmp_signed("<", key, ir.Constant(it, 0))
        u = b.select(top, b.xor(key, ir.Constant(it, 1 << (w - 1))), b.not_(key))
        v = b.bitcast(u, T.storage(dt))
        return b.fpext(v, T.F32) if dt.itemsize == 2 else v

    # the kernel --------------------------------------------------------------------------------
    def body(self, lo, hi):
        info, b, n = self.info, self.b, self.n
        domain = info.domain
        (axis,) = info.axes
        op = self.op
        acc = self.accesses(domain)
        kept = [d for d in range(len(domain)) if d != axis]
        kept_ext = [domain[d] for d in kept]
        dom_strides = contiguous_strides(domain)
        out_buf = len(self.region.params)
        kt = ir.IntType(self.kw)
        bits = min(self.kw, 11 if n >= 1 << 16 and self.kw >= 32 and not self.select else 8)
        npass = -(-self.kw // bits)
        radix = 1 << bits
        counts = alloca_at_entry(b, ir.ArrayType(T.I64, npass * radix), "counts")
        counts = b.bitcast(counts, T.I64.as_pointer())
        pst = T.storage(self.pdt) if self.pdt is not None else None
        src_k = alloca_at_entry(b, kt.as_pointer(), "srck")
        dst_k = alloca_at_entry(b, kt.as_pointer(), "dstk")
        src_p = alloca_at_entry(b, pst.as_pointer(), "srcp") if pst else None
        dst_p = alloca_at_entry(b, pst.as_pointer(), "dstp") if pst else None

        def digit(key, q):
            d = b.lshr(key, ir.Constant(kt, q * bits)) if q else key
            d = b.and_(d, ir.Constant(kt, radix - 1))
            return b.zext(d, T.I64) if self.kw < 64 else d

        def cslot(q, d):
            return b.gep(counts, [b.add(_i64(q * radix), d)], inbounds=True)

        def row(k, base):
            coords = unravel(b, k, kept, kept_ext, len(domain))
            ka = b.bitcast(base, kt.as_pointer())
            kb = b.gep(ka, [_i64(n)])
            b.store(ka, src_k)
            b.store(kb, dst_k)
            if pst:
                pa = b.bitcast(b.gep(base, [_i64(2 * n * self.kw // 8)]), pst.as_pointer())
                b.store(pa, src_p)
                b.store(b.gep(pa, [_i64(n)]), dst_p)
            for_range(b, 0, npass * radix, lambda i: b.store(_i64(0), b.gep(counts, [i])), "zero")

            def fill(j):
                idx = list(coords)
                idx[axis] = j
                env = {}
                key = self._to_key(self.eval(op.operands[0], idx, env, acc, domain))
                b.store(key, b.gep(ka, [j]))
                if pst:
                    p = self.eval(op.operands[1], idx, env, acc, domain)
                    b.store(T.to_storage(b, p, self.pdt), b.gep(pa, [j]))
                for q in range(npass - 1 if self.select else 0, npass):
                    c = cslot(q, digit(key, q))
                    b.store(b.add(b.load(c), _i64(1)), c)
            for_range(b, 0, n, fill, "fill")
            if self.select:
                self._select(coords, ka, cslot, digit, npass, bits, kt, out_buf)
                return

            for q in range(npass):
                sk = b.load(src_k)
                first = cslot(q, digit(b.load(sk), q))
                with b.if_then(b.icmp_signed("!=", b.load(first), _i64(n))):
                    self._pass(q, cslot, digit, src_k, dst_k, src_p, dst_p, radix)

            sk = b.load(src_k)
            sp = b.load(src_p) if pst else None

            def out(j):
                idx = list(coords)
                idx[axis] = j
                if pst:
                    val = b.load(b.gep(sp, [j]))
                    off = offset(b, idx, dom_strides)
                    b.store(val, b.gep(self.ptr(out_buf, self.pdt), [off], inbounds=True))
                else:
                    self.store(out_buf, self.kdt, dom_strides, idx, self._from_key(b.load(b.gep(sk, [j]))))
            for_range(b, 0, n, out, "out")

        if n:
            nch, rows = _i64(self.chunks), _i64(self.rows)

            def chunk(c):
                base = b.gep(self.scratch, [b.mul(c, _i64(self.row_bytes))])
                r0 = b.udiv(b.mul(c, rows), nch)
                r1 = b.udiv(b.mul(b.add(c, _i64(1)), rows), nch)
                for_range(b, r0, r1, lambda k: row(k, base), "row")
            for_range(b, lo, hi, chunk, "chunk")
        return self.chunks, max(1, -(-self.rows // self.chunks) * n * (npass + 2))

    def _select(self, coords, ka, cslot, digit, npass, bits, kt, out_buf):
        """Each position k of attrs kth, MSD radix selection from the row's keys (``ka``, whose top
        digit is already counted): per digit, find the bucket holding rank k, keep only its keys
        (compacted into the two other buffers in turn) and count their next digit; the digits
        found are the key. Cost: about one read of the row per position, plus 256-bucket scans."""
        b, n = self.b, self.n
        (axis,) = self.info.axes
        radix = 1 << bits
        out_shape = self.op.result.type.shape
        ostr = contiguous_strides(out_shape)
        bufs = [ka, b.gep(ka, [_i64(n)]), b.gep(ka, [_i64(2 * n)])]
        cnt = alloca_at_entry(b, T.I64, "cnt")
        rank = alloca_at_entry(b, T.I64, "rank")
        cum = alloca_at_entry(b, T.I64, "cum")
        found = alloca_at_entry(b, T.I64, "found")
        before = alloca_at_entry(b, T.I64, "before")
        for i, k in enumerate(self.op.attrs["kth"]):
            b.store(_i64(n), cnt)
            b.store(_i64(k), rank)
            key = ir.Constant(kt, 0)
            for step, q in enumerate(reversed(range(npass))):
                src = bufs[0] if step == 0 else bufs[1 + (step - 1) % 2]
                dst = bufs[1 + step % 2]
                if step:                     # count digit q of the keys kept so far
                    for_range(b, 0, radix, lambda d, q=q: b.store(_i64(0), cslot(q, d)), "zsel")

                    def count(j, q=q, src=src):
                        c = cslot(q, digit(b.load(b.gep(src, [j])), q))
                        b.store(b.add(b.load(c), _i64(1)), c)
                    for_range(b, 0, b.load(cnt), count, "csel")
                b.store(_i64(0), cum)
                b.store(_i64(-1), found)
                b.store(_i64(0), before)

                def scan(d, q=q):
                    c = b.load(cslot(q, d))
                    cu = b.load(cum)
                    hit = b.and_(b.icmp_signed("<", b.load(found), _i64(0)),
                                 b.icmp_signed(">", b.add(cu, c), b.load(rank)))
                    b.store(b.select(hit, d, b.load(found)), found)
                    b.store(b.select(hit, cu, b.load(before)), before)
                    b.store(b.add(cu, c), cum)
                for_range(b, 0, radix, scan, "bsel")
                f = b.load(found)
                b.store(b.sub(b.load(rank), b.load(before)), rank)
                fd = b.trunc(f, kt) if self.kw < 64 else f
                key = b.or_(key, b.shl(fd, ir.Constant(kt, q * bits)) if q else fd)
                if q:                        # keep the keys of the bucket found
                    m = alloca_at_entry(b, T.I64, "m")
                    b.store(_i64(0), m)

                    def keep(j, q=q, src=src, dst=dst, f=f, m=m):
                        kv = b.load(b.gep(src, [j]))
                        with b.if_then(b.icmp_signed("==", digit(kv, q), f)):
                            mm = b.load(m)
                            b.store(kv, b.gep(dst, [mm]))
                            b.store(b.add(mm, _i64(1)), m)
                    for_range(b, 0, b.load(cnt), keep, "ksel")
                    b.store(b.load(m), cnt)
            idx = list(coords)
            idx[axis] = _i64(i)
            self.store(out_buf, self.kdt, ostr, idx, self._from_key(key))

    def _pass(self, q, cslot, digit, src_k, dst_k, src_p, dst_p, radix):
        """One stable counting scatter by digit q from the src buffers to the dst ones, then swap."""
        b = self.b
        run = alloca_at_entry(b, T.I64, "run")
        b.store(ir.Constant(T.I64, 0), run)

        def prefix(d):
            c = cslot(q, d)
            cnt = b.load(c)
            r = b.load(run)
            b.store(r, c)
            b.store(b.add(r, cnt), run)
        for_range(b, 0, radix, prefix, "pre")
        sk, dk = b.load(src_k), b.load(dst_k)
        sp = b.load(src_p) if src_p is not None else None
        dp = b.load(dst_p) if dst_p is not None else None

        def scatter(j):
            key = b.load(b.gep(sk, [j]))
            c = cslot(q, digit(key, q))
            pos = b.load(c)
            b.store(b.add(pos, ir.Constant(T.I64, 1)), c)
            b.store(key, b.gep(dk, [pos]))
            if sp is not None:
                b.store(b.load(b.gep(sp, [j])), b.gep(dp, [pos]))
        for_range(b, 0, self.n, scatter, "scat")
        b.store(dk, src_k)
        b.store(sk, dst_k)
        if sp is not None:
            b.store(dp, src_p)
            b.store(sp, dst_p)
