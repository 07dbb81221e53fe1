"""LLVM rules of the integer and floating-point bit functions, part of the CPU column of the op
table (:mod:`.elementwise` adds ``RULES`` to its table): ``fmod`` (C's, the sign of the
dividend), ``gcd``/``lcm`` (NumPy's Euclid loop on the magnitudes as unsigned values),
``ldexp`` (musl's scalbn: rounded once, exact also when 2**n alone overflows or underflows),
``nextafter``, ``frexp_exponent`` and ``bitwise_count``. Each matches NumPy bit for bit;
float16 operands arrive in float32 (the compute type) and are rounded to float16 by the kernel.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from . import types as T
from .loops import alloca_at_entry


def _f(dt):
    return np.dtype(dt).kind == "f"


def _signed(dt):
    return np.dtype(dt).kind == "i"


def _fmod(cg, a, dt, out):
    """C's fmod (the sign of the dividend): LLVM's frem for floats; integers as NumPy (x % 0 and
    MIN % -1 give 0)."""
    b = cg.b
    x, y = a
    if _f(dt):
        return b.frem(x, y)
    t = x.type
    bad = b.icmp_signed("==", y, ir.Constant(t, 0))
    if _signed(dt):
        mn = ir.Constant(t, 1 << (t.width - 1))
        bad = b.or_(bad, b.and_(b.icmp_signed("==", x, mn), b.icmp_signed("==", y, ir.Constant(t, -1))))
    ys = b.select(bad, ir.Constant(t, 1), y)
    r = b.srem(x, ys) if _signed(dt) else b.urem(x, ys)
    return b.select(bad, ir.Constant(t, 0), r)


def _magnitude(cg, x, dt):
    """|x| as the unsigned value of the same width (NumPy's ``a < 0 ? -a : a`` then unsigned)."""
    if not _signed(dt):
        return x
    b = cg.b
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


def _euclid(cg, x, y):
    """gcd of two unsigned values (Euclid's loop, NumPy's npy_gcdu)."""
    b = cg.b
    t = x.type
    a_slot, b_slot = alloca_at_entry(b, t), alloca_at_entry(b, t)
    b.store(x, a_slot)
    b.store(y, b_slot)
    head, body, done = (b.append_basic_block(f"gcd.{n}") for n in ("head", "body", "done"))
    b.branch(head)
    b.position_at_end(head)
    b.cbranch(b.icmp_unsigned("!=", b.load(a_slot), ir.Constant(t, 0)), body, done)
    b.position_at_end(body)
    av, bv = b.load(a_slot), b.load(b_slot)
    b.store(b.urem(bv, av), a_slot)
    b.store(av, b_slot)
    b.branch(head)
    b.position_at_end(done)
    return b.load(b_slot)


def _gcd(cg, a, dt, out):
    return _euclid(cg, *(_magnitude(cg, v, dt) for v in a))


def _lcm(cg, a, dt, out):
    b = cg.b
    x, y = (_magnitude(cg, v, dt) for v in a)
    g = _euclid(cg, x, y)
    zero = ir.Constant(x.type, 0)
    is_zero = b.icmp_unsigned("==", g, zero)
    return b.select(is_zero, zero, b.mul(b.udiv(x, b.select(is_zero, ir.Constant(x.type, 1), g)), y))


def _float_facts(ty):
    """(int type of the bits, mantissa bits, exponent bias, min exponent, precision) of a compute type."""
    return (T.I64, 52, 1023, -1022, 53) if ty == T.F64 else (T.I32, 23, 127, -126, 24)


def _pow2(cg, n, ty):
    """2.0**n for n (an int of ``n.type``) in the normal exponent range of ``ty``."""
    b = cg.b
    ity, mbits, bias, _, _ = _float_facts(ty)
    n = b.sext(n, ity) if n.type.width < ity.width else b.trunc(n, ity) if n.type.width > ity.width else n
    return b.bitcast(b.shl(b.add(n, ir.Constant(ity, bias)), ir.Constant(ity, mbits)), ty)


def _ldexp(cg, a, dt, out):
    """x * 2**n rounded once (musl's scalbn): up to two exact scalings toward the range, then one
    multiplication by a normal power of two (downward steps keep 2**prec in hand, so a subnormal
    result is rounded only by the last multiplication). float16 computes in float32 exactly."""
    b = cg.b
    x, n = a
    ty = x.type
    _, _, emax, emin, prec = _float_facts(ty)       # the bias is the largest exponent
    i64 = T.I64
    n = b.sext(n, i64) if n.type.width < 64 else n
    lim = ir.Constant(i64, 3000)
    n = b.select(b.icmp_signed(">", n, lim), lim, n)
    n = b.select(b.icmp_signed("<", n, b.neg(lim)), b.neg(lim), n)
    up, down = emax, emin + prec       # the steps: 2**emax, 2**(emin + prec)
    for _ in range(2):
        big = b.icmp_signed(">", n, ir.Constant(i64, emax))
        x = b.select(big, b.fmul(x, ir.Constant(ty, 2.0 ** up)), x)
        n = b.select(big, b.sub(n, ir.Constant(i64, up)), n)
        small = b.icmp_signed("<", n, ir.Constant(i64, emin))
        x = b.select(small, b.fmul(x, ir.Constant(ty, 2.0 ** down)), x)
        n = b.select(small, b.sub(n, ir.Constant(i64, down)), n)
    n = b.select(b.icmp_signed(">", n, ir.Constant(i64, emax)), ir.Constant(i64, emax), n)
    n = b.select(b.icmp_signed("<", n, ir.Constant(i64, emin)), ir.Constant(i64, emin), n)
    return b.fmul(x, _pow2(cg, n, ty))


def _nextafter(cg, a, dt, out):
    """C's nextafter. float32/float64 step the bit pattern; float16 (held in float32) steps by
    its own ulp: 2**13 in float32's bits over float16's normal range, 2**-24 below it, and
    returns x when x == y (NumPy's npy_half_nextafter: nextafter(0, -0) is +0)."""
    b = cg.b
    x, y = a
    ty = x.type
    ity = _float_facts(ty)[0]
    half = np.dtype(dt) == np.float16
    zero = ir.Constant(ty, 0.0)
    up = b.fcmp_ordered("<", x, y)
    away = b.icmp_unsigned("==", up, b.fcmp_ordered(">", x, zero))
    bits = b.bitcast(x, ity)
    step = ir.Constant(ity, 1 << 13 if half else 1)
    stepped = b.bitcast(b.select(away, b.add(bits, step), b.sub(bits, step)), ty)
    tiny = 2.0 ** -24 if half else float(np.finfo(np.float32 if ty == T.F32 else np.float64)
                                         .smallest_subnormal)
    if half:
        ax = cg.intrinsic("llvm.fabs", [x])
        lo = 2.0 ** -14
        sub = b.or_(b.fcmp_ordered("<", ax, ir.Constant(ty, lo)),
                    b.and_(b.fcmp_ordered("==", ax, ir.Constant(ty, lo)), b.not_(away)))
        t = ir.Constant(ty, tiny)
        r = b.select(up, b.fadd(x, t), b.fsub(x, t))
        r = b.select(b.fcmp_ordered("==", r, zero), cg.intrinsic("llvm.copysign", [zero, x]), r)
        stepped = b.select(sub, r, stepped)
        big = cg.intrinsic("llvm.copysign", [ir.Constant(ty, 65504.0), x])     # inf -> float16's max
        stepped = b.select(b.fcmp_ordered("==", ax, ir.Constant(ty, float("inf"))), big, stepped)
    at_zero = cg.intrinsic("llvm.copysign", [ir.Constant(ty, tiny), y])
    r = b.select(b.fcmp_ordered("==", x, zero), at_zero, stepped)
    r = b.select(b.fcmp_ordered("==", x, y), x if half else y, r)     # npy_half_nextafter: x
    return b.select(b.fcmp_unordered("uno", x, y), b.fadd(x, y), r)


def _frexp_exponent(cg, a, dt, out):
    """frexp's exponent (int32): from the bits; subnormals scaled by 2**64 first; 0, inf, NaN -> 0."""
    b = cg.b
    x = a[0]
    ty = x.type
    ity, mbits, bias, _, _ = _float_facts(ty)
    ax = cg.intrinsic("llvm.fabs", [x])
    sub = b.fcmp_ordered("<", ax, ir.Constant(ty, 2.0 ** (1 - bias)))
    ax = b.select(sub, b.fmul(ax, ir.Constant(ty, 2.0 ** 64)), ax)
    field = b.lshr(b.bitcast(ax, ity), ir.Constant(ity, mbits))
    e = b.sub(field, b.select(sub, ir.Constant(ity, bias - 1 + 64), ir.Constant(ity, bias - 1)))
    e = b.trunc(e, T.I32) if ity != T.I32 else e
    special = b.or_(b.fcmp_unordered("==", x, ir.Constant(ty, 0.0)),
                    b.fcmp_unordered("==", cg.intrinsic("llvm.fabs", [x]), ir.Constant(ty, float("inf"))))
    return b.select(special, ir.Constant(T.I32, 0), e)


def _bitwise_count(cg, a, dt, out):
    """Set bits of |x| (NumPy counts the magnitude of signed integers), as uint8."""
    c = cg.intrinsic("llvm.ctpop", [_magnitude(cg, a[0], dt)])
    w = c.type.width
    return cg.b.trunc(c, T.I8) if w > 8 else c


RULES = {"fmod": _fmod, "gcd": _gcd, "lcm": _lcm, "ldexp": _ldexp, "nextafter": _nextafter,
         "frexp_exponent": _frexp_exponent, "bitwise_count": _bitwise_count}
