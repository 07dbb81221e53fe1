"""cse: identical pure ops (op, operands, attributes, regions) are computed once."""
from __future__ import annotations

import numpy as np

from xlaish.passes.cse import cse
from xlaish.passes.dce import dce
from xlaish.passes.fold import fold

from ._util import assert_equals_numpy, expect_text, ir, live_op_names, op_names, run, trace


def test_golden_duplicate_subexpressions():
    x = np.linspace(-1, 1, 3)
    f = lambda x: (np.sin(x) + 1, np.sin(x) * 2, np.sin(x) + 1)
    out = run(cse, trace(f, x))
    expect_text(out, """
        func @lambda(%x: f64[3]) -> (f64[3], f64[3], f64[3]) {
          %0 = sin %x : f64[3]
          %1 = constant {value = dense<1.0 : f64[]>} : f64[]
          %2 = add %0, %1 : f64[3]
          %3 = constant {value = dense<2.0 : f64[]>} : f64[]
          %4 = multiply %0, %3 : f64[3]
          return %2, %4, %2
        }""")
    assert_equals_numpy(out, f, x)


def test_chain_of_duplicates_collapses():
    x = np.linspace(-2, 2, 7, dtype=np.float32)
    f = lambda x: np.tanh(np.exp(-np.abs(x))) * np.tanh(np.exp(-np.abs(x)))
    before = trace(f, x)
    out = run(cse, before)
    names = op_names(out)
    for n in ("abs", "negative", "exp", "tanh"):
        assert op_names(before).count(n) == 2 and names.count(n) == 1, str(out)
    assert_equals_numpy(out, f, x)


def test_identical_constants_merged_by_value_and_dtype():
    fn = ir("""
        func @f(%x: f32[2], %y: f64[2]) -> (f32[2], f32[2], f64[2]) {
          %0 = constant {value = dense<3.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[2]
          %2 = constant {value = dense<3.0 : f32[]>} : f32[]
          %3 = add %x, %2 : f32[2]
          %4 = constant {value = dense<3.0 : f64[]>} : f64[]
          %5 = add %y, %4 : f64[2]
          return %1, %3, %5
        }""")
    out = dce(run(cse, fn))
    expect_text(out, """
        func @f(%x: f32[2], %y: f64[2]) -> (f32[2], f32[2], f64[2]) {
          %0 = constant {value = dense<3.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[2]
          %2 = constant {value = dense<3.0 : f64[]>} : f64[]
          %3 = add %y, %2 : f64[2]
          return %1, %1, %3
        }""")


def test_different_attrs_or_operands_not_merged():
    x = np.arange(12.0).reshape(3, 4)
    f = lambda x: (x.sum(axis=0, keepdims=True), x.sum(axis=1, keepdims=True), x.sum(axis=0, keepdims=True))
    out = run(cse, trace(f, x))
    assert op_names(out).count("sum") == 2
    assert out.results[0] is out.results[2]
    g = lambda x: (np.sin(x), np.sin(x + 1), np.cos(x))
    before = trace(g, x)
    assert op_names(run(cse, before)) == op_names(before)
    assert_equals_numpy(out, f, x)


def test_same_values_different_dtypes_after_fold_are_not_merged():
    # regression: fold made splat constants from NumPy scalars, and cse then merged f32 3.0
    # with f64 3.0, changing a result's dtype
    from xlaish import numpy as xnp
    f = lambda: (xnp.zeros((4, 5), np.float32) + 3, xnp.zeros((4, 5)) + 3)
    fn = trace(f)
    out = dce(run(cse, run(fold, fn)))
    assert out.result_types == fn.result_types
    assert_equals_numpy(out, lambda: (np.zeros((4, 5), np.float32) + 3, np.zeros((4, 5)) + 3))


def test_commuted_operands_are_distinct_keys_but_still_correct():
    x = np.linspace(-1, 1, 4)
    f = lambda x: (x - np.sin(x), np.sin(x) - x)
    out = run(cse, trace(f, x))
    assert op_names(out).count("subtract") == 2          # subtract is not commutative
    assert_equals_numpy(out, f, x)


def test_regions_are_processed_and_identical_kernels_merged():
    kernel = """func @kernel{k}(%in0: f32[4]) -> f32[4] {{
              %0 = exp %in0 : f32[4]
              %1 = exp %in0 : f32[4]
              %2 = add %0, %1 : f32[4]
              return %2
            }}"""
    fn = ir(f"""
        func @f(%x: f32[4]) -> f32[4] {{
          %0 = fused %x : f32[4] {{
            {kernel.format(k=0)}
          }}
          %1 = fused %x : f32[4] {{
            {kernel.format(k=0)}
          }}
          %2 = fused %x : f32[4] {{
            {kernel.format(k=1)}
          }}
          %3 = multiply %0, %1 : f32[4]
          %4 = add %3, %2 : f32[4]
          return %4
        }}""")
    out = dce(run(cse, fn))
    assert live_op_names(out).count("fused") == 2        # @kernel1 differs from @kernel0 by name only
    for op in out.ops:
        if op.name == "fused":
            assert [o.name for o in op.regions[0].ops] == ["exp", "add"]
    x = np.array([-0.0, 1.0, np.inf, -np.inf], np.float32)
    e = lambda x: (np.exp(x) + np.exp(x))
    assert_equals_numpy(out, lambda x: e(x) * e(x) + e(x), x)


def test_idempotent():
    x = np.linspace(-1, 1, 3)
    f = lambda x: np.exp(x) * np.exp(x) + np.exp(x) * np.exp(x)
    once = run(cse, trace(f, x))
    assert str(run(cse, once)) == str(once)
    assert op_names(once).count("exp") == 1 and op_names(once).count("multiply") == 1
    assert_equals_numpy(once, f, x)
