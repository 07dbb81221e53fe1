"""Exponentials and logarithms: exp, exp2, expm1, expit, log, log2, log10, log1p, logaddexp.

exp family: Cody-Waite ``x = n ln2 + r`` with FMA (first step exact), ``2**n``
built from exponent bits, the scaling split in two so subnormal results are
rounded once; ``1 + expm1(r)`` in double-word arithmetic. Logarithms: exponent
/ mantissa split on the bits (subnormals normalised with integer ops),
mantissa in ``[sqrt(1/2), sqrt(2))``; log2 / log10 reconstructed in double-word
arithmetic. The cores (``exp_mant``, ``expm1_core``, ``log1p_core``, ...) are
shared with :mod:`.hyperbolic`, :mod:`.erf` and :mod:`.power`.
"""
from __future__ import annotations

from fractions import Fraction

from llvmlite import ir

from .coefficients import DEC
from .emitter import Emitter


def _exp_reduce(E: Emitter, xh, xl=None):
    """xh (+ xl) = n ln2 + r;  returns (n as float, r_hi, r_lo or None).

    xh must be finite and |xh| < ~1100 (clamp first)."""
    ln2_hi, ln2_lo = E.split("LN2")
    n = E.rint(E.mul(xh, E.split("LOG2E")[0]))
    nn = E.neg(n)
    r = E.fma(nn, ln2_hi, xh)  # exact
    if xl is None:
        return n, E.fma(nn, ln2_lo, r), None
    c = E.fma(nn, ln2_lo, xl)
    rh, rl = E.fast_two_sum(r, c)
    return n, rh, rl


def _expm1_poly_dw(E: Emitter, r):
    """expm1(r) = ph + pl for |r| <= ln2/2 (pl holds the rounding error of r + t)."""
    t = E.mul(E.mul(r, r), E.poly(r, E.coef("expm1")))
    return E.fast_two_sum(r, t)


def exp_mant_dw(E: Emitter, xh, xl=None):
    """exp(xh + xl) = (uh + ul) * 2**n; returns (uh, ul, n_int).  xh clamped by caller."""
    n, rh, rl = _exp_reduce(E, xh, xl)
    ph, pl = _expm1_poly_dw(E, rh)
    if rl is not None:
        pl = E.add(pl, E.fma(ph, rl, rl))
    uh, ul = E.fast_two_sum(E.k(1.0), ph)
    return uh, E.add(ul, pl), E.toint(n)


def exp_mant(E: Emitter, xh, xl=None):
    """exp(xh + xl) = u * 2**n; returns (u, n_int).  xh clamped by caller."""
    uh, ul, n = exp_mant_dw(E, xh, xl)
    return E.add(uh, ul), n


def exp_lim(E: Emitter):
    # clamp limits: beyond them exp is 0 / inf after scaling
    return (-760.0, 720.0) if E.is64 else (-110.0, 100.0)


def _exp_core(E: Emitter, x, xl=None):
    """exp(x) for any x except NaN (NaN gives a finite garbage value)."""
    lo, hi = exp_lim(E)
    xc = E.clamp(x, lo, hi)
    u, n = exp_mant(E, xc, xl)
    return E.ldexp2k(u, n)


def f_exp(E: Emitter, x):
    return E.sel(E.isnan(x), x, _exp_core(E, x))


def f_exp2(E: Emitter, x):
    lim = 1100.0 if E.is64 else 160.0
    xc = E.clamp(x, -lim, lim)
    n = E.rint(xc)
    t = E.sub(xc, n)  # exact
    ln2_hi, ln2_lo = E.split("LN2")
    rh, rl = E.two_prod(t, ln2_hi)
    rl = E.fma(t, ln2_lo, rl)
    ph, pl = _expm1_poly_dw(E, rh)
    pl = E.add(pl, E.fma(ph, rl, rl))
    uh, ul = E.fast_two_sum(E.k(1.0), ph)
    r = E.ldexp2k(E.add(uh, E.add(ul, pl)), E.toint(n))
    return E.sel(E.isnan(x), x, r)


