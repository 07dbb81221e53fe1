"""Vectorisable transcendental functions, emitted as LLVM IR.

``get(module, name, ty)`` defines (on first use, once per module) an
``internal``, ``alwaysinline`` scalar function ``xl.<name>.<f32|f64>``.  The
bodies are straight-line code: no branches, no loops, no libm calls -- only
arithmetic, integer bit manipulation, ``select`` and LLVM intrinsics with
native vector forms (``llvm.fma``, ``llvm.fabs``, ``llvm.floor``,
``llvm.rint``, ``llvm.sqrt``, ``llvm.copysign``).  Every path is computed and
special cases (NaN, +-inf, +-0, overflow, underflow, domain errors) are merged
with ``select``.  Once inlined into a loop, LLVM's loop vectoriser widens them
like any other arithmetic (``<16 x float>`` / ``<8 x double>`` on AVX-512).
The only memory access is the Payne-Hanek table of sin/cos/tan (a constant
global, read with vector gathers).

Method (fdlibm / Cephes / SLEEF / XLA style):

* Range reduction, exact or in extra precision.  exp family: Cody-Waite
  ``x = n ln2 + r`` with FMA (first step exact), ``2**n`` built from exponent
  bits, scaling split in two so subnormal results are rounded once.
  Logarithms: exponent / mantissa split on the bits (subnormals normalised
  with integer ops, no slow subnormal arithmetic), mantissa in
  ``[sqrt(1/2), sqrt(2))``.  sin/cos/tan: three-part Cody-Waite on pi/2 (FMA,
  double-word remainder) below ``2**32``, table-driven Payne-Hanek above (and
  a short-range variant without it, see ``SHORT_RANGE``).  arcsin/arccos: ``|x| > 1/2 -> sqrt((1-|x|)/2)``.
  arctan/arctan2: tan-addition formulas around 0, 1/2, 1, 3/2, inf.
  erfc: ``exp(-a*a) g(q) / (1+2a)`` with ``q = (a-3)/(a+3)`` (Juffa), the
  ``exp(-a*a)`` evaluated on the exact double-word ``a*a``.
* Minimax polynomials (weighted Remez exchange in mpmath, relative error,
  coefficients rounded to the working precision one at a time from the
  highest degree down, refitting the lower ones after each rounding) in FMA
  Horner form.  Approximation errors are ~2**-56 .. 2**-66 (float64 sets) and
  ~2**-29 .. 2**-32 (float32 sets) -- well below half an ulp; the table below
  lists them.
* Reconstruction in double-word (hi + lo) arithmetic (``two_prod`` via FMA,
  ``fast_two_sum``) wherever cancellation or a final rounding would cost
  accuracy: ``1 + expm1(r)``, log2 / log10, tan (quotient of double-word sin
  and cos), arcsin / arccos, expit, erfc, hypot, and the whole of float64
  ``power`` (log|x| to ~2**-64 relative, ``y*log|x|`` and exp of a
  double-word argument).

float32: the hot functions (``_F32_NATIVE``: exp, exp2, expm1, log, log2,
log10, log1p, tanh, expit, erf, erfc, sinh, cosh, arcsin, arccos, arctan,
cbrt) are computed in float32 with float32 polynomials (twice the vector
width of float64).  The others (sin, cos, tan, power, hypot, arctan2, arcsinh,
arccosh, arctanh, logaddexp) run the float64 algorithm ("lite" variant,
without the extra-precision steps a float32 result does not need) and round
once, which makes them essentially correctly rounded.

Accuracy, measured against the true value (mpmath / wider precision): at most
~1.75 ulp everywhere, <= 1 ulp for most functions and <= 0.5 ulp for the
float32 functions evaluated in float64.  Against NumPy (whose own float32
SIMD kernels are up to ~3 ulp off) the difference is <= 3 ulp;
``tests/codegen/test_vecmath.py`` holds the measured table.  Special values
match NumPy: NaN where NumPy gives NaN, the same signs of zeros and
infinities, overflow / underflow at the same thresholds, subnormal results
rounded correctly.
"""
from __future__ import annotations

import functools
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


