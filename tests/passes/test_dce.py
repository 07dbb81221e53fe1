"""dce: ops whose results nobody uses are removed; fused ops lose unused outputs (and inputs)."""
from __future__ import annotations

import numpy as np

from xlaish.passes.canonicalize import canonicalize
from xlaish.passes.dce import dce
from xlaish.passes.fusion import fuse

from ._util import assert_equals_numpy, expect_text, ir, op_names, run, trace


def test_golden_unused_branch_removed():
    x = np.linspace(-1, 1, 3)

    def f(x):
        unused = np.exp(x).sum() * 2     # noqa: F841  (a whole branch of dead work)
        return np.cos(x)

    before = trace(f, x)
    assert "exp" in op_names(before)
    out = run(dce, before)
    expect_text(out, """
        func @f(%x: f64[3]) -> f64[3] {
          %0 = cos %x : f64[3]
          return %0
        }""")
    assert_equals_numpy(out, f, x)


def test_unused_constants_and_chains_removed_used_ones_kept():
    fn = ir("""
        func @f(%x: f32[2]) -> (f32[2], f32[2]) {
          %0 = constant {value = dense<1.0 : f32[]>} : f32[]
          %1 = constant {value = dense<2.0 : f32[]>} : f32[]
          %2 = add %x, %0 : f32[2]
          %3 = multiply %2, %1 : f32[2]
          %4 = negative %3 : f32[2]
          %5 = exp %x : f32[2]
          return %2, %x
        }""")
    out = run(dce, fn)
    expect_text(out, """
        func @f(%x: f32[2]) -> (f32[2], f32[2]) {
          %0 = constant {value = dense<1.0 : f32[]>} : f32[]
          %1 = add %x, %0 : f32[2]
          return %1, %x
        }""")


def test_function_results_never_removed():
    x = np.linspace(-1, 1, 3)
    f = lambda x: (np.sin(x), np.sin(x) * 2, x)
    before = trace(f, x)
    out = run(dce, before)
    assert str(out) == str(before)


def test_unused_outputs_of_a_fused_op_dropped():
    x = np.linspace(-1, 1, 5)

    def f(x):
        a, b = np.sin(x), np.cos(x)
        return a + b, a * b, np.exp(a)

    fused = fuse(canonicalize(trace(f, x)))
    (op,) = [o for o in fused.ops if o.name == "fused"]
    assert len(op.results) == 3
    only_product = fused.replace(results=[fused.results[1]])
    out = run(dce, only_product)
    expect_text(out, """
        func @f(%x: f64[5]) -> f64[5] {
          %0 = fused %x : f64[5] {
            func @kernel0(%in0: f64[5]) -> f64[5] {
              %0 = sin %in0 : f64[5]
              %1 = cos %in0 : f64[5]
              %2 = multiply %0, %1 : f64[5]
              return %2
            }
          }
          return %0
        }""")
    assert_equals_numpy(out, lambda x: np.sin(x) * np.cos(x), x)


def test_fused_op_loses_inputs_only_dropped_outputs_read():
    fn = ir("""
        func @f(%x: f32[3], %y: f32[3]) -> (f32[3], f32[3]) {
          %0, %1 = fused %x, %y : f32[3], f32[3] {
            func @kernel0(%in0: f32[3], %in1: f32[3]) -> (f32[3], f32[3]) {
              %0 = sin %in0 : f32[3]
              %1 = cos %in1 : f32[3]
              return %0, %1
            }
          }
          return %0, %0
        }""")
    out = run(dce, fn)
    expect_text(out, """
        func @f(%x: f32[3], %y: f32[3]) -> (f32[3], f32[3]) {
          %0 = fused %x : f32[3] {
            func @kernel0(%in0: f32[3]) -> f32[3] {
              %0 = sin %in0 : f32[3]
              return %0
            }
          }
          return %0, %0
        }""")
    x = np.array([-0.0, np.inf, 1.0], np.float32)
    assert_equals_numpy(out, lambda x, y: (np.sin(x), np.sin(x)), x, x + 1)


def test_dead_ops_inside_regions_removed():
    fn = ir("""
        func @f(%x: f32[3]) -> f32[3] {
          %0 = fused %x : f32[3] {
            func @kernel0(%in0: f32[3]) -> f32[3] {
              %0 = exp %in0 : f32[3]
              %1 = tanh %in0 : f32[3]
              return %1
            }
          }
          %1 = fused %x : f32[3] {
            func @kernel1(%in0: f32[3]) -> f32[3] {
              %0 = sin %in0 : f32[3]
              return %0
            }
          }
          return %0
        }""")
    out = run(dce, fn)
    assert op_names(out) == ["fused"]
    assert op_names(out, nested=True) == ["fused", "tanh"]
    assert_equals_numpy(out, np.tanh, np.array([0.5, -0.0, np.nan], np.float32))


def test_idempotent():
    x = np.linspace(-1, 1, 3)
    f = lambda x: (np.exp(x), np.log(np.abs(x) + 1))[0]
    once = run(dce, trace(f, x))
    assert str(run(dce, once)) == str(once)
    assert op_names(once) == ["exp"]
