"""canonicalize: reductions keep their dims (a reshape drops them), matmul operands are 2-D."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish.ir.opdef import REDUCTION
from xlaish.passes.canonicalize import canonicalize

from ._util import assert_equals_numpy, expect_text, ir, run, trace


def _reductions_keep_dims(fn):
    for op in fn.walk():
        if op.opdef.has(REDUCTION):
            assert op.attrs["keepdims"] is True, str(fn)


def test_golden_sum_axis():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    f = lambda x: x.sum(axis=0)
    out = run(canonicalize, trace(f, x))
    expect_text(out, """
        func @lambda(%x: f32[3,4]) -> f32[4] {
          %0 = sum %x {axes = [0], keepdims = true} : f32[1,4]
          %1 = reshape %0 {shape = [4]} : f32[4]
          return %1
        }""")
    assert_equals_numpy(out, f, x, bitwise=False)


def test_keepdims_already_true_is_unchanged():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    before = trace(lambda x: x.max(axis=1, keepdims=True) - x, x)
    out = run(canonicalize, before)
    assert str(out) == str(before)


@pytest.mark.parametrize("f", [
    lambda x: x.sum(),
    lambda x: x.max(axis=(0, 2)),
    lambda x: x.min(axis=-1),
    lambda x: x.mean(axis=1),
    lambda x: np.argmax(x, axis=1),
    lambda x: np.argmin(x, axis=2),
    lambda x: (x.sum(axis=0), x.prod(axis=(1, 2), keepdims=True)),
], ids=["sum-all", "max-02", "min-last", "mean-1", "argmax", "argmin", "two"])
def test_reductions(f):
    x = np.random.default_rng(0).uniform(-2, 2, (2, 3, 4)).astype(np.float32)
    out = run(canonicalize, trace(f, x))
    _reductions_keep_dims(out)
    assert_equals_numpy(out, f, x, bitwise=False)


def test_golden_matmul_vector_operands():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    v = np.arange(3, dtype=np.float32)
    f = lambda a, v: a @ v
    out = run(canonicalize, trace(f, a, v))
    expect_text(out, """
        func @lambda(%a: f32[2,3], %v: f32[3]) -> f32[2] {
          %0 = reshape %v {shape = [3, 1]} : f32[3,1]
          %1 = matmul %a, %0 : f32[2,1]
          %2 = reshape %1 {shape = [2]} : f32[2]
          return %2
        }""")
    assert_equals_numpy(out, f, a, v, bitwise=False)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 5, 3), (3,)), ((3,), (2, 3, 4)),
                                   ((2, 3), (3, 4))])
def test_matmul_operands_at_least_2d(sa, sb):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, sa)
    b = rng.uniform(-1, 1, sb)
    f = lambda a, b: a @ b
    out = run(canonicalize, trace(f, a, b))
    for op in out.walk():
        if op.name == "matmul":
            assert all(v.type.ndim >= 2 for v in op.operands), str(out)
    assert_equals_numpy(out, f, a, b, bitwise=False)


def test_regions_canonicalized():
    fn = ir("""
        func @f(%x: f32[2,3]) -> f32[2] {
          %0 = fused %x : f32[2] {
            func @kernel0(%in0: f32[2,3]) -> f32[2] {
              %0 = sum %in0 {axes = [1], keepdims = false} : f32[2]
              return %0
            }
          }
          return %0
        }""")
    out = run(canonicalize, fn)
    _reductions_keep_dims(out)
    assert [op.name for op in out.ops[0].regions[0].ops] == ["sum", "reshape"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_equals_numpy(out, lambda x: x.sum(axis=1), x)