_TWO_OVER_PI_HEX = (
    "a2f9836e4e441529fc2757d1f534ddc0db6295993c439041fe5163abdebbc561"
    "b7246e3a424dd2e006492eea09d1921cfe1deb1cb129a73ee88235f52ebb4484"
    "e99c7026b45f7e413991d639835339f49c845f8bbdf9283b1ff897ffde05980f"
    "ef2f118b5a0a6d1f6d367ecf27cb09b74f463f669e5fea2d7527bac7ebe5f17b"
    "3d0739f78a5292ea6bfb5fb11f8d5d0856033046fc7b6babf0cfbc209af4361d"
)  # floor(2/pi * 2**1280)


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
# Polynomial coefficients, lowest degree first (generated offline: weighted
# Remez exchange in mpmath, relative error, coefficients rounded one at a time
# from the highest degree down with the rest refitted).  max relative error of
# the rounded polynomial in brackets.
#
#   expm1   Q(r) = (expm1(r) - r) / r**2, r in [-0.347, 0.347]
#           f32 deg 5 [2**-28.2], f64 deg 10 [2**-60.0]; used by all of the
#           exp family as expm1(r) = r + r*r*Q(r)
#   log     f64: P(z) = (2 atanh(s) - 2 s) / (s z), z = s*s in [0, 0.02946]
#           deg 6 [2**-59.5]
#   logpoly f32: P(f) = (log1p(f) - f + f*f/2) / f**3, f in [-0.2931, 0.4149]
#           deg 8 [2**-29.0]
#   powlog  f64: as ``log``, deg 7, c0 as a hi/lo pair [2**-66.7]
#   sin     f64: (sin r - r) / r**3 in z = r*r in [0, (1.0005 pi/4)**2], deg 6 [2**-63.2]
#   cos     f64: (cos r - 1 + z/2) / z**2, same z, deg 5 [2**-63.9]
#   sin/cos f32 (the short-range float32 sin/cos): the same functions of z,
#           sin deg 3 [2**-32.2], cos deg 2 [2**-33.0] (least squares on
#           Chebyshev nodes, relative weight, rounded from c0 up with the rest refitted)
#   asin    (asin x - x) / x**3 in z = x*x in [0, 1/4]; f32 deg 5 [2**-31.7],
#           f64 deg 12 [2**-59.9]
#   atan    (atan u - u) / u**3 in z in [0, (1.001 * 7/16)**2]; f32 deg 4
#           [2**-29.5], f64 deg 11 [2**-62.3]
#   sinh    (sinh x - x) / x**3 in z in [0, 1]; f32 deg 3 [2**-31.6], f64 deg 6 [2**-61.8]
#   tanh    (tanh x - x) / x**3 in z in [0, 0.5625**2]; f32 deg 4 [2**-29.4],
#           f64 deg 10 [2**-59.8]
#   erf     (erf x - x) / x in z in [0, 1]; f32 deg 6 [2**-29.4], f64 deg 12 [2**-56.3]
#   erfc    g(q) = (1 + 2a) exp(a*a) erfc(a), q = (a-3)/(a+3), a in [0.5, 10.06]
#           (f32, deg 10 [2**-29.2]) / [0.5, 27.33] (f64, deg 22 [2**-56.5]);
#           c0 as a hi/lo pair
#   cbrt    cbrt(m), m in [1, 2): f32 deg 3 [2**-13.7] + one Halley step,
#           f64 deg 5 [2**-19.6] + two Halley steps
# ---------------------------------------------------------------------------

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
    ('cbrt', 'f32'): (
        0.5528234243392944,
        0.5871142745018005,
        -0.16296961903572083,
        0.023104937747120857,
    ),
    ('cbrt', 'f64'): (
        0.4733306545888212,
        0.8381601022292816,
        -0.46922879035059867,
        0.20277726124022555,
        -0.050386544285814,
        0.005348547555539067,
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
    ('erf', 'f64'): (
        0.1283791670955126,
        -0.376126389031841,
        0.11283791670971098,
        -0.026866170648031124,
        0.005223977652692174,
        -0.0008548328535765236,
        0.000120553861917822,
        -1.4926881418318653e-05,
        1.6481058054332437e-06,
        -1.6557120531504045e-07,
        1.601316835764087e-08,
        -1.6464525714794391e-09,
        1.4343234562923778e-10,
    ),
    ('erfc', 'f32'): (
        1.2530080596313575,
        4.6037152386764674e-18,
        -0.1356211006641388,
        -0.0475623793900013,
        0.12964503467082977,
        -0.11927159875631332,
        0.0683104395866394,
        -0.023788774386048317,
        0.0025080961640924215,
        0.0019548863638192415,
        -0.0006957710138522089,
        -0.00018833902140613645,
    ),
    ('erfc', 'f64'): (
        1.2530080582697296,
        4.302825999180869e-17,
        -0.1356211061245812,
        -0.047562294353450704,
        0.12964515870276386,
        -0.11927366341531145,
        0.06830802734387179,
        -0.02377051491853351,
        0.0025293918176799673,
        0.0018886903561420834,
        -0.0007798322852369557,
        -0.0001051597557725881,
        0.00012509941228127974,
        4.949135969738784e-06,
        -2.0100704224956714e-05,
        -7.298871754222574e-07,
        3.4724217945067706e-06,
        3.5221403541955556e-07,
        -6.158495597172965e-07,
        -1.3350830821011892e-07,
        9.980342274069394e-08,
        3.347256446281556e-08,
        -1.1034193779487281e-08,
        -4.025447152604345e-09,
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
    ('log', 'f64'): (
        0.6666666666666735,
        0.39999999999412805,
        0.2857142874288686,
        0.22222198513892888,
        0.18183567806132653,
        0.15313951779517954,
        0.1479703135417931,
    ),
    ('logpoly', 'f32'): (
        0.3333331346511841,
        -0.25000011920928955,
        0.2000213861465454,
        -0.16667981445789337,
        0.14219093322753906,
        -0.12405512481927872,
        0.11891789734363556,
        -0.11677997559309006,
        0.06741075962781906,
    ),
    ('powlog', 'f64'): (
        0.6666666666666666,
        -2.0096997117119766e-17,
        0.4000000000000627,
        0.28571428569077695,
        0.22222222648141549,
        0.18181775550703935,
        0.15387096041216877,
        0.13249993873998028,
        0.13252499874960566,
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
    ('sin', 'f32'): (
        -0.1666666716337204,
        0.008333371952176094,
        -0.00019849908130709082,
        2.8004862997477176e-06,
    ),
    ('cos', 'f32'): (
        0.04166664555668831,
        -0.0013887310633435845,
        2.4432552891084924e-05,
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
        self.min_normal = 2.0 ** (1 - self.bias)
        self.inf = float("inf")
        self.nan = float("nan")
        # True when emitting float64 code whose result is rounded to float32:
        # some extra-precision steps can then be skipped.
        self.lite = False
        # True for the short-range variants of sin/cos/tan (no Payne-Hanek step).
        self.short_range = False

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

    def normalize_subnormal(self, x):
        """(xs, adj) with x = xs * 2**adj and xs normal, for x >= 0.

        Integer based (a subnormal's bits are its mantissa: convert that
        integer to floating point), so no arithmetic on subnormal operands,
        which is very slow on x86."""
        ib = self.bits(x)
        sub = self.icmp("<", ib, 1 << self.mbits)
        xs = self.sel(sub, self.tofp(ib), x)
        return xs, self.isel(sub, 1 - self.bias - self.mbits, 0)

    def frexp_sqrt2(self, x):
        """For finite x > 0: (k, m) with x = m * 2**k, m in [sqrt(1/2), sqrt(2)).

        Subnormals are handled.  k is returned as a float."""
        xs, adj = self.normalize_subnormal(x)
        one = (self.bias) << self.mbits
        if self.is64:
            sqh = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2)
        else:
            sqh = 0x3F3504F3
        ix = self.iadd(self.bits(xs), one - sqh)
        k = self.isub(self.ashr(ix, self.mbits), self.bias)
        k = self.iadd(k, adj)
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


def _expm1_poly_dw(E: _E, r):
    """expm1(r) = ph + pl for |r| <= ln2/2 (pl holds the rounding error of r + t)."""
    t = E.mul(E.mul(r, r), E.poly(r, E.coef("expm1")))
    return E.fast_two_sum(r, t)


def _exp_mant_dw(E: _E, xh, xl=None):
    """exp(xh + xl) = (uh + ul) * 2**n; returns (uh, ul, n_int).  xh clamped by caller."""
    n, rh, rl = _exp_reduce(E, xh, xl)
    ph, pl = _expm1_poly_dw(E, rh)
    if rl is not None:
        pl = E.add(pl, E.fma(ph, rl, rl))
    uh, ul = E.fast_two_sum(E.k(1.0), ph)
    return uh, E.add(ul, pl), E.toint(n)


def _exp_mant(E: _E, xh, xl=None):
    """exp(xh + xl) = u * 2**n; returns (u, n_int).  xh clamped by caller."""
    uh, ul, n = _exp_mant_dw(E, xh, xl)
    return E.add(uh, ul), n


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
    ph, pl = _expm1_poly_dw(E, rh)
    pl = E.add(pl, E.fma(ph, rl, rl))
    uh, ul = E.fast_two_sum(E.k(1.0), ph)
    r = E.ldexp2k(E.add(uh, E.add(ul, pl)), E.toint(n))
    return E.sel(E.isnan(x), x, r)


def _expm1_core(E: _E, x, hi=None):
    """expm1(x) for non-NaN x (returns x's sign of zero only via caller).

    With ``hi`` given the caller guarantees x <= hi < (bias - 1) ln2 and the
    overflow path is left out."""
    lo = -60.0 if E.is64 else -30.0
    xc = E.clamp(x, lo, _exp_lim(E)[1] if hi is None else hi)
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


def f_expm1(E: _E, x):
    r = _expm1_core(E, x)
    return E.sel(E.or_(E.isnan(x), E.eq(x, 0.0)), x, r)


def f_expit(E: _E, x):
    e = _exp_core(E, E.neg(E.abs(x)))
    num = E.sel(E.ge(x, 0.0), 1.0, e)
    s, sl = E.fast_two_sum(E.k(1.0), e)  # 1 + e = s + sl
    rs = E.div(1.0, s)
    q = E.mul(num, rs)
    res = E.sub(E.fma(E.neg(q), s, num), E.mul(q, sl))  # num - q (s + sl)
    r = E.fma(rs, res, q)
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
    lim = 22.0 if E.is64 else 10.0  # tanh rounds to 1 beyond
    a2 = E.mul(E.sel(E.lt(ax, lim), ax, lim), 2.0)
    e = _expm1_core(E, a2, hi=2 * lim)
    big = E.div(e, E.add(e, 2.0))
    r = E.copysign(E.sel(E.lt(ax, 0.5625), small, big), x)
    return E.sel(E.isnan(x), x, r)


# ---------------------------------------------------------------------------
# logarithms
# ---------------------------------------------------------------------------

def _log_parts(E: _E, x):
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


def _log_specials(E: _E, x, r, *, zero=-float("inf")):
    r = E.sel(E.eq(x, 0.0), zero, r)
    r = E.sel(E.lt(x, 0.0), E.nan, r)
    r = E.sel(E.eq(x, E.inf), E.inf, r)
    return E.sel(E.isnan(x), x, r)


def f_log(E: _E, x):
    k, f, hfsq, T = _log_parts(E, x)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.fma(k, ln2_lo, T))
    r = E.fma(k, ln2_hi, E.sub(f, t))
    return _log_specials(E, x, r)


def _log_hilo(E: _E, f, hfsq, T):
    """log1p(f) = hi + lo (hi = f - hfsq)."""
    hi = E.sub(f, hfsq)
    lo = E.add(T, E.sub(E.sub(f, hi), hfsq))
    return hi, lo


def f_log2(E: _E, x):
    k, f, hfsq, T = _log_parts(E, x)
    hi, lo = _log_hilo(E, f, hfsq, T)
    c_hi, c_lo = E.split("LOG2E")
    p, pe = E.two_prod(hi, c_hi)
    q = E.add(pe, E.fma(lo, c_hi, E.mul(E.add(hi, lo), c_lo)))
    w, we = E.fast_two_sum(k, p)
    r = E.add(w, E.add(q, we))
    return _log_specials(E, x, r)


def f_log10(E: _E, x):
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


def _log1p_core(E: _E, x):
    """log1p(x) for x > -1 finite; garbage otherwise."""
    u = E.add(x, 1.0)
    c = E.div(E.sub(x, E.sub(u, 1.0)), u)
    k, f, hfsq, T = _log_parts(E, u)
    ln2_hi, ln2_lo = E.split("LN2")
    t = E.sub(hfsq, E.add(T, E.fma(k, ln2_lo, c)))
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

# Payne-Hanek table: for x = M * 2**E (M a 53-bit integer), row E holds
# (2**E * 2/pi) mod 4 as an unevaluated sum of 4 doubles.
_RP_EMIN = -20
_RP_EMAX = 972


@functools.lru_cache(maxsize=None)
def _rempi_rows() -> tuple:
    big = int(_TWO_OVER_PI_HEX, 16)
    fb = 4 * len(_TWO_OVER_PI_HEX)
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


def _rempi_table(E: _E):
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


def _rempi(E: _E, x):
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
    pio2_hi, pio2_lo = _split(Fraction(_DEC["PI"]) / 2, E.tag)
    rh, rl = E.two_prod(s, pio2_hi)
    rl = E.fma(s, pio2_lo, E.fma(lo, pio2_hi, rl))
    rh, rl = E.fast_two_sum(rh, rl)
    q = E.toint(qf)
    neg = E.signbit(x)
    q = E.isel(neg, E.isub(0, q), q)
    return q, E.sel(neg, E.neg(rh), rh), E.sel(neg, E.neg(rl), rl)


# sin/cos/tan come in two variants. The full one (``xl.sin.f32``) is exact
# everywhere: Cody-Waite below 2**32, the Payne-Hanek reduction above, both
# computed for every element since the code is branch free -- the Payne-Hanek
# part (gathers plus ~40 flops) makes it ~3x slower.  The short-range one
# (``xl.sin.short.f32``, ``get(..., short_range=True)``) is Cody-Waite alone:
# the same results for |x| < SHORT_RANGE_LIMIT (and NaN, +-inf), unspecified
# beyond.  Map kernels run the short variant and note whether any argument of
# a chunk was out of range; such a chunk is computed again with the full
# variant (see ``MapKernel._range_checked``).
SHORT_RANGE = frozenset({"sin", "cos", "tan"})
SHORT_RANGE_LIMIT = 2.0**32


# float32 sin/cos below F32_SINCOS_LIMIT are computed natively in float32 (16 lanes on
# AVX-512): three-part Cody-Waite with FMA (exact first step while q < 2**20) and float32
# polynomials.  Above it (and in no other case) the float64 algorithm runs; the full
# variant selects per element, so a value's result never depends on its neighbours.
F32_SINCOS_LIMIT = 2.0**17


def short_range_limit(name: str, ty) -> float:
    """|x| below which the short-range variant of sin/cos/tan equals the full one."""
    if isinstance(ty, ir.FloatType) and name in ("sin", "cos"):
        return F32_SINCOS_LIMIT
    return SHORT_RANGE_LIMIT


def _sincos_f32(E: _E, x, name):
    """float32 sin or cos of x for |x| < F32_SINCOS_LIMIT (finite garbage beyond; NaN for
    NaN and +-inf)."""
    assert not E.is64
    p1, p2, p3 = _split(Fraction(_DEC["PI"]) / 2, "f32", parts=3)
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


def _trig_reduce(E: _E, x):
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


def _trig_reduce_cw(E: _E, x):
    p1, p2, p3 = _split(Fraction(_DEC["PI"]) / 2, E.tag, parts=3)
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


def _sin_dw(E: _E, r, rl):
    """sin(r + rl) = sh + sl (|r| <= pi/4)."""
    z = E.mul(r, r)
    t = E.mul(E.mul(r, z), E.poly(z, E.coef("sin")))
    if rl is not None:
        t = E.add(t, E.fma(E.mul(z, -0.5), rl, rl))
    return E.fast_two_sum(r, t)


def _cos_dw(E: _E, r, rl):
    """cos(r + rl) = ch + cl (|r| <= pi/4)."""
    z = E.mul(r, r)
    hz = E.mul(z, 0.5)
    w = E.sub(1.0, hz)
    corr = E.fma(E.mul(z, z), E.poly(z, E.coef("cos")), E.sub(E.sub(1.0, w), hz))
    if rl is not None:
        corr = E.fma(E.neg(r), rl, corr)
    return E.fast_two_sum(w, corr)


def _sincos_poly(E: _E, r, rl):
    sh, sl = _sin_dw(E, r, rl)
    ch, cl = _cos_dw(E, r, rl)
    return E.add(sh, sl), E.add(ch, cl)


def _trig_finish(E: _E, x, r):
    r = E.sel(E.lt(E.abs(x), 2.0**-27 if E.is64 else 2.0**-13), x, r)
    return E.sel(E.isfinite(x), r, E.sub(x, x))


def f_sin(E: _E, x):
    q, r, rl = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r, rl)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(q, 2), 0)
    v = E.sel(odd, c, s)
    v = E.sel(neg, E.neg(v), v)
    return _trig_finish(E, x, v)


