"""cbrt and hypot.

cbrt: exponent split on the bits, a polynomial guess refined by Halley steps.
hypot: both arguments scaled by the same power of two, the sum of squares in
double-word arithmetic (``f_hypot_wide``: the plain formula, for float32
arguments evaluated in float64).
"""
from __future__ import annotations

from .emitter import Emitter


def f_cbrt(E: Emitter, x):
    ax = E.abs(x)
    axs, adj = E.normalize_subnormal(ax)
    ib = E.bits(axs)
    e = E.iadd(E.isub(E.lshr(ib, E.mbits), E.bias), adj)
    m = E.fbits(E.ior(E.iand(ib, (1 << E.mbits) - 1), E.bias << E.mbits))  # [1, 2)
    ef = E.tofp(e)
    kf = E.floor(E.div(ef, 3.0))
    rr = E.sub(ef, E.mul(kf, 3.0))  # 0, 1, 2
    r1 = E.eq(rr, 1.0)
    r2 = E.eq(rr, 2.0)
    a = E.mul(m, E.sel(r2, 4.0, E.sel(r1, 2.0, 1.0)))
    sc = E.sel(r2, E.split("CBRT4")[0], E.sel(r1, E.split("CBRT2")[0], 1.0))
    y = E.mul(E.poly(m, E.coef("cbrt")), sc)
    a3 = E.mul(a, 3.0)
    for _ in range(2 if E.is64 else 1):
        d = E.fma(E.mul(y, y), y, E.neg(a))
        y = E.sub(y, E.div(E.mul(y, d), E.fma(d, 2.0, a3)))
    k = E.toint(kf)
    r = E.copysign(E.mul(y, E.pow2i(k)), x)
    ok = E.and_(E.isfinite(x), E.une(x, 0.0))
    return E.sel(ok, r, E.add(x, x))


def f_hypot(E: Emitter, x, y):
    ax, ay = E.abs(x), E.abs(y)
    a = E.sel(E.gt(ax, ay), ax, ay)
    b = E.sel(E.gt(ax, ay), ay, ax)
    a_s, b_s, e = E.scale_pair(a, b)
    sh, sl = E.two_prod(a_s, a_s)
    th, tl = E.two_prod(b_s, b_s)
    S, Se = E.fast_two_sum(sh, th)
    Sl = E.add(Se, E.add(sl, tl))
    h = E.sqrt(S)
    rem = E.add(E.fma(E.neg(h), h, S), Sl)
    h = E.add(h, E.div(rem, E.add(h, h)))
    r = E.mul(h, E.pow2i(e))
    r = E.sel(E.eq(a, 0.0), 0.0, r)
    r = E.sel(E.or_(E.isnan(x), E.isnan(y)), E.add(x, y), r)
    return E.sel(E.or_(E.isinf(x), E.isinf(y)), E.inf, r)


def f_hypot_wide(E: Emitter, x, y):
    """hypot in a wider type (float64 for float32 inputs): plain formula."""
    r = E.sqrt(E.fma(x, x, E.mul(y, y)))
    return E.sel(E.or_(E.isinf(x), E.isinf(y)), E.inf, r)