def expm1_core(E: Emitter, x, hi=None):
    """expm1(x) for non-NaN x (returns x's sign of zero only via caller).

    With ``hi`` given the caller guarantees x <= hi < (bias - 1) ln2 and the
    overflow path is left out."""
    lo = -60.0 if E.is64 else -30.0
    xc = E.clamp(x, lo, exp_lim(E)[1] if hi is None else hi)
    n, r, _ = _exp_reduce(E, xc)
    ph, pl = _expm1_poly_dw(E, r)
    ni = E.toint(n)
    if hi is not None:
        t = E.pow2i(ni)
        return E.fma(t, pl, E.fma(t, ph, E.sub(t, 1.0)))
    big = E.icmp(">", ni, E.mbits + 3)
    t = E.pow2i(E.isel(big, 0, ni))
    small = E.fma(t, pl, E.fma(t, ph, E.sub(t, 1.0)))
    large = E.ldexp2k(E.add(E.add(ph, 1.0), pl), ni)
    return E.sel(big, large, small)


def f_expm1(E: Emitter, x):
    r = expm1_core(E, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_expit(E: Emitter, x):
    e = _exp_core(E, E.neg(E.abs(x)))
    num = E.sel(E.ge(x, 0.0), 1.0, e)
    s, sl = E.fast_two_sum(E.k(1.0), e)  # 1 + e = s + sl
    rs = E.div(1.0, s)
    q = E.mul(num, rs)
    res = E.sub(E.fma(E.neg(q), s, num), E.mul(q, sl))  # num - q (s + sl)
    r = E.fma(rs, res, q)
    return E.sel(E.isnan(x), x, r)


def _log_parts(E: Emitter, x):
    """x > 0 finite: returns (k, f, hfsq, T) with log x = k ln2 + log1p(f),
    log1p(f) = f - hfsq + T,  hfsq = f*f/2,  f in [sqrt(1/2)-1, sqrt(2)-1].

    float64: T = s (hfsq + R(s*s)), s = f / (2 + f) (fdlibm);
    float32: T = f**3 P(f), division free."""
    k, m = E.frexp_sqrt2(x)
    f = E.sub(m, 1.0)
    hfsq = E.mul(E.mul(f, f), 0.5)
    if E.is64:
        s = E.div(f, E.add(f, 2.0))
        z = E.mul(s, s)
        R = E.mul(z, E.poly(z, E.coef("log")))
        T = E.mul(s, E.add(hfsq, R))
    else:
        T = E.mul(E.mul(E.mul(f, f), f), E.poly(f, E.coef("logpoly")))
    return k, f, hfsq, T


def _log_specials(E: Emitter, x, r, *, zero=-float("inf")):
    r = E.sel(E.eq(x, 0.0), zero, r)
    r = E.sel(E.lt(x, 0.0), E.nan, r)
    r = E.sel(E.eq(x, E.inf), E.inf, r)
    return E.sel(E.isnan(x), x, r)


def _log_f32(E: Emitter, x):
    """float32 log in ~32 vector instructions: log x = k ln2 + f + f*f Q(f) (one polynomial,
    ``log1pq``; the hi part of k ln2 added last, by one FMA). Specials in three selects: 0 ->
    -inf, not >= 0 (negative or NaN) -> NaN, +inf -> +inf."""
    k, m = E.frexp_sqrt2(x)
    f = E.sub(m, 1.0)
    s = E.fma(E.mul(f, f), E.poly(f, E.coef("log1pq")), f)
    ln2_hi, ln2_lo = E.split("LN2")
    r = E.fma(k, ln2_hi, E.fma(k, ln2_lo, s))
    r = E.sel(E.eq(x, 0.0), -E.inf, r)
    r = E.sel(E.ge(x, 0.0), r, E.add(x, E.nan))        # negative or NaN (kept quiet) -> NaN
    return E.sel(E.eq(x, E.inf), E.inf, r)


def f_log(E: Emitter, x):
    if not E.is64:
        return _log_f32(E, x)
    k, f, hfsq, T = _log_parts(E, x)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.fma(k, ln2_lo, T))
    r = E.fma(k, ln2_hi, E.sub(f, t))
    return _log_specials(E, x, r)


