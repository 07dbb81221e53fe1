"""Valid IR forms that tracing NumPy code does not produce (any more) but that passes or hand-written
IR may contain: each compiled by the backend must agree with the reference interpreter.

* a reduction over no axes (``axes = []``) is the identity;
* comparisons between uint64 and int64 use NumPy's exact mixed-dtype loop (operands of different
  dtypes; the tracer now emits an equivalent select of uniform-dtype comparisons instead).

Each runs on the default backend, the interpreter, and the CUDA simulator (``cuda``; skipped
only when numba is missing or the simulator is not active).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_matches_numpy
from xlaish.compiler import compile_traced
from xlaish.ir import interpret, parse, verify


@pytest.fixture(params=["default", "interpreter", "cuda"])
def backend(request):
    if request.param == "cuda":
        try:
            from xlaish.runtime.cuda import simulating
            ok = simulating()
        except Exception:           # numba missing
            ok = False
        if not ok:
            pytest.skip("the CUDA simulator is not active (NUMBA_ENABLE_CUDASIM=1 before numba)")
    return request.param


def _run(text, backend, args):
    fn = verify(parse(text))
    device = {"interpreter": "interpreter", "cuda": "cuda"}.get(backend, "cpu")
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


def _ops(fn):
    for op in fn.ops:
        yield op
        for r in op.regions:
            yield from _ops(r)


def test_mixed_comparison_never_reaches_a_backend():
    """On a GPU, numba types ``uint64 > int64`` through float64 (``2**63 > 2**63 - 1`` would be
    False); the simulator compares NumPy scalars exactly, so it cannot show that. What makes every
    backend exact is checked instead: after the pass pipeline no comparison has operands of two
    dtypes (the policy's split: a sign test, a uint64 comparison, a select)."""
    from xlaish.ir.groups import COMPARISONS
    from xlaish.passes.pipeline import run_pipeline
    text = "\n".join([
        "func @f(%u: u64[3], %i: i64[3]) -> (bool[3], bool[3]) {",
        "  %0 = greater %u, %i : bool[3]",
        "  %1 = less_equal %i, %u : bool[3]",
        "  return %0, %1",
        "}"])
    fn = verify(parse(text))
    assert any(len({v.type.dtype for v in op.operands}) == 2 for op in _ops(fn))
    out = run_pipeline(fn, check=True)
    cmps = [op for op in _ops(out) if op.name in COMPARISONS]
    assert cmps and all(len({v.type.dtype for v in op.operands}) == 1 for op in cmps)
    u = np.array([2**63, 2**64 - 1, 5], np.uint64)
    i = np.array([2**63 - 1, -1, 5], np.int64)
    for g, e in zip(interpret(out, [u, i]), (np.greater(u, i), np.less_equal(i, u))):
        assert_matches_numpy(np.asarray(g), e)
