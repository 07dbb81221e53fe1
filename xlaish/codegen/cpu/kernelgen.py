"""One ``fused`` region -> one LLVM kernel function.

Every kernel has the ABI ``void name(i8** bufs, i64 lo, i64 hi)``: ``bufs``
holds the region's parameters then its outputs (contiguous C-order buffers),
and ``[lo, hi)`` is the slice of the kernel's *outer* iterations this call
runs, so the runtime can split a kernel across threads. The body lives in
``name.body`` whose buffer arguments are ``noalias`` (the buffer plan never
lets an input share memory with an output), which lets LLVM vectorise without
runtime alias checks; the ABI wrapper is inlined into nothing but a call.

Kernel shapes (see :mod:`xlaish.ir.kernel`):

* map: loops over the domain; adjacent dimensions that every access walks
  contiguously are collapsed, so a pure elementwise chain is one flat loop.
  Outer iterations = the first (collapsed) dimension.
* reduce: outer iterations = the kept index space (row by row); per row one
  inner loop per phase. Float sums and products accumulate with ``reassoc``
  so LLVM vectorises them with several accumulators; float32 accumulates in
  float64, float64 in blocks of 1024 combined with Kahan compensation, so
  results are at least as accurate as NumPy's pairwise summation. max/min
  propagate NaN through a separate flag so the max itself vectorises.
* matmul: float32/float64 with a unit-stride right operand run register-
  blocked micro-kernels (8 rows x 2 vectors of FMA accumulators) over column
  panels, the panels split across threads, the epilogue applied to each
  finished tile; other dtypes, layouts and the edge columns use a generic
  row kernel (``k`` outer, unit-stride ``j`` inner).
* full reductions over large inputs are split into a fixed number of chunks
  (any number of threads), whose partials are combined in chunk order, so
  results do not depend on the thread count.
* copy: concatenate writes each operand into its slice of the output.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from ...ir.kernel import (KernelInfo, analyze, contiguous_strides, domain_strides, pending_in_order,
                          view_layout)
from ...ir.opdef import REDUCTION
from ...ir.ops.reduction import identity_for
from . import types as T
from . import vecmath
from .elementwise import LOWER, MIXED_COMPARE, astype, mixed_compare, round_half
from .loops import alloca_at_entry, for_range, nest, offset


class Access:
    """How one region value is read from memory: buffer, dtype, per-domain-dim strides."""

    def __init__(self, buf, dtype, shape, strides, base, domain):
        self.buf, self.dtype, self.base = buf, np.dtype(dtype), base
        self.dstrides = domain_strides(shape, strides, len(domain))


class Cg:
    """Per-function codegen helpers handed to the elementwise lowerings."""

    def __init__(self, module: ir.Module, b: ir.IRBuilder):
        self.module, self.b = module, b
        # While set (an i1 alloca), sin/cos/tan use vecmath's short-range variants and OR
        # "an argument was out of short range" into it (see KernelGen._range_checked).
        self.range_flag = None

    def _fn(self, name, fnty):
        f = self.module.globals.get(name)
        if f is None:
            f = ir.Function(self.module, fnty, name=name)
        return f

    def intrinsic(self, name, args, fastmath=()):
        ty = args[0].type
        suffix = {T.F32: "f32", T.F64: "f64", T.F16: "f16"}.get(ty) or f"i{ty.width}"
        f = self._fn(f"{name}.{suffix}", ir.FunctionType(ty, [a.type for a in args]))
        return self.b.call(f, args, fastmath=fastmath)

    def call_math(self, name, args):
        if name in ("floor_divide", "remainder"):
            return self._divmod(name, *args)
        ty = args[0].type
        if self.range_flag is not None and name in vecmath.SHORT_RANGE:
            b = self.b
            far = b.fcmp_ordered(">=", self.intrinsic("llvm.fabs", args[:1]),
                                 ir.Constant(ty, vecmath.short_range_limit(name, ty)))
            b.store(b.or_(b.load(self.range_flag), far), self.range_flag)
            return b.call(vecmath.get(self.module, name, ty, short_range=True), args)
        return self.b.call(vecmath.get(self.module, name, ty), args)

    def _divmod(self, name, a, c):
        """NumPy's npy_divmod for floats (fmod via LLVM frem)."""
        b = self.b
        t = a.type
        zero, one = ir.Constant(t, 0.0), ir.Constant(t, 1.0)
        mod = b.frem(a, c)
        c_zero = b.fcmp_ordered("==", c, zero)
        div = b.fdiv(b.fsub(a, mod), c)
        mod_nz = b.fcmp_unordered("!=", mod, zero)
        fix = b.and_(mod_nz, b.icmp_unsigned("!=", b.fcmp_ordered("<", c, zero), b.fcmp_ordered("<", mod, zero)))
        mod2 = b.select(fix, b.fadd(mod, c), b.select(mod_nz, mod, self.intrinsic("llvm.copysign", [zero, c])))
        div = b.select(fix, b.fsub(div, one), div)
        if name == "remainder":
            return b.select(c_zero, mod, mod2)
        fl = self.intrinsic("llvm.floor", [div])
        fl = b.select(b.fcmp_ordered(">", b.fsub(div, fl), ir.Constant(t, 0.5)), b.fadd(fl, one), fl)
        q = b.fdiv(a, c)
        fl = b.select(b.fcmp_unordered("!=", div, zero), fl, self.intrinsic("llvm.copysign", [zero, q]))
        return b.select(c_zero, q, fl)

    def int_power(self, base, exp, dt):
        """base ** exp for integers by squaring; negative exponents give 0 except for |base| == 1."""
        b = self.b
        t = base.type
        r_slot = alloca_at_entry(b, t)
        x_slot = alloca_at_entry(b, t)
        e_slot = alloca_at_entry(b, t)
        b.store(ir.Constant(t, 1), r_slot)
        b.store(base, x_slot)
        b.store(exp, e_slot)
        head = b.append_basic_block("pow.head")
        body = b.append_basic_block("pow.body")
        done = b.append_basic_block("pow.done")
        b.branch(head)
        b.position_at_end(head)
        e = b.load(e_slot)
        b.cbranch(b.icmp_signed(">" if np.dtype(dt).kind == "i" else "!=", e, ir.Constant(t, 0)), body, done)
        b.position_at_end(body)
        e = b.load(e_slot)
        r, x = b.load(r_slot), b.load(x_slot)
        odd = b.trunc(e, T.I1)
        b.store(b.select(odd, b.mul(r, x), r), r_slot)
        b.store(b.mul(x, x), x_slot)
        b.store(b.lshr(e, ir.Constant(t, 1)), e_slot)
        b.branch(head)
        b.position_at_end(done)
        r = b.load(r_slot)
        if np.dtype(dt).kind == "i":
            neg = b.icmp_signed("<", exp, ir.Constant(t, 0))
            one, m1 = ir.Constant(t, 1), ir.Constant(t, -1)
            odd_e = b.trunc(exp, T.I1)
            special = b.select(b.icmp_signed("==", base, one), one,
                               b.select(b.icmp_signed("==", base, m1), b.select(odd_e, m1, one),
                                        ir.Constant(t, 0)))
            r = b.select(neg, special, r)
        return r


