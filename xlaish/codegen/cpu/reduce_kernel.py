"""Reduce kernels: sums, products, max/min, any/all and argmax/argmin over some axes.

Outer iterations = the kept index space (row by row); per row one inner loop
per phase (a later phase reads an earlier phase's results, e.g. softmax's max
then sum). Float sums and products accumulate with ``reassoc`` so LLVM
vectorises them with several accumulators (a NaN flag keeps NaN addends that
LLVM's reassociation could fold away); float32 accumulates in float64,
float64 in blocks combined with Kahan compensation, so results are at least as
accurate as NumPy's pairwise summation. max/min propagate NaN through a
separate flag so the max itself vectorises.

Full (or nearly full) single-pass reductions over large inputs are split into
a fixed number of chunks (any number of threads), whose partials are combined
in chunk order, so results do not depend on the thread count
(:meth:`ReduceKernel._reduce_split`).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from llvmlite import ir

from ...ir import policy
from ...ir.kernel import contiguous_strides
from ...ir.kernel_masked import masked_range
from ...ir.opdef import REDUCTION
from ...ir.opnames import ALL, ANY, ARGMAX, ARGMIN, MAX, MIN, PROD, SUM
from ...ir.ops.reduction import identity_for
from . import types as T
from .elementwise import astype
from .kernel_base import KernelGen
from .loops import alloca_at_entry, for_range, nest, offset, unravel


class ReduceKernel(KernelGen):
    def emit(self):
        if self._splittable():
            self._reduce_split()
        else:
            super().emit()

    def body(self, lo, hi):
        info = self.info
        domain, axes = info.domain, info.axes
        kept = [d for d in range(len(domain)) if d not in axes]
        red = list(axes)
        acc = self.accesses(domain)
        b = self.b
        reductions = [op for op in self.region.ops if op.opdef.has(REDUCTION)]
        outs = [(k, r, info.source(r)) for k, r in enumerate(self.region.results)]
        nparams = len(self.region.params)
        kept_ext = [domain[d] for d in kept]
        red_ext = [domain[d] for d in red]
        n_outer = math.prod(kept_ext)        # 0 rows (an empty kept extent): never launched
        dom_strides = contiguous_strides(domain)

        def row(k):
            coords = unravel(b, k, kept, kept_ext, len(domain))     # the outer index -> kept coords
            for d in red:
                coords[d] = ir.Constant(T.I64, 0)
            env = {}     # reduced (per-row) values
            for p in range(info.num_phases):
                mine = [op for op in reductions if info.phase[id(op.result)] == p + 1]
                vary_outs = [(k_, r, s) for k_, r, s in outs
                             if info.varies.get(id(s)) and info.phase[id(s)] == p]
                accs = [self._acc_init(op) for op in mine]

                def inner(ridx, mine=mine, accs=accs, vary_outs=vary_outs, known=None):
                    idx = list(coords)
                    for d, i in zip(red, ridx):
                        idx[d] = i
                    loop_env = dict(env)
                    loop_env.update(known or {})
                    for op, a in zip(mine, accs):
                        x = self.eval(op.operands[0], idx, loop_env, acc, domain)
                        self._acc_update(op, a, x, idx, red)
                    for k_, r, s in vary_outs:
                        val = self.eval(s, idx, loop_env, acc, domain)
                        self.store(nparams + k_, r.type.dtype, dom_strides, idx, val)

                starts, ends = [0] * len(red_ext), list(red_ext)
                masked = self._masked_range(mine, vary_outs, coords, env, acc)
                if masked is not None:
                    j, starts[j], ends[j] = masked
                    # inside [lo, hi) every select's mask is true: LLVM drops the selects
                    true = ir.Constant(T.I1, 1)
                    inner = functools.partial(inner, known={
                        id(self.defs[id(op.operands[0])].operands[0]): true for op in mine})
                if mine and len(red_ext) >= 1 and any(self._blocked(op) for op in mine):
                    self._blocked_nest(starts, ends, inner, mine, accs)
                else:
                    nest(b, ends, inner, prefix=f"r{p}_", starts=starts)
                    self._flush_blocks(mine, accs)
                for op, a in zip(mine, accs):
                    env[id(op.result)] = self._acc_final(op, a)
            env_out = dict(env)
            for k_, r, s in outs:
                if not info.varies.get(id(s)):
                    val = self.eval(s, coords, env_out, acc, domain)
                    self.store(nparams + k_, r.type.dtype, [1], [k], val)

        for_range(b, lo, hi, row, "row")
        return n_outer, max(1, math.prod(red_ext)) * info.num_phases

    def _masked_range(self, mine, vary_outs, coords, env, acc):
        """When every reduction of this phase only needs positions ``[lo, hi)`` of one reduced
        axis (:mod:`xlaish.ir.kernel_masked`): ``(its position in the reduced axes, lo, hi)``
        as i64 values clamped to the axis (``0 <= lo <= hi <= n``), evaluated once per row;
        else None (the loops cover every reduced axis in full)."""
        info = self.info
        if not mine or vary_outs:
            return None
        found = {masked_range(self.defs, op, info.domain, info.axes) for op in mine}
        if len(found) != 1 or None in found:
            return None
        ((axis, lo, hi),) = found
        b = self.b
        n = ir.Constant(T.I64, info.domain[axis])

        def clamped(s, floor, default):
            if s is None:
                return default
            v = self.eval(s, coords, env, acc, info.domain)
            if v.type.width < 64:
                v = b.sext(v, T.I64) if s.type.dtype.kind == "i" else b.zext(v, T.I64)
            elif s.type.dtype.kind == "u":          # above 2**63: past the end
                v = b.select(b.icmp_signed("<", v, ir.Constant(T.I64, 0)), n, v)
            v = b.select(b.icmp_signed("<", v, floor), floor, v)
            return b.select(b.icmp_signed(">", v, n), n, v)

        start = clamped(lo, ir.Constant(T.I64, 0), ir.Constant(T.I64, 0))
        return info.axes.index(axis), start, clamped(hi, start, n)

    SPLIT_OPS = frozenset({"sum", "prod", "max", "min", "any", "all"})
    SPLIT_MIN_WORK = 1 << 16
    SPLIT_CHUNKS = 64

    def _splittable(self) -> bool:
        """A full (or nearly full) single-pass reduction: split the reduced range into fixed chunks."""
        info = self.info
        if info.num_phases != 1 or not info.axes:
            return False
        kept = [info.domain[d] for d in range(len(info.domain)) if d not in info.axes]
        if math.prod(kept) != 1 or info.domain[info.axes[0]] < 2:
            return False
        if math.prod(info.domain) < self.SPLIT_MIN_WORK:
            return False
        reds = [op for op in self.region.ops if op.opdef.has(REDUCTION)]
        if any(op.name not in self.SPLIT_OPS for op in reds):
            return False
        return not any(info.varies.get(id(info.source(r))) for r in self.region.results)

    def _reduce_split(self):
        """Deterministic two-stage reduction: fixed chunks of the first reduced axis (run on
        any number of threads), then their partials combined in chunk order."""
        info = self.info
        domain, axes = info.domain, info.axes
        reds = [op for op in self.region.ops if op.opdef.has(REDUCTION)]
        first = axes[0]
        ext0 = domain[first]
        nchunks = min(self.SPLIT_CHUNKS, ext0)
        rest = [d for d in axes[1:]]
        rest_ext = [domain[d] for d in rest]
        nparams = len(self.region.params)
        self.scratch_bytes = nchunks * len(reds) * 16

        def slot(c, r, what):
            base = self.b.add(self.b.mul(c, ir.Constant(T.I64, len(reds) * 16)),
                              ir.Constant(T.I64, r * 16 + (8 if what == "nan" else 0)))
            return self.b.gep(self.scratch, [base])

        # stage 1: partials per chunk
        lo, hi = self._begin(".partial")
        b = self.b
        acc = self.accesses(domain)

        def chunk(c):
            start = b.sdiv(b.mul(c, ir.Constant(T.I64, ext0)), ir.Constant(T.I64, nchunks))
            end = b.sdiv(b.mul(b.add(c, ir.Constant(T.I64, 1)), ir.Constant(T.I64, ext0)),
                         ir.Constant(T.I64, nchunks))
            accs = [self._acc_init(op) for op in reds]

            def inner(idx_first, ridx):
                idx = [ir.Constant(T.I64, 0)] * len(domain)
                idx[first] = idx_first
                for d, i in zip(rest, ridx):
                    idx[d] = i
                env = {}
                for op, a in zip(reds, accs):
                    self._acc_update(op, a, self.eval(op.operands[0], idx, env, acc, domain), idx, axes)

            if any(self._blocked(op) for op in reds) and not rest_ext:
                self._blocked_range(start, end, lambda i: inner(i, []), reds, accs)
            else:
                for_range(b, start, end, lambda i: nest(b, rest_ext, lambda r: inner(i, r), "sr"), "s0")
                self._flush_blocks(reds, accs)
            for r, (op, a) in enumerate(zip(reds, accs)):
                at = self._acc_type(op)
                b.store(b.load(a["val"]), b.bitcast(slot(c, r, "val"), T.compute(at).as_pointer()))
                nan = b.load(a["nan"]) if "nan" in a else ir.Constant(T.I1, 0)
                b.store(b.zext(nan, T.I8), slot(c, r, "nan"))
        for_range(b, lo, hi, chunk, "chunk")
        self._end(nchunks, max(1, math.prod(domain) // nchunks))

        # stage 2: combine in chunk order, then the epilogue
        self._begin(".combine")
        b = self.b
        acc = self.accesses(domain)
        accs = [self._acc_init(op) for op in reds]

        def combine(c):
            for r, (op, a) in enumerate(zip(reds, accs)):
                at = self._acc_type(op)
                part = b.load(b.bitcast(slot(c, r, "val"), T.compute(at).as_pointer()))
                self._acc_combine(op, a, part)
                if "nan" in a:
                    isn = b.icmp_unsigned("!=", b.load(slot(c, r, "nan")), ir.Constant(T.I8, 0))
                    b.store(b.or_(b.load(a["nan"]), isn), a["nan"])
        for_range(b, 0, nchunks, combine, "comb")
        env = {id(op.result): self._acc_final(op, a) for op, a in zip(reds, accs)}
        coords = [ir.Constant(T.I64, 0)] * len(domain)
        for k_, r in enumerate(self.region.results):
            s_ = info.source(r)
            self.store(nparams + k_, r.type.dtype, [1], [ir.Constant(T.I64, 0)],
                       self.eval(s_, coords, env, acc, domain))
        self._end(1, nchunks)

    def _combine(self, n, at, cur, x, reassoc):
        """cur (op) x for reduction n in accumulator dtype at. ``reassoc`` lets LLVM vectorise
        float sums and products with several accumulators (the blocking bounds the error)."""
        b = self.b
        if n in (SUM, PROD):
            if at.kind == "f":
                r = b.fadd(cur, x) if n == SUM else b.fmul(cur, x)
                if reassoc:
                    r.flags.extend(["reassoc", "nsz"])
                return r
            if at.kind == "b":
                return b.or_(cur, x) if n == SUM else b.and_(cur, x)
            return b.add(cur, x) if n == SUM else b.mul(cur, x)
        if n in (MAX, MIN):
            if at.kind == "f":
                # nnan lets LLVM vectorise the max; NaNs are tracked by a separate flag and the
                # final select returns NaN whenever one was seen, as NumPy does
                return self.cg.intrinsic("llvm.maxnum" if n == MAX else "llvm.minnum", [cur, x],
                                         fastmath=("nnan", "nsz"))
            if at.kind == "b":
                return b.or_(cur, x) if n == MAX else b.and_(cur, x)
            cmp = b.icmp_signed if at.kind == "i" else b.icmp_unsigned
            return b.select(cmp(">" if n == MAX else "<", x, cur), x, cur)
        if n == ANY:
            return b.or_(cur, x)
        if n == ALL:
            return b.and_(cur, x)
        raise AssertionError(n)

    def _acc_combine(self, op, slots, part):
        """Fold one chunk's partial accumulator into slots (same algebra as the update)."""
        b = self.b
        n = op.name
        at = self._acc_type(op)
        if "comp" in slots:            # float64: Kahan over block / chunk sums
            s_, c = b.load(slots["val"]), b.load(slots["comp"])
            y = b.fsub(part, c)
            t = b.fadd(s_, y)
            # once the sum is +-inf (or NaN) the compensation would be inf - inf = NaN: keep it 0
            # so the total stays what NumPy's sum gives (inf, or NaN for inf + -inf)
            finite = b.fcmp_ordered("<", self.cg.intrinsic("llvm.fabs", [t]), ir.Constant(t.type, np.inf))
            b.store(b.select(finite, b.fsub(b.fsub(t, s_), y), ir.Constant(t.type, 0.0)), slots["comp"])
            b.store(t, slots["val"])
            return
        if "block" in slots:           # float32/16 blocks: exact widening into the float64 total
            b.store(b.fadd(b.load(slots["val"]), b.fpext(part, T.F64) if part.type != T.F64 else part),
                    slots["val"])
            return
        r = self._combine(n, at, b.load(slots["val"]), part, reassoc=False)
        b.store(r, slots["val"])

    def _flush_blocks(self, reds, accs):
        """Unblocked loops accumulate into the block slot: fold it into the Kahan sum once."""
        b = self.b
        for op, a in zip(reds, accs):
            if "block" in a:
                self._acc_combine(op, a, b.load(a["block"]))
                b.store(ir.Constant(a["block"].type.pointee, 0.0), a["block"])

    def _blocked_range(self, start, end, body, reds, accs, block=512):
        """for i in [start, end) in blocks: reassociated sums inside, Kahan across blocks."""
        b = self.b
        n = b.sub(end, start)
        nblocks = b.sdiv(b.add(n, ir.Constant(T.I64, block - 1)), ir.Constant(T.I64, block))

        def blk(bi):
            for a in accs:
                if "block" in a:
                    b.store(ir.Constant(a["block"].type.pointee, 0.0), a["block"])
            s0 = b.add(start, b.mul(bi, ir.Constant(T.I64, block)))
            e0 = b.add(s0, ir.Constant(T.I64, block))
            e0 = b.select(b.icmp_signed("<", e0, end), e0, end)
            for_range(b, s0, e0, body, "bl")
            self._flush_blocks(reds, accs)
        for_range(b, 0, nblocks, blk, "bln")

    def _acc_type(self, op):
        return policy.accumulator_dtype(op.name, op.operands[0].type.dtype)

    def _blocked(self, op):
        return op.name == SUM and op.operands[0].type.dtype.kind == "f"

    def _acc_init(self, op):
        b = self.b
        n = op.name
        dt = op.operands[0].type.dtype
        slots = {}
        if n in (ARGMAX, ARGMIN):
            slots["val"] = alloca_at_entry(b, T.compute(dt))
            slots["idx"] = alloca_at_entry(b, T.I64)
            slots["first"] = alloca_at_entry(b, T.I1)
            b.store(ir.Constant(T.I64, 0), slots["idx"])
            b.store(ir.Constant(T.I1, 1), slots["first"])
            b.store(T.const(dt, 0), slots["val"])
            return slots
        at = self._acc_type(op)
        slots["val"] = alloca_at_entry(b, T.compute(at))
        b.store(T.const(at, identity_for(n, at)), slots["val"])
        if n in (MAX, MIN, SUM, PROD) and dt.kind == "f":
            # a NaN flag per accumulator: max/min vectorise with nnan; sums and products are
            # reassociated, which lets LLVM fold e.g. acc + (y - y) to acc and so lose a NaN
            # (or inf - inf) that NumPy's sum propagates: any NaN addend makes the result NaN
            slots["nan"] = alloca_at_entry(b, T.I1)
            b.store(ir.Constant(T.I1, 0), slots["nan"])
        if self._blocked(op):
            # sums accumulate blocks in the input's float type (vectorised with reassociation),
            # and fold each block into a float64 total (with Kahan compensation for float64)
            bt = T.compute(dt)
            slots["block"] = alloca_at_entry(b, bt)
            b.store(ir.Constant(bt, 0.0), slots["block"])
            if bt == T.F64:
                slots["comp"] = alloca_at_entry(b, T.F64)
                b.store(ir.Constant(T.F64, 0.0), slots["comp"])
        return slots

    def _acc_update(self, op, slots, x, idx, red):
        b = self.b
        n = op.name
        dt = op.operands[0].type.dtype
        if n in (ARGMAX, ARGMIN):
            flat = offset(b, [idx[d] for d in red],
                          contiguous_strides([op.operands[0].type.shape[d] for d in red]))
            best = b.load(slots["val"])
            first = b.load(slots["first"])
            if dt.kind == "f":
                better = b.fcmp_ordered(">" if n == ARGMAX else "<", x, best)
                isn = b.fcmp_unordered("uno", x, x)
                best_nan = b.fcmp_unordered("uno", best, best)
                better = b.and_(b.or_(better, isn), b.not_(best_nan))
            elif dt.kind == "b":
                better = b.and_(x, b.not_(best)) if n == ARGMAX else b.and_(b.not_(x), best)
            else:
                cmp = b.icmp_signed if dt.kind == "i" else b.icmp_unsigned
                better = cmp(">" if n == ARGMAX else "<", x, best)
            take = b.or_(first, better)
            b.store(b.select(take, x, best), slots["val"])
            b.store(b.select(take, flat, b.load(slots["idx"])), slots["idx"])
            b.store(ir.Constant(T.I1, 0), slots["first"])
            return
        target = slots["block"] if "block" in slots else slots["val"]
        cur = b.load(target)
        at = self._acc_type(op) if "block" not in slots else dt
        if at != dt:
            x = astype(self.cg, x, dt, at)
        if "nan" in slots:
            b.store(b.or_(b.load(slots["nan"]), b.fcmp_unordered("uno", x, x)), slots["nan"])
        r = self._combine(n, at, cur, x, reassoc=True)
        b.store(r, target)

    def _blocked_nest(self, starts, ends, inner, mine, accs, block=512):
        """Innermost reduced dim in blocks: reassociated sums inside, folded across blocks.
        Loop ``d`` runs over ``[starts[d], ends[d])`` (ints, or i64 values: see
        :meth:`_masked_range`)."""
        b = self.b

        def i64(v):
            return v if isinstance(v, ir.Value) else ir.Constant(T.I64, v)

        def over_outer(oidx):
            self._blocked_range(i64(starts[-1]), i64(ends[-1]),
                                lambda i: inner(oidx + [i]), mine, accs, block)
        nest(b, ends[:-1], over_outer, prefix="ro", starts=starts[:-1])

    def _acc_final(self, op, slots):
        b = self.b
        n = op.name
        dt = op.result.type.dtype
        if n in (ARGMAX, ARGMIN):
            return b.load(slots["idx"])
        v = b.load(slots["val"])
        at = self._acc_type(op)
        if at != dt:
            v = astype(self.cg, v, at, dt)
        if "nan" in slots:
            v = b.select(b.load(slots["nan"]), ir.Constant(v.type, float("nan")), v)
        return v
