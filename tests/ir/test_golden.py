"""Golden IR text of a few traced functions: the one place where literal expectations are right
(the text form is an interface: people read it, tests of passes compare it)."""
from __future__ import annotations

import textwrap

import numpy as np

import xlaish as xl
from xlaish.ir import parse


def golden(fn, *args):
    return str(xl.make_ir(fn)(*args))


def expect(text):
    return textwrap.dedent(text).strip("\n")


def test_softplus():
    def softplus(x):
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    assert golden(softplus, np.ones(1000, np.float32)) == expect("""
        func @softplus(%x: f32[1000]) -> f32[1000] {
          %0 = abs %x : f32[1000]
          %1 = negative %0 : f32[1000]
          %2 = exp %1 : f32[1000]
          %3 = log1p %2 : f32[1000]
          %4 = constant {value = dense<0.0 : f32[]>} : f32[]
          %5 = maximum %x, %4 : f32[1000]
          %6 = add %3, %5 : f32[1000]
          return %6
        }
    """)


def test_reduction_with_keepdims():
    """int32 sums accumulate in int64 (as NumPy's do); keepdims keeps size-1 axes."""
    def rowsum(x):
        return np.sum(x, axis=(0, -1), keepdims=True)

    assert golden(rowsum, np.ones((2, 3, 4), np.int32)) == expect("""
        func @rowsum(%x: i32[2,3,4]) -> i64[1,3,1] {
          %0 = astype %x {dtype = i64} : i64[2,3,4]
          %1 = sum %0 {axes = [0, 2], keepdims = true} : i64[1,3,1]
          return %1
        }
    """)


def test_mean_with_keepdims():
    def center(x):
        return x - x.mean(axis=-1, keepdims=True)

    assert golden(center, np.ones((4, 8), np.float32)) == expect("""
        func @center(%x: f32[4,8]) -> f32[4,8] {
          %0 = sum %x {axes = [1], keepdims = true} : f32[4,1]
          %1 = constant {value = dense<8.0 : f32[]>} : f32[]
          %2 = divide %0, %1 : f32[4,1]
          %3 = subtract %x, %2 : f32[4,8]
          return %3
        }
    """)


def test_indexing_and_transpose():
    """x[1:, ::-2, None].T: one strided slice (stop -1 = past the front for a negative step),
    a reshape for the new axis, one transpose."""
    def pick(x):
        return x[1:, ::-2, None].T

    assert golden(pick, np.ones((3, 4, 5), np.float64)) == expect("""
        func @pick(%x: f64[3,4,5]) -> f64[5,1,2,2] {
          %0 = slice %x {start = [1, 3, 0], step = [1, -2, 1], stop = [3, -1, 5]} : f64[2,2,5]
          %1 = reshape %0 {shape = [2, 2, 1, 5]} : f64[2,2,1,5]
          %2 = transpose %1 {perm = [3, 2, 1, 0]} : f64[5,1,2,2]
          return %2
        }
    """)


def test_weak_python_scalars():
    """A Python float constant takes the array's dtype; a Python int argument is an i64[]
    parameter cast to the array's dtype (weak typing)."""
    def weak(x, s):
        return x * 1.5 + s

    assert golden(weak, np.ones(2, np.float16), 2) == expect("""
        func @weak(%x: f16[2], %s: i64[]) -> f16[2] {
          %0 = constant {value = dense<1.5 : f16[]>} : f16[]
          %1 = multiply %x, %0 : f16[2]
          %2 = astype %s {dtype = f16} : f16[]
          %3 = add %1, %2 : f16[2]
          return %3
        }
    """)


def test_multiple_results_and_constants():
    def f(x):
        return x + np.array([1, 2, 3], np.int8), x > 0

    text = golden(f, np.ones(3, np.int8))
    assert text == expect("""
        func @f(%x: i8[3]) -> (i8[3], bool[3]) {
          %0 = constant {value = dense<[1, 2, 3] : i8[3]>} : i8[3]
          %1 = add %x, %0 : i8[3]
          %2 = constant {value = dense<0 : i8[]>} : i8[]
          %3 = greater %x, %2 : bool[3]
          return %1, %3
        }
    """)
    assert str(parse(text)) == text
