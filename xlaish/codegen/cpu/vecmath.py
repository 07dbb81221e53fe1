"""Vectorisable transcendental functions, emitted as LLVM IR.

Every function is defined (on first use, once per module) as an ``internal``
``alwaysinline`` scalar LLVM function ``xl.<name>.<f32|f64>``.  The bodies are
*straight-line*: no branches, no loops, no calls except to LLVM intrinsics that
have native vector forms (``llvm.fma``, ``llvm.fabs``, ``llvm.floor``,
``llvm.rint``, ``llvm.sqrt``, ``llvm.copysign``).  Special cases (NaN, ±inf,
±0, overflow, underflow, domain errors) are handled by computing every path
and merging with ``select``.  Once inlined into a loop, LLVM's loop vectoriser
turns them into AVX2 / AVX-512 code like any other arithmetic.

Method (in the style of fdlibm / Cephes / SLEEF / XLA):

* **Range reduction** to a small interval, exactly or in extra precision:
  Cody-Waite with FMA for exp-like functions (``x = n ln2 + r``) and for
  sin/cos/tan (``x = q pi/2 + r``, three-part pi/2; accurate for
  ``|x| < 2**28`` in float64 and for every float32 input, see below);
  exponent / mantissa split by bit manipulation for the logarithms
  (mantissa normalised to ``[sqrt(1/2), sqrt(2))``, ``s = f/(2+f)``),
  ``|x| -> (1-|x|)/2`` for arcsin / arccos, tan-addition formulas
  (offsets atan(1/2), pi/4, atan(3/2), pi/2) for arctan / arctan2,
  a Moebius map ``q = (a-3)/(a+3)`` for the erfc tail.
* **Minimax polynomials** (weighted Remez, relative error, fitted with
  mpmath and rounded coefficient-by-coefficient to the working precision,
  refitting the remaining coefficients after each rounding) evaluated with
  FMA Horner schemes.  Approximation errors are below 2**-58 (float64 sets)
  and 2**-28 (float32 sets), i.e. well below half an ulp.
* **Reconstruction** in extra precision where cancellation would hurt:
  double-word (hi + lo) arithmetic built on FMA (``two_prod``,
  ``fast_two_sum``) for log2 / log10, tan, arcsin / arccos, hypot, the
  ``exp(-x*x)`` factor of erfc, and the whole of float64 ``power``
  (log in ~2**-66 relative precision, product ``y*log|x|`` and exp
  of a double-word argument).  Scaling by ``2**n`` is done by building the
  exponent bits; results that can be subnormal are scaled in two steps so
  they are rounded only once.

float32: the functions on the hot path (exp, expm1, log, log1p, tanh, expit,
erf, erfc, sinh, cosh, ...) are computed natively in float32 with float32
polynomials (~2x the vector width of float64).  The others (power, hypot,
sin/cos/tan, ...) are evaluated with the float64 algorithm and rounded once
to float32, which makes them essentially correctly rounded (``_F32_NATIVE``
lists the native ones).

Accuracy (measured by ``tests/codegen/test_vecmath.py`` over a few hundred
thousand log-uniform random arguments of both signs, against NumPy / math):
at most 4 ulp against NumPy for every function and dtype, typically 1-2; the
table ``MAX_ULP`` in that test holds the measured values.  Special values
(±0, ±inf, NaN, subnormals, overflow / underflow edges, domain errors) give
the same results as NumPy (NaN where NumPy gives NaN, same signs of zeros and
infinities).  Arguments to sin/cos/tan beyond the Cody-Waite range go
through a table-free Payne-Hanek style reduction, see ``_trig_reduce``.
"""
from __future__ import annotations

import struct
from fractions import Fraction

import llvmlite.ir as ir

__all__ = ["SUPPORTED", "get"]

UNARY = (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "cbrt", "erf", "erfc", "expit",
)
BINARY = ("power", "arctan2", "hypot", "logaddexp")

# ---------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------

_DEC = {
    "LN2": "0.6931471805599453094172321214581765680755",
    "LOG2E": "1.442695040888963407359924681001892137427",
    "PI": "3.141592653589793238462643383279502884197",
    "TWO_OVER_PI": "0.6366197723675813430755350534900574481378",
    "LOG10_2": "0.3010299956639811952137388947244930267682",
    "INVLN10": "0.4342944819032518276511289189166050822944",
    "ATAN_HALF": "0.4636476090008061162142562314612144020285",
    "ATAN_3HALF": "0.9827937232473290679857106110146660144969",
    "CBRT2": "1.259921049894873164767210607278228350570",
    "CBRT4": "1.587401051968199474751705639272308260391",
}


