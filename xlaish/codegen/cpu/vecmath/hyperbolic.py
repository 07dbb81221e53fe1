"""Hyperbolic functions and their inverses: sinh, cosh, tanh, arcsinh, arccosh, arctanh.

sinh and float64 tanh use an odd polynomial near 0 and ``exp`` / ``expm1`` beyond;
float32 tanh has its own leaner form (``1 - 2/(1 + exp(2|x|))`` with a short exp);
the inverses are ``log1p`` of an argument formed without cancellation.
"""
from __future__ import annotations

from .coefficients import COEF
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


TANH_EXP2 = tuple(c * 2.0**k for k, c in enumerate(COEF[("exp6", "f32")]))    # exp(2r) in r


def _tanh_f32(E: Emitter, x):
    """float32 tanh in about 30 vector instructions (the float64 form below takes ~45): the odd
    polynomial for |x| < 0.5625, else ``1 - 2 / (1 + exp(2a))``, a = min(|x|, 10), with a lean
    exp: ``n = rint(2a log2 e)`` by the 1.5 * 2**23 shifter (whose low bits, shifted into the
    exponent field, are ``2**n``), ``r = a - n ln2_hi/2`` (exact with FMA; the missing
    ``n ln2_lo/2 <= 3e-8`` is a relative error of exp that the result damps), exp(2r) as a degree-6
    polynomial in r, times ``2**n`` by an integer add (n in [0, 29]: no overflow or subnormal).
    The exp's relative error reaches the result damped by ``2e / (1+e)**2 <= 0.37``. NaN
    takes the polynomial path (the comparison with 0.5625 is false), which keeps it; +-inf
    gives +-1, -0 stays -0."""
    a = E.abs(x)
    z = E.mul(a, a)
    small = E.fma(E.mul(a, z), E.poly(z, E.coef("tanh")), a)
    ac = E.sel(E.gt(a, 10.0), 10.0, a)
    shifter = 1.5 * 2.0**23
    t = E.fma(ac, 2.0 * E.split("LOG2E")[0], shifter)
    n = E.sub(t, shifter)
    r = E.fma(E.neg(n), E.split("LN2")[0] * 0.5, ac)    # exact; n ln2_lo/2 <= 3e-8 is left out
    p = E.poly(r, TANH_EXP2)
    e = E.fbits(E.iadd(E.bits(p), E.shl(E.bits(t), E.mbits)))       # p * 2**n
    big = E.sub(1.0, E.div(2.0, E.add(e, 1.0)))
    return E.copysign(E.sel(E.ge(a, 0.5625), big, small), x)         # NaN: small, which is NaN


def f_tanh(E: Emitter, x):
    if not E.is64:
        return _tanh_f32(E, x)
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
