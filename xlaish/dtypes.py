"""Dtypes and NumPy 2 type promotion.

xlaish never re-implements NumPy's promotion table: every rule asks NumPy
itself (``ufunc.resolve_dtypes`` and ``np.result_type``), which already
implements NEP 50 "weak" Python scalars (``f32_array * 1.5`` stays float32).
This module is the one place that knows which dtypes are supported and how
they are spelled in IR text (``f32``, ``i64``, ``bool``, ...).
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedError

# short IR spelling <-> NumPy dtype
_SHORT = {
    "bool": np.dtype(np.bool_),
    "i8": np.dtype(np.int8), "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
    "u8": np.dtype(np.uint8), "u16": np.dtype(np.uint16),
    "u32": np.dtype(np.uint32), "u64": np.dtype(np.uint64),
    "f16": np.dtype(np.float16), "f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
    "c64": np.dtype(np.complex64), "c128": np.dtype(np.complex128),
}
_NAME = {v: k for k, v in _SHORT.items()}
SUPPORTED = frozenset(_SHORT.values())

bool_ = _SHORT["bool"]
int64 = _SHORT["i64"]
float32 = _SHORT["f32"]
float64 = _SHORT["f64"]
complex64 = _SHORT["c64"]
complex128 = _SHORT["c128"]


def short_name(dt) -> str:
    """The IR spelling of a dtype: ``f32``, ``i64``, ``bool``..."""
    return _NAME[np.dtype(dt)]


def canonical(dt) -> np.dtype:
    """A supported ``np.dtype`` from any spelling (``"f32"``, ``"float32"``, ``np.float32``, ...).

    Raises :class:`UnsupportedError` naming the dtype for complex, object,
    string, datetime and other dtypes xlaish does not compile.
    """
    if isinstance(dt, str) and dt in _SHORT:
        return _SHORT[dt]
    try:
        d = np.dtype(dt)
    except TypeError as e:
        raise UnsupportedError(f"unknown dtype {dt!r}") from e
    if d.byteorder == ">":
        d = d.newbyteorder("=")
    if d not in SUPPORTED:
        raise UnsupportedError(
            f"dtype {d} is not supported by xlaish (supported: bool, int8-64, uint8-64, "
            f"float16, float32, float64, complex64, complex128)")
    return d


def is_float(dt) -> bool:
    return np.dtype(dt).kind == "f"


def is_complex(dt) -> bool:
    return np.dtype(dt).kind == "c"


def real_dtype(dt) -> np.dtype:
    """The dtype of a complex dtype's components (complex64 -> float32); other dtypes unchanged."""
    d = np.dtype(dt)
    return {"c8": float32, "c16": float64}[f"c{d.itemsize}"] if d.kind == "c" else d


def complex_dtype(dt) -> np.dtype:
    """The complex dtype whose components are ``dt`` (float32 -> complex64, float64 -> complex128)."""
    return np.dtype(np.complex64) if np.dtype(dt) == float32 else np.dtype(np.complex128)


def is_int(dt) -> bool:
    return np.dtype(dt).kind in "iu"


def is_bool(dt) -> bool:
    return np.dtype(dt).kind == "b"


def weak_type(value) -> type | None:
    """The Python type that NumPy treats as a weak scalar (int, float), else None.

    ``bool`` is not weak in NumPy 2 (it is the lowest dtype already).
    """
    if isinstance(value, (bool, np.generic)):  # np.float64 subclasses float but is not weak
        return None
    if isinstance(value, (int, float, complex)):
        if type(value) in (int, float, complex):
            return type(value)
        return int if isinstance(value, int) else float if isinstance(value, float) else complex
    return None


def default_dtype(pytype) -> np.dtype:
    """The dtype NumPy gives a lone Python scalar: int -> int64, float -> float64,
    complex -> complex128."""
    return {int: int64, float: float64, bool: bool_, complex: complex128}[pytype]


def result_type(*operands) -> np.dtype:
    """``np.result_type`` over dtypes and weak Python types (``int``/``float``/``complex``)."""
    # np.result_type treats the *types* int/float as int64/float64; Python scalar *values*
    # are what NumPy 2 promotes weakly (NEP 50), so pass a stand-in value for each weak type.
    weak_value = {int: 0, float: 0.0, complex: 0j}
    return canonical(np.result_type(*(weak_value.get(o, o) if isinstance(o, type) else o
                                      for o in operands)))
