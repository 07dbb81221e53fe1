"""The one table of the math library: function name -> algorithm and per-function facts.

Adding a transcendental ``f`` takes: its algorithm, ``f_f(E, *args)`` written
against :class:`~.emitter.Emitter` in the module of its family (with its
polynomial coefficients, if any, in :mod:`.coefficients`), and one row here.
Everything else (``UNARY``, ``BINARY``, ``SUPPORTED``, ``SHORT_RANGE``, how
float32 is computed, the argument range of a short-range variant) is read
from the row. The CPU lowering (:mod:`xlaish.codegen.cpu.elementwise`) calls
``vecmath.get(module, "f", ty)``; the op itself is declared in
:mod:`xlaish.ir.ops.elementwise`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from .erf import f_erf, f_erfc
from .exp_log import (
    f_exp,
    f_exp2,
    f_expit,
    f_expm1,
    f_log,
    f_log1p,
    f_log2,
    f_log10,
    f_logaddexp,
    f_logaddexp_f32,
)
from .hyperbolic import f_arccosh, f_arcsinh, f_arctanh, f_cosh, f_sinh, f_tanh
from .inverse_trig import f_arccos, f_arcsin, f_arctan, f_arctan2
from .power import f_power, f_power_wide
from .roots import f_cbrt, f_hypot, f_hypot_wide
from .trig import F32_SINCOS_LIMIT, SHORT_RANGE_LIMIT, f_cos, f_cos_f32, f_sin, f_sin_f32, f_tan

# How a float32 result is computed:
NATIVE = "native"   # in float32 with float32 polynomials (twice the vector width of float64)
WIDE = "wide"       # the float64 algorithm in "lite" mode (without the extra-precision steps a
                    # float32 result does not need), rounded once: essentially correctly rounded
SPLIT = "split"     # ``f32_impl`` in float32 below ``f32_limit``, the WIDE way above


@dataclass(frozen=True)
class MathFn:
    impl: Callable                    # impl(E, *args): float64, and float32 when f32 is NATIVE
    nargs: int = 1
    f32: str = WIDE
    f32_impl: Callable | None = None  # WIDE: a cheaper variant for float32 arguments evaluated in
                                      # float64 (default: impl); SPLIT: the float32 algorithm
    f32_limit: float = 0.0            # SPLIT: |x| below which f32_impl is used
    short_range: bool = False         # has a short-range variant, see short_range_limit
    snan_nan: bool = False            # a signalling NaN argument gives NaN even where a quiet
                                      # one does not (glibc / NumPy: hypot(sNaN, inf) is NaN,
                                      # hypot(qNaN, inf) is inf); tested on the argument's own
                                      # type, before any widening (which quietens it)


FUNCTIONS: dict[str, MathFn] = {
    "exp": MathFn(f_exp, f32=NATIVE),
    "exp2": MathFn(f_exp2, f32=NATIVE),
    "expm1": MathFn(f_expm1, f32=NATIVE),
    "log": MathFn(f_log, f32=NATIVE),
    "log2": MathFn(f_log2, f32=NATIVE),
    "log10": MathFn(f_log10, f32=NATIVE),
    "log1p": MathFn(f_log1p, f32=NATIVE),
    "sin": MathFn(f_sin, f32=SPLIT, f32_impl=f_sin_f32, f32_limit=F32_SINCOS_LIMIT, short_range=True),
    "cos": MathFn(f_cos, f32=SPLIT, f32_impl=f_cos_f32, f32_limit=F32_SINCOS_LIMIT, short_range=True),
    "tan": MathFn(f_tan, short_range=True),
    "arcsin": MathFn(f_arcsin, f32=NATIVE),
    "arccos": MathFn(f_arccos, f32=NATIVE),
    "arctan": MathFn(f_arctan, f32=NATIVE),
    "sinh": MathFn(f_sinh, f32=NATIVE),
    "cosh": MathFn(f_cosh, f32=NATIVE),
    "tanh": MathFn(f_tanh, f32=NATIVE),
    "arcsinh": MathFn(f_arcsinh),
    "arccosh": MathFn(f_arccosh),
    "arctanh": MathFn(f_arctanh),
    "cbrt": MathFn(f_cbrt, f32=NATIVE),
    "erf": MathFn(f_erf, f32=NATIVE),
    "erfc": MathFn(f_erfc, f32=NATIVE),
    "expit": MathFn(f_expit, f32=NATIVE),
    "power": MathFn(f_power, nargs=2, f32_impl=f_power_wide),
    "arctan2": MathFn(f_arctan2, nargs=2),
    "hypot": MathFn(f_hypot, nargs=2, f32_impl=f_hypot_wide, snan_nan=True),
    "logaddexp": MathFn(f_logaddexp, nargs=2, f32_impl=f_logaddexp_f32),
}

UNARY = tuple(n for n, f in FUNCTIONS.items() if f.nargs == 1)
BINARY = tuple(n for n, f in FUNCTIONS.items() if f.nargs == 2)
SUPPORTED: frozenset = frozenset(FUNCTIONS)

# Functions with a short-range variant (``xl.<name>.short.<f32|f64>``, ``get(...,
# short_range=True)``): the same results as the full one below ``short_range_limit`` (and for
# NaN, +-inf), unspecified beyond, and much cheaper (sin/cos/tan: Cody-Waite alone, no
# Payne-Hanek). Map kernels run the short variant and note whether any argument of a chunk was
# out of range; such a chunk is computed again with the full variant
# (see ``MapKernel._range_checked`` in :mod:`xlaish.codegen.cpu.map_kernel`).
SHORT_RANGE = frozenset(n for n, f in FUNCTIONS.items() if f.short_range)


def short_range_limit(name: str, ty) -> float:
    """|x| below which the short-range variant of *name* in type *ty* equals the full one."""
    fn = FUNCTIONS[name]
    if not fn.short_range:
        raise KeyError(f"vecmath: {name!r} has no short-range variant")
    if isinstance(ty, ir.FloatType) and fn.f32 == SPLIT:
        return fn.f32_limit
    return SHORT_RANGE_LIMIT