def _r32(v: float) -> float:
    """Round a Python float to the nearest float32 value."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _round(v: Fraction, tag: str, keep: int = 0) -> float:
    """Round exactly-given v to the format `tag`; keep>0: truncate to `keep`
    significant bits (so that small integer multiples are exact)."""
    f = float(v) if tag == "f64" else _r32(float(v))
    if keep:
        import math

        m, e = math.frexp(f)
        f = math.ldexp(math.floor(m * 2.0**keep) / 2.0**keep, e) if f > 0 else \
            -math.ldexp(math.floor(-m * 2.0**keep) / 2.0**keep, e)
    return f


def _split(name_or_frac, tag: str, keep: int = 0, parts: int = 2):
    """hi/lo (or hi/mid/lo) decomposition of a constant in format `tag`."""
    v = Fraction(_DEC[name_or_frac]) if isinstance(name_or_frac, str) else Fraction(name_or_frac)
    out = []
    for i in range(parts):
        c = _round(v, tag, keep if i < parts - 1 else 0)
        out.append(c)
        v -= Fraction(c)
    return tuple(out)


# ---------------------------------------------------------------------------
# polynomial coefficients (generated offline with a weighted Remez exchange in
# mpmath; see module docstring).  Lowest degree first.
# ---------------------------------------------------------------------------

# <<COEFFS
_COEF: dict = {
    ('asin', 'f32'): (
        0.16666659712791443,
        0.07500521838665009,
        0.04451335221529007,
        0.0318395234644413,
        0.014312172308564186,
        0.037702128291130066,
    ),
    ('asin', 'f64'): (
        0.1666666666666676,
        0.07499999999970865,
        0.04464285717456279,
        0.03038194270976582,
        0.02237221493884988,
        0.017351612798913722,
        0.013980811965514562,
        0.01139897703761427,
        0.010779914390193433,
        0.0037076080595376403,
        0.021704692686863616,
        -0.020995364617094284,
        0.03262642046505191,
    ),
    ('atan', 'f32'): (
        -0.3333330452442169,
        0.19997777044773102,
        -0.14230045676231384,
        0.10493014007806778,
        -0.05822684243321419,
    ),
    ('atan', 'f64'): (
        -0.33333333333333315,
        0.19999999999993165,
        -0.14285714284845835,
        0.11111111056015756,
        -0.09090907043962718,
        0.07692259193737838,
        -0.06665897411771368,
        0.05873969303021325,
        -0.051997986323759834,
        0.04431867658479976,
        -0.03189204853436294,
        0.01366993520621754,
    ),
    ('cos', 'f32'): (
        0.04166664555668831,
        -0.0013887309469282627,
        2.4432327336398885e-05,
    ),
    ('cos', 'f64'): (
        0.041666666666666595,
        -0.0013888888888873325,
        2.4801587288983675e-05,
        -2.755731421006952e-07,
        2.087570426944848e-09,
        -1.135868320288084e-11,
    ),
    ('erf', 'f32'): (
        0.12837916612625122,
        -0.3761262595653534,
        0.11283578723669052,
        -0.026853347197175026,
        0.005187162198126316,
        -0.0007997853099368513,
        7.806903158780187e-05,
    ),
    ('expm1', 'f32'): (
        0.5,
        0.1666666567325592,
        0.04166635870933533,
        0.008333389647305012,
        0.0013940727803856134,
        0.00019845887436531484,
    ),
    ('expm1', 'f64'): (
        0.5,
        0.16666666666666677,
        0.041666666666666505,
        0.008333333333321601,
        0.001388888888896296,
        0.00019841269886227968,
        2.4801587171759956e-05,
        2.7557244081713266e-06,
        2.755740298051555e-07,
        2.5109089964381168e-08,
        2.087532540919923e-09,
    ),
    ('log', 'f32'): (
        0.6666677594184875,
        0.39977526664733887,
        0.2987228333950043,
    ),
    ('log', 'f64'): (
        0.6666666666666735,
        0.39999999999412805,
        0.2857142874288686,
        0.22222198513892888,
        0.18183567806132653,
        0.15313951779517954,
        0.1479703135417931,
    ),
    ('powlog', 'f64'): (
        0.6666666666666666,
        0.4000000000000493,
        0.28571428569406626,
        0.22222222607875705,
        0.1818177826843479,
        0.15386993151986805,
        0.13252041989927346,
        0.13235810584878932,
    ),
    ('sin', 'f32'): (
        -0.1666666716337204,
        0.008333379402756691,
        -0.00019853064441122115,
        2.8325100629444933e-06,
    ),
    ('sin', 'f64'): (
        -0.16666666666666666,
        0.008333333333333042,
        -0.00019841269840962473,
        2.75573190739854e-06,
        -2.505207092377467e-08,
        1.6054311720548141e-10,
        -7.38947314752078e-13,
    ),
    ('sinh', 'f32'): (
        0.1666666716337204,
        0.00833331048488617,
        0.00019842895562760532,
        2.7822131869470468e-06,
    ),
    ('sinh', 'f64'): (
        0.16666666666666669,
        0.008333333333332912,
        0.00019841269841593408,
        2.755731910675836e-06,
        2.5052130998304714e-08,
        1.6056659214100337e-10,
        7.776598264106465e-13,
    ),
    ('tanh', 'f32'): (
        -0.3333331346511841,
        0.13332436978816986,
        -0.053835757076740265,
        0.021000375971198082,
        -0.006169614847749472,
    ),
    ('tanh', 'f64'): (
        -0.33333333333333276,
        0.13333333333322822,
        -0.0539682539615467,
        0.021869488322274946,
        -0.008863231556687124,
        0.0035920814519077907,
        -0.0014554746012502271,
        0.0005881633228391951,
        -0.00023266556972992113,
        8.228988774733525e-05,
        -1.8861076860252278e-05,
    ),
}
# COEFFS>>


# ---------------------------------------------------------------------------
# scalar IR emitter
# ---------------------------------------------------------------------------


class _E:
    """Emits scalar floating point IR of one type (float or double)."""

    def __init__(self, builder: ir.IRBuilder, ty):
        self.b = builder
        self.m = builder.module
        self.ty = ty
        self.is64 = isinstance(ty, ir.DoubleType)
        self.tag = "f64" if self.is64 else "f32"
        self.nbits = 64 if self.is64 else 32
        self.ity = ir.IntType(self.nbits)
        self.mbits = 52 if self.is64 else 23
        self.bias = 1023 if self.is64 else 127
        self.emax = 2 * self.bias + 1  # all-ones exponent field
        self.min_normal = 2.0 ** (1 - self.bias)
        self.inf = float("inf")
        self.nan = float("nan")

    # -- constants ---------------------------------------------------------
    def k(self, v) -> ir.Constant:
        v = float(v)
        if not self.is64 and v == v and abs(v) != float("inf"):
            v = _r32(v)
        return ir.Constant(self.ty, v)

    def ki(self, v) -> ir.Constant:
        return ir.Constant(self.ity, int(v))

    def v(self, x):
        return x if isinstance(x, ir.Value) else self.k(x)

    def vi(self, x):
        return x if isinstance(x, ir.Value) else self.ki(x)

    def coef(self, name):
        return _COEF[(name, self.tag)]

    def split(self, name, keep=0, parts=2):
        return _split(name, self.tag, keep, parts)

    # -- intrinsics --------------------------------------------------------
    def _intr(self, name, *args):
        full = "%s.%s" % (name, "f64" if self.is64 else "f32")
        fn = self.m.globals.get(full)
        if fn is None:
            fn = ir.Function(self.m, ir.FunctionType(self.ty, [self.ty] * len(args)), name=full)
        return self.b.call(fn, [self.v(a) for a in args])

    def fma(self, a, b, c):
        return self._intr("llvm.fma", a, b, c)

    def abs(self, a):
        return self._intr("llvm.fabs", a)

    def floor(self, a):
        return self._intr("llvm.floor", a)

    def rint(self, a):
        return self._intr("llvm.rint", a)

    def sqrt(self, a):
        return self._intr("llvm.sqrt", a)

    def copysign(self, mag, sgn):
        return self._intr("llvm.copysign", mag, sgn)

    # -- arithmetic --------------------------------------------------------
    def add(self, a, b):
        return self.b.fadd(self.v(a), self.v(b))

    def sub(self, a, b):
        return self.b.fsub(self.v(a), self.v(b))

    def mul(self, a, b):
        return self.b.fmul(self.v(a), self.v(b))

    def div(self, a, b):
        return self.b.fdiv(self.v(a), self.v(b))

    def neg(self, a):
        return self.b.fneg(self.v(a))

    # -- comparisons (ordered: false on NaN) ---------------------------------
    def _cmp(self, op, a, b):
        return self.b.fcmp_ordered(op, self.v(a), self.v(b))

    def lt(self, a, b):
        return self._cmp("<", a, b)

    def le(self, a, b):
        return self._cmp("<=", a, b)

    def gt(self, a, b):
        return self._cmp(">", a, b)

    def ge(self, a, b):
        return self._cmp(">=", a, b)

    def eq(self, a, b):
        return self._cmp("==", a, b)

    def une(self, a, b):  # unordered not-equal: true on NaN
        return self.b.fcmp_unordered("!=", self.v(a), self.v(b))

    def isnan(self, a):
        return self.b.fcmp_unordered("uno", a, a)

    def isfinite(self, a):
        return self.lt(self.abs(a), self.inf)

    def isinf(self, a):
        return self.eq(self.abs(a), self.inf)

    def sel(self, c, a, b):
        return self.b.select(c, self.v(a), self.v(b))

    def and_(self, a, b):
        return self.b.and_(a, b)

    def or_(self, a, b):
        return self.b.or_(a, b)

    def not_(self, a):
        return self.b.not_(a)

    def signbit(self, a):
        return self.b.icmp_signed("<", self.bits(a), self.ki(0))

    # -- integer / bits --------------------------------------------------
    def bits(self, a):
        return self.b.bitcast(self.v(a), self.ity)

    def fbits(self, i):
        return self.b.bitcast(self.vi(i), self.ty)

    def iadd(self, a, b):
        return self.b.add(self.vi(a), self.vi(b))

    def isub(self, a, b):
        return self.b.sub(self.vi(a), self.vi(b))

    def iand(self, a, b):
        return self.b.and_(self.vi(a), self.vi(b))

    def ior(self, a, b):
        return self.b.or_(self.vi(a), self.vi(b))

    def shl(self, a, n):
        return self.b.shl(self.vi(a), self.vi(n))

    def ashr(self, a, n):
        return self.b.ashr(self.vi(a), self.vi(n))

    def lshr(self, a, n):
        return self.b.lshr(self.vi(a), self.vi(n))

    def icmp(self, op, a, b):
        return self.b.icmp_signed(op, self.vi(a), self.vi(b))

    def isel(self, c, a, b):
        return self.b.select(c, self.vi(a), self.vi(b))

    def toint(self, a):
        """fptosi; the argument must be finite and in range (clamp first)."""
        return self.b.fptosi(self.v(a), self.ity)

    def tofp(self, i):
        return self.b.sitofp(self.vi(i), self.ty)

    # -- helpers -----------------------------------------------------------
    def poly(self, x, cs):
        """Horner with FMA: cs[0] + cs[1] x + ... (lowest degree first)."""
        acc = self.k(cs[-1])
        for c in reversed(cs[:-1]):
            acc = self.fma(acc, x, c)
        return acc

    def clamp(self, x, lo, hi):
        """min(max(x, lo), hi) with NaN -> lo (so the result is always finite)."""
        x = self.sel(self.ge(x, lo), x, lo)
        return self.sel(self.le(x, hi), x, hi)

    def pow2i(self, n):
        """2**n for an integer n in the normal exponent range."""
        return self.fbits(self.shl(self.iadd(n, self.bias), self.mbits))

    def ldexp2k(self, x, n):
        """x * 2**n for |n| <= 2*bias (two exact scalings, one final rounding)."""
        h = self.ashr(n, 1)
        return self.mul(self.mul(x, self.pow2i(h)), self.pow2i(self.isub(n, h)))

    def two_prod(self, a, b):
        p = self.mul(a, b)
        return p, self.fma(a, b, self.neg(p))

    def fast_two_sum(self, a, b):
        """s + e == a + b exactly, provided |a| >= |b| (or a == 0)."""
        s = self.add(a, b)
        return s, self.sub(b, self.sub(s, a))

    def two_sum(self, a, b):
        s = self.add(a, b)
        bb = self.sub(s, a)
        return s, self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))

    def frexp_sqrt2(self, x):
        """For finite x > 0: (k, m) with x = m * 2**k, m in [sqrt(1/2), sqrt(2)).

        Subnormals are handled.  k is returned as a float."""
        sub = self.lt(x, self.min_normal)
        sc = 2 if self.is64 else 1  # scale subnormals by 2**54 / 2**25
        shift = self.mbits + sc
        xs = self.sel(sub, self.mul(x, 2.0 ** shift), x)
        one = (self.bias) << self.mbits
        if self.is64:
            sqh = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2)
        else:
            sqh = 0x3F3504F3
        ix = self.iadd(self.bits(xs), one - sqh)
        k = self.isub(self.ashr(ix, self.mbits), self.bias)
        k = self.isub(k, self.isel(sub, shift, 0))
        mbits = self.iadd(self.iand(ix, (1 << self.mbits) - 1), sqh)
        return self.tofp(k), self.fbits(mbits)


# ---------------------------------------------------------------------------
# exp family
# ---------------------------------------------------------------------------

def _exp_reduce(E: _E, xh, xl=None):
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


def _expm1_poly(E: _E, r):
    """expm1(r) for |r| <= ln2/2 (about 1 ulp)."""
    return E.fma(E.mul(r, r), E.poly(r, E.coef("expm1")), r)


def _exp_mant(E: _E, xh, xl=None):
    """exp(xh + xl) = u * 2**n; returns (u, n_int).  xh clamped by caller."""
    n, rh, rl = _exp_reduce(E, xh, xl)
    p = _expm1_poly(E, rh)
    if rl is not None:
        p = E.add(p, E.fma(p, rl, rl))
    return E.add(p, 1.0), E.toint(n)


def _exp_lim(E: _E):
    # clamp limits: beyond them exp is 0 / inf after scaling
    return (-760.0, 720.0) if E.is64 else (-110.0, 100.0)


def _exp_core(E: _E, x, xl=None):
    """exp(x) for any x except NaN (NaN gives a finite garbage value)."""
    lo, hi = _exp_lim(E)
    xc = E.clamp(x, lo, hi)
    u, n = _exp_mant(E, xc, xl)
    return E.ldexp2k(u, n)


def f_exp(E: _E, x):
    return E.sel(E.isnan(x), x, _exp_core(E, x))


def f_exp2(E: _E, x):
    lim = 1100.0 if E.is64 else 160.0
    xc = E.clamp(x, -lim, lim)
    n = E.rint(xc)
    t = E.sub(xc, n)  # exact
    ln2_hi, ln2_lo = E.split("LN2")
    rh, rl = E.two_prod(t, ln2_hi)
    rl = E.fma(t, ln2_lo, rl)
    p = _expm1_poly(E, rh)
    p = E.add(p, E.fma(p, rl, rl))
    r = E.ldexp2k(E.add(p, 1.0), E.toint(n))
    return E.sel(E.isnan(x), x, r)


def _expm1_core(E: _E, x):
    """expm1(x) for non-NaN x (returns x's sign of zero only via caller)."""
    lo = -60.0 if E.is64 else -30.0
    hi = _exp_lim(E)[1]
    xc = E.clamp(x, lo, hi)
    n, r, _ = _exp_reduce(E, xc)
    p = _expm1_poly(E, r)
    ni = E.toint(n)
    big = E.icmp(">", ni, E.mbits + 3)
    t = E.pow2i(E.isel(big, 0, ni))
    small = E.fma(t, p, E.sub(t, 1.0))
    large = E.ldexp2k(E.add(p, 1.0), ni)
    return E.sel(big, large, small)


def f_expm1(E: _E, x):
    r = _expm1_core(E, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_expit(E: _E, x):
    lo, _ = _exp_lim(E)
    e = _exp_core(E, E.neg(E.abs(x)))
    num = E.sel(E.ge(x, 0.0), 1.0, e)
    r = E.div(num, E.add(e, 1.0))
    return E.sel(E.isnan(x), x, r)


def _exp_half(E: _E, ax):
    """exp(ax)/2 for ax >= 0 (NaN -> garbage), overflowing only when exp(ax)/2 does."""
    lo, hi = _exp_lim(E)
    xc = E.clamp(ax, lo, hi)
    u, n = _exp_mant(E, xc)
    return E.ldexp2k(u, E.isub(n, 1))


def f_sinh(E: _E, x):
    ax = E.abs(x)
    z = E.mul(ax, ax)
    small = E.fma(E.mul(ax, z), E.poly(z, E.coef("sinh")), ax)
    h = _exp_half(E, ax)
    big = E.sub(h, E.div(0.25, h))
    r = E.copysign(E.sel(E.lt(ax, 1.0), small, big), x)
    return E.sel(E.isnan(x), x, r)


def f_cosh(E: _E, x):
    ax = E.abs(x)
    h = _exp_half(E, ax)
    r = E.add(h, E.div(0.25, h))
    return E.sel(E.isnan(x), x, r)


def f_tanh(E: _E, x):
    ax = E.abs(x)
    z = E.mul(ax, ax)
    small = E.fma(E.mul(ax, z), E.poly(z, E.coef("tanh")), ax)
    lim = 22.0 if E.is64 else 10.0
    a2 = E.mul(E.sel(E.lt(ax, lim), ax, lim), 2.0)
    e = _expm1_core(E, a2)
    big = E.div(e, E.add(e, 2.0))
    r = E.copysign(E.sel(E.lt(ax, 0.5625), small, big), x)
    return E.sel(E.isnan(x), x, r)


# ---------------------------------------------------------------------------
# logarithms
# ---------------------------------------------------------------------------

def _log_parts(E: _E, x):
    """x > 0 finite: returns (k, f, s, hfsq, R) with log x = k ln2 + log1p(f),
    log1p(f) = f - hfsq + s*(hfsq + R)."""
    k, m = E.frexp_sqrt2(x)
    f = E.sub(m, 1.0)
    s = E.div(f, E.add(f, 2.0))
    z = E.mul(s, s)
    R = E.mul(z, E.poly(z, E.coef("log")))
    hfsq = E.mul(E.mul(f, f), 0.5)
    return k, f, s, hfsq, R


def _log_specials(E: _E, x, r, *, zero=-float("inf")):
    r = E.sel(E.eq(x, 0.0), zero, r)
    r = E.sel(E.lt(x, 0.0), E.nan, r)
    r = E.sel(E.eq(x, E.inf), E.inf, r)
    return E.sel(E.isnan(x), x, r)


def f_log(E: _E, x):
    k, f, s, hfsq, R = _log_parts(E, x)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.fma(s, E.add(hfsq, R), E.mul(k, ln2_lo)))
    r = E.fma(k, ln2_hi, E.sub(f, t))
    return _log_specials(E, x, r)


def _log_hilo(E: _E, f, s, hfsq, R):
    """log1p(f) = hi + lo (hi = f - hfsq)."""
    hi = E.sub(f, hfsq)
    lo = E.fma(s, E.add(hfsq, R), E.sub(E.sub(f, hi), hfsq))
    return hi, lo


def f_log2(E: _E, x):
    k, f, s, hfsq, R = _log_parts(E, x)
    hi, lo = _log_hilo(E, f, s, hfsq, R)
    c_hi, c_lo = E.split("LOG2E")
    p, pe = E.two_prod(hi, c_hi)
    q = E.add(pe, E.fma(lo, c_hi, E.mul(E.add(hi, lo), c_lo)))
    w, we = E.fast_two_sum(k, p)
    r = E.add(w, E.add(q, we))
    return _log_specials(E, x, r)


def f_log10(E: _E, x):
    k, f, s, hfsq, R = _log_parts(E, x)
    hi, lo = _log_hilo(E, f, s, hfsq, R)
    c_hi, c_lo = E.split("INVLN10")
    l2_hi, l2_lo = E.split("LOG10_2", keep=E.mbits + 1 - 12)
    y = E.mul(k, l2_hi)  # exact
    p, pe = E.two_prod(hi, c_hi)
    q = E.add(pe, E.fma(lo, c_hi, E.fma(E.add(hi, lo), c_lo, E.mul(k, l2_lo))))
    w, we = E.fast_two_sum(y, p)
    r = E.add(w, E.add(q, we))
    return _log_specials(E, x, r)


def _log1p_core(E: _E, x):
    """log1p(x) for x > -1 finite; garbage otherwise."""
    u = E.add(x, 1.0)
    c = E.div(E.sub(x, E.sub(u, 1.0)), u)
    k, f, s, hfsq, R = _log_parts(E, u)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.fma(s, E.add(hfsq, R), E.fma(k, ln2_lo, c)))
    return E.fma(k, ln2_hi, E.sub(f, t))


