"""Differential fuzz test: random programs over the supported ops, jitted, against NumPy.

Programs come from the two generators of the test suite (``tests.helpers.programs``: elementwise
ops, promotion, weak scalars, reductions; ``tests.passes._gen.shape_programs``: views, matmul,
concatenate, select, casts, algebraic identities). Each example also draws how its inputs are
laid out: C-contiguous, read-only, strided, reversed (negative strides), Fortran order or
byte-swapped; and for ``programs`` whose shapes allow it, one dimension is made empty (every
dimension of that size becomes 0, so broadcasting still holds). Shapes include 0-d.

When NumPy rejects a program (a max of an empty array), the compiled program must raise too;
otherwise its result must match NumPy's (dtype and shape exactly, values to the program's
tolerance).

In CI it runs a fixed, derandomized set of 150 examples (about 20 s on two cores).
``XLAISH_FUZZ=long`` runs 20000 fresh examples instead (a bug hunt: run it under ``timeout``,
with ``--hypothesis-seed=N`` to vary the draw). ``XLAISH_FUZZ_LOG=path`` appends one line per
program run (``ok``/``FAIL``) there.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlaish as xl

from ..helpers import assert_program_matches, numpy_result, programs
from ..passes._gen import shape_programs

LONG = os.environ.get("XLAISH_FUZZ") == "long"
LOG = os.environ.get("XLAISH_FUZZ_LOG")
# CI: a fixed set of examples (derandomized: the same programs every run, so CI fails on a
# regression, not on luck); the long profile draws fresh ones on every run
SETTINGS = settings(max_examples=20000 if LONG else 150, derandomize=not LONG, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

DTYPES = ("float32", "float64", "int32", "int64", "float16", "int8", "uint16")
LAYOUTS = ["contiguous", "readonly", "strided", "reversed", "fortran", "byteswapped"]


def _layout(a: np.ndarray, kind: str) -> np.ndarray:
    """``a``'s values and shape in the memory layout ``kind`` (dtype kept, byte order aside)."""
    if kind == "readonly":
        a = np.array(a)
        a.flags.writeable = False
        return a
    if kind == "strided" and a.ndim:
        big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2 + 1,), a.dtype)
        big[..., 1::2] = a
        return big[..., 1::2]
    if kind == "reversed" and a.ndim:
        return a[..., ::-1].copy()[..., ::-1]
    if kind == "fortran" and a.ndim >= 2:
        return np.asfortranarray(a)
    if kind == "byteswapped":
        return a.astype(a.dtype.newbyteorder())
    return np.array(a, order="C")        # (np.ascontiguousarray makes 0-d arrays 1-d)


def _emptied(inputs, size):
    """The inputs with every dimension of length ``size`` made 0 (broadcasting is preserved:
    dimensions that matched still match, and 1s stay 1s)."""
    out = []
    for a in inputs:
        shape = tuple(0 if d == size else d for d in a.shape)
        out.append(np.zeros(shape, a.dtype))
    return out


@st.composite
def cases(draw):
    gen = draw(st.sampled_from(["programs", "shapes"]))
    if gen == "programs":
        prog, inputs = draw(programs(dtypes=DTYPES))
        sizes = sorted({d for a in inputs for d in a.shape if d >= 2})
        if sizes and draw(st.integers(0, 4)) == 0:
            inputs = _emptied(inputs, draw(st.sampled_from(sizes)))
    else:
        prog, inputs = draw(shape_programs())
    return prog, inputs, draw(st.sampled_from(LAYOUTS))


def _log(line: str) -> None:
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def _check(prog, inputs, expected, err, jf):
    if err is not None:
        with np.errstate(all="ignore"), pytest.raises(type(err)):     # NumPy's exception type
            jf(*inputs)
    else:
        with np.errstate(all="ignore"):
            got = jf(*inputs)
        assert_program_matches(prog, got, expected)


@SETTINGS
@given(cases())
def test_random_programs_match_numpy(case):
    prog, inputs, layout = case
    expected, err = numpy_result(prog, *inputs)
    laid = [_layout(a, layout) for a in inputs]
    try:
        jf = xl.jit(prog)
        _check(prog, inputs, expected, err, jf)
        _check(prog, laid, expected, err, jf)        # same shapes: the cached executable, twice
        _check(prog, laid, expected, err, jf)
    except AssertionError:
        _log(f"FAIL {layout} {[(a.shape, a.dtype.str) for a in inputs]} {prog.source}")
        raise
    except BaseException as e:
        _log(f"FAIL {layout} {[(a.shape, a.dtype.str) for a in inputs]} {prog.source} :: "
             f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        raise
    _log(f"ok {layout}")