def f_cos(E: _E, x):
    q, r, rl = _trig_reduce(E, x)
    s, c = _sincos_poly(E, r, rl)
    odd = E.icmp("!=", E.iand(q, 1), 0)
    neg = E.icmp("!=", E.iand(E.iadd(q, 1), 2), 0)
    v = E.sel(odd, s, c)
    v = E.sel(neg, E.neg(v), v)
    r = E.sel(E.isfinite(x), v, E.sub(x, x))
    return r


def f_tan(E: _E, x):
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
    c = E.sel(c15, 1.5, E.sel(c10, 1.0, 0.5))
    num = E.sel(big, E.neg(ax), E.sel(c05, E.fma(E.neg(c), ax, ay), ay))
    den = E.sel(big, ay, E.sel(c05, E.fma(c, ay, ax), ax))
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


def _scale_pair(E: _E, a, b):
    """Scale a, b >= 0 by the same power of two so that max(a, b) is in [1, 2)
    (as far as the normal range allows); also returns the exponent."""
    m = E.sel(E.gt(a, b), a, b)
    e = E.isub(E.lshr(E.bits(m), E.mbits), E.bias)
    e = E.isel(E.icmp("<", e, 2 - E.bias), 2 - E.bias, e)
    e = E.isel(E.icmp(">", e, E.bias - 1), E.bias - 1, e)
    down = E.pow2i(E.isub(0, e))
    return E.mul(a, down), E.mul(b, down), e