class KernelGen:
    def __init__(self, module: ir.Module, region, name: str):
        self.module, self.region, self.name = module, region, name
        self.info: KernelInfo = analyze(region)
        nparams = len(region.params)
        self.nbufs = nparams + len(region.results)
        self.param_index = {id(p): i for i, p in enumerate(region.params)}
        self.defs = {id(r): op for op in region.ops for r in op.results}

    # -- function scaffolding -----------------------------------------------------------
    def build(self):
        """Emit the kernel. Returns (launches, scratch bytes): launches are
        ``(ABI function, number of outer iterations, work per outer iteration)``
        run in order; a non-zero scratch size asks the caller for a scratch
        buffer passed after the outputs."""
        self.scratch_bytes = 0
        self.launches = []
        kind = self.info.kind
        if kind == "reduce" and self._splittable():
            self._reduce_split()
        elif kind == "matmul":
            self._matmul_entry()
        else:
            lo, hi = self._begin("")
            n_outer, work = getattr(self, f"_{kind}")(lo, hi)
            self._end(n_outer, work)
        return self.launches, self.scratch_bytes

    def _begin(self, suffix):
        nb = self.nbufs + (1 if self.scratch_bytes else 0)
        body_ty = ir.FunctionType(ir.VoidType(), [T.PTR] * nb + [T.I64, T.I64])
        body = ir.Function(self.module, body_ty, name=f"{self.name}{suffix}.body")
        body.linkage = "internal"
        for a in body.args[:nb]:
            a.add_attribute("noalias")
        self.fn = body
        self.bufs = body.args[:self.nbufs]
        self.scratch = body.args[self.nbufs] if self.scratch_bytes else None
        self.suffix = suffix
        self.b = ir.IRBuilder(body.append_basic_block("entry"))
        self.cg = Cg(self.module, self.b)
        self.typed = {}
        return body.args[nb], body.args[nb + 1]

    def _end(self, n_outer, work):
        self.b.ret_void()
        nb = self.nbufs + (1 if self.scratch_bytes else 0)
        abi = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [T.PTR.as_pointer(), T.I64, T.I64]),
                          name=self.name + self.suffix)
        bb = ir.IRBuilder(abi.append_basic_block("entry"))
        ptrs = [bb.load(bb.gep(abi.args[0], [ir.Constant(T.I64, i)])) for i in range(nb)]
        bb.call(self.fn, ptrs + [abi.args[1], abi.args[2]])
        bb.ret_void()
        self.launches.append((abi, n_outer, work))

    def ptr(self, buf, dtype):
        key = (buf, np.dtype(dtype).str)
        p = self.typed.get(key)
        if p is None:
            with self.b.goto_entry_block():
                p = self.b.bitcast(self.bufs[buf], T.storage(dtype).as_pointer())
            self.typed[key] = p
        return p

    def load(self, acc: Access, idx):
        off = offset(self.b, idx, acc.dstrides, acc.base)
        return T.load(self.b, self.b.gep(self.ptr(acc.buf, acc.dtype), [off], inbounds=True), acc.dtype)

    def store(self, buf, dtype, strides, idx, value):
        off = offset(self.b, idx, strides)
        self.b.store(T.to_storage(self.b, value, dtype),
                     self.b.gep(self.ptr(buf, dtype), [off], inbounds=True))

    # -- value evaluation -----------------------------------------------------------------
    def accesses(self, domain):
        """Access descriptors for every parameter and view value, for a given domain."""
        acc = {}
        for p in self.region.params:
            acc[id(p)] = Access(self.param_index[id(p)], p.type.dtype, p.type.shape,
                                contiguous_strides(p.type.shape), 0, domain)
        for vid, (root, chain) in self.info.views.items():
            shape, strides, base = view_layout(root.type.shape, chain)
            acc[vid] = Access(self.param_index[id(root)], chain[-1].result.type.dtype, shape, strides,
                              base, domain)
        return acc

    def eval(self, v, idx, env, acc, domain):
        """The value of v at domain index idx (list of i64 values, len(domain)). Values are
        computed bottom-up, operands first and in order, without recursion (a long Python loop
        unrolled while tracing makes chains thousands of ops deep)."""
        key = id(v)
        if key not in env:
            for u in pending_in_order(v, lambda k: k in env, self.defs,
                                      lambda op: op.opdef.has(REDUCTION) or id(op.results[0]) in acc):
                env[id(u)] = self._eval_one(u, idx, env, acc, domain)
        return env[key]

    def _eval_one(self, v, idx, env, acc, domain):
        """v's value, its operands' already in env (or loaded from acc)."""
        key = id(v)
        if key in acc:
            return self.load(acc[key], idx)
        op = self.defs[key]
        n = op.name
        if n == "constant":
            r = T.const(v.type.dtype, np.asarray(op.attrs["value"]).reshape(()))
        elif n == "iota":
            shape = v.type.shape
            axis = op.attrs["axis"]
            d = len(domain) - len(shape) + axis
            i = idx[d] if shape[axis] != 1 and idx[d] is not None else ir.Constant(T.I64, 0)
            r = astype(self.cg, i, np.int64, v.type.dtype)
        elif n == "reshape":   # unit-leading reshape keeps right alignment
            r = self.eval(op.operands[0], idx, env, acc, domain)
        elif n == "broadcast_to":
            r = self.eval(op.operands[0], idx, env, acc, domain)
        elif n == "astype":
            x = self.eval(op.operands[0], idx, env, acc, domain)
            r = astype(self.cg, x, op.operands[0].type.dtype, op.attrs["dtype"])
        elif op.opdef.has(REDUCTION):
            raise AssertionError(f"reduction {n} evaluated before its loop")
        else:
            args = [self.eval(x, idx, env, acc, domain) for x in op.operands]
            dts = [x.type.dtype for x in op.operands]
            if n in MIXED_COMPARE and len(set(dts)) == 2:
                r = mixed_compare(self.cg, n, args, dts)
            else:
                r = LOWER[n](self.cg, args, dts[-1], v.type.dtype)
                if v.type.dtype == np.float16:
                    r = round_half(self.b, r)
        return r

    # -- map kernels ------------------------------------------------------------------------
    def _map(self, lo, hi):
        domain = self.info.domain
        acc = self.accesses(domain)
        outs = [self.info.source(r) for r in self.region.results]
        out_strides = contiguous_strides(domain)
        has_iota = any(op.name == "iota" for op in self.region.ops)
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

    # -- reduce kernels ---------------------------------------------------------------------
    def _reduce(self, lo, hi):
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
            # unravel the outer index into kept coordinates
            coords = [None] * len(domain)
            rem = k
            for d, ext in zip(reversed(kept), reversed(kept_ext)):
                e = ir.Constant(T.I64, ext)
                coords[d] = b.urem(rem, e) if ext > 1 else ir.Constant(T.I64, 0)
                rem = b.udiv(rem, e) if ext > 1 else rem
            for d in red:
                coords[d] = ir.Constant(T.I64, 0)
            env = {}     # reduced (per-row) values
            for p in range(info.num_phases):
                mine = [op for op in reductions if info.phase[id(op.result)] == p + 1]
                vary_outs = [(k_, r, s) for k_, r, s in outs if info.varies.get(id(s)) and info.phase[id(s)] == p]
                accs = [self._acc_init(op) for op in mine]

                def inner(ridx, mine=mine, accs=accs, vary_outs=vary_outs):
                    idx = list(coords)
                    for d, i in zip(red, ridx):
                        idx[d] = i
                    loop_env = dict(env)
                    for op, a in zip(mine, accs):
                        x = self.eval(op.operands[0], idx, loop_env, acc, domain)
                        self._acc_update(op, a, x, idx, red)
                    for k_, r, s in vary_outs:
                        val = self.eval(s, idx, loop_env, acc, domain)
                        self.store(nparams + k_, r.type.dtype, dom_strides, idx, val)

                if mine and len(red_ext) >= 1 and any(self._blocked(op) for op in mine):
                    self._blocked_nest(red_ext, inner, mine, accs)
                else:
                    nest(b, red_ext, inner, prefix=f"r{p}_")
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
        if n in ("sum", "prod"):
            if at.kind == "f":
                r = b.fadd(cur, x) if n == "sum" else b.fmul(cur, x)
                if reassoc:
                    r.flags.extend(["reassoc", "nsz"])
                return r
            if at.kind == "b":
                return b.or_(cur, x) if n == "sum" else b.and_(cur, x)
            return b.add(cur, x) if n == "sum" else b.mul(cur, x)
        if n in ("max", "min"):
            if at.kind == "f":
                # nnan lets LLVM vectorise the max; NaNs are tracked by a separate flag and the
                # final select returns NaN whenever one was seen, as NumPy does
                return self.cg.intrinsic("llvm.maxnum" if n == "max" else "llvm.minnum", [cur, x],
                                         fastmath=("nnan", "nsz"))
            if at.kind == "b":
                return b.or_(cur, x) if n == "max" else b.and_(cur, x)
            cmp = b.icmp_signed if at.kind == "i" else b.icmp_unsigned
            return b.select(cmp(">" if n == "max" else "<", x, cur), x, cur)
        if n == "any":
            return b.or_(cur, x)
        if n == "all":
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
            for op, a in zip(reds, accs):
                if "block" in a:
                    b.store(ir.Constant(a["block"].type.pointee, 0.0), a["block"])
            s0 = b.add(start, b.mul(bi, ir.Constant(T.I64, block)))
            e0 = b.add(s0, ir.Constant(T.I64, block))
            e0 = b.select(b.icmp_signed("<", e0, end), e0, end)
            for_range(b, s0, e0, body, "bl")
            self._flush_blocks(reds, accs)
        for_range(b, 0, nblocks, blk, "bln")

    def _acc_type(self, op):
        dt = op.operands[0].type.dtype
        if op.name in ("sum", "prod") and dt.kind == "f" and dt.itemsize <= 4:
            return np.dtype(np.float64)
        return dt

    def _blocked(self, op):
        return op.name == "sum" and op.operands[0].type.dtype.kind == "f"

    def _acc_init(self, op):
        b = self.b
        n = op.name
        dt = op.operands[0].type.dtype
        slots = {}
        if n in ("argmax", "argmin"):
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
        if n in ("max", "min") and dt.kind == "f":
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
        if n in ("argmax", "argmin"):
            flat = offset(b, [idx[d] for d in red], contiguous_strides([op.operands[0].type.shape[d] for d in red]))
            best = b.load(slots["val"])
            first = b.load(slots["first"])
            if dt.kind == "f":
                better = b.fcmp_ordered(">" if n == "argmax" else "<", x, best)
                isn = b.fcmp_unordered("uno", x, x)
                best_nan = b.fcmp_unordered("uno", best, best)
                better = b.and_(b.or_(better, isn), b.not_(best_nan))
            elif dt.kind == "b":
                better = b.and_(x, b.not_(best)) if n == "argmax" else b.and_(b.not_(x), best)
            else:
                cmp = b.icmp_signed if dt.kind == "i" else b.icmp_unsigned
                better = cmp(">" if n == "argmax" else "<", x, best)
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
        if n in ("max", "min") and at.kind == "f":
            b.store(b.or_(b.load(slots["nan"]), b.fcmp_unordered("uno", x, x)), slots["nan"])
        r = self._combine(n, at, cur, x, reassoc=True)
        b.store(r, target)

    def _blocked_nest(self, red_ext, inner, mine, accs, block=512):
        """Innermost reduced dim in blocks: reassociated sums inside, folded across blocks."""
        b = self.b
        outer_ext, last = red_ext[:-1], red_ext[-1]

        def over_outer(oidx):
            self._blocked_range(ir.Constant(T.I64, 0), ir.Constant(T.I64, last),
                                lambda i: inner(oidx + [i]), mine, accs, block)
        nest(b, outer_ext, over_outer, prefix="ro")

    def _acc_final(self, op, slots):
        b = self.b
        n = op.name
        dt = op.result.type.dtype
        if n in ("argmax", "argmin"):
            return b.load(slots["idx"])
        v = b.load(slots["val"])
        at = self._acc_type(op)
        if at != dt:
            v = astype(self.cg, v, at, dt)
        if "nan" in slots:
            v = b.select(b.load(slots["nan"]), ir.Constant(v.type, float("nan")), v)
        return v

    # -- matmul kernels -------------------------------------------------------------------------
    def _mm_setup(self):
        info = self.info
        mm = next(op for op in self.region.ops if op.name == "matmul")
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

    def _matmul_entry(self):
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
                        a = self.eval(a_v, bcoords + [b.add(i0, ir.Constant(T.I64, r)), k], {}, a_acc, a_space)
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
                        self.store(nparams + k_, r.type.dtype, out_strides, idx, self.eval(s_, idx, env, acc, domain))
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

    # -- copy kernels (concatenate) ---------------------------------------------------------------
    def _copy(self, lo, hi):
        (op,) = [o for o in self.region.ops if o.name == "concatenate"]
        out = op.result
        axis = op.attrs["axis"]
        nparams = len(self.region.params)
        start = 0
        dom_strides = contiguous_strides(out.type.shape)
        for v in op.operands:
            shape = v.type.shape
            if 0 in shape:
                continue
            acc = self.accesses(shape)
            st = start

            def body(idx, acc=acc, st=st, v=v, shape=shape):
                oidx = list(idx)
                oidx[axis] = self.b.add(idx[axis], ir.Constant(T.I64, st))
                self.store(nparams, out.type.dtype, dom_strides, oidx, self.eval(v, idx, {}, acc, shape))

            def outer(i, shape=shape, body=body):
                nest(self.b, shape[1:], lambda rest: body([i] + rest))
            for_range(self.b, lo, hi, outer, "c") if axis != 0 else \
                for_range(self.b, 0, shape[0], outer, "c")
            start += shape[axis]
        n_outer = out.type.shape[0] if axis != 0 else 1
        return n_outer, max(1, out.type.size // max(n_outer, 1))
