"""power: ``exp(y * log|x|)`` with every special case of NumPy's ``power``.

float64: ``log|x|`` to ~2**-64 relative as a double-word, ``y*log|x|`` and the
exp of the double-word product; exact for powers of two with integer y.
"""
from __future__ import annotations

from .emitter import Emitter
from .exp_log import exp_lim, exp_mant, f_log


def _log_dw(E: Emitter, ax):
    """log(ax) as a double-word (hi, lo), relative error ~2**-64 (float64)."""
    k, m = E.frexp_sqrt2(ax)
    f = E.sub(m, 1.0)
    dh, dl = E.fast_two_sum(E.k(2.0), f)
    sh = E.div(f, dh)
    rem = E.fma(E.neg(sh), dh, f)
    sl = E.div(E.fma(E.neg(sh), dl, rem), dh)
    # s^2, s^3 in double-word
    s2h, s2l = E.two_prod(sh, sh)
    s2l = E.fma(E.add(sh, sh), sl, s2l)
    s3h, s3l = E.two_prod(s2h, sh)
    s3l = E.fma(s2h, sl, E.fma(s2l, sh, s3l))
    cs = E.coef("powlog")
    c0h, c0l = cs[0], cs[1]
    th, tl = E.two_prod(s3h, c0h)
    tl = E.fma(s3h, c0l, E.fma(s3l, c0h, tl))
    t2 = E.mul(E.mul(s3h, s2h), E.poly(s2h, cs[2:]))
    ln2_hi, ln2_lo = E.split("LN2", keep=E.mbits + 1 - 12)
    A = E.mul(k, ln2_hi)  # exact
    B = E.add(sh, sh)
    h1, l1 = E.fast_two_sum(A, B)
    h2, l2 = E.fast_two_sum(h1, th)
    lo = E.add(E.add(l1, l2), E.add(E.fma(sl, 2.0, tl), E.fma(k, ln2_lo, t2)))
    return E.fast_two_sum(h2, lo)


def f_power(E: Emitter, x, y, dw=True):
    ax = E.abs(x)
    if dw:
        lh, ll = _log_dw(E, ax)
        ph, pl = E.two_prod(y, lh)
        pl = E.fma(y, ll, pl)
    else:
        ph = E.mul(y, f_log(E, ax))
        pl = None
    lo, hi = exp_lim(E)
    phc = E.clamp(ph, lo, hi)
    if dw:
        pl = E.sel(E.eq(phc, ph), pl, 0.0)
    u, n = exp_mant(E, phc, pl)
    mag = E.ldexp2k(u, n)
    fy = E.floor(y)
    yint = E.eq(fy, y)
    # x = +-2**k, y integer: exact (also gets halfway-subnormal results right)
    ib = E.bits(ax)
    p2 = E.and_(E.icmp("==", E.iand(ib, (1 << E.mbits) - 1), 0),
                E.and_(E.ge(ax, E.min_normal), E.lt(ax, E.inf)))
    kx = E.tofp(E.isub(E.lshr(ib, E.mbits), E.bias))
    lim = 2.0 * E.bias - 2
    ny = E.toint(E.clamp(E.mul(kx, y), -lim, lim))
    mag = E.sel(E.and_(p2, E.and_(yint, E.isfinite(y))), E.ldexp2k(E.k(1.0), ny), mag)
    # zero / infinite x
    x0 = E.eq(ax, 0.0)
    xinf = E.eq(ax, E.inf)
    ylt0 = E.lt(y, 0.0)
    mag = E.sel(E.or_(x0, xinf), E.sel(E.b.icmp_unsigned("==", x0, ylt0), E.inf, 0.0), mag)
    # infinite y
    yinf = E.isinf(y)
    mag = E.sel(yinf, E.sel(E.eq(ax, 1.0), 1.0,
                            E.sel(E.b.icmp_unsigned("==", E.lt(ax, 1.0), ylt0), E.inf, 0.0)), mag)
    # sign for negative x and odd integer y
    hy = E.mul(y, 0.5)
    yodd = E.and_(yint, E.une(E.floor(hy), hy))
    r = E.sel(E.and_(E.signbit(x), yodd), E.neg(mag), mag)
    # negative finite x, non-integer y
    r = E.sel(E.and_(E.and_(E.lt(x, 0.0), E.gt(x, -E.inf)), E.not_(yint)), E.nan, r)
    r = E.sel(E.or_(E.isnan(x), E.isnan(y)), E.add(x, y), r)
    return E.sel(E.or_(E.eq(y, 0.0), E.eq(x, 1.0)), 1.0, r)


def f_power_wide(E: Emitter, x, y):
    """power for float32 arguments evaluated in float64: no double-word log needed."""
    return f_power(E, x, y, dw=False)