def f_arctan2(E: _E, y, x):
    ay, ax, _ = _scale_pair(E, E.abs(y), E.abs(x))
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


def f_hypot(E: _E, x, y):
    ax, ay = E.abs(x), E.abs(y)
    a = E.sel(E.gt(ax, ay), ax, ay)
    b = E.sel(E.gt(ax, ay), ay, ax)
    a_s, b_s, e = _scale_pair(E, a, b)
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
    uh, ul, n = _exp_mant_dw(E, E.neg(hi), E.neg(lo))
    vh, vl = E.two_prod(uh, gh)  # (uh + ul) (gh + gl)
    vl = E.fma(uh, gl, E.fma(ul, gh, vl))
    dh, dl = E.fast_two_sum(E.add(a, a), E.k(1.0))  # 1 + 2a
    r = E.div(1.0, dh)
    qv = E.mul(vh, r)
    res = E.add(E.fma(E.neg(qv), dh, vh), E.fma(E.neg(qv), dl, vl))
    return E.ldexp2k(E.fma(r, res, qv), n)


def _erf_small(E: _E, ax):
    z = E.mul(ax, ax)
    return E.fma(ax, E.poly(z, E.coef("erf")), ax)


def f_erf(E: _E, x):
    ax = E.abs(x)
    y1 = _erf_small(E, ax)
    # erf(a) rounds to 1 once erfc(a) < half an ulp of 1 (a > 3.92 in float32, 5.93 in float64):
    # clamping there keeps exp(-a*a) out of the (slow) subnormal range without changing results
    y2 = E.sub(1.0, _erfc_tail(E, E.clamp(ax, 0.0, 6.0 if E.is64 else 4.0)))
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


