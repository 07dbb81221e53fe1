"""sin, cos, tan.

Range reduction to ``|r| <= pi/4``: three-part Cody-Waite on pi/2 (FMA,
double-word remainder) below ``SHORT_RANGE_LIMIT``, table-driven Payne-Hanek
above (the only memory access of the library: a constant global of 2/pi
bits, read with vector gathers). tan is the quotient of double-word sin and
cos. float32 sin/cos have a native float32 version for moderate arguments
(``f_sin_f32``, ``f_cos_f32``).
"""
from __future__ import annotations

import functools
from fractions import Fraction

from llvmlite import ir

from .coefficients import DEC, TWO_OVER_PI_HEX, split_constant
from .emitter import Emitter

# Payne-Hanek table: for x = M * 2**E (M a 53-bit integer), row E holds
# (2**E * 2/pi) mod 4 as an unevaluated sum of 4 doubles.
_RP_EMIN = -20
_RP_EMAX = 972


@functools.cache
def _rempi_rows() -> tuple:
    big = int(TWO_OVER_PI_HEX, 16)
    fb = 4 * len(TWO_OVER_PI_HEX)
    vals = []
    for e in range(_RP_EMIN, _RP_EMAX + 1):
        if e >= 0:
            t = Fraction((big << e) % (4 << fb), 1 << fb)
        else:
            t = Fraction(big, 1 << (fb - e))
        for _ in range(4):
            c = float(t)
            vals.append(c)
            t -= Fraction(c)
    return tuple(vals)


def _rempi_table(E: Emitter):
    name = "xl.rempi.f64"
    g = E.m.globals.get(name)
    if g is None:
        vals = _rempi_rows()
        aty = ir.ArrayType(ir.DoubleType(), len(vals))
        g = ir.GlobalVariable(E.m, aty, name)
        g.linkage = "internal"
        g.global_constant = True
        g.unnamed_addr = True
        g.align = 64
        g.initializer = ir.Constant(aty, list(vals))
    return g


def _rempi(E: Emitter, x):
    """Payne-Hanek style reduction of |x| >= 2**32 (float64 only, table of
    2/pi bits, 4 gathers): returns (q_int, rh, rl) with x = q pi/2 + rh + rl.
    Garbage (but no poison) for smaller or non-finite x."""
    assert E.is64
    ax = E.abs(x)
    ib = E.bits(ax)
    e = E.isub(E.lshr(ib, E.mbits), E.bias + E.mbits)
    idx = E.isub(e, _RP_EMIN)
    nrows = _RP_EMAX - _RP_EMIN + 1
    idx = E.isel(E.icmp("<", idx, 0), 0, idx)
    idx = E.isel(E.icmp(">", idx, nrows - 1), nrows - 1, idx)
    base = E.shl(idx, 2)
    M = E.fbits(E.ior(E.iand(ib, (1 << E.mbits) - 1), (E.bias + E.mbits) << E.mbits))
    tab = _rempi_table(E)
    zero = ir.Constant(ir.IntType(64), 0)
    # float32 inputs (lite mode) have 24-bit M and need ~2**-60 absolute
    # accuracy: two table entries suffice.
    nt = 2 if E.lite else 4
    t = [E.b.load(E.b.gep(tab, [zero, E.iadd(base, j)], inbounds=True)) for j in range(nt)]
    a0h, a0l = E.two_prod(M, t[0])
    a1h, a1l = E.two_prod(M, t[1])

    n0 = E.rint(a0h)
    s = E.sub(a0h, n0)  # exact; |s| <= 1/2, 0 or >= ulp(a0h) > 2 |a0l|
    s, err = E.fast_two_sum(s, a0l)
    n1 = E.rint(s)
    s = E.sub(s, n1)
    s, e2 = E.two_sum(s, a1h)
    n2 = E.rint(s)
    s = E.sub(s, n2)
    if nt == 4:
        a2h, a2l = E.two_prod(M, t[2])
        a3 = E.mul(M, t[3])
        lo = E.add(E.add(E.add(E.add(a3, a2l), a2h), a1l), E.add(err, e2))
    else:
        lo = E.add(a1l, E.add(err, e2))
    s, lo = E.two_sum(s, lo)
    n0 = E.sub(n0, E.mul(E.floor(E.mul(n0, 0.25)), 4.0))  # n0 mod 4, exact
    qf = E.add(E.add(n0, n1), n2)
    pio2_hi, pio2_lo = split_constant(Fraction(DEC["PI"]) / 2, E.tag)
    rh, rl = E.two_prod(s, pio2_hi)
    rl = E.fma(s, pio2_lo, E.fma(lo, pio2_hi, rl))
    rh, rl = E.fast_two_sum(rh, rl)
    q = E.toint(qf)
    neg = E.signbit(x)
    q = E.isel(neg, E.isub(0, q), q)
    return q, E.sel(neg, E.neg(rh), rh), E.sel(neg, E.neg(rl), rl)


