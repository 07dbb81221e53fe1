"""LLVM lowering of every elementwise op: the CPU column of the op table.

``LOWER[name](cg, args, in_dtype, out_dtype) -> llvm value`` (the rule contract
of :mod:`xlaish.ir.lowering`). Operands arrive
already in the loop dtype (see :mod:`xlaish.ir.ops.elementwise`), in compute
types (:mod:`.types`). Integer semantics follow NumPy exactly where C would be
undefined: division by zero gives 0, ``MIN // -1`` wraps, shifts by at least
the bit width give 0 (or -1 for negative right shifts). Transcendentals call
the branch-free, vectorisable functions of :mod:`.vecmath`, never libm.

Why the rules live here and not in the ``OpDef``: the IR must import without
llvmlite (fast ``import xlaish``, and AOT libraries load with no LLVM at all).
Each rule is registered with ``@RULES.op(name)`` next to its peers; rows of a
family (math-library ops, scaling ops) share one generic rule; importing this
module fails if an elementwise op of the registry has no rule, and attaches
each rule to its record (``OpDef.lower["cpu"]``). The NumPy semantics both
backends reproduce (mixed uint64/int64 comparisons, float -> int casts,
integer results where C is undefined) are decided in :mod:`xlaish.ir.policy`.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from ...ir import policy
from ...ir.groups import COMPARISONS
from ...ir.lowering import BackendRules
from ...ir.ops.elementwise import PREDICATES
from . import bitfuncs, halfsupport, rng
from . import types as T

RULES = BackendRules("cpu")


def _f(dt):
    return np.dtype(dt).kind == "f"


def _signed(dt):
    return np.dtype(dt).kind == "i"


def _bool(dt):
    return np.dtype(dt).kind == "b"


def _bits(dt):
    return np.dtype(dt).itemsize * 8


def _isnan(b, x):
    return b.fcmp_unordered("uno", x, x)


# ---- arithmetic ---------------------------------------------------------------------
def _add(cg, a, dt, out):
    b = cg.b
    if _bool(dt):
        return b.or_(*a)
    return b.fadd(*a) if _f(dt) else b.add(*a)


def _sub(cg, a, dt, out):
    return cg.b.fsub(*a) if _f(dt) else cg.b.sub(*a)


def _mul(cg, a, dt, out):
    b = cg.b
    if _bool(dt):
        return b.and_(*a)
    return b.fmul(*a) if _f(dt) else b.mul(*a)


def _div(cg, a, dt, out):
    return cg.b.fdiv(*a)


def _int_div_parts(cg, x, y, dt):
    """(safe divisor, is_zero, is_overflow) for C-safe integer division."""
    b = cg.b
    t = x.type
    zero, one = ir.Constant(t, 0), ir.Constant(t, 1)
    is_zero = b.icmp_signed("==", y, zero)
    bad = is_zero
    ovf = ir.Constant(T.I1, 0)
    if _signed(dt):
        mn = ir.Constant(t, 1 << (_bits(dt) - 1))
        ovf = b.and_(b.icmp_signed("==", x, mn), b.icmp_signed("==", y, ir.Constant(t, -1)))
        bad = b.or_(bad, ovf)
    return b.select(bad, one, y), is_zero, ovf


def _floor_divide(cg, a, dt, out):
    b = cg.b
    x, y = a
    if _f(dt):
        return cg.call_math("floor_divide", [x, y])
    if _bool(dt):
        return b.and_(x, y)
    ys, is_zero, ovf = _int_div_parts(cg, x, y, dt)
    t = x.type
    zero = ir.Constant(t, 0)
    if _signed(dt):
        q = b.sdiv(x, ys)
        r = b.srem(x, ys)
        adjust = b.and_(b.icmp_signed("!=", r, zero),
                        b.icmp_signed("!=", b.icmp_signed("<", r, zero), b.icmp_signed("<", ys, zero)))
        q = b.select(adjust, b.sub(q, ir.Constant(t, 1)), q)
        q = b.select(ovf, x, q)       # MIN // -1 wraps to MIN as in NumPy
    else:
        q = b.udiv(x, ys)
    return b.select(is_zero, zero, q)


def _remainder(cg, a, dt, out):
    b = cg.b
    x, y = a
    if _f(dt):
        return cg.call_math("remainder", [x, y])
    ys, is_zero, ovf = _int_div_parts(cg, x, y, dt)
    t = x.type
    zero = ir.Constant(t, 0)
    if _signed(dt):
        r = b.srem(x, ys)
        adjust = b.and_(b.icmp_signed("!=", r, zero),
                        b.icmp_signed("!=", b.icmp_signed("<", r, zero), b.icmp_signed("<", ys, zero)))
        r = b.select(adjust, b.add(r, ys), r)
        r = b.select(ovf, zero, r)
    else:
        r = b.urem(x, ys)
    return b.select(is_zero, zero, r)


def _power(cg, a, dt, out):
    if _f(dt):
        return cg.call_math("power", a)
    return cg.int_power(a[0], a[1], dt)


def _maximum(cg, a, dt, out, is_max=True):
    b = cg.b
    x, y = a
    if _f(dt):
        r = b.select(b.fcmp_ordered(">=" if is_max else "<=", x, y), x, y)
        return b.select(_isnan(b, x), x, r)
    if _bool(dt):
        return b.or_(x, y) if is_max else b.and_(x, y)
    cmp = b.icmp_signed if _signed(dt) else b.icmp_unsigned
    return b.select(cmp(">=" if is_max else "<=", x, y), x, y)


def _fmax(cg, a, dt, out, is_max=True):
    if _f(dt):
        return cg.intrinsic("llvm.maxnum" if is_max else "llvm.minnum", a)
    return _maximum(cg, a, dt, out, is_max)


def _copysign(cg, a, dt, out):
    return cg.intrinsic("llvm.copysign", a)


# ---- unary --------------------------------------------------------------------------
def _negative(cg, a, dt, out):
    return cg.b.fneg(a[0]) if _f(dt) else cg.b.neg(a[0])


def _abs(cg, a, dt, out):
    b = cg.b
    x = a[0]
    if _f(dt):
        return cg.intrinsic("llvm.fabs", [x])
    if _bool(dt) or not _signed(dt):
        return x
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


def _sign(cg, a, dt, out):
    b = cg.b
    x = a[0]
    t = x.type
    if _f(dt):
        one = ir.Constant(t, 1.0)
        r = b.select(b.fcmp_ordered(">", x, ir.Constant(t, 0.0)), one, x)
        r = b.select(b.fcmp_ordered("<", x, ir.Constant(t, 0.0)), ir.Constant(t, -1.0), r)
        return b.select(b.fcmp_ordered("==", x, ir.Constant(t, 0.0)), ir.Constant(t, 0.0), r)
    zero = ir.Constant(t, 0)
    if _signed(dt):
        pos = b.zext(b.icmp_signed(">", x, zero), t)
        neg = b.zext(b.icmp_signed("<", x, zero), t)
        return b.sub(pos, neg)
    return b.zext(b.icmp_unsigned(">", x, zero), t)


def _square(cg, a, dt, out):
    return _mul(cg, [a[0], a[0]], dt, out)


def _reciprocal(cg, a, dt, out):
    b = cg.b
    x = a[0]
    if _f(dt):
        return b.fdiv(ir.Constant(x.type, 1.0), x)
    # NumPy's integer reciprocal is 1 // x in C: 1 for 1, -1 for -1, else 0 (0 for x == 0)
    t = x.type
    one = ir.Constant(t, 1)
    r = b.select(b.icmp_signed("==", x, one), one, ir.Constant(t, 0))
    if _signed(dt):
        r = b.select(b.icmp_signed("==", x, ir.Constant(t, -1)), ir.Constant(t, -1), r)
    return r


def _rounding(intr):
    def f(cg, a, dt, out):
        if _f(dt):
            return cg.intrinsic(intr, a)
        return a[0]
    return f


def _isnan_op(cg, a, dt, out):
    return _isnan(cg.b, a[0]) if _f(dt) else ir.Constant(T.I1, 0)


def _isinf(cg, a, dt, out):
    if not _f(dt):
        return ir.Constant(T.I1, 0)
    ax = cg.intrinsic("llvm.fabs", a)
    return cg.b.fcmp_ordered("==", ax, ir.Constant(ax.type, float("inf")))


def _isfinite(cg, a, dt, out):
    if not _f(dt):
        return ir.Constant(T.I1, 1)
    ax = cg.intrinsic("llvm.fabs", a)
    return cg.b.fcmp_ordered("<", ax, ir.Constant(ax.type, float("inf")))


def _truth(cg, x, dt):
    b = cg.b
    if _bool(dt):
        return x
    if _f(dt):
        return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
    return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))


def _logical_not(cg, a, dt, out):
    return cg.b.not_(_truth(cg, a[0], dt))


def _logical(op):
    def f(cg, a, dt, out):
        x, y = (_truth(cg, v, dt) for v in a)
        return getattr(cg.b, op)(x, y)
    return f


def _bitwise(op):
    def f(cg, a, dt, out):
        return getattr(cg.b, op)(*a)
    return f


def _invert(cg, a, dt, out):
    return cg.b.not_(a[0])


def _shift(left):
    def f(cg, a, dt, out):
        b = cg.b
        x, y = a
        t = x.type
        bits = ir.Constant(t, _bits(dt))
        in_range = b.icmp_unsigned("<", y, bits)
        ys = b.select(in_range, y, ir.Constant(t, 0))
        if left:
            return b.select(in_range, b.shl(x, ys), ir.Constant(t, 0))
        if _signed(dt):
            fill = b.select(b.icmp_signed("<", x, ir.Constant(t, 0)), ir.Constant(t, -1), ir.Constant(t, 0))
            return b.select(in_range, b.ashr(x, ys), fill)
        return b.select(in_range, b.lshr(x, ys), ir.Constant(t, 0))
    return f


def _compare(pred):
    fpred = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[pred]

    def f(cg, a, dt, out):
        b = cg.b
        x, y = a
        if _f(dt):
            if pred == "!=":
                return b.fcmp_unordered("!=", x, y)
            return b.fcmp_ordered(fpred, x, y)
        if _signed(dt):
            return b.icmp_signed(pred, x, y)
        return b.icmp_unsigned(pred, x, y)
    return f


def _math(name):
    def f(cg, a, dt, out):
        return cg.call_math(name, a)
    return f


def _sqrt(cg, a, dt, out):
    return cg.intrinsic("llvm.sqrt", a)


def _positive(cg, a, dt, out):
    return a[0]


def _select(cg, a, dt, out):
    return cg.b.select(*a)


def round_half(b, x):
    """A float (compute type of float16) rounded to the nearest float16 value: every float16
    result is rounded as it is produced, as NumPy rounds after each float16 operation."""
    return b.fpext(b.fptrunc(x, T.F16), T.F32)


def _cvtt(b, x, bits):
    """x86-64's truncating conversion (``cvttss2si`` / ``cvttsd2si``) to an i<bits>: NaN and
    out-of-range values give INT_MIN (LLVM's fptosi would give poison)."""
    ity = ir.IntType(bits)
    lo, hi = policy.cvtt_range(bits)     # lo exact for bits=32 (x in (-2**31-1, -2**31) is valid)
    lo_ok = b.fcmp_ordered(">", x, ir.Constant(x.type, lo)) if lo != -hi else \
        b.fcmp_ordered(">=", x, ir.Constant(x.type, -hi))
    ok = b.and_(lo_ok, b.fcmp_ordered("<", x, ir.Constant(x.type, hi)))
    v = b.fptosi(b.select(ok, x, ir.Constant(x.type, 0.0)), ity)
    return b.select(ok, v, ir.Constant(ity, policy.int_min(bits)))


def _float_to_int(b, x, src, dst):
    """float -> integer by :func:`xlaish.ir.policy.float_to_int_plan` (NumPy's x86-64 cast
    loops, where every input has a defined result)."""
    bits = dst.itemsize * 8
    plan = policy.float_to_int_plan(src, dst)
    if plan.kind == "cvtt":
        v = _cvtt(b, x, plan.bits)
        return v if plan.bits == bits else b.trunc(v, ir.IntType(bits))
    half = ir.Constant(x.type, 2.0 ** (bits - 1))
    big = b.fcmp_ordered(">=", x, half)
    v = _cvtt(b, b.select(big, b.fsub(x, half), x), bits)
    return b.select(big, b.xor(v, ir.Constant(v.type, policy.int_min(bits))), v)


def astype(cg, x, src, dst):
    """Convert a compute-type value from dtype src to dtype dst with NumPy's astype semantics."""
    b = cg.b
    src, dst = np.dtype(src), np.dtype(dst)
    st, dt_ = T.compute(src), T.compute(dst)
    if src == dst:
        return x
    if dst.kind == "b":
        return _truth(cg, x, src)
    if src.kind == "b":
        return b.uitofp(x, dt_) if dst.kind == "f" else b.zext(x, dt_)
    if src.kind == "f" and dst.kind == "f":
        if dst.itemsize == 2:       # to float16 (computed in float): round through half, once
            if st == T.F64:
                return b.fpext(halfsupport.double_to_half(b, x), T.F32)
            return round_half(b, x)
        if st == dt_:               # float16 values are already rounded
            return x
        return b.fpext(x, dt_) if dt_ == T.F64 else b.fptrunc(x, dt_)
    if src.kind == "f":
        return _float_to_int(b, x, src, dst)
    if dst.kind == "f":
        v = b.uitofp(x, dt_) if src.kind == "u" else b.sitofp(x, dt_)
        if dst.itemsize == 2:
            v = b.fpext(b.fptrunc(v, T.F16), T.F32)
        return v
    # int -> int
    if dst.itemsize == src.itemsize:
        return x
    if dst.itemsize < src.itemsize:
        return b.trunc(x, dt_)
    return b.sext(x, dt_) if src.kind == "i" else b.zext(x, dt_)


def _scale(row):
    def f(cg, a, dt, out):
        x = a[0]
        ct = np.float32 if np.dtype(dt).itemsize == 2 else dt     # float16 computes in float32
        return cg.b.fmul(x, ir.Constant(x.type, policy.scale_factor(row.scale, ct)))
    return f


def _signbit(cg, a, dt, out):
    x = a[0]
    bits = cg.b.bitcast(x, ir.IntType(64 if x.type == T.F64 else 32))   # float16 computes in float
    return cg.b.icmp_signed("<", bits, ir.Constant(bits.type, 0))


def _make_complex(cg, a, dt, out):
    """The (re, im) pair stored as one complex element (the lowering pass places it only where
    a complex value is written to memory; see xlaish.passes.complex)."""
    b = cg.b
    v = ir.Constant(T.storage(out), ir.Undefined)
    return b.insert_value(b.insert_value(v, a[0], 0), a[1], 1)


# ---- the table: one rule per op (the families below fill the rest) ---------------------------
for _name, _rule in {
    "add": _add, "subtract": _sub, "multiply": _mul, "divide": _div,
    "floor_divide": _floor_divide, "remainder": _remainder, "power": _power,
    "maximum": _maximum, "minimum": lambda cg, a, dt, out: _maximum(cg, a, dt, out, False),
    "fmax": _fmax, "fmin": lambda cg, a, dt, out: _fmax(cg, a, dt, out, False),
    "copysign": _copysign,
    "logical_and": _logical("and_"), "logical_or": _logical("or_"), "logical_xor": _logical("xor"),
    "bitwise_and": _bitwise("and_"), "bitwise_or": _bitwise("or_"), "bitwise_xor": _bitwise("xor"),
    "left_shift": _shift(True), "right_shift": _shift(False),
    "negative": _negative, "positive": _positive, "abs": _abs, "sign": _sign, "sqrt": _sqrt,
    "square": _square, "reciprocal": _reciprocal,
    "floor": _rounding("llvm.floor"), "ceil": _rounding("llvm.ceil"),
    "trunc": _rounding("llvm.trunc"), "rint": _rounding("llvm.roundeven"),
    "isnan": _isnan_op, "isinf": _isinf, "isfinite": _isfinite, "signbit": _signbit,
    "logical_not": _logical_not, "invert": _invert, "select": _select, "make_complex": _make_complex,
    **bitfuncs.RULES,     # fmod, gcd, lcm, ldexp, nextafter, frexp_exponent, bitwise_count
    **rng.RULES,          # threefry2x32
}.items():
    RULES.set(_name, _rule)
RULES.family(lambda row: row.compare is not None, lambda row: _compare(row.compare))
RULES.family(lambda row: row.math, lambda row: _math(row.name))      # vecmath, by op name
RULES.family(lambda row: row.scale is not None, _scale)
LOWER = RULES.finish()

MIXED_COMPARE = COMPARISONS       # kept for kernelgen; see mixed_compare


def mixed_compare(cg, name, args, dts):
    """NumPy's exact loops comparing uint64 with int64 (:func:`xlaish.ir.policy.mixed_compare_plan`):
    a negative int64 is below every uint64. (The pass pipeline splits such comparisons into
    uniform-dtype ops before code generation; this serves IR compiled without it.)"""
    b = cg.b
    x, y = args
    plan = policy.mixed_compare_plan(name, dts)
    if plan.swap:
        x, y = y, x
    neg = b.icmp_signed("<", y, ir.Constant(y.type, 0))
    same = b.icmp_unsigned(PREDICATES[plan.name], x, y)
    return b.select(neg, ir.Constant(T.I1, int(plan.when_negative)), same)