def f_logaddexp_f32(E: _E, x, y):
    """float32 logaddexp evaluated in float64 (E) the way NumPy does in float32:
    x + log1p(exp(-|x - y|)) with each intermediate rounded to float32."""
    f32 = ir.FloatType()

    def r32(v):
        return E.b.fpext(E.b.fptrunc(v, f32), E.ty)

    mx = E.sel(E.gt(x, y), x, y)
    d = r32(E.neg(E.abs(E.sub(x, y))))
    t = r32(f_exp(E, d))
    l1 = r32(_log1p_specials(E, t, _log1p_core(E, t)))
    r = E.add(mx, l1)
    r = E.sel(E.isnan(d), d, r)
    return E.sel(E.eq(x, y), E.add(x, r32(E.k(float(Fraction(_DEC["LN2"]))))), r)


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
    "exp2", "log2", "log10",
})

# float32 versions evaluated in float64 with a cheaper algorithm variant
_F32_WIDE_IMPL = {
    "power": lambda E, x, y: f_power(E, x, y, dw=False),
    "hypot": f_hypot_wide,
    "logaddexp": f_logaddexp_f32,
}

SUPPORTED: frozenset = frozenset(_IMPL)


def _nargs(name: str) -> int:
    return 2 if name in BINARY else 1


