"""fold: constant subexpressions become constants (uniform ones a scalar splat), through each op's
NumPy reference; large non-uniform results stay computed (FOLD_LIMIT), and so does non-uniform
arithmetic on an iota (INDEX_LIMIT)."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish import numpy as xnp
from xlaish.passes.dce import dce
from xlaish.passes.fold import FOLD_LIMIT, INDEX_LIMIT, fold

from ._util import assert_equals_numpy, edges, expect_text, ir, live_op_names, run, trace


def _fold(fn):
    return dce(run(fold, fn))


def _constants(fn):
    return [op.attrs["value"] for op in fn.walk() if op.name == "constant"]


def test_arange_arithmetic_stays_computed():
    """Integer arithmetic on an iota over INDEX_LIMIT elements is not folded into a table: a
    kernel computes ``iota * 2 + 1`` in registers instead of reading it from memory."""
    f = lambda: xnp.arange(INDEX_LIMIT + 1) * 2 + 1
    out = _fold(trace(f))
    assert "iota" in live_op_names(out)
    assert all(np.ndim(c) == 0 for c in _constants(out))
    assert_equals_numpy(out, lambda: np.arange(INDEX_LIMIT + 1) * 2 + 1)
    small = _fold(trace(lambda: xnp.arange(5) * 2 + 1))
    assert live_op_names(small) == ["constant"]
    assert_equals_numpy(small, lambda: np.arange(5) * 2 + 1)


def test_golden_constant_subexpression_of_a_parameter_function():
    x = edges(np.float32)
    f = lambda x: x + xnp.full((), 2, np.float32) * 3
    fn = trace(f, x)
    assert "multiply" in live_op_names(fn)
    out = _fold(fn)
    expect_text(out, """
        func @lambda(%x: f32[10]) -> f32[10] {
          %0 = constant {value = dense<6.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[10]
          return %1
        }""")
    assert_equals_numpy(out, lambda x: x + np.float32(2) * 3, x)


def test_numpy_scalar_constants_already_folded_while_tracing():
    x = edges(np.float32)
    f = lambda x: x + (np.float32(2) * 3)
    out = _fold(trace(f, x))
    assert live_op_names(out) == ["constant", "add"]
    assert_equals_numpy(out, f, x)


def test_golden_uniform_result_is_a_splat():
    f = lambda: xnp.zeros((4, 5), np.float32) + 3
    out = _fold(trace(f))
    expect_text(out, """
        func @lambda() -> f32[4,5] {
          %0 = constant {value = dense<3.0 : f32[]>} : f32[]
          %1 = broadcast_to %0 {shape = [4, 5]} : f32[4,5]
          return %1
        }""")
    assert_equals_numpy(out, lambda: np.zeros((4, 5), np.float32) + 3)


def test_splat_constant_value_is_a_typed_0d_array():
    # regression: the splat's value was a NumPy scalar, printed without its dtype
    out = _fold(trace(lambda: xnp.ones((3, 3), np.float16) * 2))
    (v,) = _constants(out)
    assert isinstance(v, np.ndarray) and v.shape == () and v.dtype == np.float16


def test_large_uniform_result_is_folded_as_splat():
    n = 512
    assert n * n > FOLD_LIMIT
    f = lambda: xnp.ones((n, n)) * 2 - 0.5
    out = _fold(trace(f))
    assert live_op_names(out) == ["constant", "broadcast_to"]
    assert all(np.asarray(v).size == 1 for v in _constants(out))
    assert_equals_numpy(out, lambda: np.ones((n, n)) * 2 - 0.5)


def test_large_non_uniform_result_is_not_folded():
    n = 200
    assert n * n > FOLD_LIMIT
    f = lambda: xnp.arange(n * n).reshape(n, n) * 2.0
    fn = trace(f)
    out = _fold(fn)
    assert all(np.asarray(v).size <= FOLD_LIMIT for v in _constants(out))
    assert "iota" in live_op_names(out) and "multiply" in live_op_names(out)
    assert_equals_numpy(out, lambda: np.arange(n * n).reshape(n, n) * 2.0)


def test_small_non_uniform_results_fold_through_shape_ops_and_reductions():
    f = lambda: (xnp.arange(12.0).reshape(3, 4).T.sum(axis=1), xnp.arange(6).reshape(2, 3)[:, 1:])
    out = _fold(trace(f))
    assert set(live_op_names(out)) == {"constant"}
    assert_equals_numpy(out, lambda: (np.arange(12.0).reshape(3, 4).T.sum(axis=1),
                                      np.arange(6).reshape(2, 3)[:, 1:]))


def test_signed_zeros_and_nan_are_not_uniform_by_accident():
    # [-0.0, 0.0, 0.0, 0.0] is not uniform; [nan, nan] is
    f = lambda: ((xnp.arange(4.0) - 1) * 0.0, xnp.zeros(3) * np.inf, xnp.arange(3.0) * -0.0)
    out = _fold(trace(f))
    assert set(live_op_names(out)) <= {"constant", "broadcast_to"}
    assert_equals_numpy(out, lambda: ((np.arange(4.0) - 1) * 0.0, np.zeros(3) * np.inf,
                                      np.arange(3.0) * -0.0))
    dense = [v for v in _constants(out) if np.asarray(v).size > 1]
    assert len(dense) == 1 and np.signbit(dense[0]).tolist() == [True, False, False, False]


def test_integer_semantics_of_the_reference_are_kept():
    # wrap-around and integer division by zero exactly as NumPy does them
    f = lambda: (xnp.full((3,), 127, np.int8) + np.int8(1), xnp.arange(4, dtype=np.int32) // 0,
                 xnp.arange(4, dtype=np.uint8) - np.uint8(1))
    out = _fold(trace(f))
    assert set(live_op_names(out)) <= {"constant", "broadcast_to"}
    with np.errstate(all="ignore"):
        assert_equals_numpy(out, lambda: (np.full((3,), 127, np.int8) + np.int8(1),
                                          np.arange(4, dtype=np.int32) // 0,
                                          np.arange(4, dtype=np.uint8) - np.uint8(1)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.uint8, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_folded_types_match_the_program(dtype):
    f = lambda: (xnp.ones((2, 3), dtype) * xnp.ones((3,), dtype), xnp.arange(6).reshape(2, 3).astype(dtype))
    fn = trace(f)
    out = _fold(fn)
    assert out.result_types == fn.result_types
    assert set(live_op_names(out)) <= {"constant", "broadcast_to"}
    assert_equals_numpy(out, lambda: (np.ones((2, 3), dtype) * np.ones((3,), dtype),
                                      np.arange(6).reshape(2, 3).astype(dtype)))


def test_ops_reading_parameters_are_kept():
    x = edges(np.float64)
    f = lambda x: np.sin(x) * (xnp.arange(10.0) + 1)
    out = _fold(trace(f, x))
    assert live_op_names(out) == ["sin", "constant", "multiply"]
    assert_equals_numpy(out, lambda x: np.sin(x) * (np.arange(10.0) + 1), x)


def test_regions_folded():
    fn = ir("""
        func @f(%x: f32[4]) -> f32[4] {
          %0 = fused %x : f32[4] {
            func @kernel0(%in0: f32[4]) -> f32[4] {
              %0 = constant {value = dense<2.0 : f32[]>} : f32[]
              %1 = constant {value = dense<3.0 : f32[]>} : f32[]
              %2 = multiply %0, %1 : f32[]
              %3 = add %in0, %2 : f32[4]
              return %3
            }
          }
          return %0
        }""")
    out = run(fold, fn)
    assert "multiply" not in live_op_names(out.ops[0].regions[0])
    x = edges(np.float32)[:4]
    assert_equals_numpy(out, lambda x: x + np.float32(6), x)
