"""Inverse trigonometric functions: arcsin, arccos, arctan, arctan2.

arcsin / arccos: an odd polynomial for ``|x| <= 1/2``, else
``pi/2 - 2 asin(sqrt((1-|x|)/2))`` in double-word arithmetic. arctan /
arctan2: tan-addition formulas around 0, 1/2, 1, 3/2 and inf.
"""
from __future__ import annotations

from fractions import Fraction

from .coefficients import DEC, split_constant
from .emitter import Emitter


def f_arcsin(E: Emitter, x):
    ax = E.abs(x)
    z1 = E.mul(ax, ax)
    y1 = E.fma(E.mul(ax, z1), E.poly(z1, E.coef("asin")), ax)
    # |x| > 1/2: asin = pi/2 - 2 asin(sqrt((1-|x|)/2))
    z2 = E.mul(E.sub(1.0, ax), 0.5)
    s = E.sqrt(z2)
    s_lo = E.div(E.fma(E.neg(s), s, z2), E.add(s, s))
    s_lo = E.sel(E.eq(s, 0.0), 0.0, s_lo)
    t = E.mul(E.mul(s, z2), E.poly(z2, E.coef("asin")))
    pio2_hi, pio2_lo = split_constant(Fraction(DEC["PI"]) / 2, E.tag)
    s2 = E.add(s, s)
    hi = E.sub(pio2_hi, s2)
    lo = E.sub(E.sub(pio2_hi, hi), s2)
    y2 = E.add(hi, E.add(lo, E.sub(pio2_lo, E.mul(E.add(s_lo, t), 2.0))))
    y = E.sel(E.le(ax, 0.5), y1, y2)
    return E.copysign(y, x)


def f_arccos(E: Emitter, x):
    ax = E.abs(x)
    pio2_hi, pio2_lo = split_constant(Fraction(DEC["PI"]) / 2, E.tag)
    pi_hi, pi_lo = split_constant(Fraction(DEC["PI"]), E.tag)
    z1 = E.mul(x, x)
    a = E.mul(E.mul(x, z1), E.poly(z1, E.coef("asin")))
    y1 = E.sub(pio2_hi, E.add(x, E.sub(a, pio2_lo)))
    z2 = E.mul(E.sub(1.0, ax), 0.5)
    s = E.sqrt(z2)
    s_lo = E.div(E.fma(E.neg(s), s, z2), E.add(s, s))
    s_lo = E.sel(E.eq(s, 0.0), 0.0, s_lo)
    t = E.mul(E.mul(s, z2), E.poly(z2, E.coef("asin")))
    tail = E.add(s_lo, t)
    y2 = E.mul(E.add(s, tail), 2.0)  # x > 1/2
    s2 = E.add(s, s)
    hi = E.sub(pi_hi, s2)
    lo = E.sub(E.sub(pi_hi, hi), s2)
    y3 = E.add(hi, E.add(lo, E.sub(pi_lo, E.mul(tail, 2.0))))  # x < -1/2
    y = E.sel(E.le(ax, 0.5), y1, E.sel(E.gt(x, 0.0), y2, y3))
    return y


def _atan_core(E: Emitter, ay, ax):
    """atan(ay/ax) in [0, pi/2] for ay, ax >= 0 (not both 0 or both inf)."""
    big = E.gt(ay, E.mul(ax, 39.0 / 16.0))
    c15 = E.gt(ay, E.mul(ax, 19.0 / 16.0))
    c10 = E.gt(ay, E.mul(ax, 11.0 / 16.0))
    c05 = E.gt(ay, E.mul(ax, 7.0 / 16.0))
    c = E.sel(c15, 1.5, E.sel(c10, 1.0, 0.5))
    num = E.sel(big, E.neg(ax), E.sel(c05, E.fma(E.neg(c), ax, ay), ay))
    den = E.sel(big, ay, E.sel(c05, E.fma(c, ay, ax), ax))
    u = E.div(num, den)
    pio2 = split_constant(Fraction(DEC["PI"]) / 2, E.tag)
    pio4 = split_constant(Fraction(DEC["PI"]) / 4, E.tag)
    at15 = E.split("ATAN_3HALF")
    at05 = E.split("ATAN_HALF")

    def pick(i):
        return E.sel(big, pio2[i], E.sel(c15, at15[i], E.sel(c10, pio4[i], E.sel(c05, at05[i], 0.0))))

    off_hi, off_lo = pick(0), pick(1)
    z = E.mul(u, u)
    p = E.mul(E.mul(u, z), E.poly(z, E.coef("atan")))
    return E.add(off_hi, E.add(u, E.add(p, off_lo)))


def f_arctan(E: Emitter, x):
    a = _atan_core(E, E.abs(x), E.k(1.0))
    return E.copysign(a, x)


def f_arctan2(E: Emitter, y, x):
    ay, ax, _ = E.scale_pair(E.abs(y), E.abs(x))
    a = _atan_core(E, ay, ax)
    a = E.sel(E.eq(ay, 0.0), 0.0, a)
    a = E.sel(E.and_(E.isinf(ay), E.isinf(ax)), split_constant(Fraction(DEC["PI"]) / 4, E.tag)[0], a)
    pi_hi, pi_lo = split_constant(Fraction(DEC["PI"]), E.tag)
    a = E.sel(E.signbit(x), E.add(E.sub(pi_hi, a), pi_lo), a)
    r = E.copysign(a, y)
    return E.sel(E.or_(E.isnan(x), E.isnan(y)), E.add(x, y), r)
