"""Valid IR forms that tracing NumPy code does not produce (any more) but that passes or hand-written
IR may contain: each compiled by the backend must agree with the reference interpreter.

* a reduction over no axes (``axes = []``) is the identity;
* comparisons between uint64 and int64 use NumPy's exact mixed-dtype loop (operands of different
  dtypes; the tracer now emits an equivalent select of uniform-dtype comparisons instead).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_matches_numpy
from xlaish.compiler import compile_traced
from xlaish.ir import interpret, parse, verify

def _run(text, backend, args):
    fn = verify(parse(text))
    device = "interpreter" if backend == "interpreter" else "cpu"
    _, exe = compile_traced(fn, {"device": device, "fuse": True, "passes": None})
    return exe(args), interpret(fn, args)


@pytest.mark.parametrize("red", ["sum", "prod", "max", "min"])
def test_reduction_over_no_axes_is_identity(backend, red):
    text = "\n".join([
        "func @f(%x: f32[2,3]) -> (f32[2,3], f32[2,3]) {",
        f"  %0 = {red} %x {{axes = [], keepdims = false}} : f32[2,3]",
        f"  %1 = {red} %x {{axes = [], keepdims = true}} : f32[2,3]",
        "  return %0, %1",
        "}"])
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    got, ref = _run(text, backend, [x])
    for g, r in zip(got, ref):
        assert_matches_numpy(np.asarray(g), r)
        assert_matches_numpy(np.asarray(g), x)


@pytest.mark.parametrize("cmp", ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal"])
def test_mixed_uint64_int64_comparison(backend, cmp):
    text = "\n".join([
        "func @f(%u: u64[6], %i: i64[6]) -> (bool[6], bool[6]) {",
        f"  %0 = {cmp} %u, %i : bool[6]",
        f"  %1 = {cmp} %i, %u : bool[6]",
        "  return %0, %1",
        "}"])
    u = np.array([2**64 - 1, 5, 2**63, 0, 7, 2**63 - 1], np.uint64)
    i = np.array([-1, 7, 2**63 - 1, 0, 7, -2**63], np.int64)
    got, ref = _run(text, backend, [u, i])
    expected = (getattr(np, cmp)(u, i), getattr(np, cmp)(i, u))
    for g, r, e in zip(got, ref, expected):
        assert_matches_numpy(np.asarray(r), e)      # the interpreter is NumPy's loop
        assert_matches_numpy(np.asarray(g), e)
