"""The complex formulas of :mod:`xlaish.passes.complex`: each complex function as real ops on the
components (``L`` is the lowering, emitting ops with ``L.e(name, *operands, **attrs)``; values are
real IR Values). Where each formula comes from, and its special values, is documented in
:mod:`xlaish.passes.complex` and on each function here.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir.opnames import BROADCAST_TO, CONSTANT, SELECT


# ---- real helpers (``L`` is the lowering, values are new real Values) -----------------------------
def _f(L, x):
    return np.dtype(x.type.dtype)


def _k(L, value, like):
    return L.c(value, _f(L, like))


def _sel(L, c, x, y):
    return L.e(SELECT, c, x, y)


def _nonzero(L, a, b):
    z = _k(L, 0, a)
    return L.e("logical_or", L.e("not_equal", a, z), L.e("not_equal", b, z))


def _mul(L, a, b, c, d):
    return (L.e("subtract", L.e("multiply", a, c), L.e("multiply", b, d)),
            L.e("add", L.e("multiply", a, d), L.e("multiply", b, c)))


def _div(L, a, b, c, d):
    """NumPy's complex division (Smith's algorithm, as in its loops). The branch not taken divides
    by 1 instead of a possible 0 (so that its zero cotangent never meets an infinite partial)."""
    ac, ad = L.e("abs", c), L.e("abs", d)
    one = _k(L, 1, a)
    big = L.e("greater_equal", ac, ad)
    zero = L.e("logical_and", L.e("equal", ac, _k(L, 0, a)), L.e("equal", ad, _k(L, 0, a)))
    # |c| >= |d|
    rat = L.e("divide", d, _sel(L, L.e("logical_and", big, L.e("logical_not", zero)), c, one))
    scl = L.e("divide", one, L.e("add", c, L.e("multiply", d, rat)))
    r1 = L.e("multiply", L.e("add", a, L.e("multiply", b, rat)), scl)
    i1 = L.e("multiply", L.e("subtract", b, L.e("multiply", a, rat)), scl)
    # |c| < |d|
    rat2 = L.e("divide", c, _sel(L, big, one, d))
    scl2 = L.e("divide", one, L.e("add", d, L.e("multiply", c, rat2)))
    r2 = L.e("multiply", L.e("add", L.e("multiply", a, rat2), b), scl2)
    i2 = L.e("multiply", L.e("subtract", L.e("multiply", b, rat2), a), scl2)
    # both zero: a / |c|, b / |d|
    r0, i0 = L.e("divide", a, ac), L.e("divide", b, ad)
    re = _sel(L, big, _sel(L, zero, r0, r1), r2)
    im = _sel(L, big, _sel(L, zero, i0, i1), i2)
    return re, im


def _exp(L, a, b):
    """C99 cexp: exp(a) (cos b, sin b); a zero imaginary part stays exact (exp(a), b)."""
    ea = L.e("exp", a)
    re = L.e("multiply", ea, L.e("cos", b))
    im = L.e("multiply", ea, L.e("sin", b))
    bz = L.e("equal", b, _k(L, 0, b))
    re, im = _sel(L, bz, ea, re), _sel(L, bz, b, im)
    # exp(-inf + i y), y not finite: +-0 +-0i (C99 allows either sign; glibc gives +0, copysign(0, y))
    ninf = L.e("logical_and", L.e("equal", a, _k(L, -np.inf, a)),
               L.e("logical_not", L.e("isfinite", b)))
    zero = _k(L, 0, a)
    re = _sel(L, ninf, zero, re)
    im = _sel(L, ninf, L.e("copysign", zero, b), im)
    # exp(+inf + i y), y not finite: +-inf + i nan (C99)
    pinf = L.e("logical_and", L.e("equal", a, _k(L, np.inf, a)), L.e("logical_not", L.e("isfinite", b)))
    re = _sel(L, pinf, a, re)
    im = _sel(L, pinf, L.e("subtract", b, b), im)
    return re, im


def _log(L, a, b):
    """C99 clog: (log|z|, atan2(b, a)); log|z| by log1p near |z| = 1 for accuracy."""
    h = L.e("hypot", a, b)
    near = L.e("logical_and", L.e("greater", h, _k(L, 0.71, a)), L.e("less", h, _k(L, 1.41, a)))
    one = _k(L, 1, a)
    t = L.e("add", L.e("multiply", L.e("subtract", a, one), L.e("add", a, one)), L.e("multiply", b, b))
    fine = L.e("multiply", _k(L, 0.5, a), L.e("log1p", t))
    return _sel(L, near, fine, L.e("log", h)), L.e("arctan2", b, a)


def _sqrt(L, a, b):
    """C99 csqrt (FreeBSD's algorithm, without the overflow rescaling)."""
    zero, half, two = _k(L, 0, a), _k(L, 0.5, a), _k(L, 2, a)
    h = L.e("hypot", a, b)
    pos = L.e("greater_equal", a, zero)
    t = L.e("sqrt", L.e("multiply", L.e("add", L.e("abs", a), h), half))   # (|a| + |z|) / 2: no cancellation
    re = _sel(L, pos, t, L.e("divide", L.e("abs", b), L.e("multiply", two, t)))
    im = _sel(L, pos, L.e("divide", b, L.e("multiply", two, t)), L.e("copysign", t, b))
    # special values, last wins: a = +-inf, isnan(a), b = +-inf, z = 0
    ainf = L.e("isinf", a)
    neg = L.e("signbit", a)
    bb = L.e("subtract", b, b)
    re = _sel(L, ainf, _sel(L, neg, L.e("abs", bb), a), re)
    im = _sel(L, ainf, _sel(L, neg, L.e("copysign", a, b), L.e("copysign", bb, b)), im)
    anan = L.e("isnan", a)
    re = _sel(L, anan, a, re)
    im = _sel(L, anan, _k(L, np.nan, a), im)
    binf = L.e("isinf", b)
    re = _sel(L, binf, _k(L, np.inf, a), re)
    im = _sel(L, binf, b, im)
    z = L.e("logical_and", L.e("equal", a, zero), L.e("equal", b, zero))
    re = _sel(L, z, zero, re)
    im = _sel(L, z, b, im)
    return re, im


def _scale(L, a, b, k):
    kk = _k(L, k, a)
    return L.e("multiply", a, kk), L.e("multiply", b, kk)


def _tanh(L, a, b):
    """Kahan's ctanh (as FreeBSD): no overflow for large |a|."""
    one = _k(L, 1, a)
    t = L.e("tan", b)
    beta = L.e("add", one, L.e("multiply", t, t))
    s = L.e("sinh", a)
    rho = L.e("sqrt", L.e("add", one, L.e("multiply", s, s)))
    denom = L.e("add", one, L.e("multiply", L.e("multiply", beta, s), s))
    re = L.e("divide", L.e("multiply", L.e("multiply", beta, rho), s), denom)
    im = L.e("divide", t, denom)
    large = L.e("greater_equal", L.e("abs", a), _k(L, 22 if _f(L, a) == np.float64 else 11, a))
    exp2 = L.e("exp", L.e("multiply", _k(L, -2, a), L.e("abs", a)))
    im_l = L.e("multiply", L.e("multiply", _k(L, 4, a), L.e("multiply", L.e("sin", b), L.e("cos", b))), exp2)
    re = _sel(L, large, L.e("copysign", one, a), re)
    im = _sel(L, large, im_l, im)
    # tanh(+-inf + iy) = +-1 + i copysign(0, sin 2y) for finite y, else +-1 + i copysign(0, y)
    ainf = L.e("isinf", a)
    sgn = _sel(L, L.e("isfinite", b), L.e("multiply", L.e("sin", b), L.e("cos", b)), b)
    im = _sel(L, ainf, L.e("copysign", _k(L, 0, a), sgn), im)
    # tanh(x + 0i) = (tanh x, 0) and tanh(0 + iy) = (0, tan y) exactly
    bz = L.e("equal", b, _k(L, 0, b))
    re, im = _sel(L, bz, L.e("tanh", a), re), _sel(L, bz, b, im)
    az = L.e("equal", a, _k(L, 0, a))
    return _sel(L, az, a, re), _sel(L, az, t, im)


def _atanh(L, a, b):
    """copysign(0.25 log1p(4|a| / ((1 - |a|)^2 + b^2)), a) + i 0.5 atan2(2b, (1 - a)(1 + a) - b^2)
    (FreeBSD's catanh without its special regions: the log1p argument is never near -1)."""
    one = _k(L, 1, a)
    ax = L.e("abs", a)
    oma = L.e("subtract", one, ax)
    den = L.e("add", L.e("multiply", oma, oma), L.e("multiply", b, b))
    re = L.e("multiply", _k(L, 0.25, a), L.e("log1p", L.e("divide", L.e("multiply", _k(L, 4, a), ax), den)))
    im = L.e("multiply", _k(L, 0.5, a), L.e("arctan2", L.e("multiply", _k(L, 2, a), b),
                                           L.e("subtract", L.e("multiply", oma, L.e("add", one, ax)),
                                               L.e("multiply", b, b))))
    return L.e("copysign", re, a), im


def _asinh(L, a, b):
    """log(z + sqrt(z^2 + 1)) on the right half plane; odd symmetry for the left."""
    neg = L.e("signbit", a)
    aa = L.e("abs", a)
    bb = _sel(L, neg, L.e("negative", b), b)
    zr, zi = _mul(L, aa, bb, aa, bb)
    sr, si = _sqrt(L, L.e("add", zr, _k(L, 1, a)), zi)
    lr, li = _log(L, L.e("add", aa, sr), L.e("add", bb, si))
    return _sel(L, neg, L.e("negative", lr), lr), _sel(L, neg, L.e("negative", li), li)


def _asin(L, a, b):
    """asin(z) = -i asinh(i z)."""
    r, i = _asinh(L, L.e("negative", b), a)
    return i, L.e("negative", r)


def _acos(L, a, b):
    """acos(z) = pi/2 - asin(z)."""
    r, i = _asin(L, a, b)
    return L.e("subtract", _k(L, math.pi / 2, a), r), L.e("negative", i)


def _acosh(L, a, b):
    """log(z + sqrt(z + 1) sqrt(z - 1))."""
    one = _k(L, 1, a)
    pr, pi = _sqrt(L, L.e("add", a, one), b)
    mr, mi = _sqrt(L, L.e("subtract", a, one), b)
    qr, qi = _mul(L, pr, pi, mr, mi)
    return _log(L, L.e("add", a, qr), L.e("add", b, qi))


def _sign(L, a, b, r):
    """NumPy 2: z / |z| (0 at 0, NaN for NaN, the axis direction for infinities)."""
    h = L.e("hypot", a, b)
    zero, one, nan = _k(L, 0, a), _k(L, 1, a), _k(L, np.nan, a)
    re, im = L.e("divide", a, h), L.e("divide", b, h)
    hz = L.e("equal", h, zero)
    re, im = _sel(L, hz, zero, re), _sel(L, hz, zero, im)
    ai, bi = L.e("isinf", a), L.e("isinf", b)
    hinf = L.e("isinf", h)
    sa = L.e("copysign", one, a)
    sb = L.e("copysign", one, b)
    re = _sel(L, hinf, _sel(L, ai, _sel(L, bi, nan, sa), zero), re)
    im = _sel(L, hinf, _sel(L, ai, _sel(L, bi, nan, zero), sb), im)
    hn = L.e("isnan", h)
    return _sel(L, hn, nan, re), _sel(L, hn, nan, im)


def _reciprocal(L, a, b, r):
    """NumPy's loop: by the larger component."""
    one = _k(L, 1, a)
    small = L.e("less_equal", L.e("abs", b), L.e("abs", a))
    r1 = L.e("divide", b, _sel(L, small, a, one))
    d1 = L.e("add", a, L.e("multiply", b, r1))
    r2 = L.e("divide", a, _sel(L, small, one, b))
    d2 = L.e("add", L.e("multiply", a, r2), b)
    re = _sel(L, small, L.e("divide", one, d1), L.e("divide", r2, d2))
    im = _sel(L, small, L.e("negative", L.e("divide", r1, d1)), L.e("negative", L.e("divide", one, d2)))
    return re, im


def _lexcmp(strict_name, eq_name):
    """NumPy's complex ordering: real parts, then imaginary parts."""
    def rule(L, a, b, c, d, op):
        return L.e("logical_or", L.e(strict_name, a, c),
                   L.e("logical_and", L.e("equal", a, c), L.e(eq_name, b, d)))
    return rule


def _isnanc(L, a, b):
    return L.e("logical_or", L.e("isnan", a), L.e("isnan", b))


def _maxmin(ge, keep_nan_first):
    def rule(L, a, b, c, d, op):
        """maximum (minimum): the first if it is NaN or >= (<=) the second, else the second;
        fmax/fmin: the first if the second is NaN or first >= second."""
        cmp = _lexcmp("greater" if ge else "less", "greater_equal" if ge else "less_equal")(L, a, b, c, d, op)
        first = L.e("logical_or", _isnanc(L, a, b) if keep_nan_first else _isnanc(L, c, d), cmp)
        return _sel(L, first, a, c), _sel(L, first, b, d)
    return rule


def _power(L, a, b, c, d, op):
    """NumPy's nc_pow: exponent 0 -> 1; base 0 -> 0 (real positive exponent) or NaN; a constant
    integer exponent |n| < 100 by repeated squaring (reciprocal for n < 0); else exp(b log a)."""
    n = _const_int_exponent(L, op.operands[1])
    if n is not None and n != 0:
        return _int_power(L, a, b, n)
    lr, li = _log(L, a, b)
    er, ei = _exp(L, *_mul(L, lr, li, c, d))
    zero, one, nan = _k(L, 0, a), _k(L, 1, a), _k(L, np.nan, a)
    ez = L.e("logical_and", L.e("equal", c, zero), L.e("equal", d, zero))
    bz = L.e("logical_and", L.e("equal", a, zero), L.e("equal", b, zero))
    pos = L.e("logical_and", L.e("greater", c, zero), L.e("equal", d, zero))
    re = _sel(L, ez, one, _sel(L, bz, _sel(L, pos, zero, nan), er))
    im = _sel(L, ez, zero, _sel(L, bz, _sel(L, pos, zero, nan), ei))
    return re, im


def _const_int_exponent(L, v):
    for op in L.fn.ops:
        if v in op.results and op.name == CONSTANT:
            val = np.asarray(op.attrs["value"])
            if val.ndim == 0 and val.imag == 0 and val.real == int(val.real) and abs(val.real) < 100:
                return int(val.real)
            return None
        if v in op.results and op.name == BROADCAST_TO:
            return _const_int_exponent(L, op.operands[0])
    return None


def _int_power(L, a, b, n):
    if n == 1:
        return a, b
    if n == 2:
        return _mul(L, a, b, a, b)
    if n == 3:
        r, i = _mul(L, a, b, a, b)
        return _mul(L, r, i, a, b)
    m = abs(n)
    rr, ri = None, None
    pr, pi = a, b
    mask = 1
    while True:
        if m & mask:
            if rr is None:      # 1 * p, as NumPy computes it (exact: (1p - 0q, 1q + 0p))
                rr, ri = _mul(L, _k(L, 1, a), _k(L, 0, a), pr, pi)
            else:
                rr, ri = _mul(L, rr, ri, pr, pi)
        mask <<= 1
        if m < mask:
            break
        pr, pi = _mul(L, pr, pi, pr, pi)
    if n < 0:
        return _div(L, _k(L, 1, a), _k(L, 0, a), rr, ri)
    return rr, ri


_LN2, _LN10 = math.log(2), math.log(10)
_UNARY = {
    "negative": lambda L, a, b, r: (L.e("negative", a), L.e("negative", b)),
    "abs": lambda L, a, b, r: L.e("hypot", a, b),
    "sign": _sign,
    "square": lambda L, a, b, r: _mul(L, a, b, a, b),
    "reciprocal": _reciprocal,
    "exp": lambda L, a, b, r: _exp(L, a, b),
    "exp2": lambda L, a, b, r: _exp(L, *_scale(L, a, b, _LN2)),
    "expm1": lambda L, a, b, r: _expm1(L, a, b),
    "log": lambda L, a, b, r: _log(L, a, b),
    "log2": lambda L, a, b, r: _scale(L, *_log(L, a, b), 1 / _LN2),
    "log10": lambda L, a, b, r: _scale(L, *_log(L, a, b), 1 / _LN10),
    "log1p": lambda L, a, b, r: _log1p(L, a, b),
    "sqrt": lambda L, a, b, r: _sqrt(L, a, b),
    "sin": lambda L, a, b, r: _sin(L, a, b),
    "cos": lambda L, a, b, r: _cosh(L, L.e("negative", b), a),
    "sinh": lambda L, a, b, r: _sinh(L, a, b),
    "cosh": lambda L, a, b, r: _cosh(L, a, b),
    "tanh": lambda L, a, b, r: _tanh(L, a, b),
    "tan": lambda L, a, b, r: _tan(L, a, b),
    "arctanh": lambda L, a, b, r: _atanh(L, a, b),
    "arctan": lambda L, a, b, r: _atan(L, a, b),
    "arcsinh": lambda L, a, b, r: _asinh(L, a, b),
    "arcsin": lambda L, a, b, r: _asin(L, a, b),
    "arccos": lambda L, a, b, r: _acos(L, a, b),
    "arccosh": lambda L, a, b, r: _acosh(L, a, b),
    "isnan": lambda L, a, b, r: _isnanc(L, a, b),
    "isinf": lambda L, a, b, r: L.e("logical_or", L.e("isinf", a), L.e("isinf", b)),
    "isfinite": lambda L, a, b, r: L.e("logical_and", L.e("isfinite", a), L.e("isfinite", b)),
    "logical_not": lambda L, a, b, r: L.e("logical_not", _nonzero(L, a, b)),
}


def _sinh(L, a, b):
    """(sinh a cos b, cosh a sin b) with C99 csinh's special values for zero and infinite parts."""
    re = L.e("multiply", L.e("sinh", a), L.e("cos", b))
    im = L.e("multiply", L.e("cosh", a), L.e("sin", b))
    bz = L.e("equal", b, _k(L, 0, b))
    re, im = _sel(L, bz, L.e("sinh", a), re), _sel(L, bz, b, im)
    az = L.e("logical_and", L.e("equal", a, _k(L, 0, a)), L.e("logical_not", L.e("isfinite", b)))
    re, im = _sel(L, az, a, re), _sel(L, az, L.e("subtract", b, b), im)
    big = L.e("logical_and", L.e("isinf", a), L.e("logical_not", L.e("isfinite", b)))
    return _sel(L, big, L.e("abs", a), re), _sel(L, big, L.e("subtract", b, b), im)


def _cosh(L, a, b):
    """(cosh a cos b, sinh a sin b) with C99 ccosh's special values for zero and infinite parts."""
    re = L.e("multiply", L.e("cosh", a), L.e("cos", b))
    im = L.e("multiply", L.e("sinh", a), L.e("sin", b))
    bz = L.e("equal", b, _k(L, 0, b))
    re = _sel(L, bz, L.e("cosh", a), re)
    im = _sel(L, bz, _sel(L, L.e("isnan", a), b, L.e("multiply", b, L.e("copysign", _k(L, 1, a), a))), im)
    az = L.e("equal", a, _k(L, 0, a))
    im = _sel(L, L.e("logical_and", az, L.e("logical_not", L.e("isfinite", b))), _k(L, 0, a), im)
    big = L.e("logical_and", L.e("isinf", a), L.e("logical_not", L.e("isfinite", b)))
    return _sel(L, big, L.e("abs", a), re), _sel(L, big, L.e("subtract", b, b), im)


def _sin(L, a, b):
    """sin(z) = -i sinh(i z)."""
    p, q = _sinh(L, L.e("negative", b), a)
    big = L.e("logical_and", L.e("isinf", b), L.e("logical_not", L.e("isfinite", a)))
    return _sel(L, big, L.e("subtract", a, a), q), _sel(L, big, L.e("abs", b), L.e("negative", p))


def _tan(L, a, b):
    """tan(z) = -i tanh(i z)."""
    p, q = _tanh(L, L.e("negative", b), a)
    return q, L.e("negative", p)


def _atan(L, a, b):
    """atan(z) = -i atanh(i z)."""
    p, q = _atanh(L, L.e("negative", b), a)
    return q, L.e("negative", p)


def _expm1(L, a, b):
    """NumPy's nc_expm1."""
    s = L.e("sin", L.e("divide", b, _k(L, 2, b)))
    re = L.e("subtract", L.e("multiply", L.e("expm1", a), L.e("cos", b)),
             L.e("multiply", L.e("multiply", _k(L, 2, a), s), s))
    return re, L.e("multiply", L.e("exp", a), L.e("sin", b))


def _log1p(L, a, b):
    """NumPy's nc_log1p: (log hypot(a + 1, b), atan2(b, a + 1))."""
    a1 = L.e("add", a, _k(L, 1, a))
    return L.e("log", L.e("hypot", a1, b)), L.e("arctan2", b, a1)


_BINARY = {
    "add": lambda L, a, b, c, d, op: (L.e("add", a, c), L.e("add", b, d)),
    "subtract": lambda L, a, b, c, d, op: (L.e("subtract", a, c), L.e("subtract", b, d)),
    "multiply": lambda L, a, b, c, d, op: _mul(L, a, b, c, d),
    "divide": lambda L, a, b, c, d, op: _div(L, a, b, c, d),
    "power": _power,
    "equal": lambda L, a, b, c, d, op: L.e("logical_and", L.e("equal", a, c), L.e("equal", b, d)),
    "not_equal": lambda L, a, b, c, d, op: L.e("logical_or", L.e("not_equal", a, c), L.e("not_equal", b, d)),
    "less": _lexcmp("less", "less"),
    "less_equal": _lexcmp("less", "less_equal"),
    "greater": _lexcmp("greater", "greater"),
    "greater_equal": _lexcmp("greater", "greater_equal"),
    "maximum": _maxmin(True, True), "minimum": _maxmin(False, True),
    "fmax": _maxmin(True, False), "fmin": _maxmin(False, False),
    "logical_and": lambda L, a, b, c, d, op: L.e("logical_and", _nonzero(L, a, b), _nonzero(L, c, d)),
    "logical_or": lambda L, a, b, c, d, op: L.e("logical_or", _nonzero(L, a, b), _nonzero(L, c, d)),
    "logical_xor": lambda L, a, b, c, d, op: L.e("logical_xor", _nonzero(L, a, b), _nonzero(L, c, d)),
}
