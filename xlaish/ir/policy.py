"""NumPy semantics every backend must reproduce, written once (imports NumPy only).

The CPU (:mod:`xlaish.codegen.cpu.elementwise`) and CUDA
(:mod:`xlaish.codegen.cuda.ops`) generators express these in their own
languages; the decisions live here.

Mixed uint64/int64 comparisons
    NumPy compares ``uint64`` with ``int64`` exactly (no float64 detour): a
    negative int64 is below every uint64, otherwise both compare as unsigned.
    :func:`mixed_compare_plan` gives the recipe; the pass pipeline rewrites such
    comparisons into uniform-dtype ops (:func:`split_mixed_compare`) so that no
    backend meets operands of two dtypes.

Float -> integer casts
    NumPy's cast loops on x86-64 give every input a defined result:
    ``cvtt`` to int32/int64 (NaN, +-inf and out-of-range values give INT_MIN),
    narrower types through the int32 conversion and wrapped, uint32/uint64 by
    ``x >= 2**(n-1) ? cvtt(x - 2**(n-1)) ^ INT_MIN : cvtt(x)``, and float16 ->
    uint32 through the int64 conversion. :func:`float_to_int_plan` picks the
    step; :func:`cvtt_range` is the open interval ``cvtt`` accepts.

Reduction accumulators
    ``sum`` and ``prod`` of float16/float32 accumulate in float64 (NumPy's pairwise
    float32 sum is more accurate than a float32 running total; float64 is at least as
    accurate); every other reduction accumulates in its input dtype.
    :func:`accumulator_dtype` is the one answer both backends use.

Integer arithmetic where C is undefined (NumPy's defined results)
    ``x // 0`` and ``x % 0`` are 0; ``MIN // -1`` wraps to ``MIN`` and
    ``MIN % -1`` is 0; a shift by a count that is negative or at least the bit
    width gives 0 (right shift of a negative value: -1); integer ``reciprocal``
    is ``1 // x``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

U64, I64 = np.dtype(np.uint64), np.dtype(np.int64)
SWAPPED = {"less": "greater", "less_equal": "greater_equal", "greater": "less",
           "greater_equal": "less_equal", "equal": "equal", "not_equal": "not_equal"}
_PY = {"equal": lambda a, b: a == b, "not_equal": lambda a, b: a != b, "less": lambda a, b: a < b,
       "less_equal": lambda a, b: a <= b, "greater": lambda a, b: a > b,
       "greater_equal": lambda a, b: a >= b}


def is_mixed_compare(name: str, dtypes) -> bool:
    """Is this comparison NumPy's exact uint64-with-int64 loop (operands of two dtypes)?"""
    return name in SWAPPED and len(dtypes) == 2 and {np.dtype(d) for d in dtypes} == {U64, I64}


@dataclass(frozen=True)
class MixedComparePlan:
    """Compare ``x`` (uint64) with ``y`` (int64) by ``name``: where ``y < 0`` the result is
    ``when_negative``; elsewhere it is ``name`` of both as uint64. ``swap``: the operands
    arrive as (int64, uint64) and are swapped first (``name`` is then the mirrored one)."""
    swap: bool
    name: str
    when_negative: bool


def mixed_compare_plan(name: str, dtypes) -> MixedComparePlan:
    swap = np.dtype(dtypes[0]) == I64
    if swap:
        name = SWAPPED[name]
    return MixedComparePlan(swap, name, bool(_PY[name](0, -1)))


def split_mixed_compare(emit, const, name: str, x, y, dtypes):
    """The mixed comparison built from uniform-dtype ops: ``emit(op, operands, attrs=None)``
    appends an op and returns its value, ``const(np scalar)`` makes a constant."""
    plan = mixed_compare_plan(name, dtypes)
    if plan.swap:
        x, y = y, x
    negative = emit("less", [y, const(np.int64(0))])
    as_unsigned = emit(plan.name, [x, emit("astype", [y], {"dtype": U64})])
    return emit("select", [negative, const(np.bool_(plan.when_negative)), as_unsigned])


@dataclass(frozen=True)
class CastPlan:
    """float -> int: ``kind`` ``"cvtt"`` converts to a signed ``bits``-bit integer (then wraps to
    the destination), ``"cvttu"`` uses the unsigned idiom at ``bits``."""
    kind: str
    bits: int


def float_to_int_plan(src, dst) -> CastPlan:
    src, dst = np.dtype(src), np.dtype(dst)
    bits = dst.itemsize * 8
    if src.itemsize == 2 and dst == np.uint32:
        return CastPlan("cvtt", 64)
    if bits < 32:
        return CastPlan("cvtt", 32)
    return CastPlan("cvtt" if dst.kind == "i" else "cvttu", bits)


def cvtt_range(bits: int) -> tuple[float, float]:
    """``(lo, hi)``: ``cvtt`` to a ``bits``-bit integer is exact for ``lo < x < hi``; every other
    input (NaN included) gives ``int_min(bits)``. ``lo`` may not be exact in the float type
    (then ``x >= -hi`` is the same test)."""
    hi = 2.0 ** (bits - 1)
    return -hi - 1.0, hi


def int_min(bits: int) -> int:
    return -(1 << (bits - 1))


def scale_factor(row_scale: tuple, compute_dtype) -> float:
    """The constant of a scaling op (``deg2rad``: ``x * (pi / 180)``), computed in the compute
    float type as NumPy's loops do (float32: ``(float)pi / 180.0f``; float16 computes in float32)."""
    t = np.dtype(compute_dtype).type
    num, den = row_scale
    return float(t(num) / t(den))


def accumulator_dtype(op_name: str, in_dtype) -> np.dtype:
    """The dtype reduction ``op_name`` accumulates ``in_dtype`` values in."""
    dt = np.dtype(in_dtype)
    if op_name in ("sum", "prod") and dt.kind == "f" and dt.itemsize <= 4:
        return np.dtype(np.float64)
    return dt