def _log1p_specials(E: _E, x, r):
    r = E.sel(E.eq(x, -1.0), -E.inf, r)
    r = E.sel(E.lt(x, -1.0), E.nan, r)
    r = E.sel(E.eq(x, E.inf), E.inf, r)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_log1p(E: _E, x):
    return _log1p_specials(E, x, _log1p_core(E, x))


# ---------------------------------------------------------------------------
# inverse hyperbolic
# ---------------------------------------------------------------------------

def f_arcsinh(E: _E, x):
    ax = E.abs(x)
    huge = E.gt(ax, 2.0**60 if E.is64 else 2.0**30)
    a2 = E.mul(ax, ax)
    y = E.add(ax, E.div(a2, E.add(E.sqrt(E.add(a2, 1.0)), 1.0)))
    y = E.sel(huge, ax, y)
    r = _log1p_specials(E, y, _log1p_core(E, y))
    r = E.add(r, E.sel(huge, E.split("LN2")[0], 0.0))
    r = E.copysign(r, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_arccosh(E: _E, x):
    huge = E.gt(x, 2.0**60 if E.is64 else 2.0**30)
    t = E.sub(x, 1.0)
    y = E.add(t, E.sqrt(E.fma(t, t, E.add(t, t))))
    y = E.sel(huge, x, y)
    r = _log1p_specials(E, y, _log1p_core(E, y))
    r = E.add(r, E.sel(huge, E.split("LN2")[0], 0.0))
    return E.sel(E.lt(x, 1.0), E.nan, r)


def f_arctanh(E: _E, x):
    ax = E.abs(x)
    t = E.add(ax, ax)
    om = E.sub(1.0, ax)
    y_small = E.add(t, E.div(E.mul(t, ax), om))
    y_big = E.div(t, om)
    y = E.sel(E.lt(ax, 0.5), y_small, y_big)
    r = E.mul(_log1p_specials(E, y, _log1p_core(E, y)), 0.5)
    r = E.sel(E.gt(ax, 1.0), E.nan, r)
    r = E.copysign(r, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


# ---------------------------------------------------------------------------
# trigonometric
# ---------------------------------------------------------------------------

def _trig_reduce(E: _E, x):
    """x = q pi/2 + r with |r| <~ pi/4.  Returns (q_int, r).

    Three-part Cody-Waite with FMA (first step exact).  Accurate while
    |x| < 2**28 (float64).  Used in float64 arithmetic for float32 inputs too.
    """
    p1, p2, p3 = _split(Fraction(_DEC["PI"]) / 2, E.tag, parts=3)
    lim = 2.0**52 if E.is64 else 2.0**23
    qf = E.rint(E.mul(x, E.split("TWO_OVER_PI")[0]))
    qf = E.clamp(qf, -lim, lim)
    nq = E.neg(qf)
    r = E.fma(nq, p1, x)
    r = E.fma(nq, p2, r)
    r = E.fma(nq, p3, r)
    return E.toint(qf), r


def _sincos_poly(E: _E, r):
    z = E.mul(r, r)
    s = E.fma(E.mul(r, z), E.poly(z, E.coef("sin")), r)
    hz = E.mul(z, 0.5)
    w = E.sub(1.0, hz)
    corr = E.fma(E.mul(z, z), E.poly(z, E.coef("cos")), E.sub(E.sub(1.0, w), hz))
    c = E.add(w, corr)
    return s, c


def _trig_finish(E: _E, x, r):
    r = E.sel(E.lt(E.abs(x), 2.0**-27 if E.is64 else 2.0**-13), x, r)
    return E.sel(E.isfinite(x), r, E.sub(x, x))


def f_sin(E: _E, x):
    q, r = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(q, 2), 0)
    v = E.sel(odd, c, s)
    v = E.sel(neg, E.neg(v), v)
    return _trig_finish(E, x, v)


def f_cos(E: _E, x):
    q, r = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(E.iadd(q, 1), 2), 0)
    v = E.sel(odd, s, c)
    v = E.sel(neg, E.neg(v), v)
    r = E.sel(E.isfinite(x), v, E.sub(x, x))
    return r


