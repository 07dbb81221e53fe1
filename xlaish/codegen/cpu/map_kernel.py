"""Map kernels: elementwise work (with broadcasts and views) over a domain.

The kernel loops over the domain; adjacent dimensions that every access walks
contiguously are collapsed, so a pure elementwise chain is one flat loop.
Outer iterations = the first (collapsed) dimension. A region calling
sin/cos/tan runs in range-checked chunks (see :meth:`MapKernel._range_checked`).
"""
from __future__ import annotations

import math

from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.opnames import GATHER, IOTA
from . import types as T
from . import vecmath
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, nest


class MapKernel(KernelGen):
    def body(self, lo, hi):
        domain = self.info.domain
        acc = self.accesses(domain)
        outs = [self.info.source(r) for r in self.region.results]
        out_strides = contiguous_strides(domain)
        has_iota = any(op.name in (IOTA, GATHER) for op in self.region.ops)   # need every dim
        # collapse dims walked contiguously by every access
        groups = [[d] for d in range(len(domain))]
        if not has_iota:
            merged = []
            for d in range(len(domain)):
                if merged and all(a.dstrides[merged[-1][-1]] == a.dstrides[d] * domain[d]
                                  for a in acc.values()) and \
                        out_strides[merged[-1][-1]] == out_strides[d] * domain[d]:
                    merged[-1].append(d)
                else:
                    merged.append([d])
            groups = merged
        cdom = [math.prod(domain[d] for d in g) for g in groups]
        last = [g[-1] for g in groups]
        for a in acc.values():
            a.dstrides = [a.dstrides[d] for d in last]
        ostr = [out_strides[d] for d in last]

        def body(idx):
            env = {}
            for k, (r, src) in enumerate(zip(self.region.results, outs)):
                val = self.eval(src, idx, env, acc, cdom) if not has_iota else \
                    self.eval(src, idx, env, acc, domain)
                self.store(len(self.region.params) + k, r.type.dtype, ostr, idx, val)

        if not cdom:
            def once(i):
                body([])
            for_range(self.b, lo, hi, once, "one")
            return 1, 1
        inner = cdom[1:]

        def outer(i):
            nest(self.b, inner, lambda rest: body([i] + rest))
        if any(op.name in vecmath.SHORT_RANGE for op in self.region.ops):
            self._range_checked(lo, hi, outer, max(1, math.prod(inner)))
        else:
            for_range(self.b, lo, hi, outer, "o")
        return cdom[0], max(1, math.prod(inner))

    def _range_checked(self, lo, hi, outer, work, chunk=1024):
        """``for i in range(lo, hi): outer(i)`` for a map kernel calling sin/cos/tan, in
        chunks of about ``chunk`` elements: each chunk runs with the short-range variants
        (Cody-Waite only, ~3x faster) and notes whether any argument was beyond their range;
        if so the chunk is computed again with the full variants. Outputs never share memory
        with the kernel's inputs (see passes/buffers.py), so the second pass overwrites the
        first's results with the same inputs."""
        b = self.b
        step = ir.Constant(T.I64, max(1, chunk // work))
        flag = alloca_at_entry(b, ir.IntType(1), "far")
        nchunks = b.sdiv(b.add(b.sub(hi, lo), b.sub(step, ir.Constant(T.I64, 1))), step)

        def one(c):
            start = b.add(lo, b.mul(c, step))
            end = b.add(start, step)
            end = b.select(b.icmp_signed("<", end, hi), end, hi)
            b.store(ir.Constant(ir.IntType(1), 0), flag)
            self.cg.range_flag = flag
            for_range(b, start, end, outer, "o")
            self.cg.range_flag = None
            with b.if_then(b.load(flag), likely=False):
                for_range(b, start, end, outer, "o.full")
        for_range(b, ir.Constant(T.I64, 0), nchunks, one, "chunk")
