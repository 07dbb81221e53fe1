"""Hyperbolic functions and their inverses: sinh, cosh, tanh, arcsinh, arccosh, arctanh.

sinh and tanh use an odd polynomial near 0 and ``exp`` / ``expm1`` beyond;
the inverses are ``log1p`` of an argument formed without cancellation.
"""
from __future__ import annotations

from .emitter import Emitter
from .exp_log import exp_lim, exp_mant, expm1_core, log1p_core, log1p_specials


def _exp_half(E: Emitter, ax):
    """exp(ax)/2 for ax >= 0 (NaN -> garbage), overflowing only when exp(ax)/2 does."""
    lo, hi = exp_lim(E)
    xc = E.clamp(ax, lo, hi)
    u, n = exp_mant(E, xc)
    return E.ldexp2k(u, E.isub(n, 1))


def f_sinh(E: Emitter, x):
    ax = E.abs(x)
    z = E.mul(ax, ax)
    small = E.fma(E.mul(ax, z), E.poly(z, E.coef("sinh")), ax)
    h = _exp_half(E, ax)
    big = E.sub(h, E.div(0.25, h))
    r = E.copysign(E.sel(E.lt(ax, 1.0), small, big), x)
    return E.sel(E.isnan(x), x, r)


def f_cosh(E: Emitter, x):
    ax = E.abs(x)
    h = _exp_half(E, ax)
    r = E.add(h, E.div(0.25, h))
    return E.sel(E.isnan(x), x, r)


def f_tanh(E: Emitter, x):
    ax = E.abs(x)
    z = E.mul(ax, ax)
    small = E.fma(E.mul(ax, z), E.poly(z, E.coef("tanh")), ax)
    lim = 22.0 if E.is64 else 10.0  # tanh rounds to 1 beyond
    a2 = E.mul(E.sel(E.lt(ax, lim), ax, lim), 2.0)
    e = expm1_core(E, a2, hi=2 * lim)
    big = E.div(e, E.add(e, 2.0))
    r = E.copysign(E.sel(E.lt(ax, 0.5625), small, big), x)
    return E.sel(E.isnan(x), x, r)


def f_arcsinh(E: Emitter, x):
    ax = E.abs(x)
    huge = E.gt(ax, 2.0**60 if E.is64 else 2.0**30)
    a2 = E.mul(ax, ax)
    y = E.add(ax, E.div(a2, E.add(E.sqrt(E.add(a2, 1.0)), 1.0)))
    y = E.sel(huge, ax, y)
    r = log1p_specials(E, y, log1p_core(E, y))
    r = E.add(r, E.sel(huge, E.split("LN2")[0], 0.0))
    r = E.copysign(r, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_arccosh(E: Emitter, x):
    huge = E.gt(x, 2.0**60 if E.is64 else 2.0**30)
    t = E.sub(x, 1.0)
    y = E.add(t, E.sqrt(E.fma(t, t, E.add(t, t))))
    y = E.sel(huge, x, y)
    r = log1p_specials(E, y, log1p_core(E, y))
    r = E.add(r, E.sel(huge, E.split("LN2")[0], 0.0))
    return E.sel(E.lt(x, 1.0), E.nan, r)


def f_arctanh(E: Emitter, x):
    ax = E.abs(x)
    t = E.add(ax, ax)
    om = E.sub(1.0, ax)
    y_small = E.add(t, E.div(E.mul(t, ax), om))
    y_big = E.div(t, om)
    y = E.sel(E.lt(ax, 0.5), y_small, y_big)
    r = E.mul(log1p_specials(E, y, log1p_core(E, y)), 0.5)
    r = E.sel(E.gt(ax, 1.0), E.nan, r)
    r = E.copysign(r, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)