# sin/cos/tan come in two variants. The full one (``xl.sin.f32``) is exact
# everywhere: Cody-Waite below SHORT_RANGE_LIMIT, the Payne-Hanek reduction above,
# both computed for every element since the code is branch free -- the Payne-Hanek
# part (gathers plus ~40 flops) makes it ~3x slower.  The short-range one
# (``xl.sin.short.f32``, ``get(..., short_range=True)``) is Cody-Waite alone:
# the same results for |x| < SHORT_RANGE_LIMIT (and NaN, +-inf), unspecified beyond.
SHORT_RANGE_LIMIT = 2.0**32


# float32 sin/cos below F32_SINCOS_LIMIT are computed natively in float32 (16 lanes on
# AVX-512): three-part Cody-Waite with FMA (exact first step while q < 2**20) and float32
# polynomials.  Above it (and in no other case) the float64 algorithm runs; the full
# variant selects per element, so a value's result never depends on its neighbours.
F32_SINCOS_LIMIT = 2.0**17


def _sincos_f32(E: Emitter, x, name):
    """float32 sin or cos of x for |x| < F32_SINCOS_LIMIT (finite garbage beyond; NaN for
    NaN and +-inf)."""
    assert not E.is64
    p1, p2, p3 = split_constant(Fraction(DEC["PI"]) / 2, "f32", parts=3)
    qf = E.clamp(E.rint(E.mul(x, E.split("TWO_OVER_PI")[0])), -2.0**23, 2.0**23)
    nq = E.neg(qf)
    r = E.fma(nq, p3, E.fma(nq, p2, E.fma(nq, p1, x)))
    q = E.toint(qf)
    z = E.mul(r, r)
    s = E.fma(E.mul(r, z), E.poly(z, E.coef("sin")), r)
    c = E.fma(E.mul(z, z), E.poly(z, E.coef("cos")), E.fma(z, -0.5, 1.0))
    if name == "sin":
        odd, neg = E.iand(q, 1), E.iand(q, 2)
        v = E.sel(E.icmp("!=", odd, 0), c, s)
    else:
        odd, neg = E.iand(q, 1), E.iand(E.iadd(q, 1), 2)
        v = E.sel(E.icmp("!=", odd, 0), s, c)
    v = E.sel(E.icmp("!=", neg, 0), E.neg(v), v)
    if name == "sin":
        v = E.sel(E.lt(E.abs(x), 2.0**-13), x, v)
    return E.sel(E.isfinite(x), v, E.sub(x, x))


def _trig_reduce(E: Emitter, x):
    """x = q pi/2 + rh + rl with |rh| <~ pi/4.  Returns (q_int, rh, rl).

    Three-part Cody-Waite with FMA (first step exact), the rest in
    double-word arithmetic (rl is None in lite mode); Payne-Hanek for
    huge arguments (see ``_rempi``) unless ``E.short_range``.
    """
    q, rh, rl = _trig_reduce_cw(E, x)
    if not E.is64 or E.short_range:
        return q, rh, rl
    qp, rhp, rlp = _rempi(E, x)
    big = E.ge(E.abs(x), SHORT_RANGE_LIMIT)
    q = E.isel(big, qp, q)
    if rl is None:
        return q, E.sel(big, E.add(rhp, rlp), rh), None
    return q, E.sel(big, rhp, rh), E.sel(big, rlp, rl)