def f_tan(E: _E, x):
    q, r = _trig_reduce(E, x)
    z = E.mul(r, r)
    # sin(r) = sh + sl
    t = E.mul(E.mul(r, z), E.poly(z, E.coef("sin")))
    sh, sl = E.fast_two_sum(r, t)
    # cos(r) = ch + cl
    hz = E.mul(z, 0.5)
    w = E.sub(1.0, hz)
    corr = E.fma(E.mul(z, z), E.poly(z, E.coef("cos")), E.sub(E.sub(1.0, w), hz))
    ch, cl = E.fast_two_sum(w, corr)
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


def f_arcsin(E: _E, x):
    ax = E.abs(x)
    z1 = E.mul(ax, ax)
    y1 = E.fma(E.mul(ax, z1), E.poly(z1, E.coef("asin")), ax)
    # |x| > 1/2: asin = pi/2 - 2 asin(sqrt((1-|x|)/2))
    z2 = E.mul(E.sub(1.0, ax), 0.5)
    s = E.sqrt(z2)
    s_lo = E.div(E.fma(E.neg(s), s, z2), E.add(s, s))
    s_lo = E.sel(E.eq(s, 0.0), 0.0, s_lo)
    t = E.mul(E.mul(s, z2), E.poly(z2, E.coef("asin")))
    pio2_hi, pio2_lo = _split(Fraction(_DEC["PI"]) / 2, E.tag)
    s2 = E.add(s, s)
    hi = E.sub(pio2_hi, s2)
    lo = E.sub(E.sub(pio2_hi, hi), s2)
    y2 = E.add(hi, E.add(lo, E.sub(pio2_lo, E.mul(E.add(s_lo, t), 2.0))))
    y = E.sel(E.le(ax, 0.5), y1, y2)
    return E.copysign(y, x)


