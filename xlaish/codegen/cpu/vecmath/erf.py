"""erf and erfc.

A polynomial in ``x*x`` near 0; beyond, ``erfc(a) = exp(-a*a) g(q) / (1+2a)``
with ``q = (a-3)/(a+3)`` (Juffa), ``exp(-a*a)`` evaluated on the exact
double-word ``a*a``.
"""
from __future__ import annotations

from .emitter import Emitter
from .exp_log import exp_mant_dw

_ERFC_C = 3.0


def _erfc_tail(E: Emitter, ax):
    """erfc(a) for a in [0.5, amax] (a = ax clamped here).

    erfc(a) = exp(-a*a) * g(q) / (1 + 2a) with q = (a-3)/(a+3) and g a
    polynomial (Juffa's formulation: g = (1+2a) erfcx(a) is smooth and
    varies little, 1.13..1.26, on [0.5, inf))."""
    amax = 27.33 if E.is64 else 10.06
    a = E.clamp(ax, 0.5, amax)
    q = E.div(E.sub(a, _ERFC_C), E.add(a, _ERFC_C))
    cs = E.coef("erfc")  # c0 as a hi/lo pair, then c1..cn
    gh, gl = E.fast_two_sum(E.k(cs[0]), E.fma(q, E.poly(q, cs[2:]), cs[1]))
    hi, lo = E.two_prod(a, a)
    uh, ul, n = exp_mant_dw(E, E.neg(hi), E.neg(lo))
    vh, vl = E.two_prod(uh, gh)  # (uh + ul) (gh + gl)
    vl = E.fma(uh, gl, E.fma(ul, gh, vl))
    dh, dl = E.fast_two_sum(E.add(a, a), E.k(1.0))  # 1 + 2a
    r = E.div(1.0, dh)
    qv = E.mul(vh, r)
    res = E.add(E.fma(E.neg(qv), dh, vh), E.fma(E.neg(qv), dl, vl))
    return E.ldexp2k(E.fma(r, res, qv), n)


def _erf_small(E: Emitter, ax):
    z = E.mul(ax, ax)
    return E.fma(ax, E.poly(z, E.coef("erf")), ax)


def f_erf(E: Emitter, x):
    ax = E.abs(x)
    y1 = _erf_small(E, ax)
    # erf(a) rounds to 1 once erfc(a) < half an ulp of 1 (a > 3.92 in float32, 5.93 in float64):
    # clamping there keeps exp(-a*a) out of the (slow) subnormal range without changing results
    y2 = E.sub(1.0, _erfc_tail(E, E.clamp(ax, 0.0, 6.0 if E.is64 else 4.0)))
    r = E.copysign(E.sel(E.lt(ax, 1.0), y1, y2), x)
    return E.sel(E.isnan(x), x, r)


def f_erfc(E: Emitter, x):
    ax = E.abs(x)
    es = _erf_small(E, ax)
    tail = _erfc_tail(E, ax)
    pos = E.sel(E.lt(ax, 0.5), E.sub(1.0, es), tail)
    neg = E.sel(E.lt(ax, 1.0), E.add(1.0, es), E.sub(2.0, tail))
    r = E.sel(E.lt(x, 0.0), neg, pos)
    return E.sel(E.isnan(x), x, r)