def _trig_reduce_cw(E: Emitter, x):
    p1, p2, p3 = split_constant(Fraction(DEC["PI"]) / 2, E.tag, parts=3)
    lim = 2.0**52 if E.is64 else 2.0**23
    qf = E.rint(E.mul(x, E.split("TWO_OVER_PI")[0]))
    qf = E.clamp(qf, -lim, lim)
    nq = E.neg(qf)
    r = E.fma(nq, p1, x)  # exact
    if E.lite:
        r = E.fma(nq, p2, r)
        r = E.fma(nq, p3, r)
        return E.toint(qf), r, None
    th, tl = E.two_prod(nq, p2)
    rh, e = E.two_sum(r, th)
    rl = E.add(e, E.fma(nq, p3, tl))
    rh, rl = E.fast_two_sum(rh, rl)
    return E.toint(qf), rh, rl


def _sin_dw(E: Emitter, r, rl):
    """sin(r + rl) = sh + sl (|r| <= pi/4)."""
    z = E.mul(r, r)
    t = E.mul(E.mul(r, z), E.poly(z, E.coef("sin")))
    if rl is not None:
        t = E.add(t, E.fma(E.mul(z, -0.5), rl, rl))
    return E.fast_two_sum(r, t)


def _cos_dw(E: Emitter, r, rl):
    """cos(r + rl) = ch + cl (|r| <= pi/4)."""
    z = E.mul(r, r)
    hz = E.mul(z, 0.5)
    w = E.sub(1.0, hz)
    corr = E.fma(E.mul(z, z), E.poly(z, E.coef("cos")), E.sub(E.sub(1.0, w), hz))
    if rl is not None:
        corr = E.fma(E.neg(r), rl, corr)
    return E.fast_two_sum(w, corr)


def _sincos_poly(E: Emitter, r, rl):
    sh, sl = _sin_dw(E, r, rl)
    ch, cl = _cos_dw(E, r, rl)
    return E.add(sh, sl), E.add(ch, cl)


def _trig_finish(E: Emitter, x, r):
    r = E.sel(E.lt(E.abs(x), 2.0**-27 if E.is64 else 2.0**-13), x, r)
    return E.sel(E.isfinite(x), r, E.sub(x, x))


def f_sin(E: Emitter, x):
    q, r, rl = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r, rl)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(q, 2), 0)
    v = E.sel(odd, c, s)
    v = E.sel(neg, E.neg(v), v)
    return _trig_finish(E, x, v)


def f_cos(E: Emitter, x):
    q, r, rl = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r, rl)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(E.iadd(q, 1), 2), 0)
    v = E.sel(odd, s, c)
    v = E.sel(neg, E.neg(v), v)
    r = E.sel(E.isfinite(x), v, E.sub(x, x))
    return r


def f_tan(E: Emitter, x):
    q, r, rl = _trig_reduce(E, x)
    sh, sl = _sin_dw(E, r, rl)
    ch, cl = _cos_dw(E, r, rl)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    nh = E.sel(odd, ch, sh)
    nl = E.sel(odd, cl, sl)
    dh = E.sel(odd, E.neg(sh), ch)
    dl = E.sel(odd, E.neg(sl), cl)
    # (nh + nl) / (dh + dl)
    q1 = E.div(nh, dh)
    rem = E.fma(E.neg(q1), dh, nh)
    v = E.add(q1, E.div(E.sub(E.add(rem, nl), E.mul(q1, dl)), dh))
    return _trig_finish(E, x, v)


def f_sin_f32(E: Emitter, x):
    return _sincos_f32(E, x, "sin")


def f_cos_f32(E: Emitter, x):
    return _sincos_f32(E, x, "cos")