def f_arccos(E: _E, x):
    ax = E.abs(x)
    pio2_hi, pio2_lo = _split(Fraction(_DEC["PI"]) / 2, E.tag)
    pi_hi, pi_lo = _split(Fraction(_DEC["PI"]), E.tag)
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


def _atan_core(E: _E, ay, ax):
    """atan(ay/ax) in [0, pi/2] for ay, ax >= 0 (not both 0 or both inf)."""
    big = E.gt(ay, E.mul(ax, 39.0 / 16.0))
    c15 = E.gt(ay, E.mul(ax, 19.0 / 16.0))
    c10 = E.gt(ay, E.mul(ax, 11.0 / 16.0))
    c05 = E.gt(ay, E.mul(ax, 7.0 / 16.0))
    c = E.sel(c15, 1.5, E.sel(c10, 1.0, E.sel(c05, 0.5, 0.0)))
    num = E.sel(big, E.neg(ax), E.fma(E.neg(c), ax, ay))
    den = E.sel(big, ay, E.fma(c, ay, ax))
    u = E.div(num, den)
    pio2 = _split(Fraction(_DEC["PI"]) / 2, E.tag)
    pio4 = _split(Fraction(_DEC["PI"]) / 4, E.tag)
    at15 = E.split("ATAN_3HALF")
    at05 = E.split("ATAN_HALF")

    def pick(i):
        return E.sel(big, pio2[i], E.sel(c15, at15[i], E.sel(c10, pio4[i], E.sel(c05, at05[i], 0.0))))

    off_hi, off_lo = pick(0), pick(1)
    z = E.mul(u, u)
    p = E.mul(E.mul(u, z), E.poly(z, E.coef("atan")))
    return E.add(off_hi, E.add(u, E.add(p, off_lo)))


