"""What every CPU kernel kind shares: the kernel ABI, buffer access and value evaluation.

Every kernel has the ABI ``void name(i8** bufs, i64 lo, i64 hi)``: ``bufs``
holds the region's parameters then its outputs (contiguous C-order buffers),
and ``[lo, hi)`` is the slice of the kernel's *outer* iterations this call
runs, so the runtime can split a kernel across threads. The body lives in
``name.body`` whose buffer arguments are ``noalias`` (the buffer plan never
lets an input share memory with an output), which lets LLVM vectorise without
runtime alias checks; the ABI wrapper is inlined into nothing but a call.

:class:`KernelGen` is the base of the kernel kinds (:mod:`.map_kernel`,
:mod:`.reduce_kernel`, :mod:`.matmul_kernel`, :mod:`.copy_kernel`): it opens
and closes kernel functions (``_begin`` / ``_end``), loads and stores region
values, and evaluates a region value at an index of a domain (``eval``).
:class:`Cg` is the per-function helper handed to the elementwise lowerings
(:mod:`.elementwise`); it routes transcendentals to :mod:`.vecmath`.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from ...ir.kernel import (
    KernelInfo,
    analyze,
    contiguous_strides,
    domain_strides,
    pending_in_order,
    view_layout,
)
from ...ir.opdef import REDUCTION
from ...ir.opnames import ASTYPE, BROADCAST_TO, CONSTANT, GATHER, IOTA, REMAINDER, RESHAPE
from . import types as T
from . import vecmath
from .elementwise import LOWER, MIXED_COMPARE, astype, mixed_compare, round_half
from .gather_eval import eval_gather
from .loops import alloca_at_entry, offset


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
        # "an argument was out of short range" into it (see MapKernel._range_checked).
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
        fix = b.and_(mod_nz, b.icmp_unsigned("!=", b.fcmp_ordered("<", c, zero),
                                             b.fcmp_ordered("<", mod, zero)))
        mod2 = b.select(fix, b.fadd(mod, c),
                        b.select(mod_nz, mod, self.intrinsic("llvm.copysign", [zero, c])))
        div = b.select(fix, b.fsub(div, one), div)
        if name == REMAINDER:
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
    """One ``fused`` region -> its LLVM kernel function(s). Subclasses implement ``body(lo, hi)``
    (one function over the outer iterations ``[lo, hi)``) or override ``emit``."""

    def __init__(self, module: ir.Module, region, name: str, info: KernelInfo | None = None):
        self.module, self.region, self.name = module, region, name
        self.info: KernelInfo = analyze(region) if info is None else info
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
        self.emit()
        return self.launches, self.scratch_bytes

    def emit(self):
        """The kernel's functions; by default one, running ``body`` over ``[lo, hi)``."""
        lo, hi = self._begin("")
        n_outer, work = self.body(lo, hi)
        self._end(n_outer, work)

    def body(self, lo, hi):
        """Emit the loops over outer iterations [lo, hi); returns (number of outer iterations,
        work per outer iteration)."""
        raise NotImplementedError

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
                                      lambda op: op.opdef.has(REDUCTION) or op.name == GATHER
                                      or id(op.results[0]) in acc):
                env[id(u)] = self._eval_one(u, idx, env, acc, domain)
        return env[key]

    def _eval_one(self, v, idx, env, acc, domain):
        """v's value, its operands' already in env (or loaded from acc)."""
        key = id(v)
        if key in acc:
            return self.load(acc[key], idx)
        op = self.defs[key]
        n = op.name
        if n == CONSTANT:
            r = T.const(v.type.dtype, np.asarray(op.attrs["value"]).reshape(()))
        elif n == IOTA:
            shape = v.type.shape
            axis = op.attrs["axis"]
            d = len(domain) - len(shape) + axis
            i = idx[d] if shape[axis] != 1 and idx[d] is not None else ir.Constant(T.I64, 0)
            r = astype(self.cg, i, np.int64, v.type.dtype)
        elif n == RESHAPE:   # unit-leading reshape keeps right alignment
            r = self.eval(op.operands[0], idx, env, acc, domain)
        elif n == BROADCAST_TO:
            r = self.eval(op.operands[0], idx, env, acc, domain)
        elif n == ASTYPE:
            x = self.eval(op.operands[0], idx, env, acc, domain)
            r = astype(self.cg, x, op.operands[0].type.dtype, op.attrs["dtype"])
        elif n == GATHER:       # an indirect load (index evaluated over its own shape)
            r = eval_gather(self, op, idx, domain)
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