def _log_hilo(E: Emitter, f, hfsq, T):
    """log1p(f) = hi + lo (hi = f - hfsq)."""
    hi = E.sub(f, hfsq)
    lo = E.add(T, E.sub(E.sub(f, hi), hfsq))
    return hi, lo


def f_log2(E: Emitter, x):
    k, f, hfsq, T = _log_parts(E, x)
    hi, lo = _log_hilo(E, f, hfsq, T)
    c_hi, c_lo = E.split("LOG2E")
    p, pe = E.two_prod(hi, c_hi)
    q = E.add(pe, E.fma(lo, c_hi, E.mul(E.add(hi, lo), c_lo)))
    w, we = E.fast_two_sum(k, p)
    r = E.add(w, E.add(q, we))
    return _log_specials(E, x, r)


def f_log10(E: Emitter, x):
    k, f, hfsq, T = _log_parts(E, x)
    hi, lo = _log_hilo(E, f, hfsq, T)
    c_hi, c_lo = E.split("INVLN10")
    l2_hi, l2_lo = E.split("LOG10_2", keep=E.mbits + 1 - 12)
    y = E.mul(k, l2_hi)  # exact
    p, pe = E.two_prod(hi, c_hi)
    q = E.add(pe, E.fma(lo, c_hi, E.fma(E.add(hi, lo), c_lo, E.mul(k, l2_lo))))
    w, we = E.fast_two_sum(y, p)
    r = E.add(w, E.add(q, we))
    return _log_specials(E, x, r)


def log1p_core(E: Emitter, x):
    """log1p(x) for x > -1 finite; garbage otherwise."""
    u = E.add(x, 1.0)
    c = E.div(E.sub(x, E.sub(u, 1.0)), u)
    k, f, hfsq, T = _log_parts(E, u)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.add(T, E.fma(k, ln2_lo, c)))
    return E.fma(k, ln2_hi, E.sub(f, t))


def log1p_specials(E: Emitter, x, r):
    r = E.sel(E.eq(x, -1.0), -E.inf, r)
    r = E.sel(E.lt(x, -1.0), E.nan, r)
    r = E.sel(E.eq(x, E.inf), E.inf, r)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_log1p(E: Emitter, x):
    return log1p_specials(E, x, log1p_core(E, x))


def f_logaddexp_f32(E: Emitter, x, y):
    """float32 logaddexp evaluated in float64 (E) the way NumPy does in float32:
    x + log1p(exp(-|x - y|)) with each intermediate rounded to float32."""
    f32 = ir.FloatType()

    def r32(v):
        return E.b.fpext(E.b.fptrunc(v, f32), E.ty)

    mx = E.sel(E.gt(x, y), x, y)
    d = r32(E.neg(E.abs(E.sub(x, y))))
    t = r32(f_exp(E, d))
    l1 = r32(log1p_specials(E, t, log1p_core(E, t)))
    r = E.add(mx, l1)
    r = E.sel(E.isnan(d), d, r)
    return E.sel(E.eq(x, y), E.add(x, r32(E.k(float(Fraction(DEC["LN2"]))))), r)


def f_logaddexp(E: Emitter, x, y):
    mx = E.sel(E.gt(x, y), x, y)
    d = E.neg(E.abs(E.sub(x, y)))
    t = f_exp(E, d)
    r = E.add(mx, log1p_specials(E, t, log1p_core(E, t)))
    r = E.sel(E.isnan(d), d, r)
    return E.sel(E.eq(x, y), E.add(x, E.split("LN2")[0]), r)