def f_arctan(E: _E, x):
    a = _atan_core(E, E.abs(x), E.k(1.0))
    return E.copysign(a, x)


def f_arctan2(E: _E, y, x):
    ay, ax = E.abs(y), E.abs(x)
    a = _atan_core(E, ay, ax)
    a = E.sel(E.eq(ay, 0.0), 0.0, a)
    a = E.sel(E.and_(E.isinf(ay), E.isinf(ax)), _split(Fraction(_DEC["PI"]) / 4, E.tag)[0], a)
    pi_hi, pi_lo = _split(Fraction(_DEC["PI"]), E.tag)
    a = E.sel(E.signbit(x), E.add(E.sub(pi_hi, a), pi_lo), a)
    r = E.copysign(a, y)
    return E.sel(E.or_(E.isnan(x), E.isnan(y)), E.add(x, y), r)


# ---------------------------------------------------------------------------
# cbrt, hypot
# ---------------------------------------------------------------------------

def f_cbrt(E: _E, x):
    ax = E.abs(x)
    sub = E.lt(ax, E.min_normal)
    sh = 54 if E.is64 else 24  # multiple of 3, > mbits
    axs = E.sel(sub, E.mul(ax, 2.0**sh), ax)
    ib = E.bits(axs)
    e = E.isub(E.lshr(ib, E.mbits), E.bias)
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
    k = E.isub(k, E.isel(sub, sh // 3, 0))
    r = E.copysign(E.mul(y, E.pow2i(k)), x)
    ok = E.and_(E.isfinite(x), E.une(x, 0.0))
    return E.sel(ok, r, E.add(x, x))


def f_hypot(E: _E, x, y):
    ax, ay = E.abs(x), E.abs(y)
    a = E.sel(E.gt(ax, ay), ax, ay)
    b = E.sel(E.gt(ax, ay), ay, ax)
    e = E.isub(E.lshr(E.bits(a), E.mbits), E.bias)
    e = E.isel(E.icmp("<", e, 2 - E.bias), 2 - E.bias, e)
    e = E.isel(E.icmp(">", e, E.bias - 1), E.bias - 1, e)
    down = E.pow2i(E.isub(0, e))
    a_s = E.mul(a, down)
    b_s = E.mul(b, down)
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


def f_hypot_wide(E: _E, x, y):
    """hypot in a wider type (float64 for float32 inputs): plain formula."""
    r = E.sqrt(E.fma(x, x, E.mul(y, y)))
    return E.sel(E.or_(E.isinf(x), E.isinf(y)), E.inf, r)


# ---------------------------------------------------------------------------
# erf / erfc
# ---------------------------------------------------------------------------

_ERFC_C = 3.0


def _erfc_tail(E: _E, ax):
    """erfc(a) for a in [0.5, amax] (a = ax clamped here)."""
    amax = 27.33 if E.is64 else 10.06
    a = E.clamp(ax, 0.5, amax)
    q = E.div(E.sub(a, _ERFC_C), E.add(a, _ERFC_C))
    g = E.poly(q, E.coef("erfc"))
    hi, lo = E.two_prod(a, a)
    u, n = _exp_mant(E, E.neg(hi), E.neg(lo))
    return E.ldexp2k(E.mul(u, g), n)


def _erf_small(E: _E, ax):
    z = E.mul(ax, ax)
    return E.fma(ax, E.poly(z, E.coef("erf")), ax)


def f_erf(E: _E, x):
    ax = E.abs(x)
    y1 = _erf_small(E, ax)
    y2 = E.sub(1.0, _erfc_tail(E, ax))
    r = E.copysign(E.sel(E.lt(ax, 1.0), y1, y2), x)
    return E.sel(E.isnan(x), x, r)


def f_erfc(E: _E, x):
    ax = E.abs(x)
    es = _erf_small(E, ax)
    tail = _erfc_tail(E, ax)
    pos = E.sel(E.lt(ax, 0.5), E.sub(1.0, es), tail)
    neg = E.sel(E.lt(ax, 1.0), E.add(1.0, es), E.sub(2.0, tail))
    r = E.sel(E.lt(x, 0.0), neg, pos)
    return E.sel(E.isnan(x), x, r)


# ---------------------------------------------------------------------------
# power
# ---------------------------------------------------------------------------

def _log_dw(E: _E, ax):
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


def f_power(E: _E, x, y, dw=True):
    ax = E.abs(x)
    if dw:
        lh, ll = _log_dw(E, ax)
        ph, pl = E.two_prod(y, lh)
        pl = E.fma(y, ll, pl)
    else:
        ph = E.mul(y, f_log(E, ax))
        pl = None
    lo, hi = _exp_lim(E)
    phc = E.clamp(ph, lo, hi)
    if dw:
        pl = E.sel(E.eq(phc, ph), pl, 0.0)
    u, n = _exp_mant(E, phc, pl)
    mag = E.ldexp2k(u, n)
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
    fy = E.floor(y)
    yint = E.eq(fy, y)
    hy = E.mul(y, 0.5)
    yodd = E.and_(yint, E.une(E.floor(hy), hy))
    r = E.sel(E.and_(E.signbit(x), yodd), E.neg(mag), mag)
    # negative finite x, non-integer y
    r = E.sel(E.and_(E.and_(E.lt(x, 0.0), E.gt(x, -E.inf)), E.not_(yint)), E.nan, r)
    r = E.sel(E.or_(E.isnan(x), E.isnan(y)), E.add(x, y), r)
    return E.sel(E.or_(E.eq(y, 0.0), E.eq(x, 1.0)), 1.0, r)


def f_logaddexp(E: _E, x, y):
    mx = E.sel(E.gt(x, y), x, y)
    d = E.neg(E.abs(E.sub(x, y)))
    t = f_exp(E, d)
    r = E.add(mx, _log1p_specials(E, t, _log1p_core(E, t)))
    r = E.sel(E.isnan(d), d, r)
    return E.sel(E.eq(x, y), E.add(x, E.split("LN2")[0]), r)


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

_IMPL = {
    "exp": f_exp, "exp2": f_exp2, "expm1": f_expm1,
    "log": f_log, "log2": f_log2, "log10": f_log10, "log1p": f_log1p,
    "sin": f_sin, "cos": f_cos, "tan": f_tan,
    "arcsin": f_arcsin, "arccos": f_arccos, "arctan": f_arctan,
    "sinh": f_sinh, "cosh": f_cosh, "tanh": f_tanh,
    "arcsinh": f_arcsinh, "arccosh": f_arccosh, "arctanh": f_arctanh,
    "cbrt": f_cbrt, "erf": f_erf, "erfc": f_erfc, "expit": f_expit,
    "power": f_power, "arctan2": f_arctan2, "hypot": f_hypot, "logaddexp": f_logaddexp,
}

# float32 functions computed natively in float32; the rest are evaluated with
# the float64 algorithm and rounded once.
_F32_NATIVE = frozenset({
    "exp", "expm1", "log", "log1p", "tanh", "expit", "erf", "erfc",
    "sinh", "cosh", "arctan", "arcsin", "arccos", "cbrt",
    "exp2", "log2", "log10", "arcsinh", "arccosh", "arctanh", "logaddexp", "arctan2",
})

# float32 versions evaluated in float64 with a cheaper algorithm variant
_F32_WIDE_IMPL = {
    "power": lambda E, x, y: f_power(E, x, y, dw=False),
    "hypot": f_hypot_wide,
}

SUPPORTED: frozenset = frozenset(_IMPL)


def _nargs(name: str) -> int:
    return 2 if name in BINARY else 1


def _define(module: ir.Module, name: str, ty, native_f32=None) -> ir.Function:
    is64 = isinstance(ty, ir.DoubleType)
    fname = "xl.%s.%s" % (name, "f64" if is64 else "f32")
    fnty = ir.FunctionType(ty, [ty] * _nargs(name))
    fn = ir.Function(module, fnty, name=fname)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    if native_f32 is None:
        native_f32 = name in _F32_NATIVE
    if is64 or native_f32:
        res = _IMPL[name](_E(b, ty), *fn.args)
    else:
        d = ir.DoubleType()
        args = [b.fpext(a, d) for a in fn.args]
        impl = _F32_WIDE_IMPL.get(name, _IMPL[name])
        res = b.fptrunc(impl(_E(b, d), *args), ty)
    b.ret(res)
    return fn


def get(module: ir.Module, name: str, ty) -> ir.Function:
    """Return ``xl.<name>.<f32|f64>`` in *module*, defining it on first use.

    *ty* is ``ir.FloatType()`` or ``ir.DoubleType()``; the function takes
    ``1`` (unary) or ``2`` (binary: power, arctan2, hypot, logaddexp)
    arguments of type *ty* and returns *ty*.
    """
    if name not in SUPPORTED:
        raise KeyError("vecmath: unsupported function %r" % (name,))
    if not isinstance(ty, (ir.FloatType, ir.DoubleType)):
        raise TypeError("vecmath: type must be float or double, got %s" % (ty,))
    fname = "xl.%s.%s" % (name, "f64" if isinstance(ty, ir.DoubleType) else "f32")
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    return _define(module, name, ty)
