"""Scan kernels: running sums, products, max and min along one axis (``cumsum`` and kin).

Outer iterations = the rows (every index of the domain but the scanned axis), split over
threads like any kernel; each row is walked once, in order, along the axis. Per position the
elementwise producers are evaluated, every scan of the region takes one step (``acc = step(acc,
x)`` with the elementwise rule of its kind, so bool, integer wrap-around and NaN behave as the
ufunc), and the outputs (scans or their elementwise consumers) are stored. Accumulation is
sequential in the result dtype (float16 rounded after every step), exactly NumPy's
``<ufunc>.accumulate`` loop, so results equal NumPy's bit for bit; a blocked parallel scan would
change float rounding and is not used.
"""
from __future__ import annotations

import math

import numpy as np

from ...ir.kernel import contiguous_strides
from ...ir.ops.scan import SCAN, scan_identity, step_op
from . import types as T
from .elementwise import LOWER, round_half
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, unravel


class ScanKernel(KernelGen):
    def body(self, lo, hi):
        info = self.info
        domain = info.domain
        (axis,) = info.axes
        b = self.b
        acc = self.accesses(domain)
        scans = [op for op in self.region.ops if op.opdef.has(SCAN)]
        outs = [(k, r, info.source(r)) for k, r in enumerate(self.region.results)]
        nparams = len(self.region.params)
        kept = [d for d in range(len(domain)) if d != axis]
        kept_ext = [domain[d] for d in kept]
        dom_strides = contiguous_strides(domain)
        slots = [alloca_at_entry(b, T.compute(op.result.type.dtype), "run") for op in scans]

        def row(k):
            coords = unravel(b, k, kept, kept_ext, len(domain))
            for op, slot in zip(scans, slots):
                dt = op.result.type.dtype
                b.store(T.const(dt, scan_identity(op.attrs["kind"], dt)), slot)

            def step(j):
                idx = list(coords)
                idx[axis] = j
                env = {}
                for op, slot in zip(scans, slots):
                    dt = op.result.type.dtype
                    x = self.eval(op.operands[0], idx, env, acc, domain)
                    y = LOWER[step_op(op.attrs["kind"], dt)](self.cg, [b.load(slot), x], dt, dt)
                    if dt == np.float16:
                        y = round_half(b, y)
                    b.store(y, slot)
                    env[id(op.result)] = y
                for k_, r, s in outs:
                    self.store(nparams + k_, r.type.dtype, dom_strides, idx,
                               self.eval(s, idx, env, acc, domain))
            for_range(b, 0, domain[axis], step, "s")

        for_range(b, lo, hi, row, "row")
        return math.prod(kept_ext), max(1, domain[axis])