def _define(module: ir.Module, name: str, ty, fname: str, short_range: bool) -> ir.Function:
    is64 = isinstance(ty, ir.DoubleType)
    fnty = ir.FunctionType(ty, [ty] * _nargs(name))
    fn = ir.Function(module, fnty, name=fname)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    if not is64 and name in ("sin", "cos"):
        E32 = _E(b, ty)
        res = _sincos_f32(E32, fn.args[0], name)
        if not short_range:      # the float64 algorithm for |x| >= F32_SINCOS_LIMIT
            E = _E(b, ir.DoubleType())
            E.lite = True
            wide = b.fptrunc(_IMPL[name](E, b.fpext(fn.args[0], E.ty)), ty)
            res = b.select(E32.lt(E32.abs(fn.args[0]), F32_SINCOS_LIMIT), res, wide)
    elif is64 or name in _F32_NATIVE:
        E = _E(b, ty)
        E.short_range = short_range
        res = _IMPL[name](E, *fn.args)
    else:
        d = ir.DoubleType()
        args = [b.fpext(a, d) for a in fn.args]
        impl = _F32_WIDE_IMPL.get(name, _IMPL[name])
        E = _E(b, d)
        E.lite = True
        E.short_range = short_range
        res = b.fptrunc(impl(E, *args), ty)
    b.ret(res)
    return fn


def get(module: ir.Module, name: str, ty, short_range: bool = False) -> ir.Function:
    """Return ``xl.<name>.<f32|f64>`` in *module*, defining it on first use.

    *ty* is ``ir.FloatType()`` or ``ir.DoubleType()``; the function takes
    ``1`` (unary) or ``2`` (binary: power, arctan2, hypot, logaddexp)
    arguments of type *ty* and returns *ty*.  ``short_range=True`` (only for
    the names in ``SHORT_RANGE``) gives ``xl.<name>.short.<f32|f64>``, equal to the
    full one for arguments below ``short_range_limit(name, ty)`` in magnitude only.
    """
    if name not in SUPPORTED:
        raise KeyError("vecmath: unsupported function %r" % (name,))
    if short_range and name not in SHORT_RANGE:
        raise KeyError("vecmath: %r has no short-range variant" % (name,))
    if not isinstance(ty, (ir.FloatType, ir.DoubleType)):
        raise TypeError("vecmath: type must be float or double, got %s" % (ty,))
    fname = "xl.%s%s.%s" % (name, ".short" if short_range else "",
                            "f64" if isinstance(ty, ir.DoubleType) else "f32")
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    return _define(module, name, ty, fname, short_range)
