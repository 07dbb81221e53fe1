"""The math library: vectorisable transcendental functions, emitted as LLVM IR.

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
  a short-range variant without it, see ``SHORT_RANGE``).
  arcsin/arccos: ``|x| > 1/2 -> sqrt((1-|x|)/2)``.
  arctan/arctan2: tan-addition formulas around 0, 1/2, 1, 3/2, inf.
  erfc: ``exp(-a*a) g(q) / (1+2a)`` with ``q = (a-3)/(a+3)`` (Juffa), the
  ``exp(-a*a)`` evaluated on the exact double-word ``a*a``.
* Minimax polynomials (weighted Remez exchange in mpmath, relative error,
  coefficients rounded to the working precision one at a time from the
  highest degree down, refitting the lower ones after each rounding) in FMA
  Horner form.  Approximation errors are ~2**-56 .. 2**-66 (float64 sets) and
  ~2**-29 .. 2**-32 (float32 sets) -- well below half an ulp; the table in
  :mod:`.coefficients` lists them.
* Reconstruction in double-word (hi + lo) arithmetic (``two_prod`` via FMA,
  ``fast_two_sum``) wherever cancellation or a final rounding would cost
  accuracy: ``1 + expm1(r)``, log2 / log10, tan (quotient of double-word sin
  and cos), arcsin / arccos, expit, erfc, hypot, and the whole of float64
  ``power`` (log|x| to ~2**-64 relative, ``y*log|x|`` and exp of a
  double-word argument).

float32: the hot functions are computed in float32 with float32 polynomials
(twice the vector width of float64); sin and cos in float32 below
``F32_SINCOS_LIMIT``; the others run the float64 algorithm ("lite" variant,
without the extra-precision steps a float32 result does not need) and round
once, which makes them essentially correctly rounded. Which is which is a
column of the table (:mod:`.table`).

Accuracy, measured against the true value (mpmath / wider precision): at most
~1.75 ulp everywhere, <= 1 ulp for most functions and <= 0.5 ulp for the
float32 functions evaluated in float64.  Against NumPy (whose own float32
SIMD kernels are up to ~3 ulp off) the difference is <= 3 ulp;
``tests/codegen/test_vecmath.py`` holds the measured table.  Special values
match NumPy: NaN where NumPy gives NaN, the same signs of zeros and
infinities, overflow / underflow at the same thresholds, subnormal results
rounded correctly.

Layout of the package:

* :mod:`.table` -- the one table: function name -> algorithm, arity, how
  float32 is computed, short-range variant. Adding a function is a row there
  plus its algorithm.
* :mod:`.emitter` -- :class:`~.emitter.Emitter`, the scalar IR builder the
  algorithms are written against.
* :mod:`.coefficients` -- constants and polynomial coefficients (data only).
* the algorithms, one module per family: :mod:`.exp_log` (exp, exp2, expm1,
  expit, log, log2, log10, log1p, logaddexp), :mod:`.hyperbolic`,
  :mod:`.trig` (sin, cos, tan), :mod:`.inverse_trig` (arcsin, arccos,
  arctan, arctan2), :mod:`.roots` (cbrt, hypot), :mod:`.erf`,
  :mod:`.power`.
* here: ``get`` (define a function in a module, once) and the public names.
"""
from __future__ import annotations

from llvmlite import ir

from .emitter import Emitter
from .table import BINARY, FUNCTIONS, NATIVE, SHORT_RANGE, SPLIT, SUPPORTED, UNARY, short_range_limit
from .trig import F32_SINCOS_LIMIT, SHORT_RANGE_LIMIT

__all__ = ["BINARY", "F32_SINCOS_LIMIT", "SHORT_RANGE", "SHORT_RANGE_LIMIT", "SUPPORTED", "UNARY", "get",
           "short_range_limit"]


def _define(module: ir.Module, name: str, ty, fname: str, short_range: bool) -> ir.Function:
    spec = FUNCTIONS[name]
    is64 = isinstance(ty, ir.DoubleType)
    fnty = ir.FunctionType(ty, [ty] * spec.nargs)
    fn = ir.Function(module, fnty, name=fname)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    if not is64 and spec.f32 == SPLIT:
        E32 = Emitter(b, ty)
        res = spec.f32_impl(E32, fn.args[0])
        if not short_range:      # the float64 algorithm for |x| >= f32_limit
            E = Emitter(b, ir.DoubleType())
            E.lite = True
            wide = b.fptrunc(spec.impl(E, b.fpext(fn.args[0], E.ty)), ty)
            res = b.select(E32.lt(E32.abs(fn.args[0]), spec.f32_limit), res, wide)
    elif is64 or spec.f32 == NATIVE:
        E = Emitter(b, ty)
        E.short_range = short_range
        res = spec.impl(E, *fn.args)
    else:
        d = ir.DoubleType()
        args = [b.fpext(a, d) for a in fn.args]
        impl = spec.f32_impl or spec.impl
        E = Emitter(b, d)
        E.lite = True
        E.short_range = short_range
        res = b.fptrunc(impl(E, *args), ty)
    if spec.snan_nan:
        E0 = Emitter(b, ty)
        snan = E0.issnan(fn.args[0])
        for a in fn.args[1:]:
            snan = E0.or_(snan, E0.issnan(a))
        quiet_sum = fn.args[0]
        for a in fn.args[1:]:
            quiet_sum = E0.add(quiet_sum, a)       # NaN: quiet, from the first NaN argument
        res = E0.sel(snan, quiet_sum, res)
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
        raise KeyError(f"vecmath: unsupported function {name!r}")
    if short_range and name not in SHORT_RANGE:
        raise KeyError(f"vecmath: {name!r} has no short-range variant")
    if not isinstance(ty, (ir.FloatType, ir.DoubleType)):
        raise TypeError(f"vecmath: type must be float or double, got {ty}")
    fname = f"xl.{name}{'.short' if short_range else ''}.{'f64' if isinstance(ty, ir.DoubleType) else 'f32'}"
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    return _define(module, name, ty, fname, short_range)
